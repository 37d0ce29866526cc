"""The supervisor's chart of the last hour: calls offered, answered, abandoned and waits per
five minutes, read from the Interaction table."""
from __future__ import annotations

import datetime as dt

import pytest

NOW = dt.datetime(2026, 3, 2, 10, 7, 30)  # buckets start at :00, :05, …; the last one is 10:05


def _call(people, key: str, enqueued: dt.datetime, *, answered: float | None = None, ended: float | None = None,
          direction: str = "inbound", queue=None, no_queue: bool = False):
    from controller.models import Interaction

    return Interaction.create(
        id=f"{key:0>8}-2222-4333-8444-555555555555", queue=None if no_queue else (queue or people.queue),
        direction=direction, kind="inbound" if direction == "inbound" else "outbound",
        state="ended" if ended is not None else ("connected" if answered is not None else "queued"),
        ani="5550100", dnis="8005550100", enqueued_at=enqueued,
        answered_at=enqueued + dt.timedelta(seconds=answered) if answered is not None else None,
        ended_at=enqueued + dt.timedelta(seconds=ended) if ended is not None else None)


def test_buckets_count_calls_where_they_arrived(people):
    from controller.models import Queue
    from web.supervisor import activity

    support = Queue.create(name="support")
    t = NOW.replace(minute=5, second=10)                            # the last bucket (10:05)
    _call(people, "1", t, answered=20, ended=200)                   # answered after 20 s
    _call(people, "2", t + dt.timedelta(seconds=30), answered=40)   # answered after 40 s, still talking
    _call(people, "3", t + dt.timedelta(seconds=60), ended=90)      # abandoned after 90 s
    _call(people, "4", NOW - dt.timedelta(seconds=15))              # still waiting: 15 s so far
    _call(people, "5", NOW.replace(minute=1), answered=5, queue=support)         # 10:00 bucket
    _call(people, "6", NOW - dt.timedelta(minutes=50), ended=3)                  # 9:15 bucket
    _call(people, "7", NOW - dt.timedelta(minutes=80), answered=1)               # too old
    _call(people, "8", t, answered=1, direction="outbound")                      # not a contact that waited
    _call(people, "9", t, answered=1, no_queue=True)                             # no queue: not offered

    data = activity(NOW)
    assert data["bucket_seconds"] == 300
    assert data["start"] == "2026-03-02T09:10:00Z" and data["end"] == "2026-03-02T10:07:30Z"
    buckets = data["buckets"]
    assert len(buckets) == 12
    assert [b["start"][11:16] for b in buckets] == [f"{h:02d}:{m:02d}" for h, m in
                                                     [(9, 10), (9, 15), (9, 20), (9, 25), (9, 30), (9, 35),
                                                      (9, 40), (9, 45), (9, 50), (9, 55), (10, 0), (10, 5)]]
    last = buckets[-1]
    assert (last["offered"], last["answered"], last["abandoned"], last["waiting"]) == (4, 2, 1, 1)
    assert last["avg_wait"] == 30.0          # (20 + 40) / 2: the answered ones
    assert last["max_wait"] == 90.0          # the abandoned caller waited longest
    assert (buckets[-2]["offered"], buckets[-2]["answered"], buckets[-2]["avg_wait"]) == (1, 1, 5.0)
    assert (buckets[1]["offered"], buckets[1]["abandoned"], buckets[1]["avg_wait"], buckets[1]["max_wait"]) == \
        (1, 1, None, 3.0)
    assert sum(b["offered"] for b in buckets) == 6
    assert all(b["offered"] == 0 and b["max_wait"] is None for i, b in enumerate(buckets) if i not in (1, 10, 11))

    only_support = activity(NOW, queue="support")["buckets"]
    assert [b["offered"] for b in only_support] == [0] * 10 + [1, 0]


def test_callers_who_asked_for_a_callback_or_left_a_message_are_not_abandoned(people):
    from controller.models import Callback
    from web.supervisor import activity

    t = NOW.replace(minute=5, second=10)
    asked = _call(people, "1", t, ended=40)          # pressed the callback key while waiting
    message = _call(people, "2", t, ended=70)        # left a message in the queue's menu
    gone = _call(people, "3", t, ended=25)           # hung up: kept as an abandoned call to call back
    for contact, kind in ((asked, "in_queue"), (message, "ivr"), (gone, "abandoned")):
        Callback.create(kind=kind, number="+12125550100", queue=people.queue, original_contact_id=contact.id)

    last = activity(NOW)["buckets"][-1]
    assert (last["offered"], last["answered"], last["callback_requested"], last["abandoned"], last["waiting"]) == \
        (3, 0, 2, 1, 0)
    assert last["max_wait"] == 70.0


def test_the_endpoint_is_for_supervisors(signed_in, people):
    _call(people, "1", dt.datetime.utcnow() - dt.timedelta(seconds=5), answered=2)
    sam = signed_in("sam")
    response = sam.get("/api/supervisor/activity")
    assert response.status_code == 200
    data = response.get_json()
    # 5 s ago: the last bucket, or the one before when the test runs just after a bucket starts
    assert len(data["buckets"]) == 12 and sum(b["offered"] for b in data["buckets"][-2:]) == 1
    assert sam.get("/api/supervisor/activity?minutes=15").get_json()["buckets"].__len__() == 3
    assert sam.get("/api/supervisor/activity?queue=sales").status_code == 200
    alice = signed_in("alice")
    assert alice.get("/api/supervisor/activity").status_code == 403


@pytest.mark.parametrize("query, message", [
    ("minutes=0", "'minutes' must be a whole number from 1 to 1440."),
    ("minutes=abc", "'minutes' must be a whole number from 1 to 1440."),
    ("minutes=2000", "'minutes' must be a whole number from 1 to 1440."),
    ("queue=nope", "'queue' names no queue."),
])
def test_bad_queries_are_refused(signed_in, people, query, message):
    response = signed_in("sam").get("/api/supervisor/activity?" + query)
    assert response.status_code == 400
    assert response.get_json() == {"error": message}
