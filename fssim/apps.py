"""Dialplan applications and the per-channel application stack.

A channel runs its dialplan queue one application at a time.  Blocking applications
(park, playback, conference, bridge, ...) stay on ``channel.apps`` until they end or are
broken (hangup, uuid_bridge, uuid_transfer, unhold); applications started with
``uuid_broadcast``/``sendmsg`` are pushed on top of whatever runs, as FreeSWITCH runs
them inside the current application (the trace shows no CHANNEL_UNPARK for them).
"""
import logging
import re

from fssim import switch as sw

log = logging.getLogger(__name__)

#: Playback lengths in switch seconds of the sources the simulator knows.
ENDLESS_SOURCES = ("local_stream://", "tone_stream://")
DEFAULT_FILE_SECONDS = 2.0


class App:
    """One running application."""

    def __init__(self, name, data, app_uuid=None, nested=False):
        self.name = name
        self.data = data or ""
        self.app_uuid = app_uuid
        self.nested = nested
        self.response = "_none_"
        self.timer = None
        self.hold_for = None  # uuid of the held leg this hold music is for
        self.file = None  # the file being played, for PLAYBACK_STOP and hears()
        self.done = False
        self.state = {}


def _app_headers(app, response=None):
    out = [("Application", app.name)]
    if app.data:
        out.append(("Application-Data", app.data))
    if response is not None:
        out.append(("Application-Response", response))
    out.append(("Application-UUID", app.app_uuid))
    return out


VARIABLE = re.compile(r"\$\{([^${}]+)\}")
#: caller-profile fields ``${...}`` may name besides channel variables
_PROFILE_VARIABLES = {
    "destination_number": lambda c: c.profile.destination, "caller_id_number": lambda c: c.profile.caller_id_number,
    "caller_id_name": lambda c: c.profile.caller_id_name, "ani": lambda c: c.profile.ani,
    "uuid": lambda c: c.uuid, "context": lambda c: c.profile.context,
}


def expand_variables(switch, channel, data):
    """``${name}`` -> the channel variable (or profile field, or global), as FreeSWITCH
    expands an application's data before running it; unknown names give nothing."""
    if "${" not in data:
        return data

    def value(match):
        name = match.group(1)
        if name in channel.variables:
            return channel.variables[name]
        if name in _PROFILE_VARIABLES:
            return _PROFILE_VARIABLES[name](channel) or ""
        return switch.globals.get(name, "")

    return VARIABLE.sub(value, data)


def execute(switch, channel, name, data="", app_uuid=None, nested=False):
    """Start an application on ``channel`` (CHANNEL_EXECUTE ...)."""
    data = expand_variables(switch, channel, data or "")
    app = App(name, data, app_uuid or switch.new_uuid(), nested)
    channel.variables["current_application"] = name
    if data:
        channel.variables["current_application_data"] = data
    channel.last_app = (name, data)
    switch.fire("CHANNEL_EXECUTE", channel, sw.EXEC_C, headers=_app_headers(app))
    handler = HANDLERS.get(name, _noop)
    channel.apps.append(app)
    result = handler(switch, channel, app)
    if result is not None and not app.done:
        complete(switch, channel, app, result)
    return app


def complete(switch, channel, app, response="_none_", continue_dialplan=True):
    """End ``app`` with CHANNEL_EXECUTE_COMPLETE and go on with the dialplan."""
    if app.done:
        return
    app.done = True
    if app.timer is not None:
        app.timer.kill(block=False)
    if app in channel.apps:
        channel.apps.remove(app)
    channel.variables["current_application_response"] = response
    switch.fire("CHANNEL_EXECUTE_COMPLETE", channel, sw.EXEC_C, headers=_app_headers(app, response))
    if continue_dialplan and not app.nested and channel.alive:
        run_queue(switch, channel)


def break_app(switch, channel, app, reason):
    """Interrupt ``app``: its own stop events, then EXECUTE_COMPLETE (no dialplan continuation)."""
    if app.done:
        return
    stopper = BREAKERS.get(app.name)
    response = app.response
    if stopper is not None:
        response = stopper(switch, channel, app, reason)
    complete(switch, channel, app, response, continue_dialplan=False)


def break_all(switch, channel, reason):
    """Interrupt everything running on ``channel``, topmost first, and core park."""
    if channel.core_parked and reason != "broadcast":
        channel.core_parked = False
        switch.fire("CHANNEL_UNPARK", channel, sw.IVR_C)
    for app in list(reversed(channel.apps)):
        break_app(switch, channel, app, reason)


def run_queue(switch, channel):
    """Run queued dialplan applications until one blocks; hang up when none are left."""
    while channel.alive and channel.queue and not channel.apps:
        name, data = channel.queue.pop(0)
        execute(switch, channel, name, data)
    if (channel.alive and not channel.queue and not channel.apps and channel.bridge is None
            and not channel.core_parked and channel.conference is None):
        # End of the dialplan: FreeSWITCH hangs the channel up.
        switch.hangup(channel, "NORMAL_CLEARING")


def start_dialplan(switch, channel, apps):
    """Replace the queue with ``apps`` ([(name, data)]) and run it."""
    channel.queue = list(apps)
    channel.hit_dialplan = True
    if channel.state != "CS_EXECUTE":
        switch.set_state(channel, "CS_EXECUTE")
    run_queue(switch, channel)


# -- handlers: return a response string when done at once, None while running --------
def _noop(switch, channel, app):
    return "_none_"


def _set(switch, channel, app):
    name, _, value = app.data.partition("=")
    if value:
        channel.variables[name.strip()] = value
    else:
        channel.variables.pop(name.strip(), None)
    return "_none_"


def _answer(switch, channel, app):
    if channel.direction == "inbound":
        switch.pre_answer(channel)
    switch.answer(channel)
    return "_none_"


def _pre_answer(switch, channel, app):
    switch.pre_answer(channel)
    return "_none_"


def _park(switch, channel, app):
    switch.fire("CHANNEL_PARK", channel, sw.IVR_C)
    return None


def _break_park(switch, channel, app, reason):
    switch.fire("CHANNEL_UNPARK", channel, sw.IVR_C)
    # park itself sets no response: the event shows whatever the last application left
    # (trace 11: FILE PLAYED after a uuid_broadcast playback into the parked leg).
    return channel.variables.get("current_application_response", "_none_")


def playback_seconds(path):
    """How long a source plays, ``None`` for endless ones."""
    match = re.match(r"silence_stream://(-?\d+)", path)
    if match:
        ms = int(match.group(1))
        return None if ms < 0 else ms / 1000.0
    if path.startswith(ENDLESS_SOURCES):
        return None
    return DEFAULT_FILE_SECONDS


def start_playback(switch, channel, app, path, endless=False, schedule=True):
    """PLAYBACK_START; unless ``schedule`` is false the app completes when the file ends."""
    app.file = path
    channel.variables["playback_last_file"] = path
    switch.fire("PLAYBACK_START", channel, ("switch_ivr_play_say.c", "switch_ivr_play_file", 1573),
                headers=[("Playback-File-Type", "native"), ("Playback-File-Path", path)])
    seconds = None if endless else playback_seconds(path)
    if seconds is not None and schedule:
        app.timer = switch.later(channel, seconds, _playback_done, switch, channel, app)


def stop_playback_event(switch, channel, app, status="done"):
    switch.fire("PLAYBACK_STOP", channel, ("switch_ivr_play_say.c", "switch_ivr_play_file", 2057),
                headers=[("Playback-File-Type", "native"), ("Playback-File-Path", app.file),
                         ("Playback-Status", status)])


def _playback_done(switch, channel, app):
    if app.done or not channel.alive:
        return
    stop_playback_event(switch, channel, app)
    complete(switch, channel, app, "FILE PLAYED")


def _playback(switch, channel, app):
    start_playback(switch, channel, app, app.data)
    return None


def _endless_playback(switch, channel, app):
    start_playback(switch, channel, app, app.data, endless=True)
    return None


def _break_playback(switch, channel, app, reason):
    stop_playback_event(switch, channel, app, "break")
    if app.state.get("forced_response"):
        return app.state["forced_response"]
    return "FILE PLAYED" if reason == "unhold" else "PLAYBACK ERROR"


def _echo(switch, channel, app):
    return None


def _hangup(switch, channel, app):
    cause = app.data.strip() or "NORMAL_CLEARING"
    switch.later(channel, 0, switch.hangup, channel, cause)
    return "_none_"


def _sleep(switch, channel, app):
    try:
        seconds = int(app.data) / 1000.0
    except ValueError:
        seconds = 0
    app.timer = switch.later(channel, seconds, lambda: complete(switch, channel, app))
    return None


def _bridge_app(switch, channel, app):
    from fssim import originate
    originate.dialplan_bridge(switch, channel, app)
    return None


def _break_bridge_app(switch, channel, app, reason):
    from fssim import originate
    originate.cancel_dialplan_bridge(switch, channel, app, reason)
    return "_none_"


def _conference(switch, channel, app):
    from fssim import conference
    return conference.join(switch, channel, app)


def _break_conference(switch, channel, app, reason):
    from fssim import conference
    conference.leave(switch, channel, reason)
    return "_none_"


def _record_session(switch, channel, app):
    from fssim import recording
    recording.start(switch, channel, app.data.split()[0] if app.data else "")
    return "_none_"


def _play_and_get_digits(switch, channel, app):
    from fssim import dtmf
    dtmf.start_pagd(switch, channel, app)
    return None


def _break_pagd(switch, channel, app, reason):
    from fssim import dtmf
    dtmf.break_pagd(switch, channel, app)
    return "_none_"


def _record(switch, channel, app):
    from fssim import recording
    recording.start_app(switch, channel, app)
    return None


def _break_record(switch, channel, app, reason):
    from fssim import recording
    recording.break_app(switch, channel, app)
    return "_none_"


def _att_xfer(switch, channel, app):
    from fssim import attxfer
    attxfer.start(switch, channel, app)
    return None


def _break_att_xfer(switch, channel, app, reason):
    from fssim import attxfer
    attxfer.break_app(switch, channel, reason)
    return "_none_"


def _transfer(switch, channel, app):
    from fssim import transfer
    args = app.data.split()
    if not args:
        return "_none_"
    # the application ends when the channel is routed again (transfer_leg breaks it), so
    # nothing left in the old extension runs and the channel is not hung up meanwhile
    switch.later(channel, 0, transfer.transfer_leg, switch, channel, args[0], args[1:] if len(args) > 1 else [])
    return None


def _ivr(switch, channel, app):
    from fssim import ivr
    ivr.start(switch, channel, app)
    return None


def _break_ivr(switch, channel, app, reason):
    from fssim import ivr
    ivr.break_ivr(switch, channel, app)
    return "_none_"


VOICEMAIL_PROMPT = "voicemail/vm-record_message.wav"


def _voicemail(switch, channel, app):
    """mod_voicemail, roughly: the caller hears the record prompt, then is recorded until hanging up."""
    if channel.direction == "inbound":
        switch.answer(channel)
    channel.variables["voicemail_box"] = app.data.split()[-1] if app.data.split() else ""
    start_playback(switch, channel, app, VOICEMAIL_PROMPT, schedule=False)

    def prompt_done():
        if not app.done and channel.alive:
            stop_playback_event(switch, channel, app)
            app.file = None
    app.timer = switch.later(channel, playback_seconds(VOICEMAIL_PROMPT), prompt_done)
    return None


def _break_voicemail(switch, channel, app, reason):
    if app.file is not None:
        stop_playback_event(switch, channel, app, "break")
        app.file = None
    return "_none_"


HANDLERS = {
    "set": _set, "export": _set, "hash": _noop, "log": _noop, "info": _noop, "ring_ready": _noop,
    "answer": _answer, "pre_answer": _pre_answer, "park": _park, "playback": _playback,
    "endless_playback": _endless_playback, "echo": _echo, "hangup": _hangup, "sleep": _sleep,
    "bridge": _bridge_app, "conference": _conference, "record_session": _record_session,
    "play_and_get_digits": _play_and_get_digits, "att_xfer": _att_xfer, "transfer": _transfer,
    "record": _record, "ivr": _ivr, "voicemail": _voicemail,
}

BREAKERS = {
    "park": _break_park, "playback": _break_playback, "endless_playback": _break_playback,
    "bridge": _break_bridge_app, "conference": _break_conference,
    "play_and_get_digits": _break_pagd, "att_xfer": _break_att_xfer, "record": _break_record,
    "ivr": _break_ivr, "voicemail": _break_voicemail,
}
