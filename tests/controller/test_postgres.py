"""The call flows of test_reconcile on PostgreSQL (``TEST_DATABASE_URL``; .ci/run sets it)."""
from __future__ import annotations

import os

import pytest

from . import test_reconcile

URL = os.environ.get("TEST_DATABASE_URL")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="no PostgreSQL: set TEST_DATABASE_URL=postgresql://user@host:5432/db"),
]


@pytest.fixture
def settings(settings):
    from controller import models
    from controller.db import database, open_database

    settings.database_url = URL
    open_database(URL)
    database.drop_tables(models.ALL_MODELS, safe=True, cascade=True)
    database.close()
    database.obj.close_all()
    return settings


def test_call_flow_on_postgres(live_center, simulator, people, pushes):
    from controller.db import database

    assert "Postgres" in type(database.obj).__name__
    test_reconcile.test_call_flows_from_queue_to_agent_and_ends_in_wrap_up(live_center, simulator, people, pushes)


def test_controller_restart_on_postgres(live_center, simulator, people, settings):
    test_reconcile.test_controller_restart_adopts_live_calls_and_finishes_gone_ones(
        live_center, simulator, people, settings)


CLOSE_WHILE_A_QUERY_WAITS = """
import sys, gevent
from controller.db import database, open_database

db = open_database(sys.argv[1])
def slow():
    database.execute_sql("SELECT pg_sleep(0.5)")
busy = gevent.spawn(slow)
gevent.sleep(0.1)              # its query now waits for the server, inside psycopg2's connection lock
db.close_all()                 # plain psycopg2 would block this thread for good here
busy.join(5)
print("closed", type(busy.exception).__name__ if busy.exception else "ok")
"""


def test_closing_the_pool_while_another_greenlet_waits_on_a_query_does_not_hang():
    """In its own process: a hang here would otherwise hang the whole test run."""
    import subprocess
    import sys

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", CLOSE_WHILE_A_QUERY_WAITS, URL], cwd=root, timeout=30,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": root})
    assert done.returncode == 0, done.stderr
    # the query ran to its end before its connection was closed
    assert done.stdout.split() == ["closed", "ok"]
