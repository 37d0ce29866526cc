"""Callback popovers stacking past five, and Accept all, in a real headless Chromium against
`switchdesk demo` whose sales queue lets an agent hold seven open contacts.

The demo's queues are seeded only when missing (controller/seed.py), so this module's demo gets
a database prepared beforehand, as an operator would: the demo's own seed, then the sales
queue's ``agent_contact_limit`` set to 7 (a queue setting that lives in the database, see
docs/callbacks.md). The callbacks are asked for through the public REST API with a bearer token
from ``switchdesk token create``; routing offers them to Bob as popovers.
"""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from .conftest import QUIET_DEMO, ROOT, running_demo
from .stack import Desk, call_pane, channels, expect, settle_all, signed_in, wait_for

pytestmark = pytest.mark.browser

CONTACT_LIMIT = 7
#: seven website visitors, in the order they ask to be called back
NUMBERS = [f"+1212555010{n}" for n in range(1, 8)]

PREPARE = """
import sys
from controller.db import create_tables, open_database
from controller.models import Queue
from controller.seed import seed_demo

open_database(sys.argv[1])
create_tables()
seed_demo()
sales = Queue.get(Queue.name == "sales")
sales.agent_contact_limit = int(sys.argv[2])
sales.save()
"""


def _run(*args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def demo(tmp_path_factory, request):
    """This module's demo: quiet (no automatic customers), its sales queue's contact limit 7, and a
    bearer token of Sam's (``demo.token``) for the REST API."""
    workdir = tmp_path_factory.mktemp("demo-stack")
    url = f"sqlite:///{workdir / 'demo.db'}"  # the file DemoServer gives `switchdesk demo`
    _run("-c", PREPARE, url, str(CONTACT_LIMIT))
    token = _run("-m", "controller.cli", "token", "create", "--user", "sam", "--name", "website",
                 "--database", url).strip()
    with running_demo(workdir, request, **QUIET_DEMO) as server:
        server.token = token
        yield server


@pytest.fixture(autouse=True)
def at_rest(demo):
    yield
    settle_all(demo)


def ask_for_callback(demo, number: str, name: str) -> dict:
    """A website's backend asks for a callback from sales (POST /api/callbacks, bearer token)."""
    response = requests.post(demo.url + "/api/callbacks", timeout=10,
                             headers={"Authorization": f"Bearer {demo.token}"},
                             json={"number": number, "queue": "sales", "name": name})
    assert response.status_code == 201, response.text
    return response.json()["callback"]


def callbacks(demo) -> dict[int, dict]:
    response = requests.get(demo.url + "/api/callbacks?view=all", timeout=10,
                            headers={"Authorization": f"Bearer {demo.token}"})
    assert response.status_code == 200, response.text
    return {cb["id"]: cb for cb in response.json()["callbacks"]}


def live_legs_to(demo, number: str) -> list[dict]:
    return [c for c in channels(demo).values() if c["direction"] == "outbound" and number in (c["destination"] or "")
            and c["state"] not in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")]


def test_seven_callbacks_stack_past_five_and_accept_all_takes_the_earliest(new_page, demo, screenshot):
    check = expect()
    made = [ask_for_callback(demo, number, f"Visitor {i}") for i, number in enumerate(NUMBERS, 1)]
    assert [cb["status"] for cb in made] == ["pending"] * 7, made
    page = signed_in(new_page, "bob")  # Bob is the only sales agent logged in
    # the callbacks are offered the moment he is Available: his badge may never read Available
    page.select_option("#state-select", "available")
    page.click("#state-apply")

    # routing offers all seven to Bob (below his limit); the page shows five, the earliest on top
    cards = page.locator("#offers-list .offer")
    check(cards).to_have_count(5)
    check(page.locator("#offers-count")).to_have_text(f"1–5 of {CONTACT_LIMIT}")
    check(page.locator("#accept-all")).to_be_visible()
    check(cards.locator(".f-ani")).to_have_text(NUMBERS[:5])
    assert [cards.nth(i).get_attribute("data-callback-id") for i in range(5)] == [str(cb["id"]) for cb in made[:5]]
    check(cards.locator(".offer-kind")).to_have_text(["Callback"] * 5)
    # the first shows everything; the ones below only the number, the wait, the countdown and the buttons
    check(cards.first.locator(".f-kind")).to_have_text("Callback")
    check(cards.first.locator(".f-name")).to_have_text("Visitor 1")
    for i in range(1, 5):
        check(cards.nth(i).locator(".offer-kind")).to_be_visible()
        check(cards.nth(i).locator(".facts")).to_be_hidden()
        check(cards.nth(i).locator(".s-ani")).to_have_text(NUMBERS[i])
    check(page.locator("#state-badge")).to_have_text("Ringing")
    # the controller holds them as offered to Bob, all seven
    bob = Desk(demo, "bob").agent()
    offered = callbacks(demo)
    assert all(offered[cb["id"]]["status"] == "offered" for cb in made), offered
    assert bob["state"] == "ringing"
    screenshot(page, "desktop-offers-stacked")

    # Accept all: the earliest is accepted and dialed; the phone carries one call, so the
    # controller hands the six others back to the queue at their place
    accepts = []
    page.on("request", lambda r: accepts.append(r.url.split("/api/")[1])
            if r.method == "POST" and r.url.endswith("/accept") else None)
    page.click("#accept-all")
    # the button is busy until Accept all is through (set as the click is handled)
    check(page.locator("#accept-all")).not_to_have_attribute("aria-busy", "true")
    assert accepts == [f"callbacks/{made[0]['id']}/accept"]  # the earliest, and only it
    check(page.locator("#alerts .alert")).to_have_count(0)  # nothing refused
    pane = call_pane(page)
    check(pane.locator(".f-kind")).to_have_text("Callback")
    check(pane.locator(".f-ani")).to_have_text(NUMBERS[0])
    check(page.locator("#offers")).to_be_hidden()
    check(pane.locator(".call-state")).to_have_text("Connected", timeout=15_000)  # after the queue's call delay
    wait_for("the first visitor's phone is called", lambda: live_legs_to(demo, NUMBERS[0][1:]))
    states = callbacks(demo)
    assert states[made[0]["id"]]["status"] in ("dialing", "connected"), states[made[0]["id"]]
    assert [states[cb["id"]]["status"] for cb in made[1:]] == ["pending"] * 6, states
    assert not any(live_legs_to(demo, number[1:]) for number in NUMBERS[1:])

    # the call ends; once Bob is free again the six are offered again, in their order
    for leg in live_legs_to(demo, NUMBERS[0][1:]):
        requests.post(demo.sim_url + f"/channels/{leg['uuid']}/hangup", json={}, timeout=10)
    check(page.locator("#state-badge")).to_have_text("Wrap-up")
    agent = Desk(demo, "bob")
    done = agent.post(f"/api/calls/{agent.agent()['wrapup_call_id']}/wrapup", {"reason": "Resolved"})
    assert done.status_code == 200, done.text
    check(page.locator("#offers-count")).to_have_text("1–5 of 6")
    check(cards.locator(".f-ani")).to_have_text(NUMBERS[1:6])
