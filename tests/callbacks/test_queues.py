"""Queue settings, routing by tier and idle time, the open-contact limit, and the pure helpers."""
from __future__ import annotations

import datetime as dt

import pytest

from .conftest import CUSTOMER


@pytest.mark.parametrize("field, value, message", [
    ("call_delay", 60, "call_delay must be 0 to 59 seconds"),
    ("call_delay", -1, "call_delay must be 0 to 59 seconds"),
    ("failover", "pizza", "failover must be ivr, voicemail"),
    ("failover", "queue:sales", "cannot fail over to itself"),
    ("callback_digit", "12", "callback_digit is one key"),
    ("callback_window_end", "07:00", "calling window 08:00-07:00 is empty"),
    ("time_zone", "Mars/Base", "is not a time zone"),
    ("agent_contact_limit", 0, "agent_contact_limit must be at least 1"),
])
def test_settings_that_cannot_work_are_refused_when_saved(people, field, value, message):
    from controller.models import Queue
    from controller.queues import QueueSettingsError

    queue = Queue.get(Queue.name == "sales")
    setattr(queue, field, value)
    with pytest.raises(QueueSettingsError, match=message):
        queue.save()
    queue = Queue.get(Queue.name == "sales")
    queue.call_delay = 59
    queue.save()


def test_the_database_refuses_a_call_delay_of_60_too(people):
    import peewee

    from controller.models import Queue

    with pytest.raises(peewee.IntegrityError):
        Queue.update(call_delay=60).where(Queue.name == "sales").execute()


def test_tier_one_agents_are_offered_first_then_the_longest_idle(people, live_center, simulator, pushes):
    from controller.models import Agent, AgentQueue

    AgentQueue.update(tier=2).where(AgentQueue.agent == people.alice.id).execute()
    live_center.set_agent_state(people.alice.id, "available")
    live_center.set_agent_state(people.bob.id, "available")
    # alice has been idle longer, but bob is tier 1
    Agent.update(idle_since=dt.datetime(2000, 1, 1)).where(Agent.id == people.alice.id).execute()
    live_center.agents[people.alice.id].agent.idle_since = dt.datetime(2000, 1, 1)
    simulator.customer_call("8005550100", ani="+12125550111")
    _, _, offered = pushes.wait_for(lambda r, e, p: e == "call" and p["state"] == "offering")
    assert offered["agent_id"] == people.bob.id


def routing_pass(cc):
    """Run one routing pass on the router's queue and wait for it: what it offers is pushed by then."""
    import gevent.event

    done = gevent.event.Event()
    cc.dispatcher.submit("router", lambda: (cc.route_contacts(), done.set()))
    assert done.wait(5)


def popovers(pushes, agent_id):
    """Callback ids offered to the agent so far, in order."""
    return [p["callback"]["id"] for r, e, p in pushes.pushes if r == f"agent:{agent_id}" and e == "callback_offer"]


@pytest.fixture
def limited(sales, live_center):
    """Callbacks at any hour; a function that sets sales' open-contact limit."""
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.save()

    def limit(n):
        sales.agent_contact_limit = n
        sales.save()
        live_center.reload_queues()
    limit(1)
    return limit


def manual_callback(cc, number):
    """A Missed-calls callback (an agent calls it back; routing never offers it)."""
    from controller.models import Callback

    cb, _ = cc.web_callback(number=number, queue_name="sales")
    Callback.update(launch="manual").where(Callback.id == cb["id"]).execute()
    return cb


def test_at_the_limit_an_agent_is_skipped_and_told_why(limited, live_center, pushes, people, signed_in):
    first, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    second, _ = live_center.web_callback(number="+442079460958", queue_name="sales")
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer")
    routing_pass(live_center)
    assert popovers(pushes, alice.agent_id) == [first["id"]]          # one open contact: the limit of 1
    assert live_center.contact_limit_reason(alice.agent_id, people.queue.id) == \
        "You already have 1 open contact; the limit of Sales is 1. Finish it first."

    missed = manual_callback(live_center, "+33142685300")
    refused = alice.post(f"/api/callbacks/{missed['id']}/call")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "You already have 1 open contact; the limit of Sales is 1. Finish it first."
    from controller.models import Callback

    assert Callback.get_by_id(missed["id"]).status == "pending"      # refused: nothing changed

    bob = signed_in("bob")                                            # a second agent takes the second one
    bob.post("/api/agent/state", json={"state": "available"})
    _, _, offer = pushes.wait_for(lambda r, e, p: r == f"agent:{bob.agent_id}" and e == "callback_offer")
    assert offer["callback"]["id"] == second["id"]


def test_a_limit_of_two_lets_an_agent_hold_two_popovers_and_no_more(limited, live_center, pushes, people,
                                                                    signed_in):
    from controller.models import Callback

    limited(2)
    ids = [live_center.web_callback(number=n, queue_name="sales")[0]["id"]
           for n in (CUSTOMER, "+442079460958", "+33142685300")]
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer"
                    and p["callback"]["id"] == ids[1])
    routing_pass(live_center)
    assert popovers(pushes, alice.agent_id) == ids[:2]                 # two at once: her limit
    assert Callback.get_by_id(ids[2]).status == "pending"
    assert live_center.agents[alice.agent_id].state == "ringing"
    # a desktop that (re)connects is shown both (its snapshot's callback_offers)
    assert sorted(o["callback"]["id"] for o in live_center.callback_offers_for(alice.agent_id)) == ids[:2]

    missed = manual_callback(live_center, "+4930901820")
    refused = alice.post(f"/api/callbacks/{missed['id']}/call")
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "You already have 2 open contacts; the limit of Sales is 2. Finish one first."

    # she declines one: one popover left, still ringing (not available, not RONA), and the third comes
    mark = len(pushes.pushes)
    assert alice.post(f"/api/callbacks/{ids[0]}/decline").status_code == 200
    _, _, third = pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer"
                                  and pushes.pushes.index((r, e, p)) >= mark)
    assert third["callback"]["id"] == ids[2]
    assert {p["state"] for r, e, p in pushes.pushes[mark:] if r == f"agent:{alice.agent_id}"
            and e == "agent_state"} <= {"ringing"}

    # she accepts one: her phone carries one call, so the other popover goes back at its place
    mark = len(pushes.pushes)
    accepted = alice.post(f"/api/callbacks/{ids[1]}/accept")
    assert accepted.status_code == 200, accepted.get_json()
    ended = {p["id"]: p["reason"] for r, e, p in pushes.pushes[mark:]
             if r == f"agent:{alice.agent_id}" and e == "callback_offer_ended"}
    assert ended == {ids[1]: "accepted", ids[2]: "withdrawn"}
    released = Callback.get_by_id(ids[2])
    assert released.status == "pending" and released.agent_id is None
    assert accepted.get_json()["call"]["state"] == "dialing"


def test_below_a_limit_of_two_an_agent_with_a_popover_may_call_back(limited, live_center, pushes, people,
                                                                     signed_in):
    from controller.models import Callback

    limited(2)
    offered, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer")
    missed = manual_callback(live_center, "+442079460958")
    assert live_center.contact_limit_reason(alice.agent_id, people.queue.id) is None   # 1 of 2
    called = alice.post(f"/api/callbacks/{missed['id']}/call")
    assert called.status_code == 200, called.get_json()
    assert called.get_json()["call"]["kind"] == "callback"
    # one call at a time on her phone: the popover went back at its place for someone else
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer_ended"
                    and p["id"] == offered["id"] and p["reason"] == "withdrawn")
    assert Callback.get_by_id(offered["id"]).status == "pending"
    assert live_center.contact_limit_reason(alice.agent_id, people.queue.id) is None   # the call: 1 of 2
    routing_pass(live_center)
    assert popovers(pushes, alice.agent_id) == [offered["id"]]        # not offered again while she has a call


# -- pure helpers ------------------------------------------------------------------------------------

def test_next_window_opening_in_another_time_zone():
    from controller.callbacks import windows

    # 02:00 UTC is 21:00 the day before in New York (EST): the next opening is 09:00 New York, 14:00 UTC
    at = dt.datetime(2026, 1, 15, 2, 0)
    assert not windows.in_window(at, "America/New_York", "09:00", "20:00")
    assert windows.next_allowed(at, "America/New_York", "09:00", "20:00") == dt.datetime(2026, 1, 15, 14, 0)
    # inside the window it is now
    assert windows.next_allowed(dt.datetime(2026, 1, 15, 15, 0), "America/New_York", "09:00", "20:00") == \
        dt.datetime(2026, 1, 15, 15, 0)
    # daylight saving time is the zone's: 09:00 in Paris is 07:00 UTC in summer
    assert windows.next_allowed(dt.datetime(2026, 7, 1, 0, 0), "Europe/Paris", "09:00", "17:00") == \
        dt.datetime(2026, 7, 1, 7, 0)
    assert windows.local_to_utc("2026-07-01", "09:00", "Europe/Paris") == dt.datetime(2026, 7, 1, 7, 0)


def test_announcement_sounds():
    from controller.callbacks.prompts import Prompts, number_sounds, position_announcement

    assert number_sounds(7) == ["digits/7.wav"]
    assert number_sounds(42) == ["digits/40.wav", "digits/2.wav"]
    assert number_sounds(300) == ["digits/3.wav", "digits/hundred.wav"]
    sounds = position_announcement(Prompts(), 3, 12)
    assert sounds == ["ivr/ivr-you_are_number.wav", "digits/3.wav", "ivr/ivr-estimated_hold_time.wav",
                      "digits/12.wav", "time/minutes.wav"]


def test_commands_keep_arguments_together_and_refuse_injection():
    from controller.callbacks.prompts import broadcast_app, get_digits, record
    from controller.commands import UnsafeValue

    assert get_digits("abc-1", prompt="p.wav", invalid="i.wav", var="cc_x", regex="[12]") == \
        "uuid_broadcast abc-1 'play_and_get_digits::1 1 3 5000 # p.wav i.wav cc_x [12] 3000' aleg"
    assert record("abc-1", "/var/m/1.wav", 120) == "uuid_broadcast abc-1 'record::/var/m/1.wav 120' aleg"
    for bad in ("x' aleg\nhupall", "a\nb"):
        with pytest.raises(UnsafeValue):
            broadcast_app("abc-1", "playback", bad)


def test_a_status_change_is_refused_when_someone_else_changed_it_first(people):
    from controller.callbacks import store
    from controller.machine import InvalidAction

    cb, _ = store.request(kind="web", number=CUSTOMER, queue=people.queue, launch="queue")
    stale = store.get(cb.id)
    assert store.claim(cb, "offer", "process-a", 30)
    assert not store.claim(stale, "offer", "process-b", 30)         # the row is offered already
    with pytest.raises(InvalidAction, match="cannot complete: callback 1 is offered to an agent"):
        store.transition(cb, "complete")
    again, created = store.request(kind="web", number=CUSTOMER, queue=people.queue, launch="queue")
    assert not created and again.id == cb.id                        # being served: no second callback
