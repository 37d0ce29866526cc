"""The JSON API: validation, CSRF, and the controller's refusals as 403/404/409."""
from __future__ import annotations

import pytest


def test_state_change_needs_the_csrf_header(signed_in):
    alice = signed_in("alice")
    response = alice.client.post("/api/agent/state", json={"state": "available"})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]
    assert alice.get("/api/me").get_json()["agent"]["state"] == "logged_out"


def test_agent_goes_available_then_idle_with_a_reason(signed_in):
    alice = signed_in("alice")
    assert alice.post("/api/agent/state", json={"state": "available"}).get_json() == {"ok": True}
    assert alice.get("/api/me").get_json()["agent"]["state"] == "available"
    assert alice.post("/api/agent/state", json={"state": "idle", "reason": "Lunch"}).status_code == 200
    agent = alice.get("/api/me").get_json()["agent"]
    assert (agent["state"], agent["reason"]) == ("idle", "Lunch")


@pytest.mark.parametrize("body, message", [
    ({"state": "on_call"}, "'state' must be one of"),
    ({"state": "idle", "reason": 42}, "'reason' must be text"),
    ({"state": "idle", "reason": "x" * 65}, "too long"),
    ([], "Send a JSON object"),
])
def test_bad_input_is_a_400_and_changes_nothing(signed_in, body, message):
    alice = signed_in("alice")
    response = alice.post("/api/agent/state", json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert alice.get("/api/me").get_json()["agent"]["state"] == "logged_out"


def test_wrap_up_of_an_unknown_call_is_a_404(signed_in):
    alice = signed_in("alice")
    response = alice.post("/api/calls/4b1c0d6e-0000-4000-8000-000000000000/wrapup", json={"reason": "Resolved"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "No such call."}


def test_wrap_up_outside_wrap_up_is_a_409(signed_in, people):
    from controller.models import Interaction

    Interaction.create(id="11111111-2222-4333-8444-555555555555", queue=people.queue, agent=people.alice,
                       state="ended", ani="5550100", dnis="8005550100")
    alice = signed_in("alice")
    response = alice.post("/api/calls/11111111-2222-4333-8444-555555555555/wrapup", json={"reason": "Resolved"})
    assert response.status_code == 409
    assert response.get_json()["error"] == "nothing to wrap up: agent alice is logged out"


def test_an_agent_cannot_act_on_another_agents_call(signed_in, people):
    from controller.models import Interaction

    Interaction.create(id="bbbbbbbb-2222-4333-8444-555555555555", queue=people.queue, agent=people.bob,
                       state="ended", ani="5550100", dnis="8005550100")
    alice = signed_in("alice")
    response = alice.post("/api/calls/bbbbbbbb-2222-4333-8444-555555555555/wrapup", json={"reason": "Resolved"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "You are not part of this call."}
    response = alice.post("/api/calls/bbbbbbbb-2222-4333-8444-555555555555/hangup")
    assert response.status_code in (403, 404)


@pytest.mark.parametrize("call_id", ["../../etc/passwd", "x" * 300, "a b"])
def test_a_forged_call_id_is_a_404(signed_in, call_id):
    response = signed_in("alice").post(f"/api/calls/{call_id}/hangup")
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_wrap_up_needs_a_reason(signed_in):
    response = signed_in("alice").post("/api/calls/abc/wrapup", json={})
    assert response.status_code == 400
    assert response.get_json() == {"error": "'reason' is required."}


def test_unknown_api_path_answers_json(signed_in):
    response = signed_in("alice").get("/api/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Not found."}
