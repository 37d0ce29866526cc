"""What the desktop's callback panes read: Missed calls (requests above abandoned calls, which request
is news), the Agenda form of a call (who may open it, what it starts from) and callback popovers in the
reconnect snapshot — over HTTP and Socket.IO on the real stack."""
from __future__ import annotations

import datetime as dt

from .conftest import CUSTOMER, callback_rows


def received(client, name):
    return [p["args"][0] for p in client.get_received() if p["name"] == name]


def handled_call(alice, simulator, pushes, ani=CUSTOMER):
    """alice answers a customer of sales who then hangs up: the call alice wraps up."""
    alice.post("/api/agent/state", json={"state": "available"})
    uuid = simulator.customer_call("8005550100", ani=ani)
    _, _, call = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "call"
                                 and p["state"] == "connected")
    simulator.hangup(uuid)
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "agent_state" and p["state"] == "wrap_up")
    return call


def test_missed_calls_lists_callback_requests_above_abandoned_calls_and_notifies_only_requests(
        sales, live_center, simulator, pushes, signed_in):
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.save()
    alice = signed_in("alice")                                    # logged out: nobody is offered anything
    request = alice.post("/api/callbacks", json={"number": "+12125550188", "queue": "sales", "name": "Ada"})
    assert request.status_code == 201, request.get_json()
    uuid = simulator.customer_call("8005550100", ani=CUSTOMER)    # then a caller gives up waiting
    pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "call" and p["state"] == "queued")
    simulator.hangup(uuid)
    _, _, abandoned = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback"
                                      and p["kind"] == "abandoned")

    listed = alice.get("/api/callbacks?view=missed").get_json()["callbacks"]
    # the request is older, and still on top
    assert [(c["kind"], c["number"]) for c in listed] == [("web", "+12125550188"), ("abandoned", CUSTOMER)]
    told = {p["kind"]: p["notify"] for r, e, p in pushes.pushes if r == f"agent:{alice.agent_id}" and e == "callback"}
    assert told == {"web": True, "abandoned": False}
    assert abandoned["notify"] is False


def test_the_agenda_form_of_a_call_starts_from_the_customer_and_is_only_for_who_handled_it(
        sales, live_center, simulator, pushes, signed_in):
    alice, bob = signed_in("alice"), signed_in("bob")
    call = handled_call(alice, simulator, pushes)

    defaults = alice.get(f"/api/calls/{call['id']}/agenda")
    assert defaults.status_code == 200, defaults.get_json()
    assert defaults.get_json() == {"contact_id": call["id"], "number": CUSTOMER, "callable": True,
                                   "time_zone": "America/New_York", "queue": "sales", "scopes": ["personal"]}
    # another agent of the queue did not handle it: neither the form nor an agenda for it
    assert bob.get(f"/api/calls/{call['id']}/agenda").status_code == 403
    refused = bob.post("/api/agenda", json={"number": CUSTOMER, "date": "2030-01-01", "time": "10:00",
                                            "time_zone": "America/New_York", "contact_id": call["id"]})
    assert refused.status_code == 403 and refused.get_json()["error"] == "You are not part of this call."
    assert callback_rows() == []
    assert alice.get("/api/calls/no-such-call/agenda").status_code == 404

    saved = alice.post("/api/agenda", json={"number": CUSTOMER, "date": "2030-01-01", "time": "10:00",
                                            "time_zone": "America/New_York", "contact_id": call["id"],
                                            "reason": "Send the quote"})
    assert saved.status_code == 201, saved.get_json()
    cb = saved.get_json()["callback"]
    assert (cb["kind"], cb["owner"]["username"], cb["due_at"], cb["original_contact_id"]) == \
        ("personal", "alice", "2030-01-01T15:00:00Z", call["id"])


def test_a_global_agenda_is_offered_when_the_calls_queue_has_a_campaign(
        sales, live_center, simulator, pushes, signed_in):
    from controller.models import Campaign

    Campaign.create(queue=sales, active=False)
    alice = signed_in("alice")
    call = handled_call(alice, simulator, pushes, ani="+33142685300")
    defaults = alice.get(f"/api/calls/{call['id']}/agenda").get_json()
    assert defaults["scopes"] == ["personal", "global"] and defaults["time_zone"] == "Europe/Paris"


def test_a_callback_popover_is_in_the_snapshot_with_its_deadline_until_it_is_declined(
        app, socketio, sales, live_center, simulator, pushes, signed_in):
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.save()
    live_center.reload_queues()
    alice = signed_in("alice")
    alice.post("/api/callbacks", json={"number": CUSTOMER, "queue": "sales"})
    alice.post("/api/agent/state", json={"state": "available"})
    _, _, offer = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer")
    assert offer["timeout"] == 10
    expires = dt.datetime.fromisoformat(offer["offer_expires_at"][:-1])
    assert dt.datetime.utcnow() < expires <= dt.datetime.utcnow() + dt.timedelta(seconds=10)

    # a page that (re)connects shows the same popover, counting down to the same moment
    socket = socketio.test_client(app, flask_test_client=alice.client)
    [snapshot] = received(socket, "snapshot")
    assert snapshot["callback_offers"] == [offer]
    assert snapshot["agent"]["state"] == "ringing"
    # another agent's snapshot never carries it
    bob_socket = socketio.test_client(app, flask_test_client=signed_in("bob").client)
    assert received(bob_socket, "snapshot")[0]["callback_offers"] == []

    assert alice.post(f"/api/callbacks/{offer['callback']['id']}/decline").status_code == 200
    socket.emit("refresh")
    [snapshot] = received(socket, "snapshot")
    assert snapshot["callback_offers"] == []
