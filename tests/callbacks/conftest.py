"""Callback fixtures: short prompts and a fast scheduler, the web app, and helpers over the real stack.

Prompts are ``silence_stream://`` sources of a fraction of a second (the simulator plays
any file for 2 s), the scheduler runs every 0.2 s and a lease lasts 2 s, so the flows
run in test time; everything else is the real controller, simulator and app.
"""
from __future__ import annotations

import pytest

from controller.callbacks.prompts import DEFAULT_PROMPTS

FAST_ENV = {
    "SWITCHDESK_CALLBACK_INTERVAL": "0.2",
    "SWITCHDESK_CALLBACK_LEASE": "2",
    "SWITCHDESK_CALLBACK_RING_TIMEOUT": "3",
    "SWITCHDESK_ANNOUNCE_FIRST_AFTER": "0.3",
    **{f"SWITCHDESK_PROMPT_{name.upper()}": f"silence_stream://{100 + i}" for i, name in enumerate(DEFAULT_PROMPTS)
       if name != "beep"},
}
CUSTOMER = "+12125550123"


@pytest.fixture(autouse=True)
def fast_callbacks(monkeypatch):
    for name, value in FAST_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture(autouse=True)
def reconciled(request, fast_callbacks):
    """Tests on the live stack start once the controller's start-up reconciliation is over."""
    if "live_center" in request.fixturenames:
        cc = request.getfixturevalue("live_center")
        request.getfixturevalue("simulator").wait_for(lambda: cc._callbacks_reconciled, timeout=10)


def prompt(name: str) -> str:
    return FAST_ENV[f"SWITCHDESK_PROMPT_{name.upper()}"]


from tests.web.conftest import app, signed_in, socketio, web  # noqa: E402,F401 - the web fixtures, shared


def callback_rows(**where):
    from controller.models import Callback

    query = Callback.select().order_by(Callback.id)
    for name, value in where.items():
        query = query.where(getattr(Callback, name) == value)
    return list(query)


def history(cb_id):
    from controller.models import CallbackEvent

    return [(e.source, e.trigger, e.dest) for e in
            CallbackEvent.select().where(CallbackEvent.callback == cb_id).order_by(CallbackEvent.id)]


@pytest.fixture
def sales(people):
    """The ``sales`` queue with callbacks offered to waiting callers (key 1) and a 1 s call delay."""
    queue = people.queue
    queue.callback_digit = "1"
    queue.call_delay = 1
    queue.caller_id_number = ""
    queue.save()
    return queue
