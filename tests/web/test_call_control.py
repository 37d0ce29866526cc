"""Every agent call action through the API, on the real stack (controller + simulator over ESL).

Each test asserts both sides: what the API and the pushes say, and what the simulated
switch really does (who is bridged to whom, who hears music, which legs are left).
"""
from __future__ import annotations

import pytest


@pytest.fixture
def desk(signed_in, live_center, simulator, pushes, people):
    return Desk(signed_in, live_center, simulator, pushes)


class Desk:
    """Helpers over the real stack: a connected call, waits on pushes and on the switch."""

    def __init__(self, signed_in, cc, sim, pushes):
        self.cc, self.sim, self.pushes = cc, sim, pushes
        self.alice = signed_in("alice")
        self.bob = signed_in("bob")

    def available(self, who):
        assert who.post("/api/agent/state", json={"state": "available"}).status_code == 200

    def connected_call(self, **customer):
        """alice talking to a customer; returns (call id, customer uuid, alice's leg uuid)."""
        self.available(self.alice)
        customer_uuid = self.sim.customer_call("8005550100", ani="5550100", **customer)
        _, _, call = self.wait_call(lambda c: c["state"] == "connected", agent=self.alice)
        agent_uuid = self.cc.by_id[call["id"]].record.agent_uuid
        self.sim.wait_for(lambda: self.sim.hears(customer_uuid) == f"party:{agent_uuid}")
        return call["id"], customer_uuid, agent_uuid

    def wait_call(self, predicate, agent=None, event="call"):
        room = f"agent:{agent.agent_id}" if agent else "supervisors"
        return self.pushes.wait_for(lambda r, e, p: r == room and e == event and predicate(p))

    def wait_agent(self, who, state, timeout=10):
        return self.pushes.wait_for(lambda r, e, p: r == f"agent:{who.agent_id}" and e == "agent_state"
                                    and p["state"] == state, timeout=timeout)

    def hears(self, uuid, what):
        self.sim.wait_for(lambda: self.sim.hears(uuid) == what, timeout=5)

    def gone(self, uuid):
        self.sim.wait_for(lambda: uuid not in self.sim.channels, timeout=5)

    def act(self, who, call_id, action, json=None, status=200):
        response = who.post(f"/api/calls/{call_id}/{action}", json=json if json is not None else {})
        assert response.status_code == status, response.get_json()
        return response.get_json()


# -- hold --------------------------------------------------------------------------------

def test_hold_plays_music_to_the_customer_and_unhold_reconnects(desk):
    call_id, customer, agent = desk.connected_call()
    body = desk.act(desk.alice, call_id, "hold")
    assert body["call"]["state"] == "held" and body["call"]["held"] is True
    assert "unhold" in body["call"]["allowed"] and "hangup" not in body["call"]["allowed"]
    desk.hears(customer, "moh")
    desk.hears(agent, "silence")
    assert agent in desk.sim.channels  # the agent's phone stays up, parked

    # End is refused while the customer is held, with a sentence
    refused = desk.act(desk.alice, call_id, "hangup", status=409)
    assert "on hold" in refused["error"]

    body = desk.act(desk.alice, call_id, "unhold")
    assert body["call"]["state"] == "connected"
    desk.hears(customer, f"party:{agent}")
    desk.hears(agent, f"party:{customer}")
    desk.act(desk.alice, call_id, "unhold", status=409)


def test_customer_hanging_up_while_held_ends_cleanly(desk):
    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "hold")
    desk.hears(customer, "moh")
    desk.sim.hangup(customer)
    desk.wait_call(lambda c: c["id"] == call_id, agent=desk.alice, event="call_ended")
    desk.wait_agent(desk.alice, "wrap_up")
    desk.gone(agent)  # no leaked agent leg
    assert desk.alice.get("/api/calls").get_json()["calls"] == []


def test_agent_hanging_up_while_customer_held_keeps_the_customer(desk):
    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "hold")
    desk.hears(customer, "moh")
    desk.sim.hangup(agent)
    _, _, call = desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "queued")
    assert customer in desk.sim.channels  # not dropped by the agent's hangup
    desk.wait_agent(desk.alice, "wrap_up")
    # the customer is offered again once an agent is free: bob takes it
    desk.available(desk.bob)
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected", agent=desk.bob)


# -- blind transfer ------------------------------------------------------------------------

def test_blind_transfer_to_an_agent(desk):
    call_id, customer, agent = desk.connected_call()
    desk.available(desk.bob)
    body = desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"agent": "bob"}})
    desk.wait_agent(desk.alice, "wrap_up")
    desk.gone(agent)
    _, _, call = desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected", agent=desk.bob)
    bob_leg = desk.cc.by_id[call_id].record.agent_uuid
    desk.hears(customer, f"party:{bob_leg}")
    assert body["call"]["state"] in ("offering", "queued")
    # alice is no longer part of it, but wraps it up
    assert desk.alice.post(f"/api/calls/{call_id}/hold").status_code == 403
    assert desk.alice.get("/api/me").get_json()["agent"]["wrapup_call_id"] == call_id
    assert desk.alice.post(f"/api/calls/{call_id}/wrapup", json={"reason": "Resolved"}).status_code == 200
    desk.wait_agent(desk.alice, "available")


def test_blind_transfer_to_an_agent_who_does_not_answer_returns_to_the_queue(desk):
    desk.sim.add_phone("1001", behaviour="never")
    call_id, customer, agent = desk.connected_call()
    desk.available(desk.bob)
    desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"agent": "bob"}})
    desk.wait_agent(desk.bob, "rona", timeout=15)  # the queue's ring timeout is 10 s
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "queued")
    assert customer in desk.sim.channels
    desk.hears(customer, "moh")


def test_blind_transfer_to_a_busy_agent_is_refused(desk):
    call_id, customer, agent = desk.connected_call()
    refused = desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"agent": "bob"}}, status=409)
    assert "Bob Agent cannot take a call now" in refused["error"]
    refused = desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"agent": "nobody"}}, status=400)
    assert "No agent is called 'nobody'" in refused["error"]
    desk.hears(customer, f"party:{agent}")  # nothing changed on the switch


def test_blind_transfer_to_a_queue(desk, people):
    from controller.models import AgentQueue, Queue

    support = Queue.create(name="support", label="Support", ring_timeout=10, hold_music="local_stream://support")
    AgentQueue.create(agent=people.bob, queue=support)
    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"queue": "support"}})
    desk.wait_agent(desk.alice, "wrap_up")
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "queued" and c["queue"] == "support")
    desk.hears(customer, "playback:local_stream://support")  # the new queue's music, not the old one's
    desk.available(desk.bob)
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected", agent=desk.bob)


def test_blind_transfer_to_a_queue_with_a_priority_goes_ahead_of_earlier_callers(desk, people):
    from controller.models import AgentQueue, Interaction, Queue

    support = Queue.create(name="support", label="Support", ring_timeout=10)
    AgentQueue.create(agent=people.bob, queue=support)
    desk.sim.add_did("8005550200", queue="support")
    call_id, customer, agent = desk.connected_call()
    desk.sim.customer_call("8005550200", ani="5550177")              # support's own caller, waiting first
    _, _, waiting = desk.wait_call(lambda c: c["ani"] == "5550177" and c["state"] == "queued")

    body = desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"queue": "support"}, "priority": 60})
    assert body["call"]["priority"] == 60
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "queued" and c["queue"] == "support")
    assert Interaction.get_by_id(call_id).priority == 60
    desk.available(desk.bob)
    _, _, offered = desk.wait_call(lambda c: c["state"] == "offering", agent=desk.bob)
    assert offered["id"] == call_id                                   # ahead of the caller who waited longer
    assert desk.cc.by_id[waiting["id"]].state == "queued"


@pytest.mark.parametrize("body, message", [
    ({"mode": "blind", "to": {"queue": "sales"}, "priority": 101}, "'priority' must be at most 100."),
    ({"mode": "blind", "to": {"queue": "sales"}, "priority": -1}, "'priority' must be at least 0."),
    ({"mode": "blind", "to": {"queue": "sales"}, "priority": "50"}, "'priority' must be a whole number."),
    ({"mode": "blind", "to": {"queue": "sales"}, "priority": True}, "'priority' must be a whole number."),
    ({"mode": "blind", "to": {"agent": "bob"}, "priority": 10},
     "'priority' goes only with a blind transfer to a queue."),
    ({"mode": "consult", "to": {"queue": "sales"}, "priority": 10},
     "'priority' goes only with a blind transfer to a queue."),
    ({"mode": "blind", "to": {"queue": "sales", "priority": 10}}, "'to.priority' is not a field of this request."),
])
def test_a_transfer_priority_is_checked_and_a_bad_one_changes_nothing(desk, body, message):
    call_id, customer, agent = desk.connected_call()
    refused = desk.act(desk.alice, call_id, "transfer", body, status=400)
    assert refused["error"] == message
    assert desk.cc.by_id[call_id].state == "connected" and desk.cc.by_id[call_id].record.priority == 0
    desk.hears(customer, f"party:{agent}")


def test_the_controller_checks_a_transfer_priority_too(desk):
    from controller.calls.errors import BadInput

    call_id, customer, agent = desk.connected_call()
    with pytest.raises(BadInput, match=r"^Priority must be from 0 to 100 \(got 101\)\.$"):
        desk.cc.transfer(call_id, None, {"queue": "sales"}, priority=101)
    with pytest.raises(BadInput, match=r"^Priority must be a whole number from 0 to 100"):
        desk.cc.transfer(call_id, None, {"queue": "sales"}, priority="soon")
    with pytest.raises(BadInput, match=r"^A priority goes only with a transfer to a queue\.$"):
        desk.cc.transfer(call_id, None, {"agent": "bob"}, priority=5)
    assert desk.cc.by_id[call_id].state == "connected"


def test_blind_transfer_to_an_external_number(desk):
    desk.sim.set_number("+442079460958", answer_after=0.2)
    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"number": "+44 20 7946 0958"}})
    desk.wait_agent(desk.alice, "wrap_up")
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "transferred")
    legs = desk.cc.by_id[call_id].legs
    external = next(u for u, leg in legs.items() if leg.role == "external")
    desk.hears(customer, f"party:{external}")
    desk.gone(agent)


@pytest.mark.parametrize("number", ["1000\nhupall", "1000 bgapi", "{origination_uuid=x}1000", "12,34", "ab"])
def test_dial_strings_never_carry_injection(desk, number):
    call_id, customer, agent = desk.connected_call()
    refused = desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"number": number}}, status=400)
    assert refused["error"]
    desk.hears(customer, f"party:{agent}")
    assert len(desk.sim.channels) == 2


# -- consultation ------------------------------------------------------------------------------

def start_consult(desk, **phone):
    if phone:
        desk.sim.add_phone("1001", **phone)
    call_id, customer, agent = desk.connected_call()
    desk.available(desk.bob)
    body = desk.act(desk.alice, call_id, "consult", {"to": {"agent": "bob"}})
    assert body["call"]["state"] == "consulting" and body["call"]["consult"]["phase"] == "ringing"
    # until the target answers, only cancel is possible
    assert "consult_complete" not in body["call"]["allowed"] and "consult_cancel" in body["call"]["allowed"]
    desk.hears(customer, "moh")
    consult_uuid = desk.cc.by_id[call_id].consult.uuid
    return call_id, customer, agent, consult_uuid


def talking(desk, call_id, consult_uuid, agent):
    desk.wait_call(lambda c: c["id"] == call_id and (c["consult"] or {}).get("phase") == "talking",
                   agent=desk.alice)
    desk.hears(agent, f"party:{consult_uuid}")


def test_consult_cancel_while_ringing(desk):
    call_id, customer, agent, consult = start_consult(desk, behaviour="never")
    assert desk.act(desk.alice, call_id, "consult/complete", status=409)["error"].endswith("has not answered yet")
    body = desk.act(desk.alice, call_id, "consult/cancel")
    assert body["call"]["state"] == "connected" and body["call"]["consult"] is None
    desk.hears(customer, f"party:{agent}")
    desk.gone(consult)
    desk.wait_agent(desk.bob, "available")


@pytest.mark.parametrize("behaviour", ["reject", "busy"])
def test_consult_target_declines(desk, behaviour):
    call_id, customer, agent, consult = start_consult(desk, behaviour=behaviour)
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected", agent=desk.alice)
    desk.hears(customer, f"party:{agent}")
    desk.wait_agent(desk.bob, "available")


def test_consult_target_hangs_up_after_talking(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    desk.sim.hangup(consult)
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected", agent=desk.alice)
    desk.hears(customer, f"party:{agent}")
    desk.wait_agent(desk.bob, "available")  # released without wrap-up


def test_consulted_agent_ends_the_consultation(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    desk.wait_agent(desk.bob, "on_call")
    _, _, seen = desk.wait_call(lambda c: c["id"] == call_id and c["role"] == "consulted"
                                  and c["consult"]["phase"] == "talking", agent=desk.bob)
    assert seen["allowed"] == ["hangup", "data"]  # they talk about the contact: they see and edit its data
    assert desk.bob.post(f"/api/calls/{call_id}/consult/complete").status_code == 403
    desk.act(desk.bob, call_id, "hangup")
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected", agent=desk.alice)
    desk.hears(customer, f"party:{agent}")
    desk.wait_agent(desk.bob, "available")


def test_consult_swap_never_holds_both(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    body = desk.act(desk.alice, call_id, "consult/swap")
    assert body["call"]["state"] == "consult_held"
    desk.hears(customer, f"party:{agent}")
    desk.hears(consult, "moh")
    body = desk.act(desk.alice, call_id, "consult/swap")
    assert body["call"]["state"] == "consulting"
    desk.hears(agent, f"party:{consult}")
    desk.hears(customer, "moh")


def test_consult_complete_hands_the_customer_over(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    body = desk.act(desk.alice, call_id, "consult/complete")
    desk.hears(customer, f"party:{consult}")
    desk.gone(agent)
    desk.wait_agent(desk.alice, "wrap_up")
    _, _, call = desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "connected"
                                and c["role"] == "owner", agent=desk.bob)
    assert call["agent_id"] == desk.bob.agent_id
    assert body["call"]["agent_id"] == desk.bob.agent_id


def test_customer_hangs_up_during_consult(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    desk.sim.hangup(customer)
    desk.wait_call(lambda c: c["id"] == call_id, agent=desk.alice, event="call_ended")
    desk.wait_agent(desk.alice, "wrap_up")
    desk.wait_agent(desk.bob, "available")  # consulted: disconnected without wrap-up
    desk.gone(agent)
    desk.gone(consult)


def test_customer_hangs_up_while_consult_rings(desk):
    call_id, customer, agent, consult = start_consult(desk, behaviour="never")
    desk.sim.hangup(customer)
    desk.wait_agent(desk.alice, "wrap_up")
    desk.wait_agent(desk.bob, "available")
    desk.gone(consult)
    desk.gone(agent)


# -- conference -------------------------------------------------------------------------------

def test_three_way_conference_and_parties_leaving(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    body = desk.act(desk.alice, call_id, "consult/conference")
    assert body["call"]["state"] == "conference"
    room = desk.cc.by_id[call_id].room.split("@")[0]
    for uuid in (customer, agent, consult):
        desk.hears(uuid, f"conference:{room}")
    # alice leaves: bob and the customer stay connected, bob now owns the call
    desk.act(desk.alice, call_id, "hangup")
    desk.wait_agent(desk.alice, "wrap_up")
    desk.gone(agent)
    desk.wait_call(lambda c: c["id"] == call_id and c["role"] == "owner", agent=desk.bob)
    desk.hears(customer, f"conference:{room}")
    desk.hears(consult, f"conference:{room}")
    # the customer leaves: bob is alone and is hung up; the call ends
    desk.sim.hangup(customer)
    desk.wait_call(lambda c: c["id"] == call_id, agent=desk.bob, event="call_ended")
    desk.gone(consult)
    desk.wait_agent(desk.bob, "wrap_up")


def test_conference_with_external_party_when_agent_leaves(desk):
    desk.sim.set_number("+13125550199", answer_after=0.2)
    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "consult", {"to": {"number": "(312) 555-0199"}})
    consult = desk.cc.by_id[call_id].consult.uuid
    talking(desk, call_id, consult, agent)
    desk.act(desk.alice, call_id, "consult/conference")
    desk.act(desk.alice, call_id, "hangup")
    desk.wait_agent(desk.alice, "wrap_up")
    room = desk.cc.by_id[call_id].room.split("@")[0]
    desk.hears(customer, f"conference:{room}")
    desk.hears(consult, f"conference:{room}")
    desk.sim.hangup(consult)
    desk.wait_call(lambda c: c["id"] == call_id, event="call_ended")
    desk.gone(customer)


# -- recording ---------------------------------------------------------------------------------

def test_recording_start_pause_resume_stop_and_tags(desk):
    from controller.models import Recording, RecordingTag

    call_id, customer, agent = desk.connected_call()
    body = desk.act(desk.alice, call_id, "recording", {"action": "start"})
    assert body["call"]["recording"]["paused"] is False
    assert [r["uuid"] for r in desk.sim.recordings() if r["active"]] == [customer]
    desk.act(desk.alice, call_id, "recording", {"action": "start"}, status=409)
    body = desk.act(desk.alice, call_id, "recording", {"action": "pause", "seconds": 1})
    assert body["call"]["recording"]["paused"] is True and body["call"]["recording"]["resume_at"]
    # the privacy shield resumes by itself
    desk.sim.wait_for(lambda: not desk.alice.get(f"/api/calls/{call_id}").get_json()["call"]["recording"]["paused"],
                      timeout=5)
    tag = desk.alice.post(f"/api/calls/{call_id}/recording/tags", json={"text": "card number read out"})
    assert tag.status_code == 201 and tag.get_json()["tag"]["offset_seconds"] >= 1
    desk.act(desk.alice, call_id, "recording", {"action": "stop"})
    desk.sim.wait_for(lambda: not any(r["active"] for r in desk.sim.recordings()))
    row = Recording.get()
    assert row.stopped_at is not None and row.path.endswith(".wav")
    assert RecordingTag.get().text == "card number read out"


def test_recording_pause_is_refused_during_consult(desk):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    desk.act(desk.alice, call_id, "recording", {"action": "start"})
    refused = desk.act(desk.alice, call_id, "recording", {"action": "pause"}, status=409)
    assert "consultation" in refused["error"]


def test_customer_hangs_up_during_privacy_shield(desk):
    from controller.models import Recording

    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "recording", {"action": "start"})
    desk.act(desk.alice, call_id, "recording", {"action": "pause", "seconds": 30})
    desk.sim.hangup(customer)
    desk.wait_agent(desk.alice, "wrap_up")
    desk.gone(agent)
    assert Recording.get().stopped_at is not None


# -- outbound ------------------------------------------------------------------------------------

def test_outbound_call_rings_the_agent_first_then_the_number(desk):
    desk.available(desk.alice)
    desk.sim.set_number("+13125550100", answer_after=0.3)
    response = desk.alice.post("/api/calls", json={"to": {"number": "312-555-0100"}})
    assert response.status_code == 201, response.get_json()
    call = response.get_json()["call"]
    assert call["state"] == "dialing" and call["direction"] == "outbound"
    _, _, connected = desk.wait_call(lambda c: c["id"] == call["id"] and c["state"] == "connected",
                                     agent=desk.alice)
    record = desk.cc.by_id[call["id"]].record
    desk.hears(record.customer_uuid, f"party:{record.agent_uuid}")
    desk.act(desk.alice, call["id"], "hangup")
    desk.wait_agent(desk.alice, "wrap_up")
    desk.gone(record.customer_uuid)


def test_outbound_call_not_answered_ends_with_the_reason(desk):
    desk.available(desk.alice)
    desk.sim.set_number("+13125550111", behaviour="busy")
    response = desk.alice.post("/api/calls", json={"to": {"number": "+1 312 555 0111"}})
    call = response.get_json()["call"]
    _, _, ended = desk.wait_call(lambda c: c["id"] == call["id"], agent=desk.alice, event="call_ended")
    assert "USER_BUSY" in ended["end_reason"]
    desk.wait_agent(desk.alice, "wrap_up")


def test_call_another_agent(desk):
    desk.available(desk.alice)
    desk.available(desk.bob)
    response = desk.alice.post("/api/calls", json={"to": {"agent": "bob"}})
    assert response.status_code == 201, response.get_json()
    call = response.get_json()["call"]
    desk.wait_call(lambda c: c["id"] == call["id"] and c["state"] == "connected", agent=desk.bob)
    desk.wait_agent(desk.bob, "on_call")
    desk.act(desk.bob, call["id"], "hangup")
    desk.wait_agent(desk.alice, "wrap_up")
    desk.wait_agent(desk.bob, "available")


def test_accept_from_the_desktop_answers_the_phone(desk):
    desk.sim.add_phone("1000", behaviour="answer", answer_after=30)
    desk.available(desk.alice)
    desk.sim.customer_call("8005550100", ani="5550100")
    _, _, offer = desk.wait_call(lambda c: c["state"] == "offering", agent=desk.alice)
    assert offer["allowed"] == ["accept"]
    desk.act(desk.alice, offer["id"], "accept")
    desk.wait_call(lambda c: c["id"] == offer["id"] and c["state"] == "connected", agent=desk.alice)


def test_supervisor_may_act_on_any_call_and_agents_only_on_theirs(desk, signed_in):
    call_id, customer, agent = desk.connected_call()
    assert desk.bob.post(f"/api/calls/{call_id}/hold").status_code == 403
    assert desk.bob.get(f"/api/calls/{call_id}").status_code == 403
    sam = signed_in("sam")
    assert sam.get(f"/api/calls/{call_id}").get_json()["call"]["state"] == "connected"
    desk.act(sam, call_id, "hold")
    desk.hears(customer, "moh")


def test_queue_label_and_caller_number_with_spaces_still_offer(desk, people):
    """A queue label or caller number that cannot go into a dial string is cleaned, not fatal."""
    from controller.models import Queue

    Queue.update(label="Sales, Team {1}").where(Queue.id == people.queue.id).execute()
    desk.cc.reload_queues()
    desk.available(desk.alice)
    desk.sim.customer_call("8005550100", ani="+1 (555) 0100")
    desk.wait_call(lambda c: c["state"] == "connected", agent=desk.alice)


def test_a_caller_number_in_other_scripts_digits_still_offers(desk):
    """str.isdigit() takes "١" (Arabic-Indic) and "²": the caller id keeps ASCII digits only."""
    desk.available(desk.alice)
    desk.sim.customer_call("8005550100", ani="\u0665\u0665\u0665\u00b2100")
    desk.wait_call(lambda c: c["state"] == "connected", agent=desk.alice)


@pytest.mark.parametrize("extension", ["\u0661\u0660\u0660\u0661", "10\u00b2", "\uff11\uff10\uff10\uff11"])
def test_an_extension_in_other_scripts_digits_is_refused(desk, extension):
    """An extension of non-ASCII digits is a 400 that changes nothing, never a 500 or a stuck agent."""
    call_id, customer, agent = desk.connected_call()
    refused = desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"extension": extension}},
                       status=400)
    assert refused["error"] == "An extension is 2 to 8 digits."
    desk.hears(customer, f"party:{agent}")
    desk.act(desk.alice, call_id, "hangup")
    desk.wait_agent(desk.alice, "wrap_up")
    desk.available(desk.bob)
    response = desk.bob.post("/api/calls", json={"to": {"extension": extension}})
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"] == "An extension is 2 to 8 digits."
    bob = desk.cc.agent(desk.bob.agent_id)
    assert bob.state == "available" and bob.call_id is None
