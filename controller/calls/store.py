"""Writing interactions down: the few statements every call runs, as prepared SQL.

A call writes its row when it starts and a little on every transition. peewee builds
SQL in Python on each query, which costs more than the rest of an event's handling; the
statements here are built once per database and only bound with values.
"""
from __future__ import annotations

import datetime as dt
import json

from ..db import database
from ..models import Interaction, InteractionEvent, utcnow

_sql: dict[str, str] = {}


def _statements() -> dict[str, str]:
    param = database.obj.param if database.obj is not None else "?"
    key = param
    if _sql.get("param") != key:
        t_call = Interaction._meta.table_name
        t_hist = InteractionEvent._meta.table_name
        _sql.clear()
        _sql["param"] = key
        _sql["insert"] = (
            f'INSERT INTO "{t_call}" (id, queue_id, direction, kind, state, ani, dnis, customer_uuid, priority, '
            f'enqueued_at, end_reason, wrapup_reason, variables) VALUES ({", ".join([param] * 13)})')
        _sql["update"] = (
            f'UPDATE "{t_call}" SET state = {param}, agent_id = {param}, agent_uuid = {param}, '
            f'answered_at = {param}, ended_at = {param}, end_reason = {param} WHERE id = {param}')
        _sql["history"] = (
            f'INSERT INTO "{t_hist}" (interaction_id, at, source, "trigger", dest) '
            f'VALUES ({param}, {param}, {param}, {param}, {param})')
    return _sql


def insert_interaction(record: Interaction) -> None:
    """Insert a new interaction row (the record's fields as they are)."""
    database.execute_sql(_statements()["insert"], (
        record.id, record.queue_id, record.direction, record.kind, record.state, record.ani, record.dnis,
        record.customer_uuid, record.priority, record.enqueued_at, record.end_reason, record.wrapup_reason,
        json.dumps(record.variables or {}, sort_keys=True)))


def write_transition(record: Interaction, source: str, trigger: str, dest: str, at: dt.datetime | None = None) -> None:
    """Persist the row's live fields and one history line, in one transaction."""
    sql = _statements()
    with database.atomic():
        database.execute_sql(sql["update"], (
            dest, record.agent_id, record.agent_uuid, record.answered_at, record.ended_at, record.end_reason,
            record.id))
        database.execute_sql(sql["history"], (record.id, at or utcnow(), source, trigger, dest))
