"""The switch core: the channel registry and the channel life cycle events.

Everything here runs synchronously inside one greenlet; delays (ringing, prompts,
timeouts) are gevent timers that call back into these functions.  Within one leg the
events therefore come out in the order the traces show; across legs FreeSWITCH's
thread race is not reproduced.
"""
import itertools
import logging
import uuid as uuidlib

import gevent

from fssim.channels import CALLSTATE_NUMBERS, Q850, Channel, CallerProfile, now_us
from fssim.events import EventBus, EventFactory

log = logging.getLogger(__name__)

CORE_SM = ("switch_core_state_machine.c", "switch_core_session_run", 626)
CHANNEL_C = ("switch_channel.c", "switch_channel_perform_set_callstate", 367)
ANSWER_C = ("switch_channel.c", "switch_channel_perform_mark_answered", 3993)
HANGUP_C = ("switch_channel.c", "switch_channel_perform_hangup", 3496)
REPORTING_C = ("switch_core_state_machine.c", "switch_core_session_reporting_state", 943)
DESTROY_C = ("switch_core_session.c", "switch_core_session_perform_destroy", 1565)
EXEC_C = ("switch_core_session.c", "switch_core_session_exec", 2957)
IVR_C = ("switch_ivr.c", "switch_ivr_park", 1000)
BRIDGE_C = ("switch_ivr_bridge.c", "audio_bridge_thread", 1123)
HOLD_C = ("switch_channel.c", "switch_channel_perform_mark_hold", 1012)
ORIG_C = ("switch_ivr_originate.c", "switch_ivr_originate", 2543)
SOFIA_C = ("mod_sofia.c", "sofia_on_init", 143)


class Switch:
    """Registry of channels plus the helpers every feature module uses."""

    def __init__(self, *, time_scale=1.0, hostname="fssim"):
        self.factory = EventFactory(hostname=hostname)
        self.bus = EventBus()
        self.channels = {}
        self.known_profiles = {}  # uuid -> CallerProfile, kept after hangup for Other-Leg-*
        self.globals = {"hold_music": "local_stream://moh"}
        self.time_scale = time_scale
        self.sessions_since_startup = 0
        self.session_peak = 0
        self.started = __import__("time").time()
        self.conferences = {}  # name -> fssim.conference.Room
        self.member_ids = itertools.count(1)  # conference member ids, global like FreeSWITCH's
        self.dialplan = None  # set by the simulator
        self.parties = None
        self.recordings_dir = None
        self.session_id = 0

    # -- helpers ---------------------------------------------------------------------
    def scaled(self, seconds):
        """``seconds`` of switch time in wall-clock seconds (tests run faster)."""
        return max(0.0, float(seconds) * self.time_scale)

    def later(self, channel, seconds, func, *args):
        """Run ``func`` after ``seconds`` switch time, cancelled when ``channel`` ends."""
        timer = gevent.spawn_later(self.scaled(seconds), self._guarded, func, *args)
        if channel is not None:
            channel.timers.append(timer)
        return timer

    @staticmethod
    def _guarded(func, *args):
        try:
            func(*args)
        except Exception:
            log.exception("timer %s failed", getattr(func, "__name__", func))

    def new_uuid(self):
        return str(uuidlib.uuid4())

    def fire(self, name, channel=None, calling=EXEC_C, headers=(), body=None, subclass=None, pre=(),
             channel_vars=True, profile=True):
        """Publish one event; ``channel`` adds the channel block after ``pre``."""
        block = list(pre)
        if channel is not None:
            block += channel.headers(with_vars=channel_vars, with_profile=profile)
        block += list(headers)
        event = self.factory.build(name, calling, block, body, subclass)
        self.bus.publish(event)
        return event

    def get(self, uuid):
        """A live channel or ``None``."""
        channel = self.channels.get(uuid)
        return channel if channel is not None and not channel.ended else None

    # -- life cycle ------------------------------------------------------------------
    def new_channel(self, *, uuid, direction, name, profile_kwargs, variables=None):
        self.session_id += 1
        profile = CallerProfile(direction=direction, channel_name=name, uuid=uuid, **profile_kwargs)
        channel = Channel(self, uuid, direction, name, profile, variables)
        channel.variables.setdefault("direction", direction)
        if direction == "outbound":
            channel.variables.setdefault("is_outbound", "true")
        channel.variables.setdefault("uuid", uuid)
        channel.variables.setdefault("call_uuid", uuid)
        channel.variables.setdefault("session_id", str(self.session_id))
        channel.variables.setdefault("channel_name", name)
        self.channels[uuid] = channel
        self.known_profiles[uuid] = profile
        self.sessions_since_startup += 1
        self.session_peak = max(self.session_peak, len(self.live_channels()))
        return channel

    def live_channels(self):
        return [c for c in self.channels.values() if not c.ended]

    def set_state(self, channel, state):
        channel.state = state
        self.fire("CHANNEL_STATE", channel, CORE_SM, channel_vars=False)

    def set_callstate(self, channel, call_state):
        original = channel.call_state
        channel.call_state = call_state
        self.fire("CHANNEL_CALLSTATE", channel, CHANNEL_C, channel_vars=False, pre=[
            ("Original-Channel-Call-State", original),
            ("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[call_state])),
        ])

    def pre_answer(self, channel):
        """Early media (CHANNEL_PROGRESS_MEDIA), as the ``answer`` app does first for SIP."""
        if channel.answer_state in ("early", "answered"):
            return
        channel.media = True
        channel.answer_state = "early"
        channel.profile.times["Progress-Media"] = now_us()
        self.fire("CHANNEL_PROGRESS_MEDIA", channel, ("switch_channel.c", "switch_channel_perform_mark_pre_answered", 3765))
        self.set_callstate(channel, "EARLY")

    def ring(self, channel):
        """Outbound leg got 180 Ringing."""
        channel.profile.times["Progress"] = now_us()
        self.fire("CHANNEL_PROGRESS", channel, ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3611))
        self.set_callstate(channel, "RINGING")

    def answer(self, channel):
        """Mark a leg answered (CHANNEL_ANSWER + CALLSTATE -> ACTIVE)."""
        if channel.answer_state == "answered" or not channel.alive:
            return False
        channel.media = True
        channel.answer_state = "answered"
        channel.answered_at = __import__("time").time()
        channel.profile.times["Answered"] = now_us()
        self.fire("CHANNEL_ANSWER", channel, ANSWER_C)
        self.set_callstate(channel, "ACTIVE")
        return True

    def hangup(self, channel, cause="NORMAL_CLEARING", disposition=None):
        """Hang a leg up with everything that follows: apps end, bridge ends, partner reacts.

        :param disposition: ``variable_sip_hangup_disposition`` (``send_bye`` when
            FreeSWITCH hangs up, ``recv_bye`` when the party did).
        """
        from fssim import apps, bridge, hold

        if channel is None or not channel.alive:
            return False
        if channel.hangup_deferred:
            return False
        log.debug("%s hangup %s (%s)", channel.uuid, cause, disposition)
        if channel.held:
            hold.auto_unhold(self, channel, restore=False)
        if disposition is None:
            # FreeSWITCH cancels an unanswered outbound INVITE, otherwise it sends BYE.
            unanswered = channel.answered_at is None and channel.direction == "outbound"
            disposition = "send_cancel" if unanswered else "send_bye"
        channel.hangup_cause = cause
        channel.answer_state = "hangup"
        channel.profile.times["Hangup"] = now_us()
        channel.variables["hangup_cause"] = cause
        channel.variables["hangup_cause_q850"] = str(Q850.get(cause, 16))
        channel.variables["sip_hangup_disposition"] = disposition
        channel.disposition = disposition
        for timer in channel.timers:
            timer.kill(block=False)
        channel.timers = []
        self.fire("CHANNEL_HANGUP", channel, HANGUP_C)
        if channel.answered_at is None and getattr(channel, "originate_call", None) is not None:
            from fssim import originate
            originate.ring_ended(self, channel)
        from fssim import attxfer
        if channel.consult is not None and channel.consult.active:
            attxfer.on_owner_hangup(self, channel)
        if attxfer.defers_hangup(self, channel):
            # Trace 13: the rest of this hangup happens when the att_xfer ends.
            channel.hangup_deferred = True
            return True
        # Applications end first (UNPARK, PLAYBACK_STOP, EXECUTE_COMPLETE ...), then the bridge.
        apps.break_all(self, channel, reason="hangup")
        if channel.bridge is not None:
            bridge.end_for_hangup(self, channel)
        channel.queue = []
        if channel.hangup_deferred:
            return True
        self.finish_hangup(channel)
        return True

    def finish_hangup(self, channel):
        """CS_HANGUP -> CS_REPORTING (HANGUP_COMPLETE) -> CHANNEL_DESTROY."""
        from fssim import recording
        recording.stop_all(self, channel, cause="success-maxtime")
        self.set_state(channel, "CS_HANGUP")
        self.set_callstate(channel, "HANGUP")
        self.set_state(channel, "CS_REPORTING")
        channel.variables["sip_hangup_disposition"] = channel.disposition
        self.fire("CHANNEL_HANGUP_COMPLETE", channel, REPORTING_C, pre=[("Hangup-Cause", channel.hangup_cause)])
        self.fire("CHANNEL_DESTROY", channel, DESTROY_C)
        channel.ended = True
        channel.state = "CS_DESTROY"
        self.fire("CHANNEL_STATE", channel, CORE_SM, channel_vars=False)
        self.channels.pop(channel.uuid, None)
        if self.parties is not None:
            self.parties.channel_gone(channel)
