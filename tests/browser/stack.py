"""Helpers of the browser tests: the simulator's HTTP control API, signed-in pages, and
putting a shared demo back to rest between tests (so a module needs only one demo)."""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request

import pytest

from .conftest import DEMO_PASSWORDS, sign_in

SALES_DID, SUPPORT_DID = "8005550100", "8005550200"
#: the demo's agents and their phones
EXTENSIONS = {"alice": "1000", "bob": "1001", "carol": "1002"}


def expect():
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect


# ---- the simulator's control API -------------------------------------------------------
def sim(demo, method: str, path: str, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(demo.sim_url + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as response:
        return json.loads(response.read() or b"null")


def customer_calls(demo, did: str, ani: str = "+15550001111") -> str:
    """A customer calls ``did`` and stays on the line; returns the customer's channel uuid."""
    return sim(demo, "POST", "/calls", {"did": did, "ani": ani})["uuid"]


def channels(demo) -> dict[str, dict]:
    return {c["uuid"]: c for c in sim(demo, "GET", "/channels")}


def wait_for(what, predicate, timeout: float = 10.0):
    """Poll ``predicate()`` until it returns something true; fail saying ``what`` did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for: {what}")
        time.sleep(0.1)


def hears(demo, uuid: str) -> str | None:
    channel = channels(demo).get(uuid)
    return channel["hears"] if channel else None


def phone_leg(demo, extension: str) -> dict | None:
    """The live channel that rings/talks on an agent's phone."""
    for channel in channels(demo).values():
        if channel["direction"] == "outbound" and extension in (channel["destination"] or "") and \
                channel["state"] != "CS_DESTROY":
            return channel
    return None


def phone(demo, username: str, **behaviour) -> None:
    """How an agent's phone behaves from now on, e.g. ``answer_after=120`` (it waits for Accept)
    or ``behaviour="reject"``."""
    sim(demo, "POST", "/phones", {"extension": EXTENSIONS[username], **behaviour})


# ---- the desktop -------------------------------------------------------------------------
def signed_in(new_page, username: str, state: str | None = None):
    """A page with ``username`` signed in, in ``state`` (an option of the state menu) if given."""
    check = expect()
    page = new_page()
    # the page's own errors land in the test's output (shown when it fails)
    page.on("pageerror", lambda exc: print(f"[{username} page error] {exc}"))
    page.on("console", lambda msg: print(f"[{username} console.{msg.type}] {msg.text}") if msg.type == "error" else None)
    sign_in(page, username)
    check(page.locator("#connection")).to_have_text("Live")
    if state:
        page.select_option("#state-select", state)
        page.click("#state-apply")
        badge = "Idle – " + state[5:] if state.startswith("idle:") else state.capitalize()
        check(page.locator("#state-badge")).to_have_text(badge)
    return page


def call_pane(page):
    return page.locator("#interaction-calls .call").first


# ---- a shared demo, back to rest -----------------------------------------------------------
class Desk:
    """An agent's session over plain HTTP (no browser), for setting up and cleaning up."""

    def __init__(self, demo, username: str):
        import requests

        self.http = requests.Session()
        self.url = demo.url
        page = self.http.get(self.url + "/login", timeout=10).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        response = self.http.post(self.url + "/login", timeout=10, allow_redirects=False, data={
            "csrf_token": token, "username": username, "password": DEMO_PASSWORDS[username]})
        assert response.status_code == 302, response.text
        desk = self.http.get(self.url + "/", timeout=10).text
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', desk).group(1)

    def get(self, path: str):
        return self.http.get(self.url + path, timeout=10)

    def post(self, path: str, body: dict | None = None):
        return self.http.post(self.url + path, json=body if body is not None else {}, timeout=10,
                              headers={"X-CSRFToken": self.csrf})

    def delete(self, path: str):
        return self.http.delete(self.url + path, timeout=10, headers={"X-CSRFToken": self.csrf})

    def agent(self) -> dict:
        return self.get("/api/me").json()["agent"]


def settle_all(demo) -> None:
    """:func:`settle`, and also hang up outbound legs (a callback's legs are all outbound: the
    agent's phone, the customer) and cancel every open callback."""
    for channel in channels(demo).values():
        if channel["state"] not in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY"):
            try:
                sim(demo, "POST", f"/channels/{channel['uuid']}/hangup", {})
            except urllib.error.HTTPError:
                pass  # it ended meanwhile
    settle(demo)
    sam = Desk(demo, "sam")
    for cb in sam.get("/api/callbacks?view=all").json()["callbacks"]:
        sam.post(f"/api/callbacks/{cb['id']}/cancel")


def settle(demo) -> None:
    """Hang up every customer, wrap up and log out every agent, and give every phone back its
    demo behaviour (answers after 1 s): the next test starts from a quiet contact center."""
    for username in EXTENSIONS:
        phone(demo, username, answer_after=1.0, behaviour="answer")
    for channel in channels(demo).values():
        if channel["direction"] == "inbound" and channel["state"] not in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY"):
            sim(demo, "POST", f"/channels/{channel['uuid']}/hangup", {})
    desks = {username: Desk(demo, username) for username in EXTENSIONS}

    def at_rest() -> bool:
        quiet = True
        for desk in desks.values():
            agent = desk.agent()
            if agent["state"] == "wrap_up":
                desk.post(f"/api/calls/{agent['wrapup_call_id']}/wrapup", {"reason": "Resolved"})
                quiet = False
            elif agent["state"] in ("available", "idle", "rona"):
                desk.post("/api/agent/state", {"state": "logged_out"})
                quiet = False
            elif agent["state"] != "logged_out":
                quiet = False  # ringing or on a call: it ends with the customers' hang-ups
        return quiet

    wait_for("every agent logged out and every call over", at_rest, timeout=20)
    wait_for("no channel left", lambda: all(c["state"] in ("CS_HANGUP", "CS_REPORTING", "CS_DESTROY")
                                            for c in channels(demo).values()), timeout=10)
