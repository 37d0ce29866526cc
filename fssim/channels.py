"""The channel model: one call leg, its states and the channel header block of its events."""
import time

#: ``Channel-State-Number`` (switch_channel_state_t).
STATE_NUMBERS = {
    "CS_NEW": 0, "CS_INIT": 1, "CS_ROUTING": 2, "CS_SOFT_EXECUTE": 3, "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5, "CS_PARK": 6, "CS_CONSUME_MEDIA": 7, "CS_HIBERNATE": 8,
    "CS_RESET": 9, "CS_HANGUP": 10, "CS_REPORTING": 11, "CS_DESTROY": 12,
    # CHANNEL_OUTGOING shows ``CS_NONE`` with number 1 (trace 02: the new session's
    # state name is not set yet while its number already is CS_INIT's).
    "CS_NONE": 1,
}
#: ``Channel-Call-State-Number`` (switch_channel_callstate_t).
CALLSTATE_NUMBERS = {
    "DOWN": 0, "DIALING": 1, "RINGING": 2, "EARLY": 3, "ACTIVE": 4, "HELD": 5,
    "RING_WAIT": 6, "HANGUP": 7, "UNHELD": 8,
}

#: Q.850 code of the hangup causes the simulator produces.
Q850 = {
    "NORMAL_CLEARING": 16, "USER_BUSY": 17, "NO_ANSWER": 19, "CALL_REJECTED": 21,
    "NORMAL_TEMPORARY_FAILURE": 41, "ORIGINATOR_CANCEL": 487, "NO_USER_RESPONSE": 18,
    "UNALLOCATED_NUMBER": 1, "NO_ROUTE_DESTINATION": 3, "MANAGER_REQUEST": 503,
    "SYSTEM_SHUTDOWN": 503, "INVALID_PROFILE": 0, "LOSE_RACE": 502, "ALLOTTED_TIMEOUT": 602,
}

_TIME_FIELDS = ("Created", "Answered", "Progress", "Progress-Media", "Hangup", "Transfer",
                "Resurrect", "Bridged", "Last-Hold", "Hold-Accum")


def now_us():
    """Microseconds since the epoch, FreeSWITCH's timestamp unit."""
    return int(time.time() * 1_000_000)


class CallerProfile:
    """The ``Caller-*`` block: who calls whom."""

    def __init__(self, *, direction, caller_id_name, caller_id_number, destination, channel_name,
                 uuid, source, dialplan="XML", context="default", network_addr="", username="",
                 ani=None, callee_id_name=None, callee_id_number=None):
        self.direction = direction
        self.logical_direction = direction
        self.username = username
        self.dialplan = dialplan
        self.caller_id_name = caller_id_name
        self.caller_id_number = caller_id_number
        self.orig_caller_id_name = caller_id_name
        self.orig_caller_id_number = caller_id_number
        self.callee_id_name = callee_id_name
        self.callee_id_number = callee_id_number
        self.network_addr = network_addr
        self.ani = ani if ani is not None else caller_id_number
        self.destination = destination
        self.uuid = uuid
        self.source = source
        self.context = context
        self.channel_name = channel_name
        self.created = now_us()
        self.times = dict.fromkeys(_TIME_FIELDS, 0)
        self.times["Created"] = self.created

    def headers(self, prefix="Caller-", with_times_prefix=True):
        """The profile as headers (``Caller-`` or ``Other-Leg-`` prefix)."""
        p = prefix
        out = [(p + "Direction", self.direction), (p + "Logical-Direction", self.logical_direction)]
        if prefix == "Caller-":
            out.append((p + "Username", self.username)) if self.username else None
            out.append((p + "Dialplan", self.dialplan)) if self.dialplan else None
        out += [(p + "Caller-ID-Name", self.caller_id_name), (p + "Caller-ID-Number", self.caller_id_number),
                (p + "Orig-Caller-ID-Name", self.orig_caller_id_name),
                (p + "Orig-Caller-ID-Number", self.orig_caller_id_number)]
        if self.callee_id_name is not None:
            out += [(p + "Callee-ID-Name", self.callee_id_name), (p + "Callee-ID-Number", self.callee_id_number)]
        if self.network_addr:
            out.append((p + "Network-Addr", self.network_addr))
        out += [(p + "ANI", self.ani), (p + "Destination-Number", self.destination),
                (p + "Unique-ID", self.uuid), (p + "Source", self.source), (p + "Context", self.context),
                (p + "Channel-Name", self.channel_name)]
        if prefix == "Caller-":
            out.append((p + "Profile-Index", "1"))
        out.append((p + "Profile-Created-Time", str(self.created)))
        for field in _TIME_FIELDS:
            out.append((p + "Channel-" + field + ("-Time" if field not in ("Last-Hold", "Hold-Accum") else ""),
                        str(self.times[field])))
        out += [(p + "Screen-Bit", "true"), (p + "Privacy-Hide-Name", "false"), (p + "Privacy-Hide-Number", "false")]
        return out


class Channel:
    """One call leg.

    The attributes the Python control API documents: ``uuid``, ``direction``, ``state``,
    ``answered``, ``variables``, ``partner``, ``held``, ``destination``,
    ``caller_id_number``, ``recordings`` and :meth:`hears`.
    """

    def __init__(self, switch, uuid, direction, name, profile, variables=None):
        self.switch = switch
        self.uuid = uuid
        self.direction = direction
        self.name = name
        self.profile = profile
        self.state = "CS_NEW"
        self.call_state = "DOWN"
        self.answer_state = "ringing"
        self.hit_dialplan = direction == "inbound"
        self.presence_id = ""
        self.variables = dict(variables or {})
        self.media = False  # codec headers appear once media is up
        self.hangup_cause = None
        self.disposition = None
        self.partner = None  # uuid of the bridged leg
        self.bridge = None  # the Bridge object this leg is in
        self.other_leg = None  # uuid for Other-Leg-* headers; stays after the other leg is gone
        self.other_type = None
        self.held = False
        self.apps = []  # stack of running applications, base first
        self.queue = []  # dialplan applications still to run
        self.core_parked = False  # CS_PARK from park_after_bridge (no park application)
        self.recordings = []  # Recording objects
        self.conference = None
        self.consult = None  # AttXfer state while this leg runs att_xfer
        self.ended = False  # CHANNEL_DESTROY sent
        self.hangup_deferred = False
        self.party = None  # the scripted phone/number behaviour (outbound) or customer script
        self.timers = []
        self.created = time.time()
        self.answered_at = None

    # -- the public, read-only view ------------------------------------------------------
    @property
    def answered(self):
        return self.answer_state == "answered" or (self.answered_at is not None and self.answer_state == "hangup")

    @property
    def destination(self):
        return self.profile.destination

    @property
    def caller_id_number(self):
        return self.profile.caller_id_number

    @property
    def caller_id_name(self):
        return self.profile.caller_id_name

    @property
    def alive(self):
        return self.hangup_cause is None

    @property
    def application(self):
        return self.apps[-1].name if self.apps else None

    def hears(self):
        """What this leg hears right now (see :mod:`fssim.audio`)."""
        from fssim import audio
        return audio.hears(self.switch, self)

    def recording_paths(self):
        return [r.path for r in self.recordings if r.active]

    def get_var(self, name):
        """A channel variable, falling back to the global variables like FreeSWITCH."""
        value = self.variables.get(name)
        if value is None:
            value = self.switch.globals.get(name)
        return value

    # -- headers -----------------------------------------------------------------------
    def headers(self, with_vars=True, hangup_in_block=True, with_profile=True):
        """The channel block of an event: Channel-*, Caller-*, Other-Leg-*, variable_*."""
        out = [
            ("Channel-State", self.state),
            ("Channel-Call-State", self.call_state),
            ("Channel-State-Number", str(STATE_NUMBERS[self.state])),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", self.direction),
            ("Presence-Call-Direction", self.direction),
            ("Channel-HIT-Dialplan", "true" if self.hit_dialplan else "false"),
        ]
        if self.presence_id:
            out.append(("Channel-Presence-ID", self.presence_id))
        out.append(("Channel-Call-UUID", self.variables.get("call_uuid", self.uuid)))
        out.append(("Answer-State", self.answer_state))
        if self.hangup_cause and hangup_in_block:
            out.append(("Hangup-Cause", self.hangup_cause))
        if self.media:
            out += [("Channel-Read-Codec-Name", "PCMU"), ("Channel-Read-Codec-Rate", "8000"),
                    ("Channel-Read-Codec-Bit-Rate", "64000"), ("Channel-Write-Codec-Name", "PCMU"),
                    ("Channel-Write-Codec-Rate", "8000"), ("Channel-Write-Codec-Bit-Rate", "64000")]
        if not with_profile:
            return out
        out += self.profile.headers()
        if self.other_leg:
            other = self.switch.known_profiles.get(self.other_leg)
            if other is not None:
                out.append(("Other-Type", self.other_type or "originatee"))
                out += other.headers("Other-Leg-")
        if not with_vars:
            return out
        for name, value in self.variables.items():
            if isinstance(value, list):
                value = "ARRAY::" + "|:".join(value)
            out.append(("variable_" + name, value))
        return [(k, v) for k, v in out if v is not None]

    def __repr__(self):
        return "<Channel %s %s %s %s>" % (self.uuid[:8], self.direction, self.state, self.call_state)
