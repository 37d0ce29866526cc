"""Call data (CAD) on a live call through the API: captured from the channel, masked, saved
first-save-wins, revealed with an audit row; secure values never pushed or logged."""
from __future__ import annotations

import json
import logging

import pytest

SECRET = "4000123412341234"
SPEC = [
    {"name": "customer_name", "label": "Customer name", "order": 10, "channel_variable": "cc_customer_name"},
    {"name": "account_number", "label": "Account number", "order": 20, "secure": True,
     "channel_variable": "cc_account_number"},
    {"name": "notes", "label": "Notes", "order": 30, "editable": True},
]


@pytest.fixture
def call_with_data(signed_in, live_center, simulator, pushes, people):
    from controller.models import Queue

    Queue.update(variables_spec=SPEC).where(Queue.id == people.queue.id).execute()
    live_center.reload_queues()
    simulator.add_did("8005550100", queue="sales",
                      variables={"cc_customer_name": "Ada Lovelace", "cc_account_number": SECRET})
    alice = signed_in("alice")
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    simulator.customer_call("8005550100", ani="5550100")
    _, _, call = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and p.get("state") == "connected")
    return alice, call


def test_call_data_is_captured_masked_and_saved_first_wins(call_with_data, signed_in, pushes, caplog):
    from controller.models import CallDataAudit

    caplog.set_level(logging.DEBUG)
    alice, call = call_with_data
    data = {d["name"]: d for d in call["data"]}
    assert data["customer_name"]["value"] == "Ada Lovelace"
    assert data["account_number"]["masked"] and data["account_number"]["value"] != SECRET

    sam = signed_in("sam")
    listed = {d["name"]: d for d in sam.get(f"/api/calls/{call['id']}/data").get_json()["data"]}
    version = listed["notes"]["version"]
    first = alice.client.patch(f"/api/calls/{call['id']}/data", headers={"X-CSRFToken": alice.token},
                               json={"values": {"notes": "wants a refund"}, "versions": {"notes": version}})
    assert first.status_code == 200, first.get_json()
    second = sam.client.patch(f"/api/calls/{call['id']}/data", headers={"X-CSRFToken": sam.token},
                              json={"values": {"notes": "call back"}, "versions": {"notes": version}})
    assert second.status_code == 409
    assert "first" in second.get_json()["error"]
    notes = {d["name"]: d for d in alice.get(f"/api/calls/{call['id']}/data").get_json()["data"]}["notes"]
    assert notes["value"] == "wants a refund"

    too_long = alice.client.patch(f"/api/calls/{call['id']}/data", headers={"X-CSRFToken": alice.token},
                                  json={"values": {"notes": "x" * 257}, "versions": {"notes": notes["version"]}})
    assert too_long.status_code == 400 and "256" in too_long.get_json()["error"]
    read_only = alice.client.patch(f"/api/calls/{call['id']}/data", headers={"X-CSRFToken": alice.token},
                                   json={"values": {"customer_name": "x"}, "versions": {"customer_name": 1}})
    assert read_only.status_code in (403, 409)

    revealed = alice.post(f"/api/calls/{call['id']}/data/account_number/reveal")
    assert revealed.get_json() == {"value": SECRET}
    assert CallDataAudit.select().where(CallDataAudit.action == "reveal").count() == 1

    # the secret never travelled in a push, and never reached a log line
    assert SECRET not in json.dumps([p for _, _, p in pushes.pushes])
    assert SECRET not in caplog.text


def test_another_agent_cannot_read_the_call_data(call_with_data, signed_in):
    alice, call = call_with_data
    bob = signed_in("bob")
    assert bob.get(f"/api/calls/{call['id']}/data").status_code == 403
    assert bob.post(f"/api/calls/{call['id']}/data/account_number/reveal").status_code == 403
