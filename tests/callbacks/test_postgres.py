"""Callback flows on PostgreSQL (``TEST_DATABASE_URL``; .ci/run sets it), in a database of their own."""
from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import pytest

from . import test_restart

URL = os.environ.get("TEST_DATABASE_URL")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="no PostgreSQL: set TEST_DATABASE_URL=postgresql://user@host:5432/db"),
]


@pytest.fixture
def settings(settings):
    import psycopg2

    name = f"switchdesk_callbacks_{os.getpid()}"
    admin = psycopg2.connect(URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    settings.database_url = urlunsplit(urlsplit(URL)._replace(path=f"/{name}"))
    yield settings
    from controller.db import database

    if database.obj is not None:
        database.close()
        database.obj.close_all()
    admin = psycopg2.connect(URL)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


def test_restart_while_dialing_on_postgres(sales, live_center, simulator, settings, people, pushes):
    from controller.db import database

    assert "Postgres" in type(database.obj).__name__
    sales.callback_window_start, sales.callback_window_end, sales.call_delay = "00:00", "24:00", 0
    sales.save()
    live_center.reload_queues()
    dialed = []
    simulator.add_listener(lambda event: dialed.append(event.get("Caller-Destination-Number"))
                           if event.name == "CHANNEL_CREATE" and event.get("Call-Direction") == "outbound" else None)
    test_restart.test_restart_while_dialing_adopts_the_call_and_never_dials_again(
        live_center, simulator, settings, people, pushes, dialed)
