"""A controller restart in the middle of a consultation or a conference loses nobody.

The consulted party, extra legs and the conference room are saved with the call
(``Interaction.control``); the restarted controller adopts what is still up and handles
whoever left meanwhile as if they hung up now. Each test asserts the simulated switch too.
"""
from __future__ import annotations

import pytest

from controller.service import ContactCenter

from .test_call_control import desk, start_consult, talking  # noqa: F401  (the fixture)


@pytest.fixture
def restart(settings):
    """Stop the running controller; ``restart()`` starts a new one on the same database and switch."""
    started = []

    def restart(old, while_down=lambda: None):
        old.stop()
        while_down()
        cc = ContactCenter(settings)
        cc.start()
        started.append(cc)
        assert cc.esl.wait_connected(10)
        return cc

    yield restart
    for cc in started:
        cc.stop()


def test_a_consultation_survives_a_restart_and_can_be_completed(desk, restart, people):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    cc = restart(desk.cc)

    call = cc.by_id[call_id]
    desk.sim.wait_for(lambda: call.state == "consulting", timeout=10)
    assert call.consult is not None and call.consult.phase == "talking" and call.consult.uuid == consult
    assert call.as_dict(people.alice.id)["consult"]["label"] == people.bob.name
    assert cc.agents[people.bob.id].state == "on_call" and cc.agents[people.bob.id].call_id == call_id
    assert desk.sim.hears(customer) == "moh" and desk.sim.hears(agent) == f"party:{consult}"

    cc.consult_complete(call_id, people.alice.id)
    desk.hears(customer, f"party:{consult}")
    desk.gone(agent)
    desk.sim.wait_for(lambda: cc.agents[people.alice.id].state == "wrap_up", timeout=10)
    assert call.record.agent_id == people.bob.id


def test_a_consulted_party_who_left_during_the_restart_gives_the_agent_back(desk, restart, people):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    cc = restart(desk.cc, while_down=lambda: desk.sim.hangup(consult))

    call = cc.by_id[call_id]
    desk.sim.wait_for(lambda: call.state == "connected", timeout=10)
    assert call.consult is None
    desk.hears(customer, f"party:{agent}")
    desk.sim.wait_for(lambda: cc.agents[people.bob.id].state == "available", timeout=10)  # no wrap-up for bob
    assert cc.agents[people.bob.id].call_id is None


def test_a_consultation_still_ringing_at_restart_is_called_off(desk, restart, people):
    call_id, customer, agent, consult = start_consult(desk, behaviour="never")
    cc = restart(desk.cc)

    call = cc.by_id[call_id]
    desk.sim.wait_for(lambda: call.state == "connected", timeout=10)
    desk.hears(customer, f"party:{agent}")
    desk.gone(consult)  # the ringing leg is not left behind
    desk.sim.wait_for(lambda: cc.agents[people.bob.id].state == "available", timeout=10)


def test_the_agent_leaving_a_consultation_during_the_restart_hands_the_customer_over(desk, restart, people):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    cc = restart(desk.cc, while_down=lambda: desk.sim.hangup(agent))

    call = cc.by_id[call_id]
    desk.hears(customer, f"party:{consult}")
    desk.sim.wait_for(lambda: call.record.agent_id == people.bob.id and call.state == "connected", timeout=10)
    desk.sim.wait_for(lambda: cc.agents[people.alice.id].state == "wrap_up", timeout=10)


def test_a_conference_survives_a_restart_and_whoever_left_meanwhile_is_let_go(desk, restart, people):
    call_id, customer, agent, consult = start_consult(desk, answer_after=0.2)
    talking(desk, call_id, consult, agent)
    desk.act(desk.alice, call_id, "consult/conference")
    room = desk.cc.by_id[call_id].room.split("@")[0]
    for uuid in (customer, agent, consult):
        desk.hears(uuid, f"conference:{room}")
    # alice leaves while the controller is down: bob and the customer go on talking
    cc = restart(desk.cc, while_down=lambda: desk.sim.hangup(agent))

    call = cc.by_id[call_id]
    desk.sim.wait_for(lambda: call.record.agent_id == people.bob.id, timeout=10)
    assert call.state == "conference" and call.room.split("@")[0] == room
    desk.sim.wait_for(lambda: cc.agents[people.alice.id].state == "wrap_up", timeout=10)
    desk.hears(customer, f"conference:{room}")
    desk.hears(consult, f"conference:{room}")

    # the customer leaves: bob is alone, is hung up, and wraps up
    desk.sim.hangup(customer)
    desk.gone(consult)
    desk.sim.wait_for(lambda: cc.agents[people.bob.id].state == "wrap_up", timeout=10)


@pytest.mark.parametrize("who_leaves", ["external", "customer"])
def test_a_call_transferred_out_survives_a_restart_and_ends_when_either_side_leaves(desk, restart, who_leaves):
    desk.sim.set_number("+442079460958", answer_after=0.2)
    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "transfer", {"mode": "blind", "to": {"number": "+44 20 7946 0958"}})
    desk.wait_call(lambda c: c["id"] == call_id and c["state"] == "transferred")
    external = next(u for u, leg in desk.cc.by_id[call_id].legs.items() if leg.role == "external")
    cc = restart(desk.cc)

    call = cc.by_id[call_id]
    assert call.state == "transferred" and call.legs[external].role == "external"
    desk.sim.hangup(external if who_leaves == "external" else customer)
    desk.gone(customer if who_leaves == "external" else external)  # the other side is not left parked
    desk.sim.wait_for(lambda: call.state == "ended", timeout=10)


def test_a_recording_and_its_privacy_shield_survive_a_restart(desk, restart, people):
    from controller.models import Recording

    call_id, customer, agent = desk.connected_call()
    desk.act(desk.alice, call_id, "recording", {"action": "start"})
    desk.act(desk.alice, call_id, "recording", {"action": "pause", "seconds": 3})
    mode = lambda: [rec.mode for rec in desk.sim.switch.channels[customer].recordings if rec.active]  # noqa: E731
    assert mode() == ["silence"]
    cc = restart(desk.cc)

    call = cc.by_id[call_id]
    view = call.as_dict(people.alice.id)
    assert view["recording"]["paused"] is True and view["recording"]["resume_at"]
    assert "record_start" not in view["allowed"] and "record_resume" in view["allowed"]  # no second file
    # the shield still ends by itself: the file is unmasked, the desktop is told
    desk.sim.wait_for(lambda: mode() == ["audio"], timeout=8)
    desk.sim.wait_for(lambda: not call.recording["paused"], timeout=2)
    cc.recording(call_id, people.alice.id, "stop")
    desk.sim.wait_for(lambda: mode() == [])
    assert Recording.select().count() == 1 and Recording.get().stopped_at is not None
