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
