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


from .test_campaign_admin import made, renewals, sam  # noqa: E402,F401 - fixtures of the flows below
from .test_dispositions import campaign  # noqa: E402,F401


def test_campaign_administration_on_postgres(sam, made, contact_center, people):
    from . import test_campaign_admin

    test_campaign_admin.test_contacts_are_listed_by_status_progress_counts_them_and_removal_cancels_their_callback(
        sam, made, contact_center, people)
    again = sam.post("/api/campaigns", json={**test_campaign_admin.BASE, "name": "SPRING RENEWALS", "queue": "sales"})
    assert again.status_code == 409 and "already called" in again.get_json()["error"]


def test_campaign_disposition_and_global_callback_on_postgres(campaign, live_center, simulator, pushes, people,
                                                              signed_in):
    from . import test_dispositions

    test_dispositions.test_a_wrapped_up_call_back_comes_back_into_the_list_and_is_dialed_and_offered_again(
        campaign, live_center, simulator, pushes, people, signed_in)
