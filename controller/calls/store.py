"""Writing interactions down: prepared SQL, committed in groups.

A call writes its row when it starts and a little on every transition. peewee builds
SQL in Python on each query, which costs more than the rest of an event's handling; the
statements here are built once per database and only bound with values.

Committing costs even more: a SQLite commit writes every page it touched to the WAL,
~100 µs here, against ~10 µs for the statements of one transition. So a write takes its
values at once and is queued, and one writer greenlet commits everything queued, in one
transaction and in the order written, as soon as the scheduler runs it: when the
greenlet that wrote (a call's dispatcher worker) waits on something or has emptied its
queue. Calls that change in the same turn of the event loop share a commit; nothing
waits on a timer. If a batch fails, its writes are retried one by one, so a bad write
loses only itself; it is logged (the handler that made it has moved on).

Code that must see the rows at once (tests, shutdown), or that writes an interaction's
row directly or a row referring to one right after queuing a write for it, calls
:func:`flush` first.
"""
from __future__ import annotations

import datetime as dt
import json
import logging

import gevent
import peewee

from ..db import database
from ..models import Interaction, InteractionEvent, utcnow

log = logging.getLogger(__name__)

_sql: dict[str, dict[str, str]] = {}

#: writes not yet committed, in order: (database, interaction id, [(statement name, values), ...])
_queued: list[tuple[peewee.Database, str, list[tuple[str, tuple]]]] = []
_writer: gevent.Greenlet | None = None


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
            "history": (
                f'INSERT INTO "{t_hist}" (interaction_id, at, source, "trigger", dest) '
                f'VALUES ({param}, {param}, {param}, {param}, {param})'),
        }
    return sql


def insert_interaction(record: Interaction) -> None:
    """Insert a new interaction row (the record's fields as they are now)."""
    _queue(record.id, [("insert", (
        record.id, record.queue_id, record.direction, record.kind, record.state, record.ani, record.dnis,
        record.customer_uuid, record.priority, record.enqueued_at, record.end_reason, record.wrapup_reason,
        json.dumps(record.variables or {}, sort_keys=True)))])


def write_transition(record: Interaction, source: str, trigger: str, dest: str, at: dt.datetime | None = None) -> None:
    """Persist the row's live fields (as they are now) and one history line, committed together."""
    _queue(record.id, [
        ("update", (dest, record.agent_id, record.agent_uuid, record.answered_at, record.ended_at, record.end_reason,
                    record.id)),
        ("history", (record.id, at or utcnow(), source, trigger, dest)),
    ])


def flush() -> None:
    """Commit every queued write now (waits for the writer if it is busy, so the order holds)."""
    writer = _writer
    if writer is not None and writer is not gevent.getcurrent():
        writer.join()
    _commit_queued()


def pending() -> int:
    """Writes queued and not yet committed."""
    return len(_queued)


def _queue(interaction_id: str, statements: list[tuple[str, tuple]]) -> None:
    global _writer
    db = database.obj
    if db is None:
        raise peewee.InterfaceError("no database opened")
    _queued.append((db, interaction_id, statements))
    if _writer is None:
        _writer = gevent.spawn(_write_queued)


def _commit_queued() -> None:
    while _queued:
        batch = _queued[:]
        del _queued[:]
        _commit(batch)


def _write_queued() -> None:
    global _writer
    try:
        _commit_queued()
    finally:
        _writer = None
        if database.obj is not None and not database.is_closed():
            database.close()  # back to the pool, as every greenlet that is done with the database does


def _commit(batch: list) -> None:
    start = 0
    while start < len(batch):  # one transaction per database (tests switch databases)
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
            if stop - start == 1:
                log.exception("could not write interaction %s", batch[start][1])
            else:
                log.warning("a batch of %d interaction writes failed; writing them one by one", stop - start)
                for one in batch[start:stop]:
                    _commit([one])
        finally:
            if db is not database.obj and not db.is_closed():
                db.close()
        start = stop
