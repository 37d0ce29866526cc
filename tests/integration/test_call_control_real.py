"""Call control against a real FreeSWITCH 1.10 running ``freeswitch/`` (``make fs-up``, ``make fs-test``).

Agents' phones are the auto-answering test phones of ``dialplan/switchdesk_test.xml``
(``SWITCHDESK_AGENT_DIAL=loopback/{extension}/switchdesk_test``); a customer is a
loopback call into the public DID 8005550100, whose far end (the ``-b`` leg) is the
inbound channel the controller queues. What a party hears is read from FreeSWITCH
itself: ``show channels as json`` (the application a leg runs) and ``show calls as
json`` (who is bridged to whom).
"""
from __future__ import annotations

import json
import os
import time
import uuid as uuidlib

import pytest

URL = os.environ.get("FREESWITCH_ESL")
pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not URL, reason="no real FreeSWITCH: set FREESWITCH_ESL=esl://:password@host:8021")]


@pytest.fixture
def real_center(settings, people, pushes_real):
    from controller.config import parse_esl_url
    from controller.service import ContactCenter

    settings.esl = parse_esl_url(URL)
    settings.agent_dial = "loopback/{extension}/switchdesk_test"
    cc = ContactCenter(settings)
    cc.subscribe(pushes_real)
    cc.start()
    assert cc.esl.wait_connected(10), cc.esl.last_error
    yield cc
    for uuid in list(cc.leg_keys):
        try:
            cc.esl.api(f"uuid_kill {uuid}")
        except Exception:  # noqa: BLE001 - best effort cleanup
            pass
    cc.stop()


@pytest.fixture
def pushes_real():
    from tests.conftest import PushLog

    return PushLog()


def wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        import gevent
        gevent.sleep(0.1)
    raise AssertionError("condition not met within %.0f s" % timeout)


def channels(cc) -> dict[str, dict]:
    return {row["uuid"]: row for row in json.loads(cc.esl.api("show channels as json")).get("rows", [])}


def bridged(cc, a: str, b: str) -> bool:
    rows = json.loads(cc.esl.api("show calls as json")).get("rows", [])
    return any({row.get("uuid"), row.get("b_uuid")} == {a, b} for row in rows)


def application(cc, uuid: str) -> str:
    return channels(cc).get(uuid, {}).get("application", "")


def customer_call(cc) -> str:
    """A loopback customer calling the sales DID; returns the -a leg we hold (hang it up to leave)."""
    leg = str(uuidlib.uuid4())
    job = cc.esl.bgapi("originate {origination_uuid=%s,origination_caller_id_number=5550100}"
                       "loopback/8005550100/public &park()" % leg)
    assert job.wait(timeout=15).startswith("+OK"), job.result
    return leg


def give_phone(cc, agent, extension: str) -> None:
    """Ring ``agent`` on another test phone of dialplan/switchdesk_test.xml from now on."""
    from controller.models import Agent

    Agent.update(extension=extension).where(Agent.id == agent.id).execute()
    cc.agent(agent.id).agent.extension = extension


def connected_call(cc, people):
    cc.set_agent_state(people.alice.id, "available")
    phone = customer_call(cc)
    call = wait(lambda: next((c for c in cc.by_id.values() if c.state == "connected"), None), 20)
    customer, agent = call.record.customer_uuid, call.record.agent_uuid
    wait(lambda: bridged(cc, customer, agent))
    return call, phone, customer, agent


def consult_bob(cc, people, call, agent: str) -> str:
    """Alice consults Bob (Available) and they talk; returns Bob's leg."""
    cc.set_agent_state(people.bob.id, "available")
    cc.consult(call.id, people.alice.id, {"agent": "bob"})
    consult = call.consult.uuid
    wait(lambda: bridged(cc, agent, consult), 15)
    return consult


def test_hold_and_unhold(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    cc.hold(call.id, people.alice.id)
    wait(lambda: application(cc, customer) == "endless_playback")
    assert agent in channels(cc)  # parked, not hung up
    cc.unhold(call.id, people.alice.id)
    wait(lambda: bridged(cc, customer, agent))


def test_customer_hangs_up_while_held(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    cc.hold(call.id, people.alice.id)
    wait(lambda: application(cc, customer) == "endless_playback")
    cc.esl.api(f"uuid_kill {phone}")
    wait(lambda: cc.agent(people.alice.id).state == "wrap_up")
    wait(lambda: agent not in channels(cc))


def test_agent_hangs_up_while_customer_held(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    cc.hold(call.id, people.alice.id)
    wait(lambda: application(cc, customer) == "endless_playback")
    cc.esl.api(f"uuid_kill {agent}")
    wait(lambda: call.state == "queued")
    assert customer in channels(cc)


def test_consult_complete(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    cc.set_agent_state(people.bob.id, "available")
    cc.consult(call.id, people.alice.id, {"agent": "bob"})
    wait(lambda: application(cc, customer) == "endless_playback")
    consult = call.consult.uuid
    wait(lambda: bridged(cc, agent, consult), 15)
    cc.consult_complete(call.id, people.alice.id)
    wait(lambda: bridged(cc, customer, consult))
    wait(lambda: agent not in channels(cc))
    assert cc.agent(people.alice.id).state == "wrap_up"
    assert call.record.agent_id == people.bob.id


def test_consult_cancel_while_ringing(real_center, people):
    cc = real_center
    give_phone(cc, people.bob, "1091")  # a test phone that never answers
    call, phone, customer, agent = connected_call(cc, people)
    cc.set_agent_state(people.bob.id, "available")
    cc.consult(call.id, people.alice.id, {"agent": "bob"})
    consult = call.consult.uuid
    wait(lambda: consult in channels(cc))
    cc.consult_cancel(call.id, people.alice.id)
    wait(lambda: bridged(cc, customer, agent))
    wait(lambda: consult not in channels(cc))


def test_three_way_conference(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    consult = consult_bob(cc, people, call, agent)
    cc.consult_conference(call.id, people.alice.id)
    room = call.room.split("@")[0]
    wait(lambda: all(application(cc, u) == "conference" for u in (customer, agent, consult)))
    # `list count` answers the member count alone ("3", no newline: conference_list_count_only);
    # a leg joins the room a moment after its CHANNEL_EXECUTE sets `application`, so wait for it
    wait(lambda: cc.esl.api(f"conference {room} list count").strip() == "3")
    cc.hangup(call.id, people.alice.id)  # alice leaves; bob and the customer stay
    wait(lambda: agent not in channels(cc))
    assert customer in channels(cc) and consult in channels(cc)


def test_recording_with_privacy_shield(real_center, people, settings):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    cc.recording(call.id, people.alice.id, "start")
    cc.recording(call.id, people.alice.id, "pause", 1)
    wait(lambda: not call.recording["paused"], 5)
    cc.recording(call.id, people.alice.id, "stop")
    assert call.recording is None


def test_blind_transfer_to_an_agent(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    cc.set_agent_state(people.bob.id, "available")
    cc.transfer(call.id, people.alice.id, {"agent": "bob"})
    wait(lambda: cc.agent(people.alice.id).state == "wrap_up")
    wait(lambda: call.record.agent_id == people.bob.id and call.state == "connected", 15)
    wait(lambda: bridged(cc, customer, call.record.agent_uuid))
    wait(lambda: agent not in channels(cc))


def test_blind_transfer_to_an_agent_who_does_not_answer_requeues(real_center, people):
    cc = real_center
    give_phone(cc, people.bob, "1092")  # a test phone that never answers
    call, phone, customer, agent = connected_call(cc, people)
    cc.set_agent_state(people.bob.id, "available")
    cc.transfer(call.id, people.alice.id, {"agent": "bob"})
    wait(lambda: call.state == "queued", 40)  # the queue's ring timeout, then back in line
    assert customer in channels(cc)


def test_customer_hangs_up_during_a_consultation(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    consult = consult_bob(cc, people, call, agent)
    cc.esl.api(f"uuid_kill {phone}")
    wait(lambda: cc.agent(people.alice.id).state == "wrap_up")
    wait(lambda: cc.agent(people.bob.id).state == "available")  # consulted: no wrap-up
    wait(lambda: agent not in channels(cc) and consult not in channels(cc))


def test_consulted_party_hangs_up_and_the_agent_is_back_with_the_customer(real_center, people):
    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    consult = consult_bob(cc, people, call, agent)
    cc.esl.api(f"uuid_kill {consult}")
    wait(lambda: bridged(cc, customer, agent))
    assert call.state == "connected"


def test_a_consultation_survives_a_controller_restart(real_center, people, settings, pushes_real):
    from controller.service import ContactCenter

    cc = real_center
    call, phone, customer, agent = connected_call(cc, people)
    consult = consult_bob(cc, people, call, agent)
    cc.stop()
    restarted = ContactCenter(settings)
    restarted.start()
    try:
        assert restarted.esl.wait_connected(10)
        adopted = wait(lambda: restarted.by_id.get(call.id))
        assert adopted.consult is not None and adopted.consult.uuid == consult
        restarted.consult_complete(call.id, people.alice.id)
        wait(lambda: bridged(restarted, customer, consult))
        wait(lambda: agent not in channels(restarted))
    finally:
        for uuid in (phone, customer, consult):
            try:
                restarted.esl.api(f"uuid_kill {uuid}")
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass
        restarted.stop()
