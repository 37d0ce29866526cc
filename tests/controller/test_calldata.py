"""Call data: capture from the channel, masking, audited reveal, first save wins.

Every test runs on SQLite and, when ``TEST_DATABASE_URL`` names one, on PostgreSQL.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import uuid as uuidlib

import gevent
import gevent.event
import gevent.lock
import pytest

from controller import calldata
from controller.calldata import (MASK, InvalidValue, ReadOnlyVariable, SaveConflict, UnknownVariable,
                                 ValueTooLong, Variable)
from controller.db import database, release_connection
from controller.models import CallDataAudit, CallDataValue, Interaction, Queue

URL = os.environ.get("TEST_DATABASE_URL")
SECRET = "4111-SECRET-9876"

SPEC = [
    {"name": "notes", "label": "Notes", "order": 40, "editable": True},
    {"name": "customer", "label": "Customer name", "order": 10, "channel_variable": "cc_customer_name"},
    {"name": "account", "label": "Account number", "order": 20, "secure": True, "editable": True,
     "channel_variable": "cc_account"},
    {"name": "order_id", "label": "Order id", "order": 30, "editable": True, "channel_variable": "cc_order_id"},
]
CHANNEL = {"cc_customer_name": "Ada Lovelace", "cc_account": SECRET, "cc_order_id": "A-1001"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=[
    pytest.mark.postgres,
    pytest.mark.skipif(not URL, reason="no PostgreSQL: set TEST_DATABASE_URL=postgresql://user@host:5432/db")])])
def settings(request, settings):
    if request.param == "postgres":
        from controller import models
        from controller.db import database, open_database

        settings.database_url = URL
        open_database(URL)
        database.drop_tables(models.ALL_MODELS, safe=True, cascade=True)
        database.close()
        database.obj.close_all()
    return settings


@pytest.fixture
def queue(people):
    people.queue.variables_spec = SPEC
    people.queue.save()
    return Queue.get_by_id(people.queue.id)


@pytest.fixture
def call(queue):
    record = Interaction.create(id=str(uuidlib.uuid4()), queue=queue, customer_uuid=str(uuidlib.uuid4()))
    calldata.capture(record, queue, CHANNEL.get)
    return Interaction.get_by_id(record.id)


def values(view):
    return {item["name"]: item["value"] for item in view}


def versions(view):
    return {item["name"]: item["version"] for item in view}


# -- the spec -----------------------------------------------------------------------------
def test_spec_is_read_in_display_order_with_defaults():
    spec = calldata.parse_spec([{"name": "b", "order": 2}, {"name": "a", "label": "A", "order": 1, "secure": True}])
    assert spec == (Variable("a", "A", 1, False, True, None), Variable("b", "b", 2, False, False, None))
    assert calldata.parse_spec([]) == () == calldata.parse_spec(None)
    assert [v.order for v in calldata.parse_spec([{"name": "x"}, {"name": "y"}])] == [0, 1]


@pytest.mark.parametrize("raw,message", [
    ({"name": "x"}, "variables_spec must be a list of variables"),
    (["x"], "variables_spec[0] must be an object with a name"),
    ([{"name": "x", "secret": True}], "variables_spec[0] has unknown keys ['secret']"),
    ([{"label": "X"}], "variables_spec[0]: name must be letters, digits and _ (at most 64), got None"),
    ([{"name": "a b"}], "name must be letters, digits and _"),
    ([{"name": "x\n"}], "name must be letters, digits and _"),
    ([{"name": "x"}, {"name": "x"}], "variables_spec[1]: 'x' is defined twice"),
    ([{"name": "x", "label": 5}], "label must be text of at most 128 characters"),
    ([{"name": "x", "order": "1"}], "order must be a whole number"),
    ([{"name": "x", "order": True}], "order must be a whole number"),
    ([{"name": "x", "secure": "yes"}], "secure must be true or false"),
    ([{"name": "x", "editable": 1}], "editable must be true or false"),
    ([{"name": "x", "channel_variable": "a-b"}], "channel_variable must be a channel variable name"),
])
def test_a_broken_spec_is_refused_with_the_reason(raw, message):
    with pytest.raises(ValueError) as caught:
        calldata.parse_spec(raw)
    assert message in str(caught.value)


# -- capture ------------------------------------------------------------------------------
def test_capture_stores_the_channel_values_once(call, queue, people):
    assert values(calldata.view(call, reveal={"account"})) == {
        "customer": "Ada Lovelace", "account": SECRET, "order_id": "A-1001", "notes": ""}
    calldata.save(call, people.alice, {"order_id": "A-2002"}, {"order_id": 1})
    calldata.capture(call, queue, CHANNEL.get)  # again (re-queued, re-adopted): edits are kept
    assert values(calldata.view(call))["order_id"] == "A-2002"
    assert CallDataValue.select().where(CallDataValue.interaction == call.id).count() == 4


def test_capture_cuts_a_long_channel_value_and_warns_without_the_value(queue, caplog):
    record = Interaction.create(id=str(uuidlib.uuid4()), queue=queue)
    long_secret = SECRET + "x" * 300
    with caplog.at_level(logging.DEBUG):
        calldata.capture(record, queue, {"cc_account": long_secret, "cc_order_id": "A\x001"}.get)
    stored = CallDataValue.get(CallDataValue.interaction == record.id, CallDataValue.name == "account").value
    assert stored == long_secret[:256]
    assert f"call data 'account' from channel variable cc_account is {len(long_secret)} characters; " \
           "kept the first 256" in caplog.text
    assert SECRET not in caplog.text
    assert values(calldata.view(record))["order_id"] == "A1"  # NUL cannot be stored in PostgreSQL


def test_capture_without_a_spec_or_with_a_broken_one_stores_nothing(people, caplog):
    record = Interaction.create(id=str(uuidlib.uuid4()), queue=people.queue)
    calldata.capture(record, people.queue, CHANNEL.get)
    calldata.capture(record, None, CHANNEL.get)
    people.queue.variables_spec = [{"name": "x", "secure": "yes"}]
    calldata.capture(record, people.queue, CHANNEL.get)
    assert "queue sales has a broken variables_spec" in caplog.text
    assert CallDataValue.select().count() == 0
    assert calldata.view(Interaction.create(id="no-queue")) == []


# -- view and reveal ----------------------------------------------------------------------------
def test_view_is_ordered_and_masks_secure_values(call):
    view = calldata.view(call.id)
    assert [item["name"] for item in view] == ["customer", "account", "order_id", "notes"]
    assert view[1] == {"name": "account", "label": "Account number", "value": MASK, "version": 1,
                       "editable": True, "secure": True, "masked": True}
    assert view[0] == {"name": "customer", "label": "Customer name", "value": "Ada Lovelace", "version": 1,
                       "editable": False, "secure": False, "masked": False}
    assert all(SECRET not in str(item) for item in view)
    assert calldata.view(call, reveal={"account"})[1]["value"] == SECRET
    assert [item["name"] for item in calldata.view(call, include_secure=False)] == ["customer", "order_id", "notes"]


def test_an_empty_secure_value_has_nothing_to_mask(queue):
    record = Interaction.create(id=str(uuidlib.uuid4()), queue=queue)
    calldata.capture(record, queue, {}.get)
    account = calldata.view(record)[1]
    assert account["value"] == "" and account["masked"] is False


def test_variables_follow_the_queue_spec(call, queue):
    queue.variables_spec = SPEC[1:] + [{"name": "ticket", "label": "Ticket", "order": 50, "editable": True}]
    queue.save()
    view = calldata.view(Interaction.get_by_id(call.id))
    assert [item["name"] for item in view] == ["customer", "account", "order_id", "ticket"]  # notes gone
    assert view[-1]["version"] == 0 and view[-1]["value"] == ""  # never stored


def test_reveal_gives_the_clear_value_and_audits_it(call, people):
    assert calldata.reveal(call, "account", people.alice) == SECRET
    audit = list(CallDataAudit.select())
    assert [(a.interaction_id, a.name, a.agent_id, a.action) for a in audit] == [
        (call.id, "account", people.alice.id, "reveal")]
    assert SECRET not in str(audit[0].__data__)
    # a value that is not secure is not audited
    assert calldata.reveal(call.id, "customer", people.alice.id) == "Ada Lovelace"
    assert CallDataAudit.select().count() == 1


def test_reveal_of_an_unknown_variable(call, people):
    with pytest.raises(UnknownVariable) as caught:
        calldata.reveal(call, "pin", people.alice)
    assert str(caught.value) == "This call has no data field named 'pin'."
    assert caught.value.status == 404
    assert CallDataAudit.select().count() == 0


# -- save ----------------------------------------------------------------------------------------
def test_save_writes_a_new_version_and_audits_who(call, people):
    view = calldata.save(call, people.alice, {"order_id": "A-2002", "notes": "called back"},
                         {"order_id": 1, "notes": 1})
    assert values(view)["order_id"] == "A-2002" and values(view)["notes"] == "called back"
    assert versions(view) == {"customer": 1, "account": 1, "order_id": 2, "notes": 2}
    row = CallDataValue.get(CallDataValue.interaction == call.id, CallDataValue.name == "order_id")
    assert row.updated_by_id == people.alice.id
    assert sorted((a.name, a.agent_id, a.action) for a in CallDataAudit.select()) == [
        ("notes", people.alice.id, "save"), ("order_id", people.alice.id, "save")]


def test_saving_a_secure_value_returns_it_masked(call, people):
    view = calldata.save(call, people.alice, {"account": "NEW-SECRET-1"}, {"account": 1})
    assert view[1]["value"] == MASK and view[1]["version"] == 2
    assert calldata.reveal(call, "account", people.bob) == "NEW-SECRET-1"


def test_an_unchanged_value_is_not_a_new_version(call, people):
    view = calldata.save(call, people.alice, {"order_id": "A-1001"}, {"order_id": 1})
    assert versions(view)["order_id"] == 1
    assert CallDataAudit.select().count() == 0


def test_a_variable_added_later_is_saved_from_version_zero(call, queue, people):
    queue.variables_spec = SPEC + [{"name": "ticket", "label": "Ticket", "order": 50, "editable": True}]
    queue.save()
    record = Interaction.get_by_id(call.id)
    assert versions(calldata.save(record, people.alice, {"ticket": "T-1"}, {"ticket": 0}))["ticket"] == 1
    with pytest.raises(SaveConflict) as caught:
        calldata.save(record, people.bob, {"ticket": "T-2"}, {"ticket": 0})
    assert str(caught.value) == ("Alice Agent saved 'Ticket' first; your change was not saved. "
                                 "The current value is shown.")


@pytest.mark.parametrize("values_,versions_,error,status,message", [
    ({"pin": "1"}, {"pin": 1}, UnknownVariable, 400, "This call has no data field named 'pin'."),
    ({"customer": "Bob"}, {"customer": 1}, ReadOnlyVariable, 403, "'Customer name' is read-only."),
    ({"notes": "x" * 257}, {"notes": 1}, ValueTooLong, 400, "'Notes' is 257 characters long; the limit is 256."),
    ({"notes": 5}, {"notes": 1}, InvalidValue, 400, "'Notes' must be text."),
    ({"notes": "a\x00b"}, {"notes": 1}, InvalidValue, 400, "'Notes' cannot contain a NUL character."),
    ({"notes": "x"}, {}, InvalidValue, 400, "Send the version of 'Notes' you edited (a whole number)."),
    ({"notes": "x"}, {"notes": "1"}, InvalidValue, 400, "Send the version of 'Notes' you edited (a whole number)."),
    ({"notes": "x"}, {"notes": -1}, InvalidValue, 400, "Send the version of 'Notes' you edited (a whole number)."),
])
def test_save_refuses_with_a_sentence_and_saves_nothing(call, people, values_, versions_, error, status, message):
    # a good change next to the bad one: nothing of the save is written
    with pytest.raises(error) as caught:
        calldata.save(call, people.alice, {"order_id": "A-9", **values_}, {"order_id": 1, **versions_})
    assert str(caught.value) == message
    assert caught.value.status == status
    assert values(calldata.view(call))["order_id"] == "A-1001"
    assert CallDataAudit.select().count() == 0


def test_the_limit_is_256_characters_not_bytes(call, people):
    view = calldata.save(call, people.alice, {"notes": "é" * 256}, {"notes": 1})
    assert values(view)["notes"] == "é" * 256


def test_the_first_save_wins_and_the_second_is_told_who(call, people):
    calldata.save(call, people.alice, {"order_id": "A-2002"}, {"order_id": 1})
    with pytest.raises(SaveConflict) as caught:
        calldata.save(call, people.bob, {"order_id": "B-3003"}, {"order_id": 1})
    assert str(caught.value) == ("Alice Agent saved 'Order id' first; your change was not saved. "
                                 "The current value is shown.")
    assert caught.value.status == 409 and caught.value.names == ["order_id"]
    assert values(caught.value.current)["order_id"] == "A-2002"
    assert versions(caught.value.current)["order_id"] == 2


def test_a_conflict_on_one_value_saves_none_of_them(call, people):
    calldata.save(call, people.alice, {"account": "ALICE-SECRET"}, {"account": 1})
    with pytest.raises(SaveConflict) as caught:
        calldata.save(call, people.bob, {"notes": "bob was here", "account": "BOB-SECRET"},
                      {"notes": 1, "account": 1})
    message = str(caught.value)
    assert message == ("Alice Agent saved 'Account number' first; your changes were not saved. "
                       "The current value is shown.")
    assert "ALICE-SECRET" not in message and "ALICE-SECRET" not in str(caught.value.current)
    assert values(caught.value.current)["notes"] == "" and values(caught.value.current)["account"] == MASK
    assert [(a.name, a.agent_id) for a in CallDataAudit.select()] == [("account", people.alice.id)]


def test_a_conflict_names_every_saver(call, people):
    calldata.save(call, people.alice, {"order_id": "A-2"}, {"order_id": 1})
    calldata.save(call, people.sam, {"notes": "n"}, {"notes": 1})
    with pytest.raises(SaveConflict) as caught:
        calldata.save(call, people.bob, {"order_id": "B", "notes": "m"}, {"order_id": 1, "notes": 1})
    assert str(caught.value) == ("Alice Agent saved 'Order id' and Sam Supervisor saved 'Notes' first; "
                                 "your changes were not saved. The current values are shown.")
    with pytest.raises(SaveConflict) as caught:
        calldata.save(call, people.alice, {"order_id": "A-3"}, {"order_id": 1})
    assert str(caught.value).startswith("You (in another window) saved 'Order id' first")


# -- concurrency: many savers at one version, exactly one wins ------------------------------
def _race(call, people, spawn, join, *, greenlets: bool):
    go = gevent.event.Event() if greenlets else threading.Event()
    # The test process is not monkey-patched: peewee holds a real threading.Lock while a
    # greenlet's PostgreSQL connect yields, so greenlets open and close one at a time.
    # The saves themselves run concurrently.
    opening = gevent.lock.Semaphore() if greenlets else contextlib.nullcontext()
    results = []

    def saver(i):
        with opening:
            database.connect(reuse_if_open=True)
        go.wait()
        try:
            calldata.save(call.id, people.bob, {"notes": f"saver {i}"}, {"notes": 1})
            results.append(("won", i))
        except SaveConflict as exc:
            results.append(("lost", str(exc)))
        finally:
            with opening:
                release_connection()

    workers = [spawn(i, saver) for i in range(8)]
    gevent.sleep(0.2) if greenlets else time.sleep(0.2)  # every saver connected and waiting
    go.set()
    join(workers)
    winners = [i for outcome, i in results if outcome == "won"]
    assert len(results) == 8 and len(winners) == 1, results
    assert {outcome for outcome, _ in results if outcome != "won"} == {"lost"}
    row = CallDataValue.get(CallDataValue.interaction == call.id, CallDataValue.name == "notes")
    assert row.version == 2 and row.value == f"saver {winners[0]}"
    assert CallDataAudit.select().where(CallDataAudit.action == "save").count() == 1


def test_concurrent_greenlets_saving_one_version(call, people):
    _race(call, people, lambda i, f: gevent.spawn(f, i), lambda ws: gevent.joinall(ws, raise_error=True),
          greenlets=True)


def test_concurrent_threads_saving_one_version(call, people):
    def spawn(i, f):
        thread = threading.Thread(target=f, args=(i,))
        thread.start()
        return thread

    def join(threads):
        for thread in threads:
            thread.join(30)

    _race(call, people, spawn, join, greenlets=False)


# -- logs ------------------------------------------------------------------------------------------
def test_secure_values_never_reach_the_logs(queue, people, caplog):
    caplog.set_level(logging.DEBUG)  # peewee logs every statement with its parameters at DEBUG
    record = Interaction.create(id=str(uuidlib.uuid4()), queue=queue)
    calldata.capture(record, queue, CHANNEL.get)
    calldata.view(record, reveal={"account"})
    assert calldata.reveal(record, "account", people.alice) == SECRET
    calldata.save(record, people.alice, {"account": SECRET + "-2"}, {"account": 1})
    with pytest.raises(SaveConflict):
        calldata.save(record, people.bob, {"account": SECRET + "-3"}, {"account": 1})
    with pytest.raises(ValueTooLong):
        calldata.save(record, people.bob, {"account": SECRET * 20}, {"account": 2})
    assert "revealed call data 'account'" in caplog.text and "saved call data account" in caplog.text
    assert 'calldatavalue' in caplog.text  # the statements are logged, their values are not
    assert SECRET not in caplog.text


# -- the demo ---------------------------------------------------------------------------------------
def test_demo_customers_carry_the_demo_queues_call_data(database, simulator):
    """The seeded specs, the simulator's DID variables and a real CHANNEL_PARK event fit together."""
    from controller.config import EslAddress
    from controller.esl import EslClient
    from controller.seed import DEMO_CHANNEL_VARIABLES, DEMO_QUEUES, DEMO_VARIABLES, seed_demo

    seed_demo()
    parked = {}
    arrived = gevent.event.Event()

    def on_event(event):
        if event.name == "CHANNEL_PARK" and event.variable("cc_queue"):
            parked[event.variable("cc_queue")] = event
            arrived.set()

    client = EslClient(EslAddress("127.0.0.1", simulator.port, "ClueCon"), on_event)
    client.start()
    try:
        assert client.wait_connected(10)
        for name, _label, did in DEMO_QUEUES:
            simulator.add_did(did, queue=name, variables=DEMO_CHANNEL_VARIABLES[name])
            simulator.customer_call(did)
        with gevent.Timeout(10, AssertionError(f"no CHANNEL_PARK for every queue: {sorted(parked)}")):
            while len(parked) < len(DEMO_QUEUES):
                arrived.clear()
                arrived.wait()
    finally:
        client.stop()
    for name, _label, _did in DEMO_QUEUES:
        queue = Queue.get(Queue.name == name)
        assert calldata.parse_spec(queue.variables_spec) == calldata.parse_spec(DEMO_VARIABLES[name])
        assert 3 <= len(queue.variables_spec) <= 5
        record = Interaction.create(id=str(uuidlib.uuid4()), queue=queue)
        calldata.capture(record, queue, parked[name].variable)
        shown = calldata.view(record, reveal={"account_number"})
        for variable in calldata.variables(queue):
            if variable.channel_variable:
                assert values(shown)[variable.name] == DEMO_CHANNEL_VARIABLES[name][variable.channel_variable]
        assert any(v.secure for v in calldata.variables(queue)) and any(v.editable for v in calldata.variables(queue))
    # seeding again keeps a spec someone changed
    queue = Queue.get(Queue.name == "sales")
    queue.variables_spec = [{"name": "only"}]
    queue.save()
    seed_demo()
    assert Queue.get(Queue.name == "sales").variables_spec == [{"name": "only"}]
