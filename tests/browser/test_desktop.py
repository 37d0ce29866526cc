"""The agent desktop in a real headless Chromium against `switchdesk demo`."""
from __future__ import annotations

import re
import sqlite3

import pytest

from .conftest import sign_in

pytestmark = pytest.mark.browser


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


def test_wrong_password_is_refused(new_page, screenshot):
    page = new_page()
    sign_in(page, "alice", "wrong")
    expect()(page.locator("#login-error")).to_have_text("Wrong username or password.")
    screenshot(page, "login-refused")


def test_agent_takes_a_call_from_offer_to_wrap_up(new_page, demo, screenshot):
    check = expect()
    page = new_page()
    page.goto("/login")
    screenshot(page, "login")
    sign_in(page, "alice")
    check(page).to_have_url(demo.url + "/")
    check(page.locator("#connection")).to_have_text("Live")
    check(page.locator("#state-badge")).to_have_text("Logged out")
    screenshot(page, "desktop-logged-out")

    page.select_option("#state-select", "available")
    page.click("#state-apply")
    # customers are waiting: the offer popover comes at once, then the phone answers
    # the popover is up only while the phone rings (about a second): read it at once
    offer = page.wait_for_selector(".offer[data-call-id]", state="visible")
    facts = offer.evaluate("n => Object.fromEntries([...n.querySelectorAll('dd')].map(d => [d.className, d.textContent]))")
    assert facts["f-queue"] in ("sales", "support")
    assert re.fullmatch(r"\+1555\d{7}", facts["f-ani"])
    assert facts["f-dnis"] in ("8005550100", "8005550200")
    assert facts["f-kind"] == "Inbound"
    assert re.fullmatch(r"\d+:\d\d", facts["f-waited"])

    call = page.locator("#interaction-calls .call").first
    check(call.locator(".call-state")).to_have_text("Connected")
    check(page.locator("#state-badge")).to_have_text("On call")
    check(page.locator(".offer")).to_have_count(0)
    check(call.locator(".act-hangup")).to_be_enabled()
    call_id = call.get_attribute("data-call-id")
    screenshot(page, "desktop-on-call")

    # the controller refuses to log out an agent on a call: the page says why and changes nothing
    page.select_option("#state-select", "logged_out")
    page.click("#state-apply")
    check(page.locator("#alerts")).to_contain_text("cannot logout: agent alice is on a call")
    check(page.locator("#state-badge")).to_have_text("On call")
    screenshot(page, "desktop-refused")
    page.click("#alerts .alert-close")

    call.locator(".act-hangup").click()
    check(page.locator("#state-badge")).to_have_text("Wrap-up")
    check(call.locator(".call-state")).to_have_text("Ended – wrap-up")
    check(call.locator(".act-wrapup")).to_be_enabled()
    call.locator(".wrapup-reason").select_option("Follow-up needed")
    screenshot(page, "desktop-wrap-up")

    call.locator(".act-wrapup").click()
    check(page.locator(f'#call-{call_id}')).to_have_count(0)
    check(page.locator("#state-badge")).not_to_have_text("Wrap-up")
    with sqlite3.connect(demo.database) as db:
        row = db.execute("select state, wrapup_reason from interaction where id = ?", (call_id,)).fetchone()
    assert row == ("ended", "Follow-up needed")


def test_supervisor_sees_agent_state_change_live(new_page):
    check = expect()
    supervisor = new_page()
    sign_in(supervisor, "sam")
    check(supervisor.locator("#connection")).to_have_text("Live")
    check(supervisor.locator("#queues-table tbody tr")).to_have_count(2)

    agent = new_page()
    sign_in(agent, "carol")
    check(agent.locator("#connection")).to_have_text("Live")
    # keyboard only: the state menu and its Set button are ordinary focusable controls
    agent.focus("#state-select")
    agent.keyboard.press("Home")       # the menu shows the current state (Log out): go to Available
    agent.keyboard.press("ArrowDown")  # -> Idle – Break
    agent.keyboard.press("ArrowDown")  # -> Idle – Lunch
    agent.keyboard.press("Tab")
    check(agent.locator("#state-apply")).to_be_focused()
    agent.keyboard.press("Enter")
    check(agent.locator("#state-badge")).to_have_text("Idle – Lunch")

    row = supervisor.locator("#agents-table tr", has_text="Carol Agent")
    check(row.locator(".badge")).to_have_text("Idle")
    check(row).to_contain_text("Lunch")


def test_reconnect_shows_the_current_state(new_page):
    check = expect()
    page = new_page()
    sign_in(page, "bob")
    check(page.locator("#connection")).to_have_text("Live")
    check(page.locator("#state-badge")).to_have_text("Logged out")

    page.evaluate("SD.socket.disconnect()")
    check(page.locator("#connection")).to_have_text("Reconnecting…")
    # the state changes while the page is not listening: no push can reach it
    status = page.evaluate("""async () => (await SD.api("POST", "/api/agent/state",
                                            {state: "idle", reason: "Meeting"})).status""")
    assert status == 200
    check(page.locator("#state-badge")).to_have_text("Logged out")

    page.evaluate("SD.socket.connect()")
    check(page.locator("#connection")).to_have_text("Live")
    check(page.locator("#state-badge")).to_have_text("Idle – Meeting")
