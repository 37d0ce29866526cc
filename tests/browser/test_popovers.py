"""Popovers and reconnects in a real headless Chromium against `switchdesk demo`.

One demo for the module, with no automatic customers: each test places the calls it needs
through the simulator's control API, and :func:`settle` puts the demo back to rest after it.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from .conftest import QUIET_DEMO
from .stack import (SALES_DID, SUPPORT_DID, Desk, call_pane, channels, customer_calls, expect, phone, phone_leg,
                    settle, sim, signed_in, wait_for)

pytestmark = pytest.mark.browser


DEMO_OPTIONS = QUIET_DEMO


@pytest.fixture(autouse=True)
def at_rest(demo):
    yield
    settle(demo)


def watch_offers(page) -> None:
    """Record the id of every card the popover stack ever shows, in order (``window.offerLog``)."""
    page.evaluate("""() => {
        window.offerLog = [];
        new MutationObserver((records) => {
            for (const r of records) for (const n of r.addedNodes) if (n.id) window.offerLog.push(n.id);
        }).observe(document.getElementById("offers-list"), { childList: true });
    }""")


def test_connecting_then_the_contact_request_and_no_logout_meanwhile(new_page, demo, screenshot):
    check = expect()
    phone(demo, "alice", answer_after=120)  # rings until the desktop's Accept
    page = signed_in(new_page, "alice")
    watch_offers(page)
    posted = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and "/socket.io/" not in r.url else None)
    customer_calls(demo, SUPPORT_DID, ani="+15550002222")
    page.select_option("#state-select", "available")
    page.click("#state-apply")

    offer = page.locator(".offer[data-call-id]")
    check(offer).to_be_visible()
    call_id = offer.get_attribute("data-call-id")
    # the agent is told at once that a contact is coming; its details replace that card
    assert page.evaluate("window.offerLog")[:2] == ["offer-connecting", f"offer-{call_id}"]
    check(page.locator("#offer-connecting")).to_have_count(0)
    check(offer.locator(".offer-title")).to_have_text("Inbound contact from support")
    check(offer.locator(".f-queue")).to_have_text("support")
    check(offer.locator(".f-ani")).to_have_text("+15550002222")
    check(offer.locator(".f-dnis")).to_have_text(SUPPORT_DID)
    check(offer.locator(".f-kind")).to_have_text("Inbound")
    check(offer.locator(".offer-kind")).to_be_hidden()  # the Callback label is for callbacks only
    check(offer.locator(".f-waited")).to_have_text(re.compile(r"^0:\d\d$"))
    # a countdown when the controller names the ring timeout; until then, how long it has rung
    check(offer.locator(".offer-countdown")).to_have_text(re.compile(r"^(Ringing )?0:\d\d$"))
    check(page.locator("#offers-head")).to_be_hidden()  # one request: no stack header
    check(page.locator("#state-badge")).to_have_text("Ringing")
    screenshot(page, "desktop-offer")

    # no logging out while the popover is on screen: the page says why and sends nothing
    posted.clear()
    page.select_option("#state-select", "logged_out")
    page.click("#state-apply")
    check(page.locator("#alerts")).to_contain_text("You cannot log out while a contact is being offered to you")
    page.click("#sign-out")
    check(page.locator("#alerts")).to_contain_text("You cannot log out while a contact is being offered to you")
    check(page).to_have_url(demo.url + "/")
    page.wait_for_timeout(300)
    assert posted == []
    # the controller refuses it too (another tab, an integration): ringing is not a state to leave
    refused = page.evaluate("""async () => { const r = await SD.api("POST", "/api/agent/state", {state: "logged_out"});
                                             return [r.status, r.data.error]; }""")
    assert refused[0] == 409 and "ringing" in refused[1], refused
    check(page.locator("#state-badge")).to_have_text("Ringing")

    offer.locator(".act-accept").click()
    check(call_pane(page).locator(".call-state")).to_have_text("Connected")
    check(page.locator("#offers")).to_be_hidden()
    check(page.locator("#alerts")).to_be_empty()  # the accepted call clears the old message


def test_rona_offers_available_or_idle_and_the_contact_keeps_its_place(new_page, demo, screenshot):
    check = expect()
    phone(demo, "carol", behaviour="reject")  # the phone refuses: ring-no-answer at once
    page = signed_in(new_page, "carol", "available")
    customer_calls(demo, SUPPORT_DID, ani="+15550003333")

    rona = page.locator("#rona")
    check(rona).to_be_visible()
    check(page.locator("#state-badge")).to_have_text("RONA")
    check(page.locator("#rona-available")).to_be_focused()  # an alertdialog: the keyboard is there
    check(page.locator(".offer")).to_have_count(0)
    screenshot(page, "desktop-rona")

    page.select_option("#rona-reason", "Lunch")
    page.click("#rona-idle")
    check(page.locator("#state-badge")).to_have_text("Idle – Lunch")
    check(rona).to_be_hidden()

    # the contact went back to its queue: Available again, and it is offered again
    phone(demo, "carol", behaviour="reject")
    page.select_option("#state-select", "available")
    page.click("#state-apply")
    check(rona).to_be_visible()
    check(page.locator("#state-badge")).to_have_text("RONA")
    check(page.locator("#rona-available")).to_be_focused()
    phone(demo, "carol", answer_after=1.0, behaviour="answer")
    page.keyboard.press("Enter")  # the focused Available button
    call = call_pane(page)
    check(call.locator(".call-state")).to_have_text("Connected")
    check(call.locator(".f-ani")).to_have_text("+15550003333")
    check(rona).to_be_hidden()


def test_the_consulted_agent_gets_a_consult_request(new_page, demo, screenshot):
    check = expect()
    alice = signed_in(new_page, "alice", "available")
    customer_calls(demo, SALES_DID, ani="+15550004444")
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")
    call_id = call.get_attribute("data-call-id")
    phone(demo, "bob", answer_after=120)
    bob = signed_in(new_page, "bob", "available")

    status = alice.evaluate(f"""async () => (await SD.api("POST", "/api/calls/{call_id}/consult",
                                                           {{to: {{agent: "bob"}}}})).status""")
    assert status == 200
    request = bob.locator(f"#offer-{call_id}")
    check(request).to_be_visible()
    check(request).to_have_attribute("data-type", "consult")
    check(request.locator(".offer-title")).to_have_text("Consult request from Alice Agent")
    check(request.locator(".f-from-extension")).to_have_text("1000")
    check(request.locator(".f-queue")).to_have_text("sales")
    check(request.locator(".f-ani")).to_have_text("+15550004444")
    check(bob.locator("#interaction-calls .call")).to_have_count(0)  # not in the pane until answered
    screenshot(bob, "desktop-consult-request")
    bob.select_option("#state-select", "logged_out")
    bob.click("#state-apply")
    check(bob.locator("#alerts")).to_contain_text("You cannot log out")

    leg = wait_for("bob's phone rings", lambda: phone_leg(demo, "1001"))
    sim(demo, "POST", f"/channels/{leg['uuid']}/answer")
    check(request).to_have_count(0)
    bob_call = call_pane(bob)
    check(bob_call.locator(".call-role")).to_have_text("You are consulted on this call")
    check(bob_call.locator(".act-hangup")).to_be_enabled()

    # a forged call id: carol is not on this call; she is told so and nothing changes
    refused = Desk(demo, "carol").post(f"/api/calls/{call_id}/hangup")
    assert refused.status_code == 403 and refused.json() == {"error": "you are not part of this call"}
    check(call.locator(".call-state")).to_have_text("Consulting")
    check(bob_call.locator(".act-hangup")).to_be_enabled()


def _offer(n: int, agent_id: int, now: dt.datetime, **extra) -> dict:
    """A contact being offered, as the controller pushes it (see CallMachine.as_dict)."""
    call = {
        "id": f"00000000-0000-4000-8000-00000000000{n}", "state": "offering", "queue": "sales",
        "ani": f"+1555000100{n}", "dnis": SALES_DID, "kind": "inbound", "direction": "inbound",
        "agent_id": agent_id, "priority": 0, "owner": None,
        "enqueued_at": (now - dt.timedelta(seconds=60 - n)).isoformat() + "Z",
        "answered_at": None, "ended_at": None, "end_reason": "", "held": False, "consult": None,
        "recording": None, "role": "owner", "allowed": ["accept"],
        "ring_timeout": 15, "offered_at": now.isoformat() + "Z",
    }
    call.update(extra)
    return call


def test_reconnect_drops_a_stale_popover_and_shows_the_call_it_missed(new_page, demo, screenshot):
    check = expect()
    phone(demo, "alice", answer_after=120)
    page = signed_in(new_page, "alice", "available")
    first = customer_calls(demo, SUPPORT_DID, ani="+15550005555")
    offer = page.locator(".offer[data-call-id]")
    check(offer).to_be_visible()
    stale = offer.get_attribute("data-call-id")

    # the connection drops (as when the server or the network goes away) and cannot come back yet
    page.context.set_offline(True)
    page.evaluate("SD.socket.io.engine.close()")
    check(page.locator("#connection")).to_have_text("Reconnecting…")
    check(offer.locator(".act-accept")).to_be_disabled()  # the page may be out of date: no clicks

    # meanwhile: the first caller gives up, a second one is offered to alice and answered
    sim(demo, "POST", f"/channels/{first}/hangup", {})
    phone(demo, "alice", answer_after=0.5, behaviour="answer")
    second = customer_calls(demo, SUPPORT_DID, ani="+15550006666")
    wait_for("the second caller talks to alice", lambda: (channels(demo).get(second) or {}).get("hears", "")
             .startswith("party:"))
    check(page.locator(f"#offer-{stale}")).to_be_visible()  # nothing reached the page
    screenshot(page, "desktop-reconnecting")

    page.context.set_offline(False)  # the socket reconnects by itself and gets a snapshot
    check(page.locator("#connection")).to_have_text("Live", timeout=15_000)
    check(page.locator(".offer")).to_have_count(0)
    check(page.locator("#offers")).to_be_hidden()
    call = call_pane(page)
    check(call.locator(".f-ani")).to_have_text("+15550006666")
    check(call.locator(".call-state")).to_have_text("Connected")
    check(page.locator("#state-badge")).to_have_text("On call")
    check(call.locator(".act-hangup")).to_be_enabled()


def _connected(agent_id: int, now: dt.datetime, data: list[dict], **extra) -> dict:
    call = _offer(9, agent_id, now, state="connected", answered_at=now.isoformat() + "Z",
                  allowed=["hold", "hangup", "transfer", "consult", "data", "record_start"], data=data)
    call.update(extra)
    return call


def _variables(account: str = "A-1042", version: int = 3) -> list[dict]:
    return [
        {"name": "account", "label": "Account", "value": account, "secure": False, "masked": False,
         "editable": True, "version": version},
        {"name": "notes", "label": "Notes", "value": "", "secure": False, "masked": False, "editable": True,
         "version": 1},
        {"name": "card", "label": "Card", "value": "•••• 1111", "secure": True, "masked": True, "editable": False,
         "version": 1},
        {"name": "tier", "label": "Tier", "value": "Gold", "secure": False, "masked": False, "editable": False,
         "version": 1},
    ]


def test_call_data_pane_keeps_edits_across_pushes(new_page, demo):
    """The call-data pane's own logic, driven by pushes made in the page's socket handler and
    replies stood in for by the test (shapes of docs/call-data.md): an edit survives a push and
    keeps the version it started from, Revert, the 256-character check, reveal and hide, and
    the values read again after a 409."""
    check = expect()
    page = signed_in(new_page, "bob")
    agent_id = page.evaluate("JSON.parse(document.getElementById('desktop-config').textContent).agent_id")
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    call = _connected(agent_id, now, _variables())
    sent = []

    def data(route):
        if route.request.method == "PATCH":
            sent.append(json.loads(route.request.post_data))
            route.fulfill(status=409, content_type="application/json",
                          body=json.dumps({"error": "Bob saved 'Account' first; your change was not saved."}))
        else:  # the values as they are now
            route.fulfill(status=200, content_type="application/json",
                          body=json.dumps({"data": _variables("A-5000", 5)}))

    page.route(f"**/api/calls/{call['id']}/data", data)
    page.route(f"**/api/calls/{call['id']}/data/card/reveal", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"value": "4111 1111 1111 1111"})))
    push = "(call) => SD.socket.listeners('call').forEach((h) => h(call))"
    page.evaluate("(agent) => SD.socket.listeners('agent_state').forEach((h) => h(agent))", {
        "id": agent_id, "username": "bob", "name": "Bob Agent", "extension": "1001", "role": "agent", "team": "",
        "state": "on_call", "reason": "", "since": now.isoformat() + "Z", "call_id": call["id"],
        "wrapup_call_id": None})
    page.evaluate(push, call)

    pane = call_pane(page).locator(".cad")
    check(pane).to_be_visible()
    account = pane.locator('.cad-row[data-name="account"] input')
    notes = pane.locator('.cad-row[data-name="notes"] input')
    check(account).to_have_value("A-1042")
    check(pane.locator('.cad-row[data-name="tier"] .cad-value')).to_have_text("Gold")
    check(pane.locator('.cad-row[data-name="tier"] input')).to_be_hidden()
    card = pane.locator('.cad-row[data-name="card"]')
    check(card.locator(".cad-value")).to_have_text("•••• 1111")
    check(pane.locator(".act-cad-save")).to_be_disabled()

    # 300 characters: the page refuses before anything is sent
    notes.fill("x" * 300)
    check(pane.locator(".cad-message")).to_have_text("'Notes' is 300 characters long; the limit is 256.")
    check(pane.locator('.cad-row[data-name="notes"] .cad-count')).to_have_text("300/256")
    pane.locator(".act-cad-save").click()
    page.wait_for_timeout(200)
    assert sent == []
    pane.locator(".act-cad-revert").click()
    check(notes).to_have_value("")
    check(pane.locator(".cad-message")).to_be_hidden()
    check(pane.locator(".act-cad-save")).to_be_disabled()

    # a push updates what nobody edits; an edit keeps the version it started from
    page.evaluate(push, _connected(agent_id, now, _variables("A-2000", 4)))
    check(account).to_have_value("A-2000")
    account.fill("A-3000")
    page.evaluate(push, _connected(agent_id, now, _variables("A-4000", 5)))
    check(account).to_have_value("A-3000")

    # click-to-reveal, and hide again
    card.locator(".cad-reveal").click()
    check(card.locator(".cad-value")).to_have_text("4111 1111 1111 1111")
    card.locator(".cad-reveal").click()
    check(card.locator(".cad-value")).to_have_text("•••• 1111")

    # someone saved first: the controller's sentence, and the values read again
    pane.locator(".act-cad-save").click()
    check(pane.locator(".cad-message")).to_have_text("Bob saved 'Account' first; your change was not saved.")
    assert sent == [{"values": {"account": "A-3000"}, "versions": {"account": 4}}]
    check(account).to_have_value("A-5000")
    check(pane.locator(".act-cad-save")).to_be_disabled()


def test_call_data_save_reveal_and_the_first_save_wins(new_page, demo, screenshot):
    """Call data end to end: the demo's sales callers carry a customer name, a secure account
    number, an order id and notes; alice edits, bob (consulted on the call) saves first."""
    check = expect()
    phone(demo, "alice", answer_after=120)
    alice = signed_in(new_page, "alice", "available")
    posted = []
    alice.on("request", lambda r: posted.append(r.url) if r.method in ("POST", "PATCH") and "/data" in r.url else None)
    customer_calls(demo, SALES_DID, ani="+15550001212")

    # the contact request shows the variables; the secure one never in clear
    offer = alice.locator(".offer[data-call-id]")
    check(offer.locator('.offer-var[data-name="customer_name"]')).to_have_text("Ada Lovelace")
    check(offer.locator('.offer-var[data-name="account_number"]')).to_have_text("••••••")
    assert "4000123412341234" not in alice.content()
    offer.locator(".act-accept").click()
    call = call_pane(alice)
    check(call.locator(".call-state")).to_have_text("Connected")
    call_id = call.get_attribute("data-call-id")

    cad = call.locator(".cad")
    row = lambda name: cad.locator(f'.cad-row[data-name="{name}"]')  # noqa: E731
    check(row("customer_name").locator(".cad-value")).to_have_text("Ada Lovelace")
    check(row("customer_name").locator("input")).to_be_hidden()  # read-only
    check(row("order_id").locator("input")).to_have_value("SO-10042")
    check(row("account_number").locator(".cad-value")).to_have_text("••••••")
    # click-to-reveal: asked of the controller (which writes it down), hidden again on request
    row("account_number").locator(".cad-reveal").click()
    check(row("account_number").locator(".cad-value")).to_have_text("4000123412341234")
    row("account_number").locator(".cad-reveal").click()
    check(row("account_number").locator(".cad-value")).to_have_text("••••••")
    assert posted == [f"{demo.url}/api/calls/{call_id}/data/account_number/reveal"]

    # 300 characters never leave the page
    notes = row("notes").locator("input")
    notes.fill("x" * 300)
    check(cad.locator(".cad-message")).to_have_text("'Notes' is 300 characters long; the limit is 256.")
    cad.locator(".act-cad-save").click()
    alice.wait_for_timeout(200)
    assert len(posted) == 1
    # the controller says the same if it is sent anyway
    too_long = alice.evaluate(f"""async () => (await SD.api("PATCH", "/api/calls/{call_id}/data",
        {{values: {{notes: "x".repeat(300)}}, versions: {{notes: 0}}}})).status""")
    assert too_long == 400

    notes.fill("wants a call back on Friday")
    cad.locator(".act-cad-save").click()
    check(cad.locator(".cad-status")).to_have_text("Saved.")
    check(notes).to_have_value("wants a call back on Friday")
    check(cad.locator(".act-cad-save")).to_be_disabled()

    # bob is consulted and saves the order id while alice is still typing hers
    bob = signed_in(new_page, "bob", "available")
    assert alice.evaluate(f"""async () => (await SD.api("POST", "/api/calls/{call_id}/consult",
                                                       {{to: {{agent: "bob"}}}})).status""") == 200
    check(call.locator(".consult-phase")).to_have_text("Talking")
    order = row("order_id").locator("input")
    order.fill("SO-20000")
    saved = bob.evaluate(f"""async () => {{
        const data = (await SD.api("GET", "/api/calls/{call_id}/data")).data.data;
        const version = data.find((v) => v.name === "order_id").version;
        return (await SD.api("PATCH", "/api/calls/{call_id}/data",
                             {{values: {{order_id: "SO-30000"}}, versions: {{order_id: version}}}})).status;
    }}""")
    assert saved == 200
    bob_cad = call_pane(bob).locator(".cad")
    check(bob_cad.locator('.cad-row[data-name="order_id"] .cad-value')).to_have_text("SO-30000")
    check(order).to_have_value("SO-20000")  # her edit is kept, on the version she started from
    cad.locator(".act-cad-save").click()
    check(cad.locator(".cad-message")).to_have_text(
        "Bob Agent saved 'Order id' first; your change was not saved. The current value is shown.")
    check(order).to_have_value("SO-30000")
    check(notes).to_have_value("wants a call back on Friday")
    screenshot(alice, "desktop-call-data")

    # during wrap-up the agent can still complete the call's data
    assert alice.evaluate(f"""async () => (await SD.api("POST", "/api/calls/{call_id}/consult/cancel")).status""") == 200
    check(call.locator(".party-consult")).to_be_hidden()
    call.locator(".act-hangup").click()
    check(alice.locator("#state-badge")).to_have_text("Wrap-up")
    notes.fill("call back on Friday, 10:00")
    cad.locator(".act-cad-save").click()
    check(cad.locator(".cad-status")).to_have_text("Saved.")
    # and what is saved is what the controller has
    data = alice.evaluate(f"""async () => (await SD.api("GET", "/api/calls/{call_id}/data")).data.data""")
    values = {v["name"]: v["value"] for v in data}
    assert values["notes"] == "call back on Friday, 10:00" and values["order_id"] == "SO-30000"
    assert values["account_number"] == "••••••"
