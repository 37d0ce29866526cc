"""A whole call through the web layer, on the real stack: simulator, controller, app."""
from __future__ import annotations


def pushed(socket_client, name):
    return [p["args"][0] for p in socket_client.get_received() if p["name"] == name]


def test_offer_connect_hangup_wrap_up(app, socketio, signed_in, live_center, simulator, pushes):
    from controller.models import Interaction

    alice, bob = signed_in("alice"), signed_in("bob")
    alice_socket = socketio.test_client(app, flask_test_client=alice.client)
    bob_socket = socketio.test_client(app, flask_test_client=bob.client)
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    alice_socket.get_received(), bob_socket.get_received()

    simulator.customer_call("8005550100", ani="5550100")
    _, _, call = pushes.wait_for(lambda room, event, p: room == "agent:%d" % alice.agent_id
                                 and event == "call" and p["state"] == "connected")
    calls = pushed(alice_socket, "call")
    assert [c["state"] for c in calls] == ["offering", "connected"]
    assert calls[0]["queue"] == "sales" and calls[0]["ani"] == "5550100" and calls[0]["dnis"] == "8005550100"
    assert {"hangup", "hold", "transfer", "consult", "record_start"} <= set(calls[1]["allowed"])
    assert bob_socket.get_received() == []  # another agent hears nothing of it

    # bob cannot end alice's call, and the call is still up afterwards
    response = bob.post(f"/api/calls/{call['id']}/hangup")
    assert response.status_code == 403
    assert response.get_json() == {"error": "you are not part of this call"}
    assert alice.get("/api/calls").get_json()["calls"][0]["state"] == "connected"

    # signing out is refused while the call is up: the agent stays signed in, with the reason
    response = alice.client.post("/logout", data={"csrf_token": alice.token})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert "You cannot sign out now: cannot logout" in alice.get("/").get_data(as_text=True)
    assert alice.get("/api/me").status_code == 200

    # wrap-up is not possible while on the call: 409 with the controller's sentence
    response = alice.post(f"/api/calls/{call['id']}/wrapup", json={"reason": "Resolved"})
    assert response.status_code == 409
    assert "nothing to wrap up" in response.get_json()["error"]

    assert alice.post(f"/api/calls/{call['id']}/hangup").status_code == 200
    pushes.wait_for(lambda room, event, p: room.startswith("agent:") and event == "agent_state"
                    and p["state"] == "wrap_up")
    assert pushed(alice_socket, "call_ended")[0]["id"] == call["id"]

    # a reconnect during wrap-up still shows the ended call to wrap up
    again = socketio.test_client(app, flask_test_client=alice.client)
    snapshot = pushed(again, "snapshot")[0]
    assert snapshot["agent"]["state"] == "wrap_up" and snapshot["wrapup_call"]["id"] == call["id"]

    assert alice.post(f"/api/calls/{call['id']}/wrapup", json={"reason": "Resolved"}).status_code == 200
    states = [a["state"] for a in pushed(alice_socket, "agent_state")]
    assert states[-1] == "available"
    assert Interaction.get_by_id(call["id"]).wrapup_reason == "Resolved"


def test_hanging_up_a_ringing_call_is_a_409(app, socketio, signed_in, live_center, simulator, pushes):
    simulator.add_phone("1001", behaviour="never")
    bob = signed_in("bob")
    bob.post("/api/agent/state", json={"state": "available"})
    simulator.customer_call("8005550100", ani="5550101")
    _, _, call = pushes.wait_for(lambda room, event, p: event == "call" and p["state"] == "offering")
    response = bob.post(f"/api/calls/{call['id']}/hangup")
    assert response.status_code == 409
    assert response.get_json()["error"].startswith("cannot hangup")


def test_supervisors_see_waiting_calls(app, socketio, signed_in, live_center, simulator, pushes):
    sam = socketio.test_client(app, flask_test_client=signed_in("sam").client)
    alice = socketio.test_client(app, flask_test_client=signed_in("alice").client)
    sam.get_received(), alice.get_received()

    simulator.customer_call("8005550100", ani="5550102")
    pushes.wait_for(lambda room, event, p: room == "supervisors" and event == "call" and p["state"] == "queued")
    assert [p["state"] for p in pushed(sam, "call")] == ["queued"]
    assert alice.get_received() == []  # nobody offered it to alice: she is logged out

    sam.emit("supervisor_refresh")
    queues = {q["name"]: q for q in pushed(sam, "supervisor_snapshot")[0]["queues"]}
    assert queues["sales"]["waiting"] == 1
