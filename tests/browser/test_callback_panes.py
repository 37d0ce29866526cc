"""The desktop's callback work in a real headless Chromium against `switchdesk demo`: the ring-timeout
countdown, the Callback popover, Agenda from wrap-up with its due reminder, Missed calls (requests above
abandoned calls, a notification only for requests) and calling back with one click.

One demo for the module with no automatic customers; each test places its calls through the
simulator's control API and the demo is put back to rest after it (calls, agents and callbacks).
"""
from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from .conftest import QUIET_DEMO
from .stack import (SALES_DID, SUPPORT_DID, call_pane, channels, customer_calls, expect, phone, settle_all,
                    signed_in, sim, wait_for)

pytestmark = pytest.mark.browser

MAIN_MENU_DID = "8005550300"  # the demo's IVR: 3 asks for a callback from sales


DEMO_OPTIONS = QUIET_DEMO


@pytest.fixture(autouse=True)
def at_rest(demo):
    yield
    settle_all(demo)


def ivr_callback_request(demo, ani: str) -> None:
    """A caller of the IVR presses 3: a callback request for sales, and the caller is thanked and hung up."""
    uuid = sim(demo, "POST", "/calls", {"did": MAIN_MENU_DID, "ani": ani})["uuid"]
    wait_for("the caller hears the menu", lambda: (channels(demo).get(uuid) or {}).get("hears", "").startswith(
        "playback:ivr/"), timeout=15)
    sim(demo, "POST", f"/channels/{uuid}/dtmf", {"digits": "3"})
    wait_for("the caller is thanked and hung up", lambda: channels(demo).get(uuid, {}).get("state") in
             (None, "CS_HANGUP", "CS_REPORTING", "CS_DESTROY"), timeout=15)


def abandoned_call(demo, ani: str) -> None:
    """A caller of sales hangs up while waiting (nobody takes calls)."""
    uuid = customer_calls(demo, SALES_DID, ani=ani)
    wait_for("the caller waits with music", lambda: (channels(demo).get(uuid) or {}).get("hears") == "moh")
    sim(demo, "POST", f"/channels/{uuid}/hangup", {})


def seconds_shown(text: str) -> int:
    minutes, seconds = text.split(":")
    return int(minutes) * 60 + int(seconds)


def test_the_contact_request_counts_down_the_real_ring_timeout_also_after_a_reload(new_page, demo, screenshot):
    check = expect()
    phone(demo, "carol", answer_after=120)  # rings until its ring timeout (15 s in the demo queues)
    page = signed_in(new_page, "carol", "available")
    customer_calls(demo, SUPPORT_DID, ani="+15550002222")
    offer = page.locator(".offer[data-call-id]")
    countdown = offer.locator(".offer-countdown")
    check(countdown).to_have_attribute("data-mode", "down")
    check(countdown).to_have_text(re.compile(r"^0:(0\d|1[0-5])$"))
    left = seconds_shown(countdown.inner_text())
    assert 0 < left <= 15
    check(countdown).to_have_attribute("aria-label", re.compile(r"^\d+ seconds left to answer$"))
    # the bar shrinks with the time left
    check(offer.locator(".offer-progress")).to_be_visible()
    screenshot(page, "desktop-offer-countdown")

    # two seconds on, a page loaded afresh shows what is left, not a new ring timeout
    check(countdown).to_have_text(re.compile(r"^0:(0\d|1[0-3])$"))
    page.reload()
    check(page.locator("#connection")).to_have_text("Live")
    again = page.locator(".offer[data-call-id] .offer-countdown")
    check(again).to_have_attribute("data-mode", "down")
    assert seconds_shown(again.inner_text()) <= 13
    width = page.evaluate("parseFloat(document.querySelector('.offer-progress-bar').style.width)")
    assert width < 100
    # the ring timeout ends it: RONA, and the popover is gone
    check(page.locator("#rona")).to_be_visible(timeout=25_000)
    check(page.locator(".offer")).to_have_count(0)


def test_a_callback_offered_by_routing_is_a_callback_popover_that_can_be_declined_or_accepted(
        new_page, demo, screenshot):
    check = expect()
    page = signed_in(new_page, "bob", "available")
    ivr_callback_request(demo, "+15550004444")
    card = page.locator(".offer-callback")
    check(card).to_be_visible(timeout=15_000)
    check(card.locator(".offer-kind")).to_have_text("Callback")
    check(card.locator(".offer-title")).to_have_text("Callback for sales")
    check(card.locator(".f-ani")).to_have_text("+15550004444")
    check(card.locator(".f-queue")).to_have_text("sales")
    check(card.locator(".f-dnis")).to_have_text(MAIN_MENU_DID)
    check(card.locator(".offer-countdown")).to_have_text(re.compile(r"^0:(0\d|1[0-5])$"))
    check(page.locator("#state-badge")).to_have_text("Ringing")
    screenshot(page, "desktop-callback-offer")
    # a reload keeps the popover (the snapshot carries it)
    page.reload()
    check(page.locator(".offer-callback .f-ani")).to_have_text("+15550004444")

    page.locator(".offer-callback .act-decline").click()
    check(page.locator(".offer-callback")).to_have_count(0)
    check(page.locator("#state-badge")).to_have_text("Available")
    # declined: it stays a request in Missed calls, and bob is not offered it again
    check(page.locator("#missed-list .cb-item .cb-who")).to_have_text(["+15550004444"])

    ivr_callback_request(demo, "+15550005555")
    card = page.locator(".offer-callback")
    check(card.locator(".f-ani")).to_have_text("+15550005555", timeout=15_000)
    card.locator(".act-accept").click()
    pane = call_pane(page)
    check(pane.locator(".f-kind")).to_have_text("Callback")
    check(pane.locator(".f-ani")).to_have_text("+15550005555")
    check(pane.locator(".call-state")).to_have_text("Connected", timeout=15_000)  # after the queue's call delay
    check(page.locator(".offer-callback")).to_have_count(0)


def test_agenda_from_wrap_up_is_listed_and_its_due_reminder_calls_with_one_click(new_page, demo, screenshot):
    check = expect()
    page = signed_in(new_page, "alice", "available")
    uuid = customer_calls(demo, SALES_DID, ani="+12125550123")
    pane = call_pane(page)
    check(pane.locator(".call-state")).to_have_text("Connected")
    sim(demo, "POST", f"/channels/{uuid}/hangup", {})
    check(page.locator("#state-badge")).to_have_text("Wrap-up")
    pane.locator(".act-agenda").click()

    dialog = page.locator("#agenda-dialog")
    check(dialog).to_be_visible()
    check(page.locator("#agenda-number")).to_have_value("+12125550123")
    check(page.locator("#agenda-zone")).to_have_value("America/New_York")  # the customer's, from the number
    check(page.locator("#agenda-scope-global-item")).to_be_hidden()       # sales has no campaign
    check(page.locator("#agenda-date")).to_be_focused()
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/api/agenda" in r.url else None)

    # bad input: a sentence, and nothing is sent
    page.fill("#agenda-number", "212 555 01ab")
    page.click("#agenda-save")
    check(page.locator("#agenda-message")).to_have_text(
        "Letters are not allowed in a number (found 'a'): type the digits.")
    check(page.locator("#agenda-number")).to_be_focused()
    page.fill("#agenda-number", "+1 212 555 0123")
    page.fill("#agenda-date", "2020-01-01")
    page.fill("#agenda-time", "10:00")
    page.click("#agenda-save")
    check(page.locator("#agenda-message")).to_have_text("2020-01-01 10:00 (America/New_York) has already passed.")
    page.fill("#agenda-zone", "Mars/Olympus")
    page.click("#agenda-save")
    check(page.locator("#agenda-message")).to_have_text(
        "'Mars/Olympus' is not a time zone (use names like Europe/Paris).")
    assert posted == []
    check(page.locator("#agenda-list .cb-item")).to_have_count(0)

    # this minute on the customer's clock: due at once
    now = dt.datetime.now(ZoneInfo("America/New_York"))
    page.fill("#agenda-zone", "America/New_York")
    page.fill("#agenda-date", now.date().isoformat())
    page.fill("#agenda-time", now.strftime("%H:%M"))
    page.fill("#agenda-reason", "Send the quote")
    screenshot(page, "desktop-agenda-dialog")
    page.click("#agenda-save")
    check(dialog).to_be_hidden()
    assert len(posted) == 1
    # saved, and the call wrapped up with the disposition Agenda
    check(page.locator("#state-badge")).to_have_text("Available")
    item = page.locator("#agenda-list .cb-item")
    check(item).to_have_count(1)
    check(item.locator(".cb-who")).to_have_text("+12125550123")
    check(item.locator(".cb-detail")).to_contain_text("Send the quote")

    # due: the reminder is pushed to alice
    reminder = page.locator(".notice-reminder")
    check(reminder).to_be_visible(timeout=10_000)
    check(reminder).to_contain_text("Agenda: call +12125550123 now.")
    check(reminder).to_contain_text("Reason: Send the quote")
    check(item.locator(".cb-kind")).to_have_text("Due now")
    screenshot(page, "desktop-agenda-reminder")

    # one click calls: alice's phone, then the customer
    reminder.locator(".notice-action").click()
    check(pane.locator(".f-kind")).to_have_text("Callback")
    check(pane.locator(".f-ani")).to_have_text("+12125550123")
    check(pane.locator(".call-state")).to_have_text("Connected", timeout=15_000)
    check(page.locator(".notice-reminder")).to_have_count(0)
    # the agenda entry shows it is being called
    check(item.locator(".cb-call")).to_be_disabled()


def test_missed_calls_put_requests_above_abandoned_calls_notify_only_requests_and_call_back(
        new_page, demo, screenshot):
    check = expect()
    page = signed_in(new_page, "alice", "idle:Back office")       # idle: routing offers alice nothing
    ivr_callback_request(demo, "+15550006666")
    notice = page.locator(".notice-request")
    check(notice).to_have_count(1)
    check(notice).to_contain_text("New callback request from +15550006666")
    abandoned_call(demo, "+15550007777")                          # newer, and below it

    items = page.locator("#missed-list .cb-item")
    check(items.locator(".cb-who")).to_have_text(["+15550006666", "+15550007777"])
    check(items.locator(".cb-kind")).to_have_text(["Callback request", "Abandoned"])
    check(page.locator("#missed-requests")).to_have_text("1 callback request")
    check(page.locator(".notice")).to_have_count(1)               # the abandoned call made none
    screenshot(page, "desktop-missed-calls")

    # after a reconnect the list is the same, and no old request is announced again
    page.context.set_offline(True)
    check(page.locator("#connection")).to_have_text("Reconnecting…")
    abandoned_call(demo, "+15550008888")                          # while the page is away
    page.context.set_offline(False)
    check(page.locator("#connection")).to_have_text("Live", timeout=20_000)
    check(items.locator(".cb-who")).to_have_text(["+15550006666", "+15550008888", "+15550007777"])
    check(page.locator(".notice")).to_have_count(1)

    # call back with one click
    items.nth(2).locator(".cb-call").click()
    pane = call_pane(page)
    check(pane.locator(".f-kind")).to_have_text("Callback")
    check(pane.locator(".f-ani")).to_have_text("+15550007777")
    check(pane.locator(".call-state")).to_have_text("Connected", timeout=15_000)
    check(items.nth(2).locator(".cb-detail")).to_contain_text("Connected")
    # the other entries cannot be called while alice is on a call
    check(items.nth(0).locator(".cb-call")).to_be_disabled()
