"""The XML dialplan's hunt (mod_dialplan_xml), enough to say which extension a number reaches.

FreeSWITCH looks at a context's extensions in order. An extension's conditions are tested
in order against a field (``destination_number``, ``caller_id_number``, ``${variable}``, …)
with a PCRE expression; with the default ``break="on-false"`` a failing condition ends the
extension. A passing condition adds its actions (``$1``… filled from its captures), a
failing one its anti-actions. The first extension that adds actions wins, unless it says
``continue="true"``. Expressions are compiled with Python's ``re``, which reads the PCRE
that dialplans use (anchors, classes, groups, alternation, ``\\d``) the same way; PCRE-only
syntax such as possessive quantifiers or ``(?|...)`` is refused by :func:`compile_expression`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .fsxml import Node

#: caller-profile fields a condition may test, and the channel variable that holds each
PROFILE_FIELDS = {
    "destination_number": "destination_number", "caller_id_number": "caller_id_number",
    "caller_id_name": "caller_id_name", "ani": "ani", "ani2": "ani2", "network_addr": "network_addr",
    "context": "context", "dialplan": "dialplan", "uuid": "uuid", "source": "source",
    "chan_name": "channel_name", "rdnis": "rdnis", "username": "username",
}
TIME_ATTRIBUTES = ("year", "yday", "mon", "mday", "week", "mweek", "wday", "hour", "minute",
                   "minute-of-day", "time-of-day", "date-time", "tz")

VARIABLE = re.compile(r"\$\{([^${}]+)\}")


def compile_expression(expression: str) -> re.Pattern:
    """Compile a dialplan or menu expression; :class:`re.error` says why it cannot be."""
    return re.compile(expression)


def expand(text: str, variables: dict[str, str]) -> str:
    """``${name}`` -> the channel variable (empty when unset), as FreeSWITCH expands app data."""
    return VARIABLE.sub(lambda m: variables.get(m.group(1), ""), text)


@dataclass
class Hunted:
    """What the hunt found: the extension, and the actions it queues ``(app, data, node)``."""

    context: str
    extension: Node
    actions: list[tuple[str, str, Node]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.extension.get("name", "")


def field_value(name: str, variables: dict[str, str]) -> str:
    if name.startswith("${") and name.endswith("}"):
        return variables.get(name[2:-1], "")
    return variables.get(PROFILE_FIELDS.get(name, name), "")


def _substitute(data: str, found: re.Match | None) -> str:
    if found is None:
        return data
    return re.sub(r"\$(\d)", lambda m: (found.group(int(m.group(1))) or "") if int(m.group(1)) <= (found.re.groups or 0)
                  else "", data)


def _condition(condition: Node, variables: dict[str, str]) -> tuple[bool, re.Match | None]:
    """Whether a condition passes; time-of-day conditions are taken as passing (no clock here)."""
    fld, expression = condition.get("field"), condition.get("expression")
    regexes = condition.findall("regex")
    if regexes:
        mode = condition.get("regex", "all")
        results = []
        last = None
        for regex in regexes:
            try:
                found = compile_expression(regex.get("expression", "")).search(field_value(regex.get("field", ""),
                                                                                          variables))
            except re.error:
                found = None
            results.append(found is not None)
            last = found or last
        passed = any(results) if mode == "any" else (not any(results) if mode == "xor" else all(results))
        return passed, last
    if fld is None or expression is None:
        return True, None
    try:
        found = compile_expression(expression).search(field_value(fld, variables))
    except re.error:
        return False, None
    return found is not None, found


def hunt(context: Node, variables: dict[str, str]) -> list[Hunted]:
    """The extensions of ``context`` that queue actions for a call with ``variables``.

    An extension counts when every condition tested (up to a ``break``) passed, or when a
    failing one queued anti-actions. More than one only with ``continue="true"``.
    """
    out: list[Hunted] = []
    context_name = context.get("name", "")
    for extension in context.findall("extension"):
        hunted = Hunted(context_name, extension)
        matched = True
        for condition in extension.findall("condition"):
            passed, found = _condition(condition, variables)
            if passed:
                for action in condition.findall("action"):
                    hunted.actions.append((action.get("application", ""),
                                           _substitute(action.get("data", ""), found), action))
            else:
                anti = condition.findall("anti-action")
                for action in anti:
                    hunted.actions.append((action.get("application", ""), action.get("data", ""), action))
                matched = matched and bool(anti)
            brk = condition.get("break", "on-false")
            if (brk == "on-false" and not passed) or (brk == "on-true" and passed) or brk == "always":
                break
        if matched and hunted.actions:
            out.append(hunted)
            if extension.get("continue", "false") != "true":
                break
    return out


def route(context: Node, number: str, variables: dict[str, str] | None = None) -> list[Hunted]:
    """The extensions a call to ``number`` runs in ``context``."""
    values = dict(variables or {})
    values["destination_number"] = number
    values.setdefault("context", context.get("name", ""))
    return hunt(context, values)
