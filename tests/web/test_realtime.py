"""Socket.IO: login required, a full snapshot on connect, pushes to the right rooms."""
from __future__ import annotations


def events(socket_client, name):
    return [packet["args"][0] for packet in socket_client.get_received() if packet["name"] == name]


def test_socket_requires_login(app, socketio, people):
    client = socketio.test_client(app, flask_test_client=app.test_client())
    assert not client.is_connected()


def test_snapshot_on_connect(app, socketio, signed_in):
    alice = signed_in("alice")
    socket = socketio.test_client(app, flask_test_client=alice.client)
    assert socket.is_connected()
    received = socket.get_received()
    assert [p["name"] for p in received] == ["snapshot"]
    snapshot = received[0]["args"][0]
    assert snapshot["agent"]["username"] == "alice"
    assert snapshot["agent"]["state"] == "logged_out"
    assert snapshot["calls"] == [] and snapshot["wrapup_call"] is None


def test_state_change_is_pushed_to_the_agent_and_supervisors_only(app, socketio, signed_in):
    alice, bob, sam = signed_in("alice"), signed_in("bob"), signed_in("sam")
    alice_socket = socketio.test_client(app, flask_test_client=alice.client)
    bob_socket = socketio.test_client(app, flask_test_client=bob.client)
    sam_socket = socketio.test_client(app, flask_test_client=sam.client)
    assert [p["name"] for p in sam_socket.get_received()] == ["snapshot", "supervisor_snapshot"]
    bob_socket.get_received(), alice_socket.get_received()

    assert alice.post("/api/agent/state", json={"state": "idle", "reason": "Break"}).status_code == 200

    pushed = events(alice_socket, "agent_state")
    assert [(p["username"], p["state"], p["reason"]) for p in pushed] == [("alice", "idle", "Break")]
    assert [p["username"] for p in events(sam_socket, "agent_state")] == ["alice"]
    assert bob_socket.get_received() == []


def test_reconnect_gets_the_current_state_not_a_stale_one(app, socketio, signed_in):
    alice = signed_in("alice")
    first = socketio.test_client(app, flask_test_client=alice.client)
    first.disconnect()
    alice.post("/api/agent/state", json={"state": "available"})
    again = socketio.test_client(app, flask_test_client=alice.client)
    assert events(again, "snapshot")[0]["agent"]["state"] == "available"


def test_supervisor_can_ask_for_a_fresh_snapshot(app, socketio, signed_in):
    sam = socketio.test_client(app, flask_test_client=signed_in("sam").client)
    sam.get_received()
    sam.emit("supervisor_refresh")
    snapshot = events(sam, "supervisor_snapshot")[0]
    assert [q["name"] for q in snapshot["queues"]] == ["sales"]
    alice = socketio.test_client(app, flask_test_client=signed_in("alice").client)
    alice.get_received()
    alice.emit("supervisor_refresh")
    assert alice.get_received() == []  # agents do not get the supervisor view
