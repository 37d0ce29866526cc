"""Who is offered what first, on the real stack: caller priority (``cc_priority``, a blind
transfer's ``priority``), the old place kept after a ring-no-answer, and max wait's failover
to another queue or to an extension."""
from __future__ import annotations

import logging

import gevent.event
import pytest

from .conftest import callback_rows

PRIORITY_DID = "8005550111"
SUPPORT_DID = "8005550200"


def queued(sim, pushes, ani, did="8005550100"):
    """A customer calls ``did``; the call as pushed once it waits in its queue."""
    uuid = sim.customer_call(did, ani=ani)
    _, _, call = pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "call" and p["ani"] == ani
                                 and p["state"] == "queued")
    return uuid, call


def offered_to(pushes, agent_id, after=0):
    """The next call offered to the agent (pushed ``offering`` to them)."""
    _, _, call = pushes.wait_for(lambda r, e, p: r == f"agent:{agent_id}" and e == "call"
                                 and p["state"] == "offering" and pushes.pushes.index((r, e, p)) >= after, timeout=15)
    return call


@pytest.fixture
def support(people, live_center, simulator):
    """A second queue, ``support``, whose only agent is bob (no longer in sales), with a DID."""
    from controller.models import AgentQueue, Queue

    queue = Queue.create(name="support", label="Support", ring_timeout=10, hold_music="local_stream://support_tune")
    AgentQueue.delete().where((AgentQueue.agent == people.bob.id) & (AgentQueue.queue == people.queue.id)).execute()
    AgentQueue.create(agent=people.bob, queue=queue)
    simulator.add_did(SUPPORT_DID, queue="support")
    live_center.reload_queues()
    return queue


# -- priority ------------------------------------------------------------------------------------------

def test_a_later_caller_with_a_higher_priority_is_offered_first_equal_ones_in_arrival_order(
        live_center, simulator, pushes, people):
    simulator.add_did(PRIORITY_DID, queue="sales", variables={"cc_priority": "50"})
    _, first = queued(simulator, pushes, "+12125550101")
    _, vip = queued(simulator, pushes, "+12125550102", did=PRIORITY_DID)
    _, third = queued(simulator, pushes, "+12125550103")
    assert (first["priority"], vip["priority"], third["priority"]) == (0, 50, 0)
    from controller.models import Interaction

    assert Interaction.get_by_id(vip["id"]).priority == 50           # written down, not only pushed

    live_center.set_agent_state(people.alice.id, "available")
    assert offered_to(pushes, people.alice.id)["id"] == vip["id"]    # called last, offered first
    mark = len(pushes.pushes)
    live_center.set_agent_state(people.bob.id, "available")
    assert offered_to(pushes, people.bob.id, after=mark)["id"] == first["id"]   # then the earlier of the equal ones
    assert live_center.by_id[third["id"]].state == "queued"


def test_the_shipped_priority_line_queues_its_callers_with_priority_50(live_center, simulator, pushes):
    """freeswitch/conf's did_sales_priority, run by the simulator, read by the controller."""
    import pathlib

    simulator.load_conf(str(pathlib.Path(__file__).parents[2] / "freeswitch" / "conf"))
    _, call = queued(simulator, pushes, "+12125550113", did="8005550110")
    assert (call["queue"], call["dnis"], call["priority"]) == ("sales", "8005550110", 50)


@pytest.mark.parametrize("value", ["urgent", "101", "-1", "5.5", ""])
def test_a_priority_that_is_not_0_to_100_is_logged_and_ignored(live_center, simulator, pushes, people, caplog,
                                                               value):
    simulator.add_did(PRIORITY_DID, queue="sales", variables={"cc_priority": value})
    with caplog.at_level(logging.WARNING, logger="controller.queues"):
        _, call = queued(simulator, pushes, "+12125550104", did=PRIORITY_DID)
    assert call["priority"] == 0 and live_center.by_id[call["id"]].state == "queued"   # queued all the same
    warned = [r.getMessage() for r in caplog.records if "cc_priority" in r.getMessage()]
    if value:
        assert len(warned) == 1 and repr(value) in warned[0] and "ignored" in warned[0], warned
    else:
        assert warned == []                                           # set but empty: no priority, nothing to say


def test_a_parked_caller_found_at_start_up_keeps_its_cc_priority(people, settings, simulator, pushes):
    """Calls that parked while no controller listened are queued by the start-up reconciliation."""
    from controller.config import EslAddress
    from controller.service import ContactCenter

    simulator.add_did(PRIORITY_DID, queue="sales", variables={"cc_priority": "70"})
    simulator.add_did("8005550100", queue="sales")
    vip = simulator.customer_call(PRIORITY_DID, ani="+12125550105")
    simulator.wait_for(lambda: simulator.channels[vip].application == "park")
    settings.esl = EslAddress("127.0.0.1", simulator.port, "ClueCon")
    cc = ContactCenter(settings)
    cc.start()
    try:
        simulator.wait_for(lambda: any(c.record.customer_uuid == vip for c in cc.by_id.values()), timeout=10)
        call = next(c for c in cc.by_id.values() if c.record.customer_uuid == vip)
        assert call.record.priority == 70 and call.state == "queued"
    finally:
        cc.stop()


# -- ring no answer ----------------------------------------------------------------------------------

def test_a_call_whose_offer_rings_out_goes_back_ahead_of_a_later_caller(live_center, simulator, pushes, people):
    from controller.models import Interaction

    people.queue.ring_timeout = 1
    people.queue.save()
    live_center.reload_queues()
    simulator.add_phone(people.alice.extension, behaviour="never")   # alice does not pick up
    live_center.set_agent_state(people.alice.id, "available")
    _, early = queued(simulator, pushes, "+12125550106")
    assert offered_to(pushes, people.alice.id)["id"] == early["id"]
    _, late = queued(simulator, pushes, "+12125550107")               # arrives while alice's phone rings

    pushes.wait_for(lambda r, e, p: r == f"agent:{people.alice.id}" and e == "agent_state" and p["state"] == "rona",
                    timeout=10)
    simulator.wait_for(lambda: live_center.by_id[early["id"]].state == "queued")   # back in the queue
    assert live_center.agents[people.alice.id].state == "rona"
    assert live_center.by_id[early["id"]].record.enqueued_at == Interaction.get_by_id(early["id"]).enqueued_at
    assert Interaction.get_by_id(early["id"]).enqueued_at < Interaction.get_by_id(late["id"]).enqueued_at

    mark = len(pushes.pushes)
    live_center.set_agent_state(people.bob.id, "available")
    assert offered_to(pushes, people.bob.id, after=mark)["id"] == early["id"]   # its old place: first
    assert live_center.by_id[late["id"]].state == "queued"


# -- max wait failover -------------------------------------------------------------------------------

def test_max_wait_failover_to_another_queue_keeps_the_enqueue_time(live_center, simulator, pushes, people, support):
    from controller.models import Interaction

    people.queue.max_wait, people.queue.failover = 1, "queue:support"
    people.queue.save()
    live_center.reload_queues()
    caller, waited = queued(simulator, pushes, "+12125550108")
    _, newer = queued(simulator, pushes, "+12125550109", did=SUPPORT_DID)   # support's own caller, called later
    _, moved = pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "call" and p["id"] == waited["id"]
                               and p["queue"] == "support")[1:]
    assert moved["state"] == "queued" and moved["enqueued_at"] == waited["enqueued_at"]
    row = Interaction.get_by_id(waited["id"])
    assert row.queue_id == support.id and row.enqueued_at < Interaction.get_by_id(newer["id"]).enqueued_at
    simulator.wait_for(lambda: simulator.hears(caller) == "playback:local_stream://support_tune")  # support's music

    live_center.set_agent_state(people.bob.id, "available")          # support's agent
    assert offered_to(pushes, people.bob.id)["id"] == waited["id"]   # ahead of support's later caller
    pushes.wait_for(lambda r, e, p: e == "call" and p["id"] == waited["id"] and p["state"] == "connected")
    assert live_center.by_id[newer["id"]].state == "queued"


def test_max_wait_failover_to_an_extension_hands_the_caller_on_not_abandoned(live_center, simulator, pushes,
                                                                               people):
    from controller.models import Interaction, InteractionEvent, utcnow
    from web.supervisor import activity

    people.queue.max_wait, people.queue.failover = 1, "extension:7002"   # 7002: the echo extension
    people.queue.save()
    live_center.reload_queues()
    caller, call = queued(simulator, pushes, "+12125550110")
    _, _, ended = pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "call_ended" and p["id"] == call["id"],
                                  timeout=10)
    assert ended["end_reason"] == "sent to extension 7002 after max wait"
    simulator.wait_for(lambda: simulator.hears(caller) == f"party:{caller}")   # in the dialplan: echo
    channel = simulator.switch.get(caller)
    assert channel.alive and "cc_queue" not in channel.variables      # handed on, not queued here again

    from controller.calls.store import flush

    flush()
    assert [e.trigger for e in InteractionEvent.select().where(InteractionEvent.interaction == call["id"])
            .order_by(InteractionEvent.id)] == ["enqueue", "handed_on"]
    assert Interaction.get_by_id(call["id"]).answered_at is None
    assert callback_rows() == []                                      # no abandoned call in Missed calls
    buckets = [b for b in activity(utcnow())["buckets"] if b["offered"]]
    assert [(b["offered"], b["answered"], b["abandoned"], b["waiting"]) for b in buckets] == [(1, 0, 0, 0)]

    simulator.hangup(caller)                                          # the caller is not ours any more
    simulator.wait_for(lambda: caller not in simulator.channels)
    assert not live_center.calls and callback_rows() == []


def test_an_extension_that_parks_the_caller_does_not_queue_them_again(live_center, simulator, pushes, people,
                                                                      monkeypatch):
    parks = []
    untracked = live_center.untracked_event

    def seen(event):
        if event.name == "CHANNEL_PARK":
            parks.append(event.uuid)
        return untracked(event)

    monkeypatch.setattr(live_center, "untracked_event", seen)
    simulator.add_extension("2001", [("answer", ""), ("park", "")])
    people.queue.max_wait, people.queue.failover = 1, "extension:2001"
    people.queue.save()
    live_center.reload_queues()
    caller, call = queued(simulator, pushes, "+12125550112")
    pushes.wait_for(lambda r, e, p: r == "supervisors" and e == "call_ended" and p["id"] == call["id"], timeout=10)
    simulator.wait_for(lambda: parks.count(caller) == 2)             # the DID's park, then the extension's
    handled = gevent.event.Event()
    live_center.dispatcher.submit(caller, handled.set)                # after that park's handling
    assert handled.wait(5)
    assert not live_center.calls and simulator.switch.get(caller).alive   # nobody's call: the dialplan's
