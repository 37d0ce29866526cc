"""Nothing is lost and nothing is dialed twice when the controller restarts (or dies)."""
from __future__ import annotations

import pytest

from .conftest import CUSTOMER, callback_rows, history

OTHER = "+442079460958"


@pytest.fixture(autouse=True)
def any_time(sales):
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.call_delay = 0
    sales.save()


@pytest.fixture
def dialed(simulator):
    numbers = []
    simulator.add_listener(lambda event: numbers.append(event.get("Caller-Destination-Number"))
                           if event.name == "CHANNEL_CREATE" and event.get("Call-Direction") == "outbound" else None)
    return numbers


def restart(settings):
    from controller.service import ContactCenter

    cc = ContactCenter(settings)
    cc.start()
    assert cc.esl.wait_connected(10)
    return cc


def test_pending_callbacks_survive_a_restart_and_are_each_made_once(live_center, simulator, settings, people,
                                                                     dialed):
    from tests.conftest import PushLog

    for number in (CUSTOMER, OTHER):
        live_center.web_callback(number=number, queue_name="sales")
    live_center.stop()                                   # nobody was available: both still pending

    cc = restart(settings)
    pushes = PushLog()
    cc.subscribe(pushes)
    try:
        for agent in (people.alice, people.bob):
            cc.set_agent_state(agent.id, "available")
        offers = [pushes.wait_for(lambda r, e, p, a=a: r == f"agent:{a.id}" and e == "callback_offer")[2]
                  for a in (people.alice, people.bob)]
        calls = [cc.accept_callback(o["callback"]["id"], int(o["callback"]["agent_id"])) for o in offers]
        for call in calls:
            pushes.wait_for(lambda r, e, p, c=call: e == "call" and p["id"] == c["id"] and p["state"] == "connected",
                            timeout=15)
            cc.hangup(call["id"], None)
        pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "completed" and p["number"] == OTHER)
        pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "completed" and p["number"] == CUSTOMER)
    finally:
        cc.stop()
    assert sorted(dialed.count(n) for n in (CUSTOMER, OTHER)) == [1, 1]
    assert [r.status for r in callback_rows()] == ["completed", "completed"]


def test_restart_while_dialing_adopts_the_call_and_never_dials_again(live_center, simulator, settings, people,
                                                                     pushes, dialed):
    simulator.set_number(CUSTOMER, answer_after=2.0)
    cb, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    live_center.set_agent_state(people.alice.id, "available")
    _, _, offer = pushes.wait_for(lambda r, e, p: e == "callback_offer")
    call = live_center.accept_callback(cb["id"], people.alice.id)
    simulator.wait_for(lambda: CUSTOMER in dialed, timeout=10)
    live_center.stop()                                   # the customer's phone is still ringing

    cc = restart(settings)
    try:
        record = cc.by_id[call["id"]].record
        simulator.wait_for(lambda: simulator.hears(record.customer_uuid) == f"party:{record.agent_uuid}", timeout=10)
        simulator.wait_for(lambda: callback_rows()[0].status == "connected", timeout=5)
        assert callback_rows()[0].claimed_by == cc.callback_settings.instance
        simulator.hangup(record.customer_uuid)
        simulator.wait_for(lambda: callback_rows()[0].status == "completed", timeout=5)
        simulator.wait_for(lambda: cc.agents[people.alice.id].state == "wrap_up", timeout=5)
    finally:
        cc.stop()
    assert dialed.count(CUSTOMER) == 1
    assert [h[1] for h in history(cb["id"])] == ["request", "offer", "dial", "answer", "complete"]


def test_a_controller_that_dies_leaves_its_offers_to_the_next_one(live_center, simulator, settings, people, pushes):
    """No clean stop: the offer's lease runs out and the next controller offers the callback again."""
    cb, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    live_center.set_agent_state(people.alice.id, "available")
    pushes.wait_for(lambda r, e, p: e == "callback_offer")
    assert callback_rows()[0].status == "offered"
    live_center.callback_scheduler.stop()                # the process dies: no release, no hand-over
    live_center.esl.stop()

    cc = restart(settings)
    try:
        # while the dead process's lease (2 s) lasts, its offer stands
        assert callback_rows()[0].status == "offered"
        simulator.wait_for(lambda: "release" in [h[1] for h in history(cb["id"])], timeout=6)
        # back at its place, and offered again (alice is available again after the restart)
        simulator.wait_for(lambda: callback_rows()[0].status == "offered", timeout=5)
        assert cc._callback_offers == {cb["id"]: people.alice.id}
    finally:
        cc.stop()
    assert [h[1] for h in history(cb["id"])][:4] == ["request", "offer", "release", "offer"]
