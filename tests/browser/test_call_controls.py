"""The interaction pane's call controls in a real headless Chromium against `switchdesk demo`.

One demo for the module with no automatic customers: each test places the calls it needs
through the simulator's HTTP control API and asks the simulator what a channel hears, so
both sides are checked — what the desktop shows and what FreeSWITCH does. After each test
:func:`~tests.browser.stack.settle` hangs up every customer and logs every agent out.
"""
from __future__ import annotations

import re
import sqlite3

import pytest

from .conftest import QUIET_DEMO
from .stack import (SALES_DID, SUPPORT_DID, call_pane, channels, customer_calls, expect, hears, phone_leg, settle,
                    sim, signed_in, wait_for)

pytestmark = pytest.mark.browser


DEMO_OPTIONS = QUIET_DEMO


@pytest.fixture(autouse=True)
def at_rest(demo):
    """Every test starts from a quiet contact center: no call, every agent logged out."""
    yield
    settle(demo)


# ---- (a) hold --------------------------------------------------------------------------------
def test_hold_plays_music_to_the_customer_and_disables_end(new_page, demo, screenshot):
    check = expect()
    # alice's phone waits for the desktop's Accept instead of answering by itself
    sim(demo, "POST", "/phones", {"extension": "1000", "answer_after": 120})
    page = signed_in(new_page, "alice", "available")
    customer = customer_calls(demo, SUPPORT_DID)

    offer = page.locator(".offer[data-call-id]")
    check(offer).to_be_visible()
    check(offer.locator(".act-accept")).to_be_enabled()
    offer.locator(".act-accept").click()

    call = call_pane(page)
    check(call.locator(".call-state")).to_have_text("Connected")
    check(page.locator(".offer")).to_have_count(0)
    check(call.locator(".call-timer")).to_have_text(re.compile(r"^\d+:\d\d$"))
    check(call.locator(".act-hangup")).to_have_text("End")
    check(call.locator(".act-hangup")).to_be_enabled()
    check(call.locator(".act-transfer")).to_be_enabled()
    check(call.locator(".act-consult")).to_be_enabled()
    # nothing to do during a consultation yet: its buttons are not shown
    check(call.locator(".consult-actions")).to_be_hidden()
    wait_for("the customer talks to alice", lambda: (hears(demo, customer) or "").startswith("party:"))

    call.locator(".act-hold").click()
    check(call.locator(".call-state")).to_have_text("On hold")
    check(call.locator(".party-customer .party-status")).to_have_text("On hold – hears music")
    check(call.locator(".act-hold")).to_have_text("Unhold")
    check(call.locator(".act-hangup")).to_be_disabled()
    wait_for("the held customer hears music", lambda: hears(demo, customer) == "moh")
    # alice's own leg stays up (parked), it is not hung up with the hold
    assert phone_leg(demo, "1000") is not None
    screenshot(page, "desktop-hold")

    call.locator(".act-hold").click()
    check(call.locator(".call-state")).to_have_text("Connected")
    check(call.locator(".act-hold")).to_have_text("Hold")
    check(call.locator(".act-hangup")).to_be_enabled()
    wait_for("the customer talks to alice again", lambda: (hears(demo, customer) or "").startswith("party:"))

    call.locator(".act-hangup").click()
    check(page.locator("#state-badge")).to_have_text("Wrap-up")
    check(call.locator(".call-state")).to_have_text("Ended – wrap-up")
    wait_for("the customer is hung up", lambda: customer not in channels(demo) or
             channels(demo)[customer]["state"] in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY"))


# ---- (b) consult, both desktops ---------------------------------------------------------------
def test_consult_another_agent_and_complete_the_transfer(new_page, demo, screenshot):
    check = expect()
    alice = signed_in(new_page, "alice", "available")
    customer = customer_calls(demo, SALES_DID)
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")
    call_id = call.get_attribute("data-call-id")

    bob = signed_in(new_page, "bob", "available")
    check(bob.locator("#new-call")).to_be_visible()  # bob has no call of his own

    call.locator(".act-consult").click()
    dialog = alice.locator("#target-dialog")
    check(dialog).to_be_visible()
    check(dialog.locator("#target-title")).to_have_text("Consult")
    bob_row = dialog.locator('.target-item[data-username="bob"]')
    carol_row = dialog.locator('.target-item[data-username="carol"]')
    check(bob_row.locator(".state-dot")).to_have_attribute("data-icon", "available")
    check(bob_row.locator("input")).to_be_enabled()
    check(carol_row.locator(".state-dot")).to_have_attribute("data-icon", "other")  # logged out: grey
    check(carol_row.locator("input")).to_be_disabled()
    check(dialog.locator('.target-item[data-username="alice"]')).to_have_count(0)  # not herself
    check(dialog.locator('.target-item[data-queue]')).to_have_count(2)
    # keyboard: the first agent who can take the call has the focus, Space picks them
    check(bob_row.locator("input")).to_be_focused()
    alice.keyboard.press("Space")
    check(bob_row.locator("input")).to_be_checked()
    screenshot(alice, "desktop-consult-dialog")
    dialog.locator("#target-consult").click()
    check(dialog).to_be_hidden()

    # two panes: the customer (held, with music) and the consulted party
    check(call.locator(".call-state")).to_have_text("Consulting")
    consult_pane = call.locator(".party-consult")
    check(consult_pane).to_be_visible()
    check(consult_pane.locator(".f-consult-label")).to_have_text("Bob Agent")
    check(call.locator(".party-customer .party-status")).to_have_text("On hold – hears music")
    check(consult_pane.locator(".consult-phase")).to_have_text("Talking")  # bob's phone answers after 1 s
    check(call.locator(".act-consult-complete")).to_be_enabled()
    check(call.locator(".act-consult-swap")).to_have_text("Resume customer")
    check(call.locator(".act-hangup")).to_be_disabled()
    wait_for("the customer hears music during the consult", lambda: hears(demo, customer) == "moh")

    # bob's desktop: the call, with only End consult
    bob_call = call_pane(bob)
    check(bob_call).to_have_attribute("data-call-id", call_id)
    check(bob_call.locator(".call-role")).to_have_text("You are consulted on this call")
    check(bob_call.locator(".act-hangup")).to_have_text("End consult")
    check(bob_call.locator(".act-hangup")).to_be_enabled()
    for hidden in (".act-hold", ".act-transfer", ".act-consult", ".consult-actions", ".recording"):
        check(bob_call.locator(hidden)).to_be_hidden()
    check(bob.locator("#new-call")).to_be_hidden()
    screenshot(alice, "desktop-consult")

    # swap: back to the customer, bob waits with music; then back to bob
    call.locator(".act-consult-swap").click()
    check(call.locator(".call-state")).to_have_text("Consult on hold")
    check(consult_pane.locator(".consult-phase")).to_have_text("On hold – hears music")
    check(call.locator(".act-consult-swap")).to_have_text("Resume consult")
    wait_for("the customer talks to alice", lambda: (hears(demo, customer) or "").startswith("party:"))
    call.locator(".act-consult-swap").click()
    check(call.locator(".call-state")).to_have_text("Consulting")
    check(consult_pane.locator(".consult-phase")).to_have_text("Talking")

    call.locator(".act-consult-complete").click()
    # alice leaves the call to wrap-up; bob owns it and talks to the customer
    check(alice.locator("#state-badge")).to_have_text("Wrap-up")
    check(call.locator(".call-state")).to_have_text("Transferred – wrap-up")
    check(call.locator(".call-actions")).to_be_hidden()
    check(bob_call.locator(".call-state")).to_have_text("Connected")
    check(bob_call.locator(".call-role")).to_have_text("")
    check(bob_call.locator(".act-hangup")).to_have_text("End")
    check(bob_call.locator(".act-hangup")).to_be_enabled()
    check(bob_call.locator(".act-hold")).to_be_enabled()
    check(bob_call.locator(".party-consult")).to_be_hidden()
    check(bob.locator("#state-badge")).to_have_text("On call")
    bob_leg = wait_for("bob's phone leg", lambda: phone_leg(demo, "1001"))
    wait_for("the customer talks to bob", lambda: hears(demo, customer) == f"party:{bob_leg['uuid']}")
    with sqlite3.connect(demo.database) as db:
        owner = db.execute("select a.username from interaction i join agent a on a.id = i.agent_id where i.id = ?",
                           (call_id,)).fetchone()
    assert owner == ("bob",)


# ---- (c) dial-number checks in the page ---------------------------------------------------------
def test_a_number_with_letters_never_reaches_the_server(new_page, demo):
    check = expect()
    page = signed_in(new_page, "carol", "available")
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/api/calls" in r.url else None)

    form = page.locator("#new-call")
    check(form).to_be_visible()
    page.fill("#new-call-number", "12ab")
    page.click("#new-call-dial")
    check(page.locator("#new-call-message")).to_have_text(
        "Letters are not allowed in a number (found 'a'): type the digits.")
    page.fill("#new-call-number", "1-2")
    page.press("#new-call-number", "Enter")
    check(page.locator("#new-call-message")).to_have_text("12 is too short: a number has at least 3 digits.")
    page.fill("#new-call-number", "12{3}")
    page.click("#new-call-dial")
    check(page.locator("#new-call-message")).to_have_text(
        "'{' is not allowed in a number: use digits, spaces, dashes and + * # :.")
    page.wait_for_timeout(300)
    assert posted == []
    check(page.locator("#state-badge")).to_have_text("Available")

    # the same checks in the transfer dialog, on a real call
    customer_calls(demo, SUPPORT_DID)
    call = call_pane(page)
    check(call.locator(".call-state")).to_have_text("Connected")
    check(form).to_be_hidden()  # a new call only when there is none
    call.locator(".act-transfer").click()
    dialog = page.locator("#target-dialog")
    check(dialog.locator("#target-title")).to_have_text("Transfer")
    dialog.locator("#target-number").fill("12ab")
    check(dialog.locator("#target-number-choice")).to_be_checked()
    dialog.locator("#target-transfer").click()
    check(dialog.locator("#target-message")).to_have_text(
        "Letters are not allowed in a number (found 'a'): type the digits.")
    dialog.locator("#target-consult").click()
    check(dialog.locator("#target-message")).to_have_text(
        "Letters are not allowed in a number (found 'a'): type the digits.")
    page.wait_for_timeout(300)
    assert posted == []
    check(dialog).to_be_visible()
    check(call.locator(".call-state")).to_have_text("Connected")

    # the server's refusal is shown as it is: no agent is free to take a transfer
    dialog.locator('.target-item[data-queue="sales"] input').check()
    dialog.locator("#target-consult").click()
    check(dialog.locator("#target-message")).to_have_text(re.compile(r"No agent of Sales is available"))
    check(page.locator("#alerts")).to_contain_text("No agent of Sales is available")
    dialog.locator("#target-close").click()
    check(dialog).to_be_hidden()
    check(call.locator(".call-state")).to_have_text("Connected")


def test_new_call_to_an_extension(new_page, demo):
    check = expect()
    page = signed_in(new_page, "carol", "idle:Break")
    page.select_option("#new-call-kind", "extension")
    page.fill("#new-call-number", "10 01")
    page.click("#new-call-dial")
    call = call_pane(page)
    check(call.locator(".f-dnis")).to_have_text("1001")
    check(call.locator(".call-state")).to_have_text("Connected")  # carol's phone, then bob's, answer after 1 s
    check(call.locator(".f-kind")).to_have_text("Outbound")
    check(call.locator(".act-hangup")).to_be_enabled()
    call.locator(".act-hangup").click()
    check(page.locator("#state-badge")).to_have_text("Wrap-up")


# ---- (d) recording ------------------------------------------------------------------------------
def test_recording_privacy_shield_and_tag(new_page, demo, screenshot):
    check = expect()
    page = signed_in(new_page, "carol", "available")
    customer = customer_calls(demo, SUPPORT_DID)
    call = call_pane(page)
    check(call.locator(".call-state")).to_have_text("Connected")
    rec = call.locator(".recording")
    check(rec.locator(".rec-status")).to_have_text("Not recording")
    check(rec.locator(".act-rec-pause")).to_be_hidden()

    rec.locator(".act-record").click()
    check(rec.locator(".rec-status")).to_have_text("● Recording")
    check(rec.locator(".act-record")).to_have_text("Stop recording")
    check(rec.locator(".act-rec-resume")).to_be_disabled()
    wait_for("the simulator records the customer", lambda: channels(demo)[customer]["recording"])

    check(rec.locator(".rec-shield-seconds")).to_have_value("30")
    rec.locator(".act-rec-shield").click()
    status = rec.locator(".rec-status")
    check(status).to_have_text(re.compile(r"^Paused – privacy shield, resumes in 0:(30|2\d)$"))
    first = int(status.text_content().rsplit(":", 1)[1])
    check(rec.locator(".act-rec-pause")).to_be_disabled()
    check(rec.locator(".act-rec-resume")).to_be_enabled()
    page.wait_for_timeout(2200)
    later = int(status.text_content().rsplit(":", 1)[1])
    assert first - 3 <= later <= first - 1, (first, later)  # it counts down by itself

    # the server's refusal, as it says it: a tag needs text
    rec.locator(".act-rec-tag").click()
    check(page.locator("#alerts")).to_contain_text("'text' is required.")
    rec.locator(".rec-tag-text").fill("card number read out")
    rec.locator(".act-rec-tag").click()
    check(rec.locator(".rec-tag-status")).to_have_text(re.compile(r"^Tag saved at \d+:\d\d: card number read out$"))
    check(rec.locator(".rec-tag-text")).to_have_value("")
    check(page.locator("#alerts")).to_be_empty()
    screenshot(page, "desktop-recording")
    with sqlite3.connect(demo.database) as db:
        tags = db.execute("select text from recordingtag").fetchall()
    assert tags == [("card number read out",)]

    rec.locator(".act-rec-resume").click()
    check(status).to_have_text("● Recording")
    rec.locator(".act-record").click()
    check(status).to_have_text("Not recording")
    check(rec.locator(".act-record")).to_have_text("Record")


# ---- blind transfer and conference, from the same dialog ------------------------------------------
def test_blind_transfer_to_an_agent(new_page, demo):
    check = expect()
    alice = signed_in(new_page, "alice", "available")
    customer = customer_calls(demo, SALES_DID)
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")
    bob = signed_in(new_page, "bob", "idle:Break")  # Idle agents can be sent a transfer too

    call.locator(".act-transfer").click()
    dialog = alice.locator("#target-dialog")
    bob_row = dialog.locator('.target-item[data-username="bob"]')
    check(bob_row.locator(".state-dot")).to_have_attribute("data-icon", "idle")
    bob_row.locator("input").check()
    dialog.locator("#target-transfer").click()
    check(dialog).to_be_hidden()
    check(alice.locator("#state-badge")).to_have_text("Wrap-up")
    check(call.locator(".call-state")).to_have_text("Transferred – wrap-up")

    bob_call = call_pane(bob)
    check(bob_call.locator(".call-state")).to_have_text("Connected")  # bob's phone answers after 1 s
    check(bob_call.locator(".act-hangup")).to_be_enabled()
    bob_leg = wait_for("bob's phone leg", lambda: phone_leg(demo, "1001"))
    wait_for("the customer talks to bob", lambda: hears(demo, customer) == f"party:{bob_leg['uuid']}")


def test_conference_and_the_consulted_agent_leaves(new_page, demo):
    check = expect()
    alice = signed_in(new_page, "alice", "available")
    customer = customer_calls(demo, SALES_DID)
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")
    bob = signed_in(new_page, "bob", "available")

    call.locator(".act-consult").click()
    alice.locator('#target-dialog .target-item[data-username="bob"] input').check()
    alice.locator("#target-consult").click()
    check(call.locator(".consult-phase")).to_have_text("Talking")
    call.locator(".act-consult-conference").click()
    check(call.locator(".call-state")).to_have_text("Conference")
    check(call.locator(".consult-phase")).to_have_text("In the conference")
    check(call.locator(".party-customer .party-status")).to_have_text("In the conference")
    check(call.locator(".act-hangup")).to_have_text("Leave conference")
    check(call.locator(".act-hangup")).to_be_enabled()
    wait_for("the customer is in the conference", lambda: (hears(demo, customer) or "").startswith("conference:"))

    bob_call = call_pane(bob)
    check(bob_call.locator(".act-hangup")).to_have_text("Leave conference")
    bob_call.locator(".act-hangup").click()
    # bob leaves without wrap-up (it was not his contact); alice and the customer stay
    check(bob.locator("#interaction-calls .call")).to_have_count(0)
    check(bob.locator("#state-badge")).to_have_text("Available")
    check(call.locator(".party-consult")).to_be_hidden()
    check(alice.locator("#state-badge")).to_have_text("On call")
    assert customer in channels(demo)
