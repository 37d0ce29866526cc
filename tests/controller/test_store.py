"""Interaction rows: a new call's row at once, transitions as they were, committed together, none lost."""
from __future__ import annotations

import uuid

import gevent
import peewee
import pytest

from controller.calls import store
from controller.models import Interaction, InteractionEvent, Queue


def new_record(queue) -> Interaction:
    return Interaction(id=str(uuid.uuid4()), queue=queue, direction="inbound", kind="inbound", state="new",
                       ani="5550100", dnis="8005550100", customer_uuid=str(uuid.uuid4()))


def history(record) -> list[str]:
    return [h.trigger for h in InteractionEvent.select().where(InteractionEvent.interaction == record.id)
            .order_by(InteractionEvent.id)]


@pytest.fixture
def commits(monkeypatch) -> list[int]:
    """The size of every batch committed."""
    sizes: list[int] = []
    commit = store._commit
    monkeypatch.setattr(store, "_commit", lambda batch, **kw: (sizes.append(len(batch)), commit(batch, **kw)))
    return sizes


def test_transitions_of_one_turn_are_committed_together_in_order(database, commits):
    queue = Queue.create(name="sales")
    records = [new_record(queue) for _ in range(3)]
    for record in records:
        store.insert_interaction(record)
    assert Interaction.select().count() == 3  # a new call's row is there at once
    for record in records:
        record.state = "queued"
        store.write_transition(record, "new", "enqueue", "queued")
    records[0].state = "ended"
    records[0].end_reason = "customer hung up"
    store.write_transition(records[0], "queued", "customer_left", "ended")
    assert store.pending() == 4 and history(records[0]) == []  # not written before the turn ends
    gevent.sleep(0)
    assert store.pending() == 0 and commits == [1, 1, 1, 4]
    assert Interaction.get_by_id(records[0].id).state == "ended"
    assert Interaction.get_by_id(records[0].id).end_reason == "customer hung up"
    assert [Interaction.get_by_id(r.id).state for r in records[1:]] == ["queued", "queued"]
    assert history(records[0]) == ["enqueue", "customer_left"]


def test_a_new_row_takes_the_queued_transitions_along(database, commits):
    queue = Queue.create(name="sales")
    first, second = new_record(queue), new_record(queue)
    store.insert_interaction(first)
    store.write_transition(first, "new", "enqueue", "queued")
    store.insert_interaction(second)
    assert store.pending() == 0 and commits == [1, 2] and history(first) == ["enqueue"]
    gevent.sleep(0)  # the writer finds nothing left
    assert commits == [1, 2]


def test_values_are_taken_when_written(database):
    record = new_record(Queue.create(name="sales"))
    store.insert_interaction(record)
    record.state = "queued"
    store.write_transition(record, "new", "enqueue", "queued")
    record.state = "offering"  # changed after the write, never written
    store.flush()
    assert store.pending() == 0 and Interaction.get_by_id(record.id).state == "queued"


def test_a_bad_transition_loses_only_itself(database, caplog):
    queue = Queue.create(name="sales")
    good, ghost = new_record(queue), new_record(queue)
    store.insert_interaction(good)
    store.write_transition(ghost, "new", "enqueue", "queued")  # no such row: its history breaks the foreign key
    store.write_transition(good, "new", "enqueue", "queued")
    store.flush()
    assert history(good) == ["enqueue"]
    assert history(ghost) == []
    assert f"could not write interaction {ghost.id}" in caplog.text


def test_a_failed_new_row_is_raised_and_the_queued_transitions_still_written(database):
    queue = Queue.create(name="sales")
    record = new_record(queue)
    store.insert_interaction(record)
    store.write_transition(record, "new", "enqueue", "queued")
    with pytest.raises(peewee.IntegrityError):
        store.insert_interaction(record)  # the same id again
    assert store.pending() == 0 and history(record) == ["enqueue"]
