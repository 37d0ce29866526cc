"""In-queue callback, end to end: a waiting caller presses 1, confirms, hangs up and keeps their place;
an agent is offered the callback, accepts, and after the queue's call delay the customer is dialed
with the number they called as caller id and bridged to the agent."""
from __future__ import annotations

import time

from .conftest import CUSTOMER, callback_rows, history


def wait_channel_gone(sim, uuid):
    sim.wait_for(lambda: uuid not in sim.channels, timeout=10)


def waiting(cc, ani):
    return next(c for c in cc.calls.values() if c.record.ani == ani)


def request_in_queue_callback(sim, pushes, ani=CUSTOMER):
    uuid = sim.customer_call("8005550100", ani=ani)
    pushes.wait_for(lambda room, event, p: room == "supervisors" and event == "call" and p["state"] == "queued")
    sim.send_dtmf(uuid, "1")                 # the callback key, while hearing the hold music
    sim.wait_for(lambda: "play_and_get_digits" in [a.name for a in sim.switch.get(uuid).apps])
    sim.send_dtmf(uuid, "1")                 # 1 = yes, call me back
    _, _, payload = pushes.wait_for(lambda room, event, p: event == "callback" and p["kind"] == "in_queue")
    wait_channel_gone(sim, uuid)             # thanked and hung up
    return uuid, payload


def test_caller_keeps_place_and_is_called_back_by_the_agent_who_accepts(sales, live_center, simulator, pushes,
                                                                        signed_in):
    from controller.models import Interaction

    sim = simulator
    first, cb = request_in_queue_callback(sim, pushes)
    original = Interaction.get(Interaction.customer_uuid == first)
    assert original.state == "ended" and "called back" in original.end_reason
    row = callback_rows()[0]
    assert (row.kind, row.status, row.number) == ("in_queue", "pending", CUSTOMER)
    assert row.original_contact_id == original.id and row.enqueued_at == original.enqueued_at
    assert (row.original_ani, row.original_dnis) == (CUSTOMER, "8005550100")
    assert not [p for r, e, p in pushes.pushes if e == "callback" and p.get("kind") == "abandoned"]

    # a caller who calls after the request waits behind the callback
    later = sim.customer_call("8005550100", ani="+12125550199")
    pushes.wait_for(lambda room, event, p: event == "call" and p["ani"] == "+12125550199" and p["state"] == "queued")

    alice = signed_in("alice")
    assert alice.post("/api/agent/state", json={"state": "available"}).status_code == 200
    _, _, offer = pushes.wait_for(lambda room, event, p: room == f"agent:{alice.agent_id}"
                                  and event == "callback_offer")
    assert offer["callback"]["id"] == row.id and offer["callback"]["queue"] == "sales"
    assert offer["callback"]["number"] == CUSTOMER and offer["callback"]["original_dnis"] == "8005550100"
    assert live_center.agents[alice.agent_id].state == "ringing"
    assert waiting(live_center, "+12125550199").state == "queued"  # not offered: alice has the callback

    accepted_at = time.time()
    response = alice.post(f"/api/callbacks/{row.id}/accept")
    assert response.status_code == 200, response.get_json()
    call = response.get_json()["call"]
    assert call["kind"] == "callback" and call["state"] == "dialing" and call["ani"] == CUSTOMER
    assert call["priority"] == original.priority

    _, _, connected = pushes.wait_for(lambda room, event, p: room == f"agent:{alice.agent_id}" and event == "call"
                                      and p["id"] == call["id"] and p["state"] == "connected", timeout=15)
    customer_leg = live_center.by_id[call["id"]].record.customer_uuid
    channel = sim.channels[customer_leg]
    assert channel.destination == CUSTOMER
    assert channel.caller_id_number == "8005550100"      # the number the customer dialed
    assert channel.created - accepted_at >= 0.9          # the queue's call_delay (1 s) after accepting
    agent_leg = live_center.by_id[call["id"]].record.agent_uuid
    sim.wait_for(lambda: sim.hears(customer_leg) == f"party:{agent_leg}")
    assert callback_rows()[0].status == "connected"

    assert alice.post(f"/api/calls/{call['id']}/hangup").status_code == 200
    pushes.wait_for(lambda room, event, p: event == "callback" and p["status"] == "completed")
    assert [h[1] for h in history(row.id)] == ["request", "offer", "dial", "answer", "complete"]
    assert live_center.agents[alice.agent_id].state == "wrap_up"
    sim.hangup(later)


def test_the_supervisor_chart_counts_a_callback_request_apart_from_abandoned_calls(sales, live_center, simulator,
                                                                                    pushes, signed_in):
    sim = simulator
    request_in_queue_callback(sim, pushes)
    gone = sim.customer_call("8005550100", ani="+12125550177")     # hangs up while waiting: abandoned
    pushes.wait_for(lambda room, event, p: event == "call" and p["ani"] == "+12125550177" and p["state"] == "queued")
    sim.hangup(gone)
    pushes.wait_for(lambda room, event, p: event == "callback" and p["kind"] == "abandoned")

    sam = signed_in("sam")

    def totals():
        buckets = sam.get("/api/supervisor/activity").get_json()["buckets"]
        return {key: sum(b[key] for b in buckets) for key in ("offered", "answered", "callback_requested",
                                                                "abandoned", "waiting")}

    # the call's end is written with the controller's next batch of writes
    sim.wait_for(lambda: totals()["waiting"] == 0, timeout=5)
    assert totals() == {"offered": 2, "answered": 0, "callback_requested": 1, "abandoned": 1, "waiting": 0}
