"""Exactly once: two controller processes sharing one database launch 1,000 due callbacks,
each exactly once — on SQLite and on PostgreSQL (``TEST_DATABASE_URL``; skipped without it)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_URL = os.environ.get("TEST_DATABASE_URL")


def seed(count: int) -> tuple[list[int], list[int]]:
    """``count`` due callbacks: half for the queue (routing claims them), half agenda reminders."""
    from controller.db import database
    from controller.models import Agent, Callback, Queue, utcnow

    queue = Queue.create(name="race", label="Race")
    owner = Agent.create(username="owner", name="Owner", extension="1999", password_hash="x")
    now = utcnow()
    rows = []
    for i in range(count):
        personal = i % 2 == 1
        rows.append(dict(kind="personal" if personal else "web", launch="owner" if personal else "queue",
                         number=f"+1212555{i:04d}", queue=queue.id, owner=owner.id if personal else None,
                         due_at=now, enqueued_at=now, time_zone="UTC", window_start="00:00", window_end="24:00",
                         dedupe_key=f"race:{i}", created_at=now, updated_at=now))
    with database.atomic():
        for start in range(0, count, 200):
            Callback.insert_many(rows[start:start + 200]).execute()
    ids = [cb.id for cb in Callback.select(Callback.id, Callback.launch).order_by(Callback.id)]
    queue_ids = [r.id for r in Callback.select(Callback.id).where(Callback.launch == "queue")]
    owner_ids = [r.id for r in Callback.select(Callback.id).where(Callback.launch == "owner")]
    assert len(ids) == count
    return queue_ids, owner_ids


def race(url: str, tmp_path, count: int = 1000) -> None:
    from controller.db import database
    from controller.models import Callback, CallbackEvent

    queue_ids, owner_ids = seed(count)
    database.close()
    outs = [tmp_path / f"racer{i}.json" for i in (1, 2)]
    env = {**os.environ, "PYTHONPATH": ROOT}
    procs = [subprocess.Popen([sys.executable, "-m", "tests.callbacks.racer", url, f"racer-{i}", str(out),
                               str(outs[2 - i])], cwd=ROOT, env=env)
             for i, out in enumerate(outs, 1)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    won = [json.loads(out.read_text()) for out in outs]
    routed = [set(w["routed"]) for w in won]
    reminded = [set(w["reminded"]) for w in won]
    assert not routed[0] & routed[1] and not reminded[0] & reminded[1]          # nobody launched twice
    assert routed[0] | routed[1] == set(queue_ids)                            # nothing left behind
    assert reminded[0] | reminded[1] == set(owner_ids)
    # both launched some (which ones is timing: on SQLite one writer at a time can starve the other)
    assert all(r | m for r, m in zip(routed, reminded)), "both processes took part"
    assert sum(len(r) for r in routed + reminded) == count
    assert Callback.select().where(Callback.status != "offered").count() == 0
    offers = (CallbackEvent.select(CallbackEvent.callback).where(CallbackEvent.trigger == "offer"))
    assert offers.count() == count and len({e.callback_id for e in offers}) == count
    by = {e.callback_id: e.instance for e in CallbackEvent.select().where(CallbackEvent.trigger == "offer")}
    assert {cb for cb, who in by.items() if who == "racer-1"} == routed[0] | reminded[0]


def test_two_processes_on_sqlite_launch_each_callback_once(database, settings, tmp_path):
    race(settings.database_url, tmp_path)


@pytest.fixture
def private_postgres():
    """A database of its own on the PostgreSQL server (others may use ``test`` at the same time)."""
    import psycopg2

    parts = urlsplit(PG_URL)
    name = f"switchdesk_race_{os.getpid()}"
    admin = psycopg2.connect(PG_URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cur.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    yield url
    from controller.db import database

    if database.obj is not None:
        database.close()
        database.obj.close_all()
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="no PostgreSQL: set TEST_DATABASE_URL=postgresql://user@host:5432/db")
def test_two_processes_on_postgres_launch_each_callback_once(private_postgres, tmp_path):
    from controller.db import create_tables, database, open_database

    open_database(private_postgres)
    create_tables()
    assert "Postgres" in type(database.obj).__name__
    race(private_postgres, tmp_path)
