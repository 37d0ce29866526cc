"""Calls survive ESL drops and controller restarts: re-adopted if up, finished if gone."""
from __future__ import annotations

import gevent

from controller.models import Interaction, InteractionEvent
from controller.service import ContactCenter


def wait(predicate, timeout=10.0, what="condition"):
    with gevent.Timeout(timeout, AssertionError(f"timed out waiting for {what}")):
        while not predicate():
            gevent.sleep(0.01)


def connected_call(cc, sim, people, ani="5550100"):
    """Alice available, a customer calls, her phone answers, the legs are bridged."""
    cc.set_agent_state(people.alice.id, "available")
    customer = sim.customer_call("8005550100", ani=ani)
    wait(lambda: any(c.state == "connected" for c in cc.by_id.values()), what="call connected")
    call = next(c for c in cc.by_id.values() if c.state == "connected")
    return customer, call


def test_call_flows_from_queue_to_agent_and_ends_in_wrap_up(live_center, simulator, people, pushes):
    customer, call = connected_call(live_center, simulator, people)
    agent_leg = call.record.agent_uuid
    assert simulator.channels[customer].partner == agent_leg
    assert simulator.hears(customer) == f"party:{agent_leg}"
    assert live_center.agents[people.alice.id].state == "on_call"
    simulator.hangup(customer)
    pushes.wait_for(lambda room, ev, p: ev == "agent_state" and p["state"] == "wrap_up" and room == f"agent:{people.alice.id}")
    wait(lambda: agent_leg not in simulator.channels, what="agent leg hung up")
    record = Interaction.get_by_id(call.id)
    assert record.state == "ended" and record.end_reason.startswith("customer hung up")
    assert [h.trigger for h in InteractionEvent.select().where(InteractionEvent.interaction == call.id)
            .order_by(InteractionEvent.id)] == ["enqueue", "offer", "connect", "customer_left"]


def test_esl_drop_keeps_the_live_call(live_center, simulator, people, pushes):
    customer, call = connected_call(live_center, simulator, people)
    simulator.restart_esl()
    wait(lambda: live_center.esl.connections >= 2 and live_center.esl.connected.is_set(), what="reconnect")
    assert live_center.by_id[call.id].state == "connected"
    # the re-adopted call still reacts to its events
    simulator.hangup(customer)
    pushes.wait_for(lambda room, ev, p: ev == "call_ended" and p["id"] == call.id)
    assert Interaction.get_by_id(call.id).state == "ended"
    assert live_center.agents[people.alice.id].state == "wrap_up"


def test_controller_restart_adopts_live_calls_and_finishes_gone_ones(live_center, simulator, people, settings):
    kept, kept_call = connected_call(live_center, simulator, people)
    live_center.set_agent_state(people.bob.id, "idle")
    waiting = simulator.customer_call("8005550100", ani="5550111")
    wait(lambda: any(c.state == "queued" for c in live_center.by_id.values()), what="second call queued")
    waiting_call = next(c for c in live_center.by_id.values() if c.state == "queued")
    live_center.stop()

    # while the controller is down: the waiting caller gives up, a new caller arrives
    simulator.hangup(waiting)
    newcomer = simulator.customer_call("8005550100", ani="5550122")
    wait(lambda: simulator.channels[newcomer].application == "park", what="newcomer parked")

    restarted = ContactCenter(settings)
    restarted.start()
    try:
        wait(lambda: restarted.esl.connected.is_set(), what="connect")
        wait(lambda: Interaction.get_by_id(waiting_call.id).state == "ended", what="gone call finished")
        assert "disconnected" in Interaction.get_by_id(waiting_call.id).end_reason
        wait(lambda: any(c.record.customer_uuid == newcomer for c in restarted.by_id.values()),
             what="newcomer queued")
        adopted = restarted.by_id[kept_call.id]
        assert adopted.state == "connected"
        assert restarted.agents[people.alice.id].state == "on_call"
        simulator.hangup(kept)
        wait(lambda: Interaction.get_by_id(kept_call.id).state == "ended", what="adopted call ends")
        wait(lambda: restarted.agents[people.alice.id].state == "wrap_up", what="agent in wrap-up")
    finally:
        restarted.stop()


def test_ring_no_answer_puts_the_call_back_and_the_agent_in_rona(live_center, simulator, people, pushes):
    simulator.add_phone(people.alice.extension, behaviour="never")
    people.queue.ring_timeout = 1
    people.queue.save()
    live_center.reload_queues()
    live_center.set_agent_state(people.alice.id, "available")
    simulator.customer_call("8005550100", ani="5550100")
    pushes.wait_for(lambda room, ev, p: ev == "agent_state" and p["state"] == "rona", timeout=15)
    call = next(iter(live_center.by_id.values()))
    wait(lambda: call.state == "queued", what="call back in queue")
    # the agent's ringing leg is gone and the customer still waits
    assert all(ch.direction == "inbound" for ch in simulator.channels.values())
