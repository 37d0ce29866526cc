"""Pure builders for the ESL API commands the controller sends.

Each takes plain values and returns the command text (without ``api ``/``bgapi ``).
Every value is checked before it becomes part of a command: a newline ends an ESL
command and starts another, a space splits arguments, and ``{ } , '`` change a dial
string's meaning. Nothing a person or a caller typed reaches FreeSWITCH unchecked.
"""
from __future__ import annotations

import re

_UUID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,63}$")
_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_DESTINATION = re.compile(r"^[0-9A-Za-z+#*:._@-]{1,64}$")
_CAUSE = re.compile(r"^[A-Z_]{3,40}$")
_UNSAFE_VALUE = re.compile(r"[\r\n\x00]")


class UnsafeValue(ValueError):
    """A value would change the meaning of an ESL command."""


def checked_uuid(value: str) -> str:
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise UnsafeValue(f"not a channel uuid: {value!r}")
    return value


def checked_var(name: str) -> str:
    if not isinstance(name, str) or not _VAR_NAME.fullmatch(name):
        raise UnsafeValue(f"not a channel variable name: {name!r}")
    return name


def checked_destination(value: str) -> str:
    """A dial-string user part or dialplan extension: no spaces, braces, commas or newlines."""
    if not isinstance(value, str) or not _DESTINATION.fullmatch(value):
        raise UnsafeValue(f"not a safe destination: {value!r}")
    return value


def checked_value(value: str, *, in_dial_string: bool = False) -> str:
    """A variable value. In a dial string's ``{…}`` block, ``, } ' `` and spaces are also out."""
    value = str(value)
    if _UNSAFE_VALUE.search(value):
        raise UnsafeValue("a value may not contain a newline")
    if in_dial_string and re.search(r"[,{}\[\]'\s^]", value):
        raise UnsafeValue(f"value not allowed in a dial string: {value!r}")
    return value


def channel_vars(variables: dict[str, object]) -> str:
    """The ``{a=1,b=2}`` prefix of a dial string."""
    if not variables:
        return ""
    parts = [f"{checked_var(k)}={checked_value(str(v), in_dial_string=True)}" for k, v in variables.items()]
    return "{" + ",".join(parts) + "}"


def originate(dial_string: str, *, variables: dict[str, object], app: str = "park", app_arg: str = "") -> str:
    """``originate {vars}<dial string> &app(arg)``: the new leg runs ``app`` once answered."""
    if not re.fullmatch(r"[A-Za-z0-9_/.:@+#*-]{3,200}", dial_string):
        raise UnsafeValue(f"not a safe dial string: {dial_string!r}")
    if not re.fullmatch(r"[a-z_]{2,40}", app):
        raise UnsafeValue(f"not an application name: {app!r}")
    checked_value(app_arg)
    if ")" in app_arg:
        raise UnsafeValue("application argument may not contain ')'")
    return f"originate {channel_vars(variables)}{dial_string} &{app}({app_arg})"


def bridge(a: str, b: str) -> str:
    return f"uuid_bridge {checked_uuid(a)} {checked_uuid(b)}"


def park(uuid: str) -> str:
    return f"uuid_park {checked_uuid(uuid)}"


def answer(uuid: str) -> str:
    return f"uuid_answer {checked_uuid(uuid)}"


def kill(uuid: str, cause: str = "NORMAL_CLEARING") -> str:
    if not _CAUSE.fullmatch(cause):
        raise UnsafeValue(f"not a hangup cause: {cause!r}")
    return f"uuid_kill {checked_uuid(uuid)} {cause}"


def hold(uuid: str, *, off: bool = False) -> str:
    """Build the ESL API command that (un)holds one leg."""
    return f"uuid_hold {'off ' if off else ''}{checked_uuid(uuid)}"


def broadcast(uuid: str, what: str, leg: str = "aleg") -> str:
    if leg not in ("aleg", "bleg", "both"):
        raise UnsafeValue(f"not a broadcast leg: {leg!r}")
    checked_value(what)
    return f"uuid_broadcast {checked_uuid(uuid)} {what} {leg}"


def transfer(uuid: str, destination: str, *, leg: str = "", context: str = "default") -> str:
    if leg not in ("", "-bleg", "-both"):
        raise UnsafeValue(f"not a transfer leg: {leg!r}")
    flag = f"{leg} " if leg else ""
    return f"uuid_transfer {checked_uuid(uuid)} {flag}{checked_destination(destination)} XML {checked_destination(context)}"


def setvar(uuid: str, name: str, value: str | None = None) -> str:
    tail = "" if value is None else f" {checked_value(value)}"
    return f"uuid_setvar {checked_uuid(uuid)} {checked_var(name)}{tail}"


def getvar(uuid: str, name: str) -> str:
    return f"uuid_getvar {checked_uuid(uuid)} {checked_var(name)}"


def exists(uuid: str) -> str:
    return f"uuid_exists {checked_uuid(uuid)}"


def record(uuid: str, action: str, path: str) -> str:
    if action not in ("start", "stop", "mask", "unmask"):
        raise UnsafeValue(f"not a record action: {action!r}")
    if not re.fullmatch(r"[A-Za-z0-9_./-]{1,255}", path) or ".." in path:
        raise UnsafeValue(f"not a safe recording path: {path!r}")
    return f"uuid_record {checked_uuid(uuid)} {action} {path}"


def show_channels() -> str:
    return "show channels as json"


_INLINE_ARG = re.compile(r"^[A-Za-z0-9_./:@+#*%=-]{1,200}$")


def transfer_inline(uuid: str, app: str, arg: str, *, leg: str = "") -> str:
    """``uuid_transfer <uuid> [-both] <app>:<arg> inline``: run one application now.

    Used to move a customer to its own hold music (``endless_playback``) and legs into a
    conference. The inline dialplan splits on commas and spaces, so neither may appear.
    """
    if leg not in ("", "-bleg", "-both"):
        raise UnsafeValue(f"not a transfer leg: {leg!r}")
    if not re.fullmatch(r"[a-z_]{2,40}", app):
        raise UnsafeValue(f"not an application name: {app!r}")
    if not _INLINE_ARG.fullmatch(arg):
        raise UnsafeValue(f"not a safe inline argument: {arg!r}")
    flag = f"{leg} " if leg else ""
    return f"uuid_transfer {checked_uuid(uuid)} {flag}{app}:{arg} inline"


def conference_room(name: str, profile: str = "default") -> str:
    """The ``conference`` application argument for a room of ours."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", name) or not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", profile):
        raise UnsafeValue(f"not a safe conference name: {name!r}@{profile!r}")
    return f"{name}@{profile}"


def phone_event(uuid: str, event: str = "talk") -> str:
    """``uuid_phone_event``: ask the phone of a ringing leg to answer (``talk``) or hold."""
    if event not in ("talk", "hold"):
        raise UnsafeValue(f"not a phone event: {event!r}")
    return f"uuid_phone_event {checked_uuid(uuid)} {event}"
