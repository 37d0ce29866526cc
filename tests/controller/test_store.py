"""Interaction rows: written as they were when the call changed, committed together, none lost."""
from __future__ import annotations

import uuid

import gevent

from controller.calls import store
from controller.models import Interaction, InteractionEvent, Queue


def new_record(queue) -> Interaction:
    return Interaction(id=str(uuid.uuid4()), queue=queue, direction="inbound", kind="inbound", state="new",
                       ani="5550100", dnis="8005550100", customer_uuid=str(uuid.uuid4()))


def history(record) -> list[str]:
    return [h.trigger for h in InteractionEvent.select().where(InteractionEvent.interaction == record.id)
            .order_by(InteractionEvent.id)]


def test_writes_of_one_turn_are_committed_together_in_order(database, monkeypatch):
    batches = []
    commit = store._commit
    monkeypatch.setattr(store, "_commit", lambda batch: (batches.append(len(batch)), commit(batch)))
    queue = Queue.create(name="sales")
    records = [new_record(queue) for _ in range(3)]
    for record in records:
        store.insert_interaction(record)
        record.state = "queued"
        store.write_transition(record, "new", "enqueue", "queued")
    records[0].state = "ended"
    records[0].end_reason = "customer hung up"
    store.write_transition(records[0], "queued", "customer_left", "ended")
    assert store.pending() == 7 and Interaction.select().count() == 0  # nothing written until the turn ends
    gevent.sleep(0)
    assert store.pending() == 0 and batches == [7]
    assert Interaction.get_by_id(records[0].id).state == "ended"
    assert Interaction.get_by_id(records[0].id).end_reason == "customer hung up"
    assert [Interaction.get_by_id(r.id).state for r in records[1:]] == ["queued", "queued"]
    assert history(records[0]) == ["enqueue", "customer_left"]


def test_values_are_taken_when_written(database):
    record = new_record(Queue.create(name="sales"))
    store.insert_interaction(record)
    record.state = "queued"
    store.write_transition(record, "new", "enqueue", "queued")
    record.state = "offering"  # changed after the write, never written
    store.flush()
    assert Interaction.get_by_id(record.id).state == "queued"


def test_flush_commits_at_once(database):
    record = new_record(Queue.create(name="sales"))
    store.insert_interaction(record)
    store.flush()
    assert store.pending() == 0 and Interaction.get_by_id(record.id).state == "new"


def test_a_bad_write_loses_only_itself(database, caplog):
    queue = Queue.create(name="sales")
    good, ghost = new_record(queue), new_record(queue)
    store.insert_interaction(good)
    store.write_transition(ghost, "new", "enqueue", "queued")  # no such row: its history breaks the foreign key
    store.write_transition(good, "new", "enqueue", "queued")
    store.flush()
    assert history(good) == ["enqueue"]
    assert history(ghost) == []
    assert f"could not write interaction {ghost.id}" in caplog.text
