"""Writing interactions down: prepared SQL, transitions committed in groups.

A call writes its row when it starts and a little on every transition. peewee builds
SQL in Python on each query, which costs more than the rest of an event's handling; the
statements here are built once per database and only bound with values.

Committing costs even more: a SQLite commit writes every page it touched to the WAL,
~100 µs here, against ~10 µs for the statements of one transition. So a transition takes
its values at once and is queued, and one writer greenlet commits everything queued, in
one transaction and in the order written, as soon as the scheduler runs it: when the
greenlet that wrote (a call's dispatcher worker) waits on something or has emptied its
queue. Calls that change in the same turn of the event loop share a commit; nothing
waits on a timer. If a batch fails, its writes are retried one by one, so a bad write
loses only itself; it is logged (the handler that made it has moved on). A new call's
row is different: it is committed before :func:`insert_interaction` returns (with what
is queued), so it exists for whatever refers to it and its failure reaches the caller.

Code that must see the transitions at once (tests, shutdown), or that writes an
interaction's row directly right after a transition, calls :func:`flush` first.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import gevent
import peewee

from ..db import Prepared, database
from ..models import Interaction, InteractionEvent, utcnow

log = logging.getLogger(__name__)

_sql: dict[str, dict[str, str]] = {}

#: one write: (database, interaction id, [(statement name, values), ...])
_Write = tuple[peewee.Database, str, list[tuple[str, tuple]]]
#: transitions not yet committed, in order
_queued: list[_Write] = []
_writer: gevent.Greenlet | None = None
_committing = False  # the writer is inside a commit (it may be waiting on the database)


def _statements(db: peewee.Database) -> dict[str, str]:
    param = db.param
    sql = _sql.get(param)
    if sql is None:
        t_call = Interaction._meta.table_name
        t_hist = InteractionEvent._meta.table_name
        sql = _sql[param] = {
            "insert": (
                f'INSERT INTO "{t_call}" (id, queue_id, direction, kind, state, ani, dnis, customer_uuid, priority, '
                f'enqueued_at, end_reason, wrapup_reason, variables) VALUES ({", ".join([param] * 13)})'),
            "update": (
                f'UPDATE "{t_call}" SET state = {param}, agent_id = {param}, agent_uuid = {param}, '
                f'answered_at = {param}, ended_at = {param}, end_reason = {param} WHERE id = {param}'),
            "control": f'UPDATE "{t_call}" SET control = {param} WHERE id = {param}',
            "history": (
                f'INSERT INTO "{t_hist}" (interaction_id, at, source, "trigger", dest) '
                f'VALUES ({param}, {param}, {param}, {param}, {param})'),
        }
    return sql


def insert_interaction(record: Interaction) -> None:
    """Insert a new interaction row (the record's fields as they are now).

    Committed before this returns, together with the transitions queued so far: the row
    is there for whatever refers to it next, and a failure reaches the caller (which may
    undo what it reserved for the call).
    """
    write = (_database(), record.id, [("insert", (
        record.id, record.queue_id, record.direction, record.kind, record.state, record.ani, record.dnis,
        record.customer_uuid, record.priority, record.enqueued_at, record.end_reason, record.wrapup_reason,
        json.dumps(record.variables or {}, sort_keys=True)))])
    _wait_for_writer()
    batch = _queued[:]
    del _queued[:]
    batch.append(write)
    _commit(batch, raise_for=write)


def write_transition(record: Interaction, source: str, trigger: str, dest: str, at: dt.datetime | None = None) -> None:
    """Persist the row's live fields (as they are now) and one history line, committed together, soon."""
    global _writer
    _queued.append((_database(), record.id, [
        ("update", (dest, record.agent_id, record.agent_uuid, record.answered_at, record.ended_at, record.end_reason,
                    record.id)),
        ("history", (record.id, at or utcnow(), source, trigger, dest)),
    ]))
    if _writer is None:
        _writer = gevent.spawn(_write_queued)


def write_control(record: Interaction, control: dict | None) -> None:
    """Persist the call's in-flight control state (consulted party, extra legs, room), soon."""
    global _writer
    _queued.append((_database(), record.id, [
        ("control", (None if control is None else json.dumps(control, sort_keys=True), record.id))]))
    if _writer is None:
        _writer = gevent.spawn(_write_queued)


_WRAPUP_REASON = Prepared("UPDATE {table} SET wrapup_reason = {param} WHERE id = {param}", Interaction)


def write_wrapup_reason(call_id: str, reason: str) -> None:
    """The reason the agent chose at wrap-up, written at once (no transition's columns)."""
    _WRAPUP_REASON.execute(reason, call_id)


def flush() -> None:
    """Commit every queued transition now (after the writer, if it is busy, so the order holds)."""
    _wait_for_writer()
    _commit_queued()


def pending() -> int:
    """Transitions queued and not yet committed."""
    return len(_queued)


def _database() -> peewee.Database:
    db = database.obj
    if db is None:
        raise peewee.InterfaceError("no database opened")
    return db


def _wait_for_writer() -> None:
    """Let a commit in progress finish first; a writer that has not started finds nothing left."""
    if _committing and _writer is not gevent.getcurrent():
        _writer.join()


def _commit_queued() -> None:
    while _queued:
        batch = _queued[:]
        del _queued[:]
        _commit(batch)


def _write_queued() -> None:
    global _writer, _committing
    _committing = True
    try:
        _commit_queued()
    finally:
        _committing = False
        _writer = None
        if database.obj is not None and not database.is_closed():
            database.close()  # back to the pool, as every greenlet that is done with the database does


def _commit(batch: list[_Write], raise_for: _Write | None = None) -> None:
    """Commit the batch, one transaction per database; if that fails, each write on its own.

    A write that cannot be made is logged, or raised if it is ``raise_for``.
    """
    start = 0
    while start < len(batch):  # tests switch databases
        db = batch[start][0]
        stop = start + 1
        while stop < len(batch) and batch[stop][0] is db:
            stop += 1
        sql = _statements(db)
        try:
            with db.atomic():
                for _, _, statements in batch[start:stop]:
                    for name, values in statements:
                        db.execute_sql(sql[name], values)
        except Exception:
            if stop - start > 1:
                log.warning("a batch of %d interaction writes failed; writing them one by one", stop - start)
                for write in batch[start:stop]:
                    _commit([write], raise_for)
            elif batch[start] is raise_for:
                raise
            else:
                log.exception("could not write interaction %s", batch[start][1])
        finally:
            if db is not database.obj and not db.is_closed():
                db.close()
        start = stop
