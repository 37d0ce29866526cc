"""The ``ivr`` application: FreeSWITCH's XML IVR menus (src/switch_ivr_menu.c), on a channel.

``ivr <menu>`` reads the menu from the configuration folder's ``ivr.conf``
(:mod:`fssim.xmlconf`) and runs ``switch_ivr_menu_execute``'s loop:

* each round plays ``greet-long`` (``greet-short`` from the second round on, when set);
  a key pressed while it plays stops it (PLAYBACK_STOP ``Playback-Status: break``) and is
  kept; then keys are collected up to the menu's length (``digit-len``, or the longest
  entry when longer), waiting ``timeout`` ms for the first and ``inter-digit-timeout`` ms
  for each next one; ``#`` ends the keys;
* no key at all is a timeout (``max-timeouts``, default ``max-failures``); keys that match
  no entry play ``invalid-sound`` and count as a failure (``max-failures``);
* every entry whose digits match runs, in order: ``menu-exec-app`` runs the application
  inside the menu (CHANNEL_EXECUTE/EXECUTE_COMPLETE of, e.g., ``transfer``; a transfer or
  a hangup ends the menu at once), ``menu-sub`` opens another menu, ``menu-back`` returns
  to the menu that opened this one, ``menu-top`` to the first, ``menu-exit`` ends the IVR,
  ``menu-play-sound`` plays a file;
* when the first menu gives up (too many failures or timeouts, or ``menu-exit``) it plays
  ``exit-sound``; ``ivr_menu_status`` is ``success``, ``failure`` or ``timeout``; the
  application then ends and the dialplan goes on.

Keys pressed before the menu starts (during ``answer``/``sleep``) wait in the channel's
DTMF queue, as in FreeSWITCH, and the menu takes them first.
"""
import logging
import re

from fssim import apps

log = logging.getLogger(__name__)


class Frame:
    """One menu on the IVR's stack (a sub-menu pushes one)."""

    def __init__(self, menu):
        self.menu = menu
        self.name = menu.get("name", "")
        self.entries = [(e.get("action", ""), e.get("digits", ""), e.get("param", "") or "")
                        for e in menu.findall("entry")]
        length = _int(menu.get("digit-len"), 0)
        for _action, digits, _param in self.entries:
            if digits and not digits.startswith("/"):
                length = max(length, len(digits))
        self.length = max(length, 1)
        self.timeout = _int(menu.get("timeout"), 0) or 10000
        self.inter = _int(menu.get("inter-digit-timeout"), 0) or self.timeout // 2
        self.max_failures = _int(menu.get("max-failures"), 0) or 3
        self.max_timeouts = _int(menu.get("max-timeouts"), 0) or self.max_failures
        self.reps = 0
        self.failures = 0
        self.timeouts = 0


def start(switch, channel, app):
    conf = getattr(switch, "xmlconf", None)
    name = app.data.strip()
    menu = conf.menus.get(name) if conf is not None else None
    if menu is None:
        # FreeSWITCH logs "Unable to find menu" and the dialplan goes on
        log.warning("%s: ivr %r: no such menu", channel.uuid, name)
        switch.later(channel, 0, apps.complete, switch, channel, app, "_none_")
        return
    channel.variables["ivr_menu_status"] = "success"
    app.state.update(stack=[Frame(menu)], phase="idle", digits="", leaving=False)
    _round(switch, channel, app)


def _frame(app):
    return app.state["stack"][-1]


def _round(switch, channel, app):
    """The top of switch_ivr_menu_execute's loop."""
    if app.done or not channel.alive or app.state["leaving"]:
        return
    frame = _frame(app)
    if frame.failures >= frame.max_failures:
        _give_up(switch, channel, app, "failure")
        return
    if frame.timeouts >= frame.max_timeouts:
        _give_up(switch, channel, app, "timeout")
        return
    greeting = frame.menu.get("greet-short") if frame.reps > 0 and frame.menu.get("greet-short") \
        else frame.menu.get("greet-long")
    frame.reps += 1
    app.state["digits"] = ""
    if greeting:
        _play(switch, channel, app, greeting, "greeting", _greeting_done)
    else:
        _collect(switch, channel, app)
    _take_queued(switch, channel, app)


def _play(switch, channel, app, path, phase, then):
    app.state["phase"] = phase
    apps.start_playback(switch, channel, app, path, schedule=False)
    seconds = apps.playback_seconds(path) or 0
    _cancel(app)
    app.timer = switch.later(channel, seconds, _played, switch, channel, app, then)


def _played(switch, channel, app, then):
    if app.done or not channel.alive:
        return
    apps.stop_playback_event(switch, channel, app)
    app.file = None
    then(switch, channel, app)


def _greeting_done(switch, channel, app):
    _collect(switch, channel, app)


def _collect(switch, channel, app):
    app.state["phase"] = "collect"
    frame = _frame(app)
    wait = frame.inter if app.state["digits"] else frame.timeout
    _cancel(app)
    app.timer = switch.later(channel, wait / 1000.0, _collect_timeout, switch, channel, app)


def _collect_timeout(switch, channel, app):
    if app.done or not channel.alive or app.state["phase"] != "collect":
        return
    _evaluate(switch, channel, app)


def digit(switch, channel, app, key):
    """A key from the caller while the menu runs."""
    if app.done or app.state.get("leaving"):
        return
    phase = app.state.get("phase")
    if phase == "greeting":
        _cancel(app)
        apps.stop_playback_event(switch, channel, app, "break")
        app.file = None
        app.state["digits"] = key  # a # pressed during the greeting is kept, as FreeSWITCH does
        if len(app.state["digits"]) >= _frame(app).length:
            _evaluate(switch, channel, app)
        else:
            _collect(switch, channel, app)
    elif phase == "collect":
        _cancel(app)
        if key == "#":
            if not app.state["digits"]:
                # "no input detected": a failure without the invalid sound
                _frame(app).failures += 1
                _round(switch, channel, app)
                return
            _evaluate(switch, channel, app)
            return
        app.state["digits"] += key
        if len(app.state["digits"]) >= _frame(app).length:
            _evaluate(switch, channel, app)
        else:
            _collect(switch, channel, app)
    else:
        # while another prompt plays, keys wait in the channel's DTMF queue
        queue_key(channel, key)


def queue_key(channel, key):
    """Keep a key in the channel's DTMF queue until a menu reads it."""
    if getattr(channel, "dtmf_queue", None) is None:
        channel.dtmf_queue = []
    channel.dtmf_queue.append(key)


def _take_queued(switch, channel, app):
    queued = getattr(channel, "dtmf_queue", None) or []
    while queued and not app.done and app.state.get("phase") in ("greeting", "collect"):
        digit(switch, channel, app, queued.pop(0))


def _evaluate(switch, channel, app):
    frame = _frame(app)
    got = app.state["digits"]
    app.state["phase"] = "evaluate"
    if not got:
        frame.timeouts += 1
        _round(switch, channel, app)
        return
    matched = [(action, digits, param) for action, digits, param in frame.entries if _matches(digits, got)]
    if not matched:
        frame.failures += 1
        invalid = frame.menu.get("invalid-sound")
        if invalid:
            _play(switch, channel, app, invalid, "invalid", _round)
        else:
            _round(switch, channel, app)
        return
    frame.failures = 0
    for action, digits, param in matched:
        param = _substitute(digits, got, param)
        outcome = _run_entry(switch, channel, app, frame, action, param)
        if outcome is not None:
            outcome()
            return
    _round(switch, channel, app)


def _run_entry(switch, channel, app, frame, action, param):
    """Run one matching entry; returns what to do next when it leaves this round."""
    if action == "menu-exec-app":
        name, _, data = param.strip().partition(" ")
        if name in ("transfer", "hangup"):
            # the channel is no longer ready: the menu stops, the application moves the call
            app.state["leaving"] = True
            _cancel(app)
            apps.execute(switch, channel, name, data, nested=True)
            return lambda: None
        if name in ("playback", "endless_playback"):
            return lambda: _play(switch, channel, app, data, "sound", _round)
        apps.execute(switch, channel, name, data, nested=True)
        return None
    if action == "menu-play-sound":
        return lambda: _play(switch, channel, app, param.strip(), "sound", _round)
    if action == "menu-sub":
        name = param.strip()
        if name == frame.name:
            return None
        conf = getattr(switch, "xmlconf", None)
        menu = conf.menus.get(name) if conf is not None else None
        if menu is None or len(app.state["stack"]) >= 12:
            return None
        app.state["stack"].append(Frame(menu))
        return lambda: _round(switch, channel, app)
    if action == "menu-back":
        return lambda: _leave_frame(switch, channel, app)
    if action == "menu-top":
        def top():
            del app.state["stack"][1:]
            _round(switch, channel, app)
        return top
    if action == "menu-exit":
        return lambda: _give_up(switch, channel, app, None)
    return None


def _leave_frame(switch, channel, app):
    """This menu ends: back to the one that opened it (its next round greets long), or exit."""
    stack = app.state["stack"]
    if len(stack) > 1:
        stack.pop()
        stack[-1].reps = 0
        _round(switch, channel, app)
    else:
        _exit(switch, channel, app)


def _give_up(switch, channel, app, status):
    if status is not None:
        channel.variables["ivr_menu_status"] = status
    if status is None:
        # menu-exit ends every menu on the stack
        del app.state["stack"][1:]
        _exit(switch, channel, app)
        return
    _leave_frame(switch, channel, app)


def _exit(switch, channel, app):
    exit_sound = app.state["stack"][0].menu.get("exit-sound")
    if exit_sound:
        _play(switch, channel, app, exit_sound, "exit", _finish)
    else:
        _finish(switch, channel, app)


def _finish(switch, channel, app):
    apps.complete(switch, channel, app, "_none_")


def break_ivr(switch, channel, app):
    _cancel(app)
    app.state["leaving"] = True
    if app.file is not None:
        apps.stop_playback_event(switch, channel, app, "break")
        app.file = None


def _cancel(app):
    if app.timer is not None:
        app.timer.kill(block=False)
        app.timer = None


def _matches(digits, got):
    if digits.startswith("/") and digits.endswith("/") and len(digits) > 2:
        try:
            return re.search(digits[1:-1], got) is not None
        except re.error:
            return False
    return digits == got


def _substitute(digits, got, param):
    if not (digits.startswith("/") and digits.endswith("/") and len(digits) > 2):
        return param
    found = re.search(digits[1:-1], got)
    if found is None:
        return param
    return re.sub(r"\$(\d)", lambda m: (found.group(int(m.group(1))) or "")
                  if int(m.group(1)) <= found.re.groups else "", param)


def _int(value, default):
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
