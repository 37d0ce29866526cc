"""Attempts, retries, expiry, cancelling and calling windows, on the real stack (controller + simulator)."""
from __future__ import annotations

import datetime as dt

import pytest

from .conftest import CUSTOMER, callback_rows, history


@pytest.fixture(autouse=True)
def any_time(sales):
    """Calls may be made at any hour (the window test sets its own)."""
    sales.callback_window_start, sales.callback_window_end = "00:00", "24:00"
    sales.save()


@pytest.fixture
def dialed(simulator):
    """Every number the switch dialed, in order (CHANNEL_CREATE of outbound legs)."""
    numbers = []
    simulator.add_listener(lambda event: numbers.append(event.get("Caller-Destination-Number"))
                           if event.name == "CHANNEL_CREATE" and event.get("Call-Direction") == "outbound" else None)
    return numbers


@pytest.fixture
def quick_retry(sales):
    sales.callback_max_attempts = 2
    sales.callback_retry_delay = 1
    sales.call_delay = 0
    sales.save()
    return sales


def accept_next_offer(cc, pushes, agent_id, after=0):
    _, _, offer = pushes.wait_for(lambda room, event, p: room == f"agent:{agent_id}" and event == "callback_offer"
                                  and pushes.pushes.index((room, event, p)) >= after, timeout=15)
    return cc.accept_callback(offer["callback"]["id"], agent_id)


def test_not_answered_is_retried_after_the_delay_then_expires(quick_retry, live_center, simulator, pushes, people,
                                                              dialed):
    simulator.set_number(CUSTOMER, behaviour="busy")
    cb, created = live_center.web_callback(number="(212) 555-0123", queue_name="sales", name="Ada")
    assert created and cb["number"] == CUSTOMER and cb["status"] == "pending"
    live_center.set_agent_state(people.alice.id, "available")

    call = accept_next_offer(live_center, pushes, people.alice.id)
    _, _, first = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "no_answer", timeout=15)
    assert first["attempts"] == 1 and first["reason"] == "USER_BUSY"
    due = dt.datetime.fromisoformat(first["due_at"].rstrip("Z"))
    assert (due - dt.datetime.fromisoformat(first["updated_at"].rstrip("Z"))).total_seconds() == pytest.approx(1, abs=.2)
    # the agent goes to wrap-up after an unanswered callback, and finishes it
    pushes.wait_for(lambda r, e, p: e == "agent_state" and p["state"] == "wrap_up")
    live_center.wrap_up(call["id"], people.alice.id, "No answer")

    mark = len(pushes.pushes)
    accept_next_offer(live_center, pushes, people.alice.id, after=mark)
    _, _, last = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "expired", timeout=15)
    assert last["attempts"] == 2 and last["reason"] == "no answer after 2 attempts (USER_BUSY)"
    assert [h[1] for h in history(cb["id"])] == ["request", "offer", "dial", "no_answer", "offer", "dial", "give_up"]
    assert dialed.count(CUSTOMER) == 2  # each attempt dialed once


@pytest.mark.parametrize("behaviour, cause", [("unallocated", "UNALLOCATED_NUMBER"),
                                              ("invalid_format", "INVALID_NUMBER_FORMAT")])
def test_unreachable_number_fails_at_once(quick_retry, live_center, simulator, pushes, people, dialed, signed_in,
                                          behaviour, cause):
    """A number that does not exist will not exist at the next attempt: ``failed``, with the reason."""
    simulator.set_number(CUSTOMER, behaviour=behaviour)
    cb, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    live_center.set_agent_state(people.alice.id, "available")
    accept_next_offer(live_center, pushes, people.alice.id)
    _, _, done = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] in ("no_answer", "failed", "expired"),
                                 timeout=15)
    assert (done["status"], done["reason"], done["attempts"]) == \
        ("failed", f"the number cannot be reached ({cause})", 1)
    assert [h[1:] for h in history(cb["id"])][-2:] == [("dial", "dialing"), ("fail", "failed")]
    row = callback_rows()[0]
    assert row.dedupe_key is None and row.claimed_by is None          # final: a new request is a new callback
    shown = signed_in("alice").get(f"/api/callbacks/{cb['id']}").get_json()["callback"]
    assert (shown["status"], shown["reason"]) == ("failed", f"the number cannot be reached ({cause})")
    # never dialed again, although a second attempt was allowed: even due, routing has nothing to offer
    from controller.models import Callback

    from .test_queues import routing_pass

    pushes.wait_for(lambda r, e, p: e == "agent_state" and p["state"] == "wrap_up")
    live_center.wrap_up(None, people.alice.id)
    Callback.update(due_at=dt.datetime(2000, 1, 1)).where(Callback.id == cb["id"]).execute()
    mark = len(pushes.pushes)
    routing_pass(live_center)
    assert live_center.agents[people.alice.id].state == "available"
    assert not [p for r, e, p in pushes.pushes[mark:] if e == "callback_offer"]
    assert dialed.count(CUSTOMER) == 1


def test_a_number_that_cannot_be_dialed_fails_instead_of_going_round(quick_retry, live_center, pushes, people,
                                                                      dialed):
    """A row whose number cannot go into a dial string (written by hand, an old version) is not put back
    in the queue to be offered again and again: it fails, with the reason."""
    from controller.models import Callback

    cb, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    Callback.update(number="12-34").where(Callback.id == cb["id"]).execute()
    live_center.set_agent_state(people.alice.id, "available")
    accept_next_offer(live_center, pushes, people.alice.id)
    mark = len(pushes.pushes)
    _, _, done = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] in ("pending", "failed")
                                 and pushes.pushes.index((r, e, p)) >= mark, timeout=15)
    assert done["status"] == "failed" and done["reason"].startswith("the number cannot be dialed: ")
    assert dialed.count("12-34") == 0 and not [h for h in history(cb["id"]) if h[1] == "release"]


def test_a_rejected_call_is_retried(quick_retry, live_center, simulator, pushes, people):
    """A person who declines the call now may answer later: not a dead number."""
    simulator.set_number(CUSTOMER, behaviour="reject")
    live_center.web_callback(number=CUSTOMER, queue_name="sales")
    live_center.set_agent_state(people.alice.id, "available")
    accept_next_offer(live_center, pushes, people.alice.id)
    _, _, done = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] in ("no_answer", "failed"),
                                 timeout=15)
    assert done["status"] == "no_answer" and done["reason"] == "CALL_REJECTED"


def test_agent_cancels_while_the_customer_rings(sales, live_center, simulator, pushes, people, signed_in):
    simulator.set_number(CUSTOMER, behaviour="never")
    sales.call_delay = 0
    sales.save()
    cb, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    alice = signed_in("alice")
    alice.post("/api/agent/state", json={"state": "available"})
    call = accept_next_offer(live_center, pushes, alice.agent_id)
    pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "dialing", timeout=10)
    customer = live_center.by_id[call["id"]].record.customer_uuid
    simulator.wait_for(lambda: customer in simulator.channels)

    response = alice.post(f"/api/callbacks/{cb['id']}/cancel")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["callback"]["status"] == "cancelled"
    simulator.wait_for(lambda: customer not in simulator.channels)          # the ringing customer is hung up
    pushes.wait_for(lambda r, e, p: r == f"agent:{alice.agent_id}" and e == "agent_state" and p["state"] == "wrap_up")
    assert callback_rows()[0].status_reason == "the agent cancelled before the customer answered"
    assert callback_rows()[0].dedupe_key is None  # a new request for the number is a new callback


def test_callback_expires_when_not_made_in_time(sales, live_center, pushes):
    from controller.models import Callback

    cb, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales")
    Callback.update(expires_at=dt.datetime(2000, 1, 1)).where(Callback.id == cb["id"]).execute()
    _, _, expired = pushes.wait_for(lambda r, e, p: e == "callback" and p["status"] == "expired", timeout=5)
    assert expired["reason"] == "not made before it expired"


def test_calling_window_in_the_customers_time_zone(sales, live_center, pushes, people):
    """Callbacks are made only inside the window, in the customer's own time zone."""
    from controller.callbacks import windows
    from controller.models import Callback, utcnow

    now = utcnow()
    # a zone where it is now the middle of the night, and one where it is the afternoon
    night = next(tz for tz in ("Pacific/Auckland", "Asia/Tokyo", "America/Los_Angeles", "Europe/Paris",
                               "America/New_York", "Asia/Kolkata")
                 if not windows.in_window(now, tz, "09:00", "17:00")
                 and not windows.in_window(now + dt.timedelta(minutes=5), tz, "09:00", "17:00"))
    day = next(tz for tz in ("Pacific/Auckland", "Asia/Tokyo", "America/Los_Angeles", "Europe/Paris",
                             "America/New_York", "Asia/Kolkata", "UTC", "Asia/Dubai", "America/Sao_Paulo")
               if windows.in_window(now, tz, "00:00", "24:00") and windows.in_window(now, tz, "09:00", "17:00"))
    sales.callback_window_start, sales.callback_window_end = "09:00", "17:00"
    sales.save()
    live_center.reload_queues()
    asleep, _ = live_center.web_callback(number="+442079460958", queue_name="sales", time_zone=night)
    awake, _ = live_center.web_callback(number=CUSTOMER, queue_name="sales", time_zone=day)
    live_center.set_agent_state(people.alice.id, "available")

    _, _, offer = pushes.wait_for(lambda r, e, p: e == "callback_offer", timeout=5)
    assert offer["callback"]["id"] == awake["id"]
    _, _, deferred = pushes.wait_for(lambda r, e, p: e == "callback" and p["id"] == asleep["id"]
                                     and "calling window" in p["reason"], timeout=5)
    opens = dt.datetime.fromisoformat(deferred["due_at"].rstrip("Z"))
    assert opens > now and windows.in_window(opens, night, "09:00", "17:00")
    local = opens.replace(tzinfo=dt.timezone.utc).astimezone(windows.zone(night))
    assert (local.hour, local.minute) == (9, 0)
    assert Callback.get_by_id(asleep["id"]).status == "pending"
