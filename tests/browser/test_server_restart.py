"""The server drops the desktop's socket: the `switchdesk demo` process is stopped and started again (same
port, database and session key) while a contact is offered to the agent. The page reconnects by itself and
shows the new process's full snapshot: the stale request is gone, the agent's state is the new process's,
and the next contact is offered and answered as usual.

Its own demo (a restart would disturb the other modules' tests). The simulator runs inside the demo
process, so the calls of the old process end with it: on a real FreeSWITCH they would stay up and be
reconciled (see docs/call-control.md); the page's side of it is the same.
"""
from __future__ import annotations

import re

import pytest

from .conftest import QUIET_DEMO
from .stack import SALES_DID, call_pane, customer_calls, expect, phone, signed_in

pytestmark = pytest.mark.browser

DEMO_OPTIONS = QUIET_DEMO


def test_the_desktop_comes_back_from_a_server_restart_with_a_full_snapshot(new_page, demo, screenshot):
    check = expect()
    phone(demo, "alice", answer_after=120)  # rings until the desktop's Accept
    page = signed_in(new_page, "alice", "available")
    customer_calls(demo, SALES_DID, ani="+15550003333")
    stale = page.locator(".offer[data-call-id]")
    check(stale).to_be_visible()
    check(stale.locator(".f-ani")).to_have_text("+15550003333")
    stale_id = stale.get_attribute("data-call-id")
    check(page.locator("#state-badge")).to_have_text("Ringing")
    first_socket = page.evaluate("SD.socket.id")  # the Socket.IO session the server gave this page

    demo.stop()
    # the server closed the socket: the page says so, and what it shows may be out of date
    check(page.locator("#connection")).to_have_text("Reconnecting…")
    check(page.locator("body")).to_have_class(re.compile(r"\boffline\b"))
    assert page.evaluate("SD.socket.connected") is False
    check(stale).to_be_visible()  # still on screen, dimmed: only the server can say it is over
    demo.restart()

    # a new socket to the new process, and its snapshot replaces everything on the page
    check(page.locator("#connection")).to_have_text("Live", timeout=30_000)
    check(page.locator(f'.offer[data-call-id="{stale_id}"]')).to_have_count(0)
    check(page.locator("#offers")).to_be_hidden()
    check(page.locator("#state-badge")).to_have_text("Available")  # an offer does not survive a restart
    check(page.locator("#interaction-empty")).to_be_visible()
    assert page.evaluate("SD.socket.connected") is True
    assert page.evaluate("SD.socket.id") not in (None, first_socket)  # a new session, of the new process

    # the page is live on the new process: the next contact is offered, accepted and connected
    phone(demo, "alice", answer_after=120)
    customer_calls(demo, SALES_DID, ani="+15550003344")
    offer = page.locator(".offer[data-call-id]")
    check(offer.locator(".f-ani")).to_have_text("+15550003344")
    assert offer.get_attribute("data-call-id") != stale_id
    offer.locator(".act-accept").click()
    check(call_pane(page).locator(".call-state")).to_have_text("Connected")
    check(page.locator("#state-badge")).to_have_text("On call")
    screenshot(page, "desktop-after-restart")
