"""The address book of the transfer/consult dialog and the New call form, and the agent's Call back during a
call (typed, or keyed in by the customer with DTMF), in headless Chromium against `switchdesk demo`.

One quiet demo for the module: each test places its calls through the simulator's control API and asks the
simulator what the channels do; the demo is put back to rest after each test.
"""
from __future__ import annotations

import urllib.error

import pytest

from .conftest import QUIET_DEMO
from .stack import (SALES_DID, Desk, call_pane, channels, customer_calls, expect, hears, phone_leg, settle, sim,
                    signed_in, wait_for)

pytestmark = pytest.mark.browser

DEMO_OPTIONS = QUIET_DEMO
BOOK = [{"name": "Billing hotline", "number": "+1 212 555 0100", "team": "Finance", "note": "Mon-Fri 9-17"},
        {"name": "Claims desk", "number": "(212) 555-0111", "team": "Insurance"},
        {"name": "IT helpdesk London", "number": "+44 20 7946 0958", "team": "IT"}]


def live(channel: dict) -> bool:
    return channel["state"] not in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")


@pytest.fixture(autouse=True)
def at_rest(demo):
    yield
    for channel in channels(demo).values():  # callback and consult legs are outbound: settle() leaves them
        if live(channel) and channel["direction"] == "outbound" and not channel["destination"].startswith("user/"):
            try:
                sim(demo, "POST", f"/channels/{channel['uuid']}/hangup", {})
            except urllib.error.HTTPError:
                pass
    settle(demo)
    sam = Desk(demo, "sam")
    for entry in sam.get("/api/address-book").json()["entries"]:
        sam.delete(f"/api/address-book/{entry['id']}")
    for cb in sam.get("/api/callbacks?view=all").json()["callbacks"]:
        sam.post(f"/api/callbacks/{cb['id']}/cancel")


@pytest.fixture
def book(demo):
    sam = Desk(demo, "sam")
    for entry in BOOK:
        response = sam.post("/api/address-book", entry)
        assert response.status_code == 201, response.text
    return sam


def test_the_consult_dialog_filters_the_address_book_and_consults_the_picked_number(new_page, demo, book, screenshot):
    check = expect()
    alice = signed_in(new_page, "alice", "available")
    customer = customer_calls(demo, SALES_DID, ani="+15550004444")
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")

    call.locator(".act-consult").click()
    dialog = alice.locator("#target-dialog")
    check(dialog).to_be_visible()
    entries = dialog.locator("#target-book .book-entry")
    check(entries).to_have_count(3)
    check(entries.locator(".target-name")).to_have_text(["Billing hotline", "Claims desk", "IT helpdesk London"])
    check(entries.nth(0).locator(".book-number")).to_have_text("+12125550100")  # kept as it is dialed
    check(entries.nth(0).locator(".target-meta")).to_have_text("Finance · Mon-Fri 9-17")

    # filter by a word of the name or team, or by digits of the number
    dialog.locator("#target-book-filter").fill("0958")
    check(entries.locator(".target-name")).to_have_text(["IT helpdesk London"])
    dialog.locator("#target-book-filter").fill("nobody here")
    check(entries).to_have_count(0)
    check(dialog.locator("#target-book-status")).to_have_text("No entry matches 'nobody here'.")
    dialog.locator("#target-book-filter").fill("insur")
    check(entries.locator(".target-name")).to_have_text(["Claims desk"])
    screenshot(alice, "desktop-address-book")

    # keyboard: down to the entry, Enter picks it: the number field is filled and chosen, with the focus
    alice.keyboard.press("ArrowDown")
    check(entries.first).to_be_focused()
    alice.keyboard.press("Enter")
    check(dialog.locator("#target-number")).to_have_value("+12125550111")
    check(dialog.locator("#target-number-choice")).to_be_checked()
    check(dialog.locator("#target-number")).to_be_focused()
    dialog.locator("#target-consult").click()
    check(dialog).to_be_hidden()

    check(call.locator(".call-state")).to_have_text("Consulting")
    check(call.locator(".party-consult .f-consult-kind")).to_have_text("Number")
    check(call.locator(".party-consult .consult-phase")).to_have_text("Talking")  # the number answers after 1 s
    consulted = wait_for("a leg to the picked number", lambda: next(
        (c for c in channels(demo).values() if live(c) and "12125550111" in (c["destination"] or "")), None))
    agent_leg = phone_leg(demo, "1000")
    wait_for("alice talks to the number", lambda: hears(demo, consulted["uuid"]) == f"party:{agent_leg['uuid']}")
    wait_for("the customer waits with music", lambda: hears(demo, customer) == "moh")
    call.locator(".act-consult-cancel").click()
    check(call.locator(".call-state")).to_have_text("Connected")

    # an agent reads the book but cannot change it
    refused = alice.evaluate("""async () => (await SD.api("POST", "/api/address-book",
        {name: "Mine", number: "2125550199"})).status""")
    assert refused == 403


def test_the_new_call_form_fills_its_number_from_the_address_book(new_page, demo, book):
    check = expect()
    carol = signed_in(new_page, "carol", "idle:Break")
    carol.fill("#new-call-number", "12ab")
    carol.locator("#new-call-book summary").click()
    check(carol.locator("#new-call-book-filter")).to_be_focused()
    carol.keyboard.type("billing")
    entries = carol.locator("#new-call-book-list .book-entry")
    check(entries).to_have_count(1)
    entries.first.click()
    check(carol.locator("#new-call-number")).to_have_value("+12125550100")
    check(carol.locator("#new-call-number")).to_be_focused()
    check(carol.locator("#new-call-message")).to_be_hidden()
    carol.click("#new-call-dial")
    call = call_pane(carol)
    check(call.locator(".call-state")).to_have_text("Connected")
    check(call.locator(".f-dnis")).to_have_text("+12125550100")


def test_the_agent_calls_the_customer_back_at_the_number_they_key_in(new_page, demo, screenshot):
    check = expect()
    alice = signed_in(new_page, "alice", "available")
    customer = customer_calls(demo, SALES_DID, ani="+15550005555")
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")
    wait_for("the customer talks to alice", lambda: (hears(demo, customer) or "").startswith("party:"))

    opener = call.locator(".act-callback-open")
    check(opener).to_be_enabled()
    opener.click()
    form = call.locator(".callback-form")
    check(form).to_be_visible()
    check(form.locator(".cb-back-number")).to_be_focused()
    # bad input never leaves the page
    form.locator(".cb-back-number").fill("12ab")
    form.locator(".act-cb-dial").click()
    check(form.locator(".cb-back-message")).to_have_text(
        "Letters are not allowed in a number (found 'a'): type the digits.")
    form.locator(".cb-back-number").fill("555 12")
    form.locator(".cb-back-number").press("Enter")
    check(form.locator(".cb-back-message")).to_have_text("55512 cannot be called back: give a full phone number.")

    # Prompt: the customer hears a prompt and keys the number in; the digits appear as they are pressed
    form.locator(".act-cb-prompt").click()
    check(form.locator(".cb-back-status")).to_have_text("The customer hears the prompt and keys in the number…")
    wait_for("the customer is asked for digits",
             lambda: (channels(demo).get(customer) or {}).get("application") == "play_and_get_digits")
    sim(demo, "POST", f"/channels/{customer}/dtmf", {"digits": "2125"})
    check(form.locator(".cb-back-number")).to_have_value("2125")
    check(form.locator(".cb-back-status")).to_have_text("The customer is keying in the number: 2125…")
    check(form.locator(".act-cb-prompt-cancel")).to_be_visible()
    screenshot(alice, "desktop-call-back-prompt")

    # the agent cancels, prompts again; this time the customer keys in all of it
    form.locator(".act-cb-prompt-cancel").click()
    check(form.locator(".cb-back-status")).to_have_text("Prompt cancelled.")
    check(form.locator(".act-cb-prompt-cancel")).to_be_hidden()
    form.locator(".act-cb-prompt").click()
    check(form.locator(".cb-back-status")).to_have_text("The customer hears the prompt and keys in the number…")
    check(form.locator(".cb-back-number")).to_have_value("")
    wait_for("the customer is asked again",
             lambda: (channels(demo).get(customer) or {}).get("application") == "play_and_get_digits")
    sim(demo, "POST", f"/channels/{customer}/dtmf", {"digits": "2125550199#"})
    check(form.locator(".cb-back-number")).to_have_value("2125550199")
    check(form.locator(".cb-back-status")).to_have_text(
        "The customer keyed in 2125550199. Check it, then press Call back.")

    # the agent corrects the last digit and calls back: the new leg is bridged to alice, the old one released
    form.locator(".cb-back-number").fill("212 555 0188")
    form.locator(".act-cb-dial").click()
    check(alice.locator("#alerts")).to_contain_text("You are talking to +12125550188: the first line was released.")
    check(form).to_be_hidden()
    agent_leg = phone_leg(demo, "1000")
    new_leg = wait_for("a leg to the new number", lambda: next(
        (c for c in channels(demo).values() if live(c) and "12125550188" in (c["destination"] or "")), None))
    wait_for("alice talks to the new number", lambda: hears(demo, new_leg["uuid"]) == f"party:{agent_leg['uuid']}")
    wait_for("the first line is released", lambda: not live(channels(demo).get(customer) or {"state": "CS_DESTROY"}))
    check(call.locator(".call-state")).to_have_text("Connected")
    check(call.locator(".act-hangup")).to_be_enabled()
