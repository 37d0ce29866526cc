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


def test_the_open_contact_limit_says_why(sales, live_center, simulator, pushes, people, signed_in):
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.save()
    live_center.reload_queues()
    missed, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "callback_offer")
    live_center.web_callback(number="+442079460958", queue_name="sales")
    from controller.models import Callback

    second = Callback.get(Callback.number == "+442079460958")
    Callback.update(launch="manual").where(Callback.id == second.id).execute()
    refused = alice.post(f"/api/callbacks/{second.id}/call")
    assert refused.status_code == 409
    assert refused.get_json()["error"] in (
        "cannot call back: agent alice is being offered a contact",
        "You already have 1 open contact; the limit of Sales is 1. Finish it first.")
    assert live_center.contact_limit_reason(alice.agent_id, sales.id) == \
        "You already have 1 open contact; the limit of Sales is 1. Finish it first."


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
