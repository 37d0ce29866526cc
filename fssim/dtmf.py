"""DTMF: digits from parties (RTP) or ``uuid_recv_dtmf`` (APP), and play_and_get_digits."""
import re

from fssim import apps
from fssim import switch as sw

DTMF_C = ("switch_channel.c", "switch_channel_queue_dtmf", 527)
DURATION = {"RTP": "2240", "APP": "2000", "INBAND_AUDIO": "2000"}


def receive(switch, channel, digits, source="APP"):
    """Digits arriving on ``channel`` (what its party pressed): one DTMF event each."""
    for digit in digits:
        if not channel.alive:
            return
        switch.fire("DTMF", channel, DTMF_C, channel_vars=False, headers=[
            ("DTMF-Digit", digit), ("DTMF-Duration", DURATION.get(source, "2000")), ("DTMF-Source", source)])
        consumed = False
        for app in list(channel.apps):
            if app.name == "play_and_get_digits" and not app.done:
                _pagd_digit(switch, channel, app, digit)
                consumed = True
            elif app.name == "record" and not app.done:
                from fssim import recording
                recording.app_digit(switch, channel, app, digit)
                consumed = True
            elif app.name == "ivr" and not app.done:
                from fssim import ivr
                ivr.digit(switch, channel, app, digit)
                consumed = True
        if not consumed and channel.bridge is None and not any(a.name == "park" for a in channel.apps):
            # nobody reads it yet (answer, sleep): it waits in the DTMF queue for a menu
            from fssim import ivr
            ivr.queue_key(channel, digit)


# play_and_get_digits <min> <max> <tries> <timeout ms> <terminators> <prompt> <invalid prompt>
#                     <var> <regexp> <digit timeout ms>
def start_pagd(switch, channel, app):
    words = app.data.split()
    try:
        app.state.update(min=int(words[0]), max=int(words[1]), tries=int(words[2]),
                         timeout=int(words[3]) / 1000.0, terminators=words[4], prompt=words[5],
                         invalid=words[6] if len(words) > 6 else "", var=words[7] if len(words) > 7 else "",
                         regex=words[8] if len(words) > 8 else ".*",
                         digit_timeout=(int(words[9]) / 1000.0 if len(words) > 9 else int(words[3]) / 1000.0))
    except (IndexError, ValueError):
        switch.later(channel, 0, apps.complete, switch, channel, app, "_none_")
        return
    app.state["digits"] = ""
    app.state["try"] = 0
    channel.variables["read_result"] = "failure"  # until digits are collected, as FreeSWITCH
    _next_try(switch, channel, app)


def _next_try(switch, channel, app):
    st = app.state
    st["try"] += 1
    st["digits"] = ""
    st["phase"] = "prompt"
    if app.timer is not None:
        app.timer.kill(block=False)
    apps.start_playback(switch, channel, app, st["prompt"], schedule=False)
    seconds = apps.playback_seconds(st["prompt"]) or 0
    app.timer = switch.later(channel, seconds, _prompt_done, switch, channel, app)


def _prompt_done(switch, channel, app):
    if app.done or not channel.alive:
        return
    if app.state["phase"] == "prompt":
        apps.stop_playback_event(switch, channel, app)
        app.file = None
    app.state["phase"] = "collect"
    app.timer = switch.later(channel, app.state["timeout"], _collect_timeout, switch, channel, app)


def _pagd_digit(switch, channel, app, digit):
    st = app.state
    if st["phase"] == "prompt":
        apps.stop_playback_event(switch, channel, app)
        app.file = None
        st["phase"] = "collect"
    if app.timer is not None:
        app.timer.kill(block=False)
    if digit in st["terminators"]:
        _finish_try(switch, channel, app)
        return
    st["digits"] += digit
    if len(st["digits"]) >= st["max"]:
        _finish_try(switch, channel, app)
        return
    app.timer = switch.later(channel, st["digit_timeout"], _collect_timeout, switch, channel, app)


def _collect_timeout(switch, channel, app):
    if app.done or not channel.alive:
        return
    _finish_try(switch, channel, app)


def _finish_try(switch, channel, app):
    st = app.state
    digits = st["digits"]
    valid = len(digits) >= st["min"] and re.fullmatch(st["regex"], digits or "") is not None and digits != ""
    if valid:
        if st["var"]:
            channel.variables[st["var"]] = digits
        channel.variables["read_result"] = "success"
        apps.complete(switch, channel, app, "_none_")
        return
    if st["try"] < st["tries"]:
        _next_try(switch, channel, app)
        return
    if st.get("invalid") and not st.get("invalid_played"):
        st["invalid_played"] = True
        st["phase"] = "invalid"
        apps.start_playback(switch, channel, app, st["invalid"], schedule=False)
        app.timer = switch.later(channel, apps.playback_seconds(st["invalid"]) or 0, _invalid_done,
                                 switch, channel, app)
        return
    _fail(switch, channel, app)


def _invalid_done(switch, channel, app):
    if app.done or not channel.alive:
        return
    apps.stop_playback_event(switch, channel, app)
    app.file = None
    _fail(switch, channel, app)


def _fail(switch, channel, app):
    channel.variables["read_result"] = "failure"
    if app.state.get("var"):
        channel.variables.pop(app.state["var"], None)
    apps.complete(switch, channel, app, "_none_")


def break_pagd(switch, channel, app):
    if app.file is not None:
        apps.stop_playback_event(switch, channel, app, "break")
