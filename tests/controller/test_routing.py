"""Routing on the real stack: a waiting call is offered to one agent at a time."""
from __future__ import annotations

import gevent
import gevent.event


def test_a_call_waiting_for_its_offer_is_not_routed_again(live_center, people, simulator, pushes):
    """Routing hands a call to an agent; until the call's own handler rings that agent the
    call still reads ``queued``. Another routing pass (a second agent going Available) must
    not hand it out again: the second agent would flash to Ringing and lose their place."""
    from controller.models import Agent

    simulator.customer_call("8005550100", ani="5550177")
    _, _, queued = pushes.wait_for(lambda room, event, p: room == "supervisors" and event == "call"
                                   and p["state"] == "queued")
    call = live_center.by_id[queued["id"]]

    # hold the call's handler so the offer cannot run before the second routing pass
    release = gevent.event.Event()
    live_center.dispatcher.submit(call.key, lambda: release.wait(10))
    live_center.set_agent_state(people.alice.id, "available")
    pushes.wait_for(lambda room, event, p: room == f"agent:{people.alice.id}" and event == "agent_state"
                    and p["state"] == "ringing")
    live_center.set_agent_state(people.bob.id, "available")
    bob_idle_since = Agent.get_by_id(people.bob.id).idle_since
    gevent.sleep(0.3)  # the router's pass for bob has run (it has nothing to wait for)
    release.set()

    pushes.wait_for(lambda room, event, p: event == "call" and p["id"] == call.id and p["state"] == "connected")
    bob_states = [p["state"] for room, event, p in pushes.pushes
                  if room == f"agent:{people.bob.id}" and event == "agent_state"]
    assert bob_states == ["available"], "bob was offered a call that alice had already been given"
    assert live_center.agent(people.bob.id).state == "available"
    assert Agent.get_by_id(people.bob.id).idle_since == bob_idle_since  # bob keeps his place in line
    assert call.record.agent_id == people.alice.id


def test_routing_requests_made_while_a_pass_waits_share_it_and_none_is_lost(contact_center):
    """Every state change asks for a routing pass; those that come while a pass is queued are
    served by that pass (it reads the state when it starts). One asked for while a pass runs
    gets a pass of its own: the running pass may have read the state before the change."""
    from controller.service import ROUTER

    cc = contact_center
    passes = []

    def route_contacts():
        passes.append(len(passes))
        if len(passes) == 1:
            cc.request_routing()  # a change during the first pass

    cc.route_contacts = route_contacts
    busy = gevent.event.Event()
    cc.dispatcher.submit(ROUTER, lambda: busy.wait(10))  # the router is still on something else
    for _ in range(5):
        cc.request_routing()
    busy.set()
    assert cc.dispatcher.join(5)
    assert passes == [0, 1]
