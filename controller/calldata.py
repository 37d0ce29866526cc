"""Call data (CAD): the variables a queue defines for its calls, shown and edited on the desktop.

A queue's ``variables_spec`` says which variables its calls carry (label, order, editable,
secure, and the channel variable that fills it when the call is queued). Values live in
:class:`~controller.models.CallDataValue`, one row per interaction and variable.

- **Secure** values leave this module masked unless an agent reveals one
  (:func:`reveal`), which writes a :class:`~controller.models.CallDataAudit` row.
- **No value is ever logged** and no exception message holds one: logs and audit rows
  name the variable only.
- A value is at most :data:`MAX_VALUE` characters.
- **The first save wins.** A save names the version of each value it edited; the row is
  updated only while it still has that version (``UPDATE … WHERE version = ?``, checked by
  its row count, so it holds across greenlets and processes), and all values of one save
  are written in one transaction or none is.

See ``docs/call-data.md``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping

import peewee

from .db import database
from .models import Agent, CallDataAudit, CallDataValue, Interaction, Queue, utcnow

log = logging.getLogger(__name__)

MAX_VALUE = 256
#: what a desktop shows for a secure value; the same length whatever the value
MASK = "••••••"

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_SPEC_KEYS = {"name", "label", "order", "editable", "secure", "channel_variable"}

Lookup = Callable[[str], "str | None"]


class CallDataError(Exception):
    """A call-data request that cannot be done; ``str(exc)`` is a sentence for the agent.

    :attr status: the HTTP status the API answers with
    """

    status = 400


class UnknownVariable(CallDataError):
    """The call's queue defines no variable of that name (404 when named in a URL, else 400)."""

    def __init__(self, name: str, *, status: int = 400):
        super().__init__(f"This call has no data field named {name[:64]!r}.")
        self.name = name
        self.status = status


class ReadOnlyVariable(CallDataError):
    """The variable is read-only: nobody may change it from the desktop."""

    status = 403

    def __init__(self, variable: "Variable"):
        super().__init__(f"'{variable.label}' is read-only.")
        self.name = variable.name


class InvalidValue(CallDataError):
    """A value (or the version sent with it) that cannot be saved."""

    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name


class ValueTooLong(InvalidValue):
    """A value over :data:`MAX_VALUE` characters."""

    def __init__(self, variable: "Variable", length: int):
        super().__init__(f"'{variable.label}' is {length} characters long; the limit is {MAX_VALUE}.",
                         variable.name)
        self.length = length


class SaveConflict(CallDataError):
    """Someone saved a variable after this agent loaded it; nothing of this save was written.

    :attr names: the variables that changed meanwhile
    :attr current: the call data as it is now (:func:`view`), to show instead
    """

    status = 409

    def __init__(self, message: str, names: list[str], current: list[dict]):
        super().__init__(message)
        self.names = names
        self.current = current


@dataclass(frozen=True)
class Variable:
    """One call-data variable as a queue defines it."""

    name: str
    label: str
    order: int
    editable: bool = False
    secure: bool = False
    channel_variable: str | None = None


def parse_spec(raw: object) -> tuple[Variable, ...]:
    """A queue's ``variables_spec``, checked and in display order.

    :raises ValueError: saying which entry is wrong and why
    """
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ValueError("variables_spec must be a list of variables")
    seen: set[str] = set()
    out = []
    for index, entry in enumerate(raw):
        where = f"variables_spec[{index}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object with a name")
        unknown = set(entry) - _SPEC_KEYS
        if unknown:
            raise ValueError(f"{where} has unknown keys {sorted(unknown)}; known: {sorted(_SPEC_KEYS)}")
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"{where}: name must be letters, digits and _ (at most 64), got {name!r}")
        if name in seen:
            raise ValueError(f"{where}: {name!r} is defined twice")
        seen.add(name)
        label = entry.get("label") or name
        order = entry.get("order", index)
        channel_variable = entry.get("channel_variable") or None
        if not isinstance(label, str) or len(label) > 128:
            raise ValueError(f"{where}: label must be text of at most 128 characters")
        if not isinstance(order, int) or isinstance(order, bool):
            raise ValueError(f"{where}: order must be a whole number")
        for flag in ("editable", "secure"):
            if not isinstance(entry.get(flag, False), bool):
                raise ValueError(f"{where}: {flag} must be true or false")
        if channel_variable is not None and (not isinstance(channel_variable, str)
                                             or not _NAME.fullmatch(channel_variable)):
            raise ValueError(f"{where}: channel_variable must be a channel variable name, got {channel_variable!r}")
        out.append(Variable(name, label, order, entry.get("editable", False), entry.get("secure", False),
                            channel_variable))
    return tuple(sorted(out, key=lambda v: v.order))


def variables(queue: Queue | None) -> tuple[Variable, ...]:
    """The variables calls of ``queue`` carry (none without a queue)."""
    return parse_spec(queue.variables_spec) if queue is not None else ()


def capture(interaction: Interaction | str, queue: Queue | None, lookup: Lookup) -> None:
    """Store a new call's initial values from its channel (call when it is queued).

    Adds the variables the call does not have yet and never overwrites a value, so it
    is safe to call again (a re-queued or re-adopted call, a transfer to another queue).
    A channel value over :data:`MAX_VALUE` characters is cut to its first
    :data:`MAX_VALUE` with a warning: the call must go on, and the switch, not a person,
    sent it.

    :param lookup: a channel variable's value or ``None``, e.g. ``event.variable``
    """
    try:
        spec = variables(queue)
    except ValueError as exc:
        log.error("queue %s has a broken variables_spec (%s): no call data captured", queue.name, exc)
        return
    if not spec:
        return
    interaction_id = _id(interaction)
    now = utcnow()
    rows = []
    for variable in spec:
        value = lookup(variable.channel_variable) if variable.channel_variable else None
        value = "" if value is None else str(value).replace("\x00", "")
        if len(value) > MAX_VALUE:
            log.warning("call %s: call data %r from channel variable %s is %d characters; kept the first %d",
                        interaction_id, variable.name, variable.channel_variable, len(value), MAX_VALUE)
            value = value[:MAX_VALUE]
        rows.append({"interaction": interaction_id, "name": variable.name, "value": value, "version": 1,
                     "updated_at": now})
    CallDataValue.insert_many(rows).on_conflict_ignore().execute()


def view(interaction: Interaction | str, *, reveal: Iterable[str] = (), include_secure: bool = True) -> list[dict]:
    """The call's data in display order, secure values masked.

    :param reveal: secure variables to show in clear. Only for a caller that has just
        audited them with :func:`reveal`; never take this from a request.
    :param include_secure: ``False`` leaves secure variables out (the offer popover)
    :returns: ``[{name, label, value, version, editable, secure, masked}]``; ``version``
        0 means no value was ever stored
    """
    record = _record(interaction)
    spec = variables(_queue(record))
    if not spec:
        return []
    rows = {row.name: row for row in CallDataValue.select(CallDataValue.name, CallDataValue.value,
                                                          CallDataValue.version)
            .where(CallDataValue.interaction == record.id)}
    revealed = set(reveal)
    out = []
    for variable in spec:
        if variable.secure and not include_secure:
            continue
        row = rows.get(variable.name)
        value = row.value if row is not None else ""
        masked = variable.secure and bool(value) and variable.name not in revealed
        out.append({"name": variable.name, "label": variable.label, "value": MASK if masked else value,
                    "version": row.version if row is not None else 0, "editable": variable.editable,
                    "secure": variable.secure, "masked": masked})
    return out


def reveal(interaction: Interaction | str, name: str, agent: Agent | int) -> str:
    """One variable's value in clear, for ``agent``; a secure one is audited.

    :raises UnknownVariable: (status 404) the call has no such variable
    """
    record = _record(interaction)
    variable = _variable(variables(_queue(record)), name, status=404)
    row = CallDataValue.get_or_none((CallDataValue.interaction == record.id) & (CallDataValue.name == name))
    if variable.secure:
        CallDataAudit.create(interaction=record.id, name=name, agent=_agent_id(agent), action="reveal")
        log.info("call %s: %s revealed call data %r", record.id, _who(agent), name)
    return row.value if row is not None else ""


def save(interaction: Interaction | str, agent: Agent | int, values: Mapping[str, str],
         versions: Mapping[str, int]) -> list[dict]:
    """Save the values ``agent`` edited, all or none; return the new :func:`view`.

    :param values: variable name -> new value
    :param versions: variable name -> the ``version`` the agent's value was based on
        (from :func:`view`); every name in ``values`` needs one
    :raises UnknownVariable: a name the call's queue does not define (status 400)
    :raises ReadOnlyVariable: a variable that is not editable (403)
    :raises ValueTooLong: a value over :data:`MAX_VALUE` characters (400)
    :raises InvalidValue: a value that is not text or holds a NUL, a missing version (400)
    :raises SaveConflict: someone saved one of them first (409); nothing was saved
    """
    record = _record(interaction)
    spec = variables(_queue(record))
    changes = [_checked(spec, name, value, versions) for name, value in values.items()]
    if not changes:
        return view(record)
    agent_id = _agent_id(agent)
    try:
        with _write_transaction():
            saved = _write(record.id, agent_id, changes)
    except _Lost as lost:
        current = {row.name: row for row in CallDataValue.select(CallDataValue, Agent)
                   .join(Agent, peewee.JOIN.LEFT_OUTER)
                   .where((CallDataValue.interaction == record.id) & CallDataValue.name.in_(lost.names))}
        log.info("call %s: %s lost a save of %s to an earlier save", record.id, _who(agent),
                 ", ".join(lost.names))
        raise SaveConflict(_conflict_message(lost.names, spec, current, agent_id, len(changes)),
                           lost.names, view(record)) from None
    if saved:
        log.info("call %s: %s saved call data %s", record.id, _who(agent), ", ".join(saved))
    return view(record)


class _RedactCallData(logging.Filter):
    """peewee logs every statement with its parameters at DEBUG (``switchdesk -v``):
    keep the statement, drop the parameters of those that touch call-data values."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if isinstance(msg, tuple) and len(msg) == 2 and isinstance(msg[0], str) \
                and f'"{CallDataValue._meta.table_name}"' in msg[0]:
            record.msg = (msg[0], "(parameters not logged: call data)")
        return True


logging.getLogger("peewee").addFilter(_RedactCallData())


# -- helpers ----------------------------------------------------------------------------
class _Lost(Exception):
    """Raised inside the save transaction to roll it back."""

    def __init__(self, names: list[str]):
        self.names = names


def _checked(spec: tuple[Variable, ...], name: str, value: object,
             versions: Mapping[str, int]) -> tuple[Variable, str, int]:
    variable = _variable(spec, name, status=400)
    if not variable.editable:
        raise ReadOnlyVariable(variable)
    if not isinstance(value, str):
        raise InvalidValue(f"'{variable.label}' must be text.", name)
    if len(value) > MAX_VALUE:
        raise ValueTooLong(variable, len(value))
    if "\x00" in value:
        raise InvalidValue(f"'{variable.label}' cannot contain a NUL character.", name)
    version = versions.get(name)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise InvalidValue(f"Send the version of '{variable.label}' you edited (a whole number).", name)
    return variable, value, version


def _write(interaction_id: str, agent_id: int, changes: list[tuple[Variable, str, int]]) -> list[str]:
    """All of one save, inside its transaction; the names written. Raises :class:`_Lost` to roll it back."""
    names = [variable.name for variable, _value, _version in changes]
    rows = {row.name: row for row in CallDataValue.select(CallDataValue.id, CallDataValue.name,
                                                          CallDataValue.value, CallDataValue.version)
            .where((CallDataValue.interaction == interaction_id) & CallDataValue.name.in_(names))}
    now = utcnow()
    lost = []
    saved = []
    for variable, value, version in changes:
        row = rows.get(variable.name)
        if row is not None and row.version == version and row.value == value:
            continue  # unchanged: no new version, so nobody else's save is refused for it
        if row is None and version == 0:
            try:
                with database.atomic():  # a savepoint: PostgreSQL aborts the transaction on an error
                    CallDataValue.insert(interaction=interaction_id, name=variable.name, value=value, version=1,
                                         updated_by=agent_id, updated_at=now).execute()
            except peewee.IntegrityError:
                lost.append(variable.name)
                continue
        elif row is None:
            lost.append(variable.name)
            continue
        else:
            count = (CallDataValue.update(value=value, version=CallDataValue.version + 1, updated_by=agent_id,
                                          updated_at=now)
                     .where((CallDataValue.id == row.id) & (CallDataValue.version == version)).execute())
            if count != 1:
                lost.append(variable.name)
                continue
        saved.append(variable.name)
    if lost:
        raise _Lost(lost)
    if saved:
        CallDataAudit.insert_many([{"interaction": interaction_id, "name": name, "agent": agent_id,
                                    "action": "save", "at": now} for name in saved]).execute()
    return saved


def _write_transaction():
    # SQLite: take the write lock when the transaction starts, so that a concurrent save
    # waits (busy_timeout) instead of failing when its read snapshot turns stale
    if isinstance(database.obj, peewee.SqliteDatabase):
        return database.atomic(lock_type="IMMEDIATE")
    return database.atomic()


def _conflict_message(names: list[str], spec: tuple[Variable, ...], current: dict, agent_id: int,
                      saving: int) -> str:
    labels = {variable.name: variable.label for variable in spec}
    by_saver: dict[str, list[str]] = {}
    for name in names:
        row = current.get(name)
        if row is None or row.updated_by_id is None:
            who = "Someone else"
        elif row.updated_by_id == agent_id:
            who = "You (in another window)"
        else:
            who = row.updated_by.name
        by_saver.setdefault(who, []).append(f"'{labels.get(name, name)}'")
    said = " and ".join(f"{who} saved {_listed(saved)}" for who, saved in by_saver.items())
    plural = len(names) > 1
    return (f"{said} first; your {'changes were' if saving > 1 else 'change was'} not saved. "
            f"The current {'values are' if plural else 'value is'} shown.")


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _variable(spec: tuple[Variable, ...], name: str, *, status: int) -> Variable:
    for variable in spec:
        if variable.name == name:
            return variable
    raise UnknownVariable(name, status=status)


def _id(interaction: Interaction | str) -> str:
    return interaction if isinstance(interaction, str) else interaction.id


def _record(interaction: Interaction | str) -> Interaction:
    if isinstance(interaction, Interaction):
        return interaction
    return Interaction.get_by_id(interaction)


def _queue(record: Interaction) -> Queue | None:
    return record.queue if record.queue_id else None


def _agent_id(agent: Agent | int) -> int:
    return agent if isinstance(agent, int) else agent.id


def _who(agent: Agent | int) -> str:
    return f"agent {agent}" if isinstance(agent, int) else agent.username
