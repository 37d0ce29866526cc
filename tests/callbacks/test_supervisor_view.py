"""The supervisor's "Callbacks pending": in the supervisor snapshot (also after a reconnect), kept current by
the `callback` pushes to the supervisors' room, over Socket.IO and HTTP."""
from __future__ import annotations

from .conftest import CUSTOMER


def received(client, name):
    return [p["args"][0] for p in client.get_received() if p["name"] == name]


def test_callbacks_pending_are_in_the_snapshot_and_pushed_as_they_change(app, socketio, signed_in, sales,
                                                                         contact_center):
    sam = signed_in("sam")
    first = socketio.test_client(app, flask_test_client=sam.client)
    snapshot = received(first, "supervisor_snapshot")[0]
    assert (snapshot["callbacks"], snapshot["callbacks_total"], snapshot["callbacks_pending"]) == ([], 0, {"sales": 0})

    made = sam.post("/api/callbacks", json={"name": "Ada", "number": "(212) 555-0123", "queue": "sales"})
    assert made.status_code == 201, made.get_json()
    cb = made.get_json()["callback"]
    pushed = received(first, "callback")
    assert [(p["id"], p["status"], p["number"], p["queue"]) for p in pushed] == [(cb["id"], "pending", CUSTOMER,
                                                                               "sales")]
    first.disconnect()

    # a page that comes back reads it in its snapshot, with the count of its queue
    again = socketio.test_client(app, flask_test_client=sam.client)
    snapshot = received(again, "supervisor_snapshot")[0]
    assert [(c["id"], c["kind"], c["status"], c["number"], c["name"]) for c in snapshot["callbacks"]] == [
        (cb["id"], "web", "pending", CUSTOMER, "Ada")]
    assert (snapshot["callbacks_total"], snapshot["callbacks_pending"]) == (1, {"sales": 1})
    reply = sam.get("/api/supervisor").get_json()
    assert (len(reply["callbacks"]), reply["callbacks_pending"]) == (1, {"sales": 1})

    assert sam.post(f"/api/callbacks/{cb['id']}/cancel").status_code == 200
    assert [p["status"] for p in received(again, "callback")] == ["cancelled"]
    again.emit("supervisor_refresh")
    snapshot = received(again, "supervisor_snapshot")[0]
    assert (snapshot["callbacks"], snapshot["callbacks_total"], snapshot["callbacks_pending"]) == ([], 0, {"sales": 0})


def test_a_personal_agenda_is_listed_for_supervisors_but_not_in_the_agents_snapshot(app, socketio, signed_in, sales,
                                                                                   contact_center):
    alice, sam = signed_in("alice"), signed_in("sam")
    response = alice.post("/api/agenda", json={"number": "+12125550123", "date": "2099-01-02", "time": "10:00",
                                               "time_zone": "America/New_York", "reason": "quote", "queue": "sales"})
    assert response.status_code == 201, response.get_json()
    snapshot = received(socketio.test_client(app, flask_test_client=sam.client), "supervisor_snapshot")[0]
    assert [(c["kind"], c["owner"]["username"], c["due_at"]) for c in snapshot["callbacks"]] == [
        ("personal", "alice", "2099-01-02T15:00:00Z")]
    alice_socket = socketio.test_client(app, flask_test_client=alice.client)
    assert received(alice_socket, "supervisor_snapshot") == []
    assert alice.get("/api/supervisor").status_code == 403


def test_a_long_list_is_cut_to_the_soonest_due_and_the_counts_stay_exact(signed_in, sales, contact_center):
    import datetime as dt

    sam = signed_in("sam")
    soon = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1)
    for i, number in enumerate(("+12125550101", "+12125550102", "+12125550103")):
        when = (soon + dt.timedelta(minutes=10 * (2 - i))).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert sam.post("/api/callbacks", json={"number": number, "queue": "sales",
                                                "preferred_time": when}).status_code == 201
    view = contact_center.supervisor_callbacks(limit=2)
    assert [c["number"] for c in view["callbacks"]] == ["+12125550103", "+12125550102"]  # soonest due first
    assert (view["callbacks_total"], view["callbacks_pending"]) == (3, {"sales": 3})
