"""Dry run: a DID and the keys a caller presses -> what FreeSWITCH would do, step by step.

A pure function of the parsed configuration (:class:`~controller.ivr.fsxml.Loaded`): the
DID is routed in the ``public`` context as a carrier's call would be, the actions of the
extension run in order, and ``ivr <menu>`` plays the menu the way ``switch_ivr_menu_execute``
(src/switch_ivr_menu.c) does: greet-long first and greet-short on every later round, the
caller's keys collected up to the menu's length (``digit-len``, or the longest entry if that
is longer), ``#`` ends the keys, no key at all is a timeout (``max-timeouts``), keys that
match no entry play ``invalid-sound`` and count as a failure (``max-failures``), and the
exit sound plays when the menu gives up. ``menu-exec-app transfer`` routes the call again
in the named context; ``park`` with ``cc_queue`` is where switchdesk takes the call.

Keys: ``0-9 * #``; a space is a pause longer than the inter-digit timeout (the keys pressed
so far are taken as they are); ``t`` (or ``_``) is silence until the menu's timeout.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from . import dialplan as dp
from .fsxml import Loaded, Node

MAX_STEPS = 300
ENTRY_CONTEXT = "public"


@dataclass
class Step:
    """One thing that happens: ``kind`` is extension, action, menu, prompt, keys, entry or outcome."""

    kind: str
    text: str
    where: str = ""  # "file:line" of the XML that decided it

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class DryRun:
    """The steps, the end of the call (``outcome``) and the channel variables set."""

    steps: list[Step] = field(default_factory=list)
    outcome: dict = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"steps": [s.as_dict() for s in self.steps], "outcome": self.outcome, "variables": self.variables}


class _Done(Exception):
    """The call leaves the dialplan (parked, hung up, bridged...)."""


class _Keys:
    def __init__(self, keys: str):
        self.keys = [" " if k.isspace() else k for k in keys]

    def take(self, length: int) -> tuple[str, str]:
        """Collect up to ``length`` keys: ``(digits, how)`` with how = complete, terminator, timeout."""
        got = ""
        while len(got) < length:
            if not self.keys:
                return got, "timeout"
            key = self.keys.pop(0)
            if key == " ":
                if got:
                    return got, "pause"  # longer than the inter-digit timeout: what came so far counts
                continue
            if key in "t_":
                return got, "timeout"
            if key == "#":
                if not got:
                    # FreeSWITCH keeps a # pressed during the greeting; afterwards it only ends input
                    return "#", "complete" if length == 1 else "terminator"
                return got, "terminator"
            got += key
        return got, "complete"


def dry_run(loaded: Loaded, did: str, keys: str = "", *, ani: str = "5550100", queues: set[str] | None = None) -> DryRun:
    """What a call to ``did`` does when the caller presses ``keys``.

    :param queues: switchdesk's queues, to say whether a ``cc_queue`` is one
    """
    run = _Runner(loaded, _Keys(keys), queues)
    run.variables.update({"destination_number": did, "caller_id_number": ani, "ani": ani, "cc_did": ""})
    run.variables.pop("cc_did")
    try:
        run.route(ENTRY_CONTEXT, did)
        run.finish("hangup", "The dialplan ends: FreeSWITCH hangs up (NORMAL_CLEARING).")
    except _Done:
        pass
    return DryRun(run.steps, run.outcome, {k: v for k, v in run.variables.items() if k not in _PROFILE})


_PROFILE = {"destination_number", "caller_id_number", "ani", "context"}


class _Runner:
    def __init__(self, loaded: Loaded, keys: _Keys, queues: set[str] | None):
        self.loaded = loaded
        self.keys = keys
        self.queues = queues
        self.contexts = loaded.contexts()
        self.menus = loaded.menus()
        self.steps: list[Step] = []
        self.outcome: dict = {}
        self.variables: dict[str, str] = {}

    def expand(self, data: str) -> str:
        """``${name}``: the channel's variables first, then FreeSWITCH's global variables."""
        return dp.expand(data, {**self.loaded.variables, **self.variables})

    def where(self, node: Node | None) -> str:
        if node is None:
            return ""
        path, line = self.loaded.where(node)
        return f"{path}:{line}"

    def step(self, kind: str, text: str, node: Node | None = None) -> None:
        if len(self.steps) >= MAX_STEPS:
            self.finish("unknown", f"Stopped after {MAX_STEPS} steps (a loop?).")
        self.steps.append(Step(kind, text, self.where(node)))

    def finish(self, kind: str, text: str, **detail: str) -> None:
        self.steps.append(Step("outcome", text))
        self.outcome = {"kind": kind, "text": text, **detail}
        raise _Done()

    # -- the dialplan ---------------------------------------------------------------
    def route(self, context_name: str, number: str) -> None:
        context = self.contexts.get(context_name)
        if context is None:
            self.finish("hangup", f"FreeSWITCH has no context '{context_name}': the call is hung up "
                                  "(NO_ROUTE_DESTINATION).")
        self.variables["destination_number"] = number
        self.variables["context"] = context_name
        hunted = dp.hunt(context, self.variables)
        if not hunted:
            self.finish("hangup", f"No extension of the {context_name} context matches {number}: the call is "
                                  "hung up (NO_ROUTE_DESTINATION).")
        actions = []
        for found in hunted:
            self.step("extension", f"{context_name} context: the extension {found.name} matches {number}.",
                      found.extension)
            actions += found.actions
        for app, data, node in actions:
            self.execute(app, self.expand(data), node)

    def execute(self, app: str, data: str, node: Node | None) -> None:
        shown = f"{app} {data}".strip()
        if app in ("set", "export", "set_global"):
            name, _, value = data.partition("=")
            if value:
                self.variables[name.strip()] = value
            else:
                self.variables.pop(name.strip(), None)
            self.step("action", shown, node)
        elif app == "unset":
            self.variables.pop(data.strip(), None)
            self.step("action", shown, node)
        elif app == "multiset":
            for pair in data.split():
                name, _, value = pair.partition("=")
                self.variables[name] = value
            self.step("action", shown, node)
        elif app == "ivr":
            self.step("action", shown, node)
            self.run_menu(data.strip())
        elif app == "transfer":
            self.step("action", shown, node)
            words = data.split()
            if not words:
                self.finish("hangup", "transfer without a destination: FreeSWITCH logs an error.")
            context = words[2] if len(words) > 2 else self.variables.get("context", "default")
            if len(words) > 1 and words[1] != "XML":
                self.finish("unknown", f"The call goes to the {words[1]} dialplan, which the dry run does not follow.")
            self.route(context, words[0])
            self.finish("hangup", "The dialplan ends: FreeSWITCH hangs up (NORMAL_CLEARING).")
        elif app == "park":
            self.step("action", shown, node)
            queue = self.variables.get("cc_queue")
            if queue:
                callback = self.variables.get("cc_callback")
                message = self.variables.get("cc_message")
                known = self.queues is None or queue in self.queues
                if message and known:
                    self.finish("message", f"Parked with cc_message: the caller leaves a message for the queue "
                                           f"{queue}; it is listed in its agents' Missed calls.", queue=queue)
                text = (f"Parked with cc_queue={queue}: switchdesk "
                        + (f"takes the call in the queue {queue}" if known else
                           f"has no queue {queue} and leaves the call parked")
                        + (" as a callback request." if callback else "."))
                self.finish("queue" if known else "parked", text, queue=queue, callback=callback or "")
            self.finish("parked", "Parked without cc_queue: switchdesk does not take this call.")
        elif app == "hangup":
            self.step("action", shown, node)
            self.finish("hangup", f"FreeSWITCH hangs up ({data or 'NORMAL_CLEARING'}).")
        elif app == "bridge":
            self.step("action", shown, node)
            self.finish("bridge", f"The call rings {data}.", target=data)
        elif app == "voicemail":
            self.step("action", shown, node)
            box = data.split()[-1] if data.split() else ""
            self.finish("voicemail", f"The caller leaves a message in the voicemail box {box}.", box=box)
        elif app == "conference":
            self.step("action", shown, node)
            self.finish("conference", f"The caller joins the conference {data}.", conference=data)
        elif app in ("playback", "endless_playback"):
            self.step("prompt", f"The caller hears {data}.", node)
            if app == "endless_playback":
                self.finish("playback", f"The caller hears {data} until hanging up.")
        else:
            self.step("action", shown, node)

    # -- switch_ivr_menu_execute -------------------------------------------------------
    def run_menu(self, name: str, depth: int = 1) -> str:
        """Play the menu; returns ``exit`` (menu-exit: the whole IVR ends), ``top`` (menu-top
        from a sub-menu) or ``done`` (gave up or menu-back: back to the menu that opened it)."""
        menu = self.menus.get(name)
        if menu is None:
            self.step("menu", f"There is no menu '{name}': FreeSWITCH logs 'Unable to find menu' and goes on.")
            return "exit"
        if depth > 12:
            self.step("menu", "Too many levels of sub-menus: FreeSWITCH ends the menu.", menu)
            return "exit"
        entries = [(e.get("digits", ""), e.get("action", ""), e.get("param", ""), e) for e in menu.findall("entry")]
        length = _int(menu.get("digit-len"), 0)
        for digits, *_ in entries:
            if not digits.startswith("/"):
                length = max(length, len(digits))
        length = max(length, 1)
        max_failures = _int(menu.get("max-failures"), 3) or 3
        max_timeouts = _int(menu.get("max-timeouts"), 0) or max_failures
        self.step("menu", f"The menu {name} starts (keys collected: up to {length}).", menu)
        failures = timeouts = 0
        round_ = 0
        while True:
            if failures == max_failures:
                self.step("menu", f"{max_failures} wrong choices: the menu gives up (ivr_menu_status=failure).", menu)
                self.variables["ivr_menu_status"] = "failure"
                break
            if timeouts == max_timeouts:
                self.step("menu", f"{max_timeouts} times no key: the menu gives up (ivr_menu_status=timeout).", menu)
                self.variables["ivr_menu_status"] = "timeout"
                break
            greeting = menu.get("greet-short") if round_ > 0 and menu.get("greet-short") else menu.get("greet-long")
            round_ += 1
            if greeting:
                self.step("prompt", f"The caller hears {greeting}.", menu)
            got, how = self.keys.take(length)
            if not got and how in ("timeout", "terminator"):
                timeouts += 1
                self.step("keys", f"No key within the timeout ({timeouts} of {max_timeouts}).", menu)
                continue
            self.step("keys", f"The caller presses {got}" + (" and #." if how == "terminator" else "."))
            matched = [(d, a, p, n) for d, a, p, n in entries if _matches(d, got)]
            if not matched:
                failures += 1
                self.step("entry", f"No entry for {got} ({failures} of {max_failures} wrong choices).", menu)
                if menu.get("invalid-sound"):
                    self.step("prompt", f"The caller hears {menu.get('invalid-sound')}.", menu)
                continue
            failures = 0
            ended = None
            for digits, action, param, node in matched:
                param = _regex_param(digits, got, param)
                self.step("entry", f"{got} -> {action} {param}".strip() + ".", node)
                ended = self.menu_action(name, action, param, node, depth)
                if ended:
                    break
            if ended == "top":
                if depth > 1:
                    return "top"
                round_ = 0
            elif ended == "again":
                round_ = 0
            elif ended == "exit":
                if depth > 1:
                    return "exit"
                break
            elif ended == "back":
                break
        if depth == 1:
            if menu.get("exit-sound"):
                self.step("prompt", f"The caller hears {menu.get('exit-sound')}.", menu)
            self.step("menu", f"The menu {name} ends; the dialplan goes on after ivr {name}.")
        else:
            self.step("menu", f"Back to the menu that opened {name}.")
        return "done"

    def menu_action(self, menu_name: str, action: str, param: str, node: Node, depth: int) -> str | None:
        if action == "menu-exit":
            return "exit"
        if action == "menu-back":
            return "back"
        if action == "menu-top":
            return "top"
        if action == "menu-play-sound":
            self.step("prompt", f"The caller hears {param}.", node)
            return None
        if action == "menu-sub":
            if param == menu_name:
                return None
            ended = self.run_menu(param, depth + 1)
            return {"exit": "exit", "top": "top"}.get(ended, "again")
        if action == "menu-exec-app":
            app, _, data = param.partition(" ")
            self.execute(app, self.expand(data), node)
            return None
        self.step("entry", f"Unknown action {action}: nothing happens.", node)
        return None


def _matches(digits: str, got: str) -> bool:
    if digits.startswith("/") and digits.endswith("/") and len(digits) > 2:
        try:
            return dp.compile_expression(digits[1:-1]).search(got) is not None
        except re.error:
            return False
    return digits == got


def _regex_param(digits: str, got: str, param: str) -> str:
    if digits.startswith("/") and digits.endswith("/") and len(digits) > 2:
        try:
            found = dp.compile_expression(digits[1:-1]).search(got)
        except re.error:
            return param
        if found is not None:
            return re.sub(r"\$(\d)", lambda m: (found.group(int(m.group(1))) or "")
                          if int(m.group(1)) <= found.re.groups else "", param)
    return param


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
