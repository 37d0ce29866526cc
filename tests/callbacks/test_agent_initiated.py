"""Agent-initiated callback: the customer keys in a number (digits reach the desktop as typed), the agent
calls it back; the agent is bridged to the new leg and the old one is released."""
from __future__ import annotations

import pytest

from .conftest import callback_rows, history

NEW_NUMBER = "+12125550188"


@pytest.fixture
def talking(sales, live_center, simulator, pushes, signed_in):
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    customer = simulator.customer_call("8005550100", ani="+12125550123")
    _, _, call = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "call"
                                 and p["state"] == "connected", timeout=10)
    agent_leg = live_center.by_id[call["id"]].record.agent_uuid
    simulator.wait_for(lambda: simulator.hears(customer) == f"party:{agent_leg}")
    return alice, call["id"], customer, agent_leg


def test_the_customer_keys_in_the_number_and_the_agent_calls_it_back(talking, live_center, simulator, pushes):
    alice, call_id, customer, agent_leg = talking
    response = alice.post(f"/api/calls/{call_id}/callback/prompt")
    assert response.status_code == 200, response.get_json()
    simulator.wait_for(lambda: "play_and_get_digits" in [a.name for a in simulator.switch.get(customer).apps])
    simulator.send_dtmf(customer, "2125")
    pushes.wait_for(lambda r, e, p: e == "callback_digits" and p["digits"] == "2125" and p["state"] == "prompting")
    simulator.send_dtmf(customer, "550188#")
    _, _, done = pushes.wait_for(lambda r, e, p: e == "callback_digits" and p["state"] == "done")
    assert done == {"call_id": call_id, "digits": "2125550188", "state": "done"}

    # the agent edits nothing and presses Call back
    response = alice.post(f"/api/calls/{call_id}/callback", json={"number": done["digits"]})
    assert response.status_code == 200, response.get_json()
    _, _, cb = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "connected", timeout=10)
    assert (cb["kind"], cb["number"], cb["original_contact_id"]) == ("agent_initiated", NEW_NUMBER, call_id)
    new_leg = callback_rows()[0].customer_uuid
    simulator.wait_for(lambda: simulator.hears(new_leg) == f"party:{agent_leg}")
    simulator.wait_for(lambda: customer not in simulator.channels)           # the old leg is released
    assert simulator.channels[new_leg].caller_id_number == "8005550100"
    assert live_center.by_id[call_id].state == "connected"

    simulator.hangup(new_leg)
    pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "completed")
    assert [h[1] for h in history(cb["id"])] == ["request", "dial", "answer", "complete"]


def test_a_number_that_does_not_answer_leaves_the_agent_with_the_customer(talking, live_center, simulator, pushes):
    alice, call_id, customer, agent_leg = talking
    simulator.set_number(NEW_NUMBER, behaviour="busy")
    assert alice.post(f"/api/calls/{call_id}/callback", json={"number": "212 555 0188"}).status_code == 200
    _, _, cb = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "no_answer", timeout=10)
    assert cb["launch"] == "owner" and cb["owner"]["username"] == "alice"   # a reminder to try again later
    simulator.wait_for(lambda: simulator.hears(customer) == f"party:{agent_leg}")
    assert live_center.by_id[call_id].state == "connected"
    assert "hold" in live_center.call_view(call_id, alice.agent_id)["allowed"]


def test_bad_numbers_and_cancelled_prompts(talking, live_center, simulator, pushes):
    alice, call_id, customer, _agent_leg = talking
    refused = alice.post(f"/api/calls/{call_id}/callback", json={"number": "12"})
    assert refused.status_code == 400 and "too short" in refused.get_json()["error"]
    assert alice.post(f"/api/calls/{call_id}/callback/prompt/cancel").status_code == 409
    alice.post(f"/api/calls/{call_id}/callback/prompt")
    simulator.wait_for(lambda: "play_and_get_digits" in [a.name for a in simulator.switch.get(customer).apps])
    assert alice.post(f"/api/calls/{call_id}/callback/prompt/cancel").status_code == 200
    pushes.wait_for(lambda r, e, p: e == "callback_digits" and p["state"] == "cancelled")
    simulator.wait_for(lambda: "play_and_get_digits" not in [a.name for a in simulator.switch.get(customer).apps])
