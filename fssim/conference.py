"""mod_conference: the ``conference`` application, the ``conference`` API and the
``CUSTOM conference::maintenance`` events (trace 07).

What the trace shows, and what is modelled:

* the first member's application creates the room (``conference-create``, size 0);
  a member alone hears the (missing) ``conf-alone.wav`` and then hold music, which is
  only reported when it ends (``play-file-done local_stream://moh`` at destroy);
* the second member to join takes the floor if nobody holds it; a member who starts
  talking takes the floor from a holder who is not talking;
* every join with company plays the enter tone, every leave with members left the
  exit tone (reported as ``play-file-done``);
* a leaving floor holder gives ``floor-change`` (none -> none) before ``del-member``;
  the floor then goes to a member who is talking, if any;
* ``kick``/``hup`` end the member's application; an inline ``conference:`` dialplan has
  nothing left, so the channel is hung up; the last member out destroys the room.

Talking is driven by the party (:meth:`fssim.Simulator.talk`): FreeSWITCH detects it
from the audio energy, which the simulator does not have.
"""
import itertools
import json
import logging
import time

from fssim import apps

log = logging.getLogger(__name__)

SUBCLASS = "conference::maintenance"
ALONE_SOUND = "/usr/share/freeswitch/sounds/en/us/callie/conference/conf-alone.wav"
ENTER_SOUND = "tone_stream://%(200,0,500,600,700)"
EXIT_SOUND = "tone_stream://%(500,0,300,200,100,50,25)"
MOH_SOUND = "local_stream://moh"
#: switch seconds until the enter/exit tones report play-file-done (trace 07), and
#: their seconds/milliseconds/samples headers.
ENTER_DONE_AFTER, ENTER_LENGTH_MS = 0.6, 400
EXIT_DONE_AFTER, EXIT_LENGTH_MS = 0.5, 1000
ROOM_FLAGS = "running|answered|enforce_min|dynamic|exit_sound|enter_sound|json_status"

_CONFERENCE_C = "mod_conference.c"
_MEMBER_C = "conference_member.c"
_FILE_C = "conference_file.c"
_API_C = "conference_api.c"


class Member:
    """One channel in a room."""

    def __init__(self, member_id, channel, room, app):
        self.id = member_id
        self.channel = channel
        self.room = room
        self.app = app
        self.hear = True
        self.speak = True
        self.talking = False
        self.joined = time.time()

    @property
    def deaf(self):
        return not self.hear


class Room:
    """A conference: members in join order, the floor holder, its own timers."""

    def __init__(self, switch, name, profile):
        self.switch = switch
        self.name = name
        self.profile = profile or "default"
        self.uuid = switch.new_uuid()
        self.members = []
        self.floor = None
        self.moh_since = None  # hold music for a lone member, reported when it ends
        self.created = time.time()
        self.timers = []

    @property
    def size(self):
        return len(self.members)

    def member(self, member_id):
        return next((m for m in self.members if str(m.id) == str(member_id)), None)


# -- events ---------------------------------------------------------------------------
def _room_headers(room):
    return [("Conference-Name", room.name), ("Conference-Domain", room.switch.factory.ipv4),
            ("Conference-Size", str(room.size)), ("Conference-Ghosts", "0"),
            ("Conference-Profile-Name", room.profile), ("Conference-Unique-ID", room.uuid)]


def _member_headers(member):
    """Conference block, Floor, the channel block (no variables, no Other-Leg) and flags."""
    channel = member.channel
    block = [(k, v) for k, v in channel.headers(with_vars=False)
             if not k.startswith(("Other-Leg-", "Other-Type"))]
    return _room_headers(member.room) + [("Floor", _bool(member.room.floor is member))] + block + [
        ("Video", "false"), ("Hear", _bool(member.hear)), ("See", "true"), ("Speak", _bool(member.speak)),
        ("Talking", _bool(member.talking)), ("Mute-Detect", "false"), ("Hold", "false"),
        ("Member-ID", str(member.id)), ("Member-Type", "member"), ("Member-Ghost", "false"),
        ("Energy-Level", "100"), ("Current-Energy", "0")]


def _bool(value):
    return "true" if value else "false"


def _fire_room(room, action, calling, extra=(), pre=()):
    room.switch.fire("CUSTOM", None, calling, subclass=SUBCLASS,
                     headers=_room_headers(room) + list(pre) + [("Action", action)] + list(extra))


def _fire_member(member, action, calling):
    member.room.switch.fire("CUSTOM", None, calling, subclass=SUBCLASS,
                            headers=_member_headers(member) + [("Action", action)])


def _play_file(room, path):
    _fire_room(room, "play-file", (_FILE_C, "conference_file_play", 268),
               extra=[("File", path), ("Async", "false"), ("Error", "File could not be played")])


def _file_done(room, path, length_ms, asynchronous=False):
    _fire_room(room, "play-file-done", (_FILE_C, "conference_file_close", 52),
               pre=[("seconds", str(length_ms // 1000)), ("milliseconds", str(length_ms)),
                    ("samples", str(length_ms * 8))],
               extra=[("File", path)] + ([("Async", "true")] if asynchronous else []))


def _set_floor(room, member):
    """Give the floor to ``member`` (``None``: nobody) with ``floor-change``."""
    old = room.floor
    room.floor = member
    headers = _room_headers(room) + [("Action", "floor-change"), ("Old-ID", str(old.id) if old else "none")]
    if member is not None:
        headers += _member_headers(member)
    headers.append(("New-ID", str(member.id) if member else "none"))
    room.switch.fire("CUSTOM", None, (_MEMBER_C, "conference_member_set_floor_holder", 1158),
                     subclass=SUBCLASS, headers=headers)


def _later(room, seconds, func, *args):
    sw = room.switch
    room.timers.append(sw.later(None, seconds, func, *args))


def _tone_done(room, path, length_ms):
    if room.switch.conferences.get(room.name) is room:
        _file_done(room, path, length_ms)


# -- the application ------------------------------------------------------------------
def parse_target(data):
    """``name@profile+flags{...}`` -> (name, profile)."""
    text = (data or "").strip().split()[0] if (data or "").strip() else ""
    name, _, profile = text.partition("@")
    profile = profile.split("+")[0] if profile else "default"
    return name.split("+")[0], profile


def join(switch, channel, app):
    """The ``conference`` application: the channel becomes a member of the room."""
    name, profile = parse_target(app.data)
    if not name:
        return "_none_"
    if channel.answer_state != "answered":
        if channel.direction == "inbound":
            switch.pre_answer(channel)
        switch.answer(channel)
    room = switch.conferences.get(name)
    if room is None:
        room = switch.conferences[name] = Room(switch, name, profile)
        _fire_room(room, "conference-create", (_CONFERENCE_C, "conference_new", 3848))
    member = Member(next(switch.member_ids), channel, room, app)
    room.members.append(member)
    channel.conference = member
    if room.size == 1:
        _play_file(room, ALONE_SOUND)
        room.moh_since = time.time()
        _fire_member(member, "add-member", (_MEMBER_C, "conference_member_add", 962))
        return None
    room.moh_since = None
    _fire_member(member, "add-member", (_MEMBER_C, "conference_member_add", 962))
    if room.floor is None:
        _set_floor(room, member)
    _later(room, ENTER_DONE_AFTER, _tone_done, room, ENTER_SOUND, ENTER_LENGTH_MS)
    return None


def leave(switch, channel, reason):
    """The member's application ends (hangup, kick, hup, transfer, bridge)."""
    member = channel.conference
    if member is None:
        return
    channel.conference = None
    room = member.room
    if member not in room.members:
        return
    if room.floor is member:
        room.floor = None
        _fire_room(room, "floor-change", (_MEMBER_C, "conference_member_set_floor_holder", 1158),
                   extra=[("Old-ID", "none"), ("New-ID", "none")])
    room.members.remove(member)
    if room.size == 1:
        _play_file(room, ALONE_SOUND)
        room.moh_since = time.time()
    _fire_member(member, "del-member", (_MEMBER_C, "conference_member_del", 1355))
    if room.size == 0:
        _destroy(room)
        return
    _later(room, EXIT_DONE_AFTER, _tone_done, room, EXIT_SOUND, EXIT_LENGTH_MS)
    if room.floor is None:
        talker = next((m for m in room.members if m.talking), None)
        if talker is not None:
            _set_floor(room, talker)


def _destroy(room):
    sw = room.switch
    for timer in room.timers:
        timer.kill(block=False)
    room.timers = []
    if room.moh_since is not None:
        played = (time.time() - room.moh_since) / (sw.time_scale or 1.0)
        _file_done(room, MOH_SOUND, int(played * 1000), asynchronous=True)
        room.moh_since = None
    _fire_room(room, "conference-destroy", (_CONFERENCE_C, "conference_thread_run", 863))
    if sw.conferences.get(room.name) is room:
        del sw.conferences[room.name]


def talk(switch, channel, talking=True):
    """The member on ``channel`` starts/stops talking (energy detection in FreeSWITCH)."""
    member = channel.conference
    if member is None or member.talking == talking:
        return False
    if talking and not member.speak:
        return False  # a muted member's audio never reaches the conference
    member.talking = talking
    if talking:
        _fire_member(member, "start-talking", ("conference_loop.c", "conference_loop_input", 1154))
        room = member.room
        if room.floor is not member and (room.floor is None or not room.floor.talking):
            _set_floor(room, member)
    else:
        _fire_member(member, "stop-talking", ("conference_loop.c", "conference_loop_input", 1189))
    return True


# -- the API --------------------------------------------------------------------------
def api(switch, args):
    """``conference list|json_list`` and ``conference <name> <command> ...``."""
    parts = args.split()
    if not parts or parts[0] in ("list", "json_list"):
        return _list_all(switch, parts)
    room = switch.conferences.get(parts[0])
    if room is None:
        return "-ERR Conference %s not found\n" % parts[0]
    command, rest = (parts[1], parts[2:]) if len(parts) > 1 else ("list", [])
    handler = _COMMANDS.get(command)
    if handler is None:
        return "-ERR Unknown Command [%s]\n" % command
    return handler(switch, room, rest)


def _list_all(switch, parts):
    rooms = list(switch.conferences.values())
    if parts and parts[0] == "json_list":
        return _cjson([_room_json(switch, room) for room in rooms])
    if not rooms:
        return "+OK No active conferences.\n"
    if "count" in parts:
        return "%d" % sum(room.size for room in rooms)
    out = []
    for room in rooms:
        out.append("+OK Conference %s (%d member%s rate: 8000 flags: %s)\n"
                   % (room.name, room.size, "" if room.size == 1 else "s", ROOM_FLAGS))
        out.append(_member_lines(room))
    return "".join(out)


def _member_lines(room):
    lines = []
    for member in reversed(room.members):
        flags = [f for f, on in (("hear", member.hear), ("speak", member.speak), ("talking", member.talking),
                                 ("floor", room.floor is member)) if on]
        profile = member.channel.profile
        lines.append("%d;%s;%s;%s;%s;%s;0;0;100\n" % (member.id, member.channel.name, member.channel.uuid,
                                                       profile.caller_id_name, profile.caller_id_number,
                                                       "|".join(flags)))
    return "".join(lines)


def _cmd_list(switch, room, rest):
    if rest and rest[0] == "count":
        return "%d" % room.size
    return _member_lines(room)


def _cmd_json_list(switch, room, rest):
    return _cjson([_room_json(switch, room)])


def _switch_seconds(switch, since):
    return int((time.time() - since) / (switch.time_scale or 1.0))


def _room_json(switch, room):
    flags = dict(locked=False, destruct=False, wait_mod=False, audio_always=False, running=True,
                 answered=True, enforce_min=True, bridge_to=False, dynamic=True, exit_sound=True,
                 enter_sound=True, recording=False, video_bridge=False, video_floor_only=False,
                 video_rfc4579=False)
    out = {"conference_name": room.name, "member_count": room.size, "ghost_count": 0, "rate": 8000,
           "run_time": _switch_seconds(switch, room.created), "conference_uuid": room.uuid,
           "canvas_count": 0, "max_bw_in": 0, "force_bw_in": 0, "video_floor_packets": 0}
    out.update(flags)
    out["variables"] = {}
    out["members"] = [{
        "type": "caller", "id": m.id,
        "flags": {"can_hear": m.hear, "can_see": True, "can_speak": m.speak, "hold": False,
                  "mute_detect": False, "talking": m.talking, "has_video": False, "video_bridge": False,
                  "has_floor": room.floor is m, "is_moderator": False, "end_conference": False,
                  "mandatory_member_end_conference": False, "pass_digits": False},
        "uuid": m.channel.uuid, "caller_id_name": m.channel.profile.caller_id_name,
        "caller_id_number": m.channel.profile.caller_id_number,
        "join_time": _switch_seconds(switch, m.joined), "last_talking": 0, "energy": 100,
        "volume_in": 0, "volume_out": 0, "output-volume": 0, "input-volume": 0,
    } for m in reversed(room.members)]
    return out


def _cjson(value, depth=0):
    """cJSON_Print's formatted output (tabs, ``":\\t"``, arrays on one line)."""
    if isinstance(value, dict):
        if not value:
            return "{\n" + "\t" * depth + "}"
        items = ",\n".join("\t" * (depth + 1) + json.dumps(k) + ":\t" + _cjson(v, depth + 1)
                           for k, v in value.items())
        return "{\n" + items + "\n" + "\t" * depth + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_cjson(v, depth + 1) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value, ensure_ascii=False)


def _members_for(room, target):
    if target == "all":
        return list(room.members)
    if target == "last":
        return room.members[-1:]
    member = room.member(target)
    return [member] if member is not None else []


def _member_command(action, reply, calling, change):
    def handler(switch, room, rest):
        if not rest:
            return "-ERR Invalid member ID\n"
        members = _members_for(room, rest[0])
        if not members:
            return "-ERR Non-Existant ID %s\n" % rest[0]
        for member in members:
            switch.later(None, 0, _apply, member, change, action, calling)
        return "".join("+OK %s %d\n" % (reply, m.id) for m in members)
    return handler


def _apply(member, change, action, calling):
    if member.channel.conference is not member:
        return
    change(member)
    _fire_member(member, action, calling)
    if action in ("kick-member", "hup-member"):
        switch = member.room.switch
        channel = member.channel
        leave(switch, channel, action)
        # The application returns; an inline ``conference:`` dialplan then has nothing
        # left and the channel is hung up (trace 07).
        apps.complete(switch, channel, member.app, "_none_")


def _mute(member):
    member.speak = False
    member.talking = False


def _unmute(member):
    member.speak = True


def _deaf(member):
    member.hear = False


def _undeaf(member):
    member.hear = True


def _cmd_play(switch, room, rest):
    if not rest:
        return "-ERR (play) Missing file\n"
    path = rest[0]
    member = room.member(rest[1]) if len(rest) > 1 else None
    if len(rest) > 1 and member is None:
        return "-ERR Member: %s not found.\n" % rest[1]
    switch.later(None, 0, _play, room, path, member)
    if member is not None:
        return "+OK (play) Playing file %s to member %d\n" % (path, member.id)
    return "+OK (play) Playing file %s\n" % path


def _play(room, path, member):
    sw = room.switch
    seconds = apps.playback_seconds(path)
    if member is not None:
        sw.fire("CUSTOM", None, (_FILE_C, "conference_member_play_file", 1105), subclass=SUBCLASS,
                headers=_member_headers(member) + [("Action", "play-file-member"), ("File", path)])
    else:
        _fire_room(room, "play-file", (_FILE_C, "conference_file_play", 268),
                   extra=[("File", path), ("Async", "false")])
    if seconds is not None:
        _later(room, seconds, _play_done, room, path, member, int(seconds * 1000))


def _play_done(room, path, member, length_ms):
    if room.switch.conferences.get(room.name) is not room:
        return
    if member is None:
        _file_done(room, path, length_ms)
    elif member.channel.conference is member:
        room.switch.fire("CUSTOM", None, (_FILE_C, "conference_file_close", 52), subclass=SUBCLASS,
                         headers=_member_headers(member) + [("Action", "play-file-member-done"),
                                                            ("File", path)])


_COMMANDS = {
    "list": _cmd_list,
    "json_list": _cmd_json_list,
    "mute": _member_command("mute-member", "mute", (_API_C, "conference_api_sub_mute", 339), _mute),
    "unmute": _member_command("unmute-member", "unmute", (_API_C, "conference_api_sub_unmute", 492), _unmute),
    "deaf": _member_command("deaf-member", "deaf", (_API_C, "conference_api_sub_deaf", 797), _deaf),
    "undeaf": _member_command("undeaf-member", "undeaf", (_API_C, "conference_api_sub_undeaf", 839), _undeaf),
    "kick": _member_command("kick-member", "kicked", (_API_C, "conference_api_sub_kick", 902), lambda m: None),
    "hup": _member_command("hup-member", "hup", (_API_C, "conference_api_sub_hup", 871), lambda m: None),
    "play": _cmd_play,
}


def member_ids(start=1):
    """The global member id counter (ids are unique across rooms, trace 07)."""
    return itertools.count(start)
