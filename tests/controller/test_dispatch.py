"""Per-call ordered dispatch: order per key, keys in parallel, workers handed on, never a key lost."""
from __future__ import annotations

import gevent
import gevent.event
import pytest

from controller.dispatch import OrderedDispatcher


def test_items_of_one_key_run_in_order_and_keys_interleave():
    seen: list[tuple[str, int]] = []
    dispatcher = OrderedDispatcher(lambda key, item: (seen.append((key, item)), gevent.sleep(0)))
    for i in range(5):
        dispatcher.submit("a", i)
        dispatcher.submit("b", i)
    assert dispatcher.join(5)
    assert [i for k, i in seen if k == "a"] == list(range(5))
    assert [i for k, i in seen if k == "b"] == list(range(5))
    assert seen[:2] == [("a", 0), ("b", 0)]  # b did not wait for a's queue to empty
    assert dispatcher.idle() and dispatcher.pending() == 0


def test_a_blocked_key_does_not_hold_up_another():
    release = gevent.event.Event()
    done: list[str] = []

    def handler(key, item):
        if key == "slow":
            release.wait(5)
        done.append(f"{key}{item}")

    dispatcher = OrderedDispatcher(handler)
    dispatcher.submit("slow", 1)
    dispatcher.submit("slow", 2)
    for i in range(3):
        dispatcher.submit("fast", i)
    with gevent.Timeout(5):
        while len(done) < 3:
            gevent.sleep(0.001)
    assert done == ["fast0", "fast1", "fast2"] and dispatcher.pending() == 1
    release.set()
    assert dispatcher.join(5)
    assert done[3:] == ["slow1", "slow2"]


def test_an_idle_worker_is_handed_the_next_key_and_on_idle_runs_per_drain():
    workers: dict[str, gevent.Greenlet] = {}
    idles: list[gevent.Greenlet] = []
    dispatcher = OrderedDispatcher(lambda key, item: workers.setdefault(key, gevent.getcurrent()),
                                   on_idle=lambda: idles.append(gevent.getcurrent()))
    dispatcher.submit("first", 1)
    dispatcher.submit("first", 2)
    assert dispatcher.join(5)
    dispatcher.submit("second", 1)
    assert dispatcher.join(5)
    assert workers["first"] is workers["second"]  # no new greenlet for the second call
    assert idles == [workers["first"], workers["first"]]  # once per drained queue, in the worker


def test_parked_workers_are_bounded():
    dispatcher = OrderedDispatcher(lambda key, item: gevent.sleep(0))
    dispatcher.MAX_IDLE_WORKERS = 3
    for key in range(10):
        dispatcher.submit(key, None)
    assert dispatcher.join(5)
    assert len(dispatcher._parked) == 3


def test_a_failing_item_is_logged_and_the_queue_goes_on(caplog):
    seen = []

    def handler(key, item):
        if item == 1:
            raise ValueError("broken item")
        seen.append(item)

    dispatcher = OrderedDispatcher(handler)
    for i in range(3):
        dispatcher.submit("call", i)
    assert dispatcher.join(5)
    assert seen == [0, 2]
    assert "broken item" in caplog.text


@pytest.mark.parametrize("when", ["handling", "parked", "handed a key"])
def test_a_killed_worker_loses_no_key(when):
    seen = []
    dispatcher = OrderedDispatcher(lambda key, item: (seen.append((key, item)), gevent.sleep(0.01)))
    dispatcher.submit("a", 1)
    dispatcher.submit("a", 2)
    gevent.sleep(0)  # the worker is in its first item
    worker = next(g for g in _greenlets() if g._run == dispatcher._work)
    if when == "handling":
        worker.kill()
    else:
        assert dispatcher.join(5)
        if when == "parked":
            worker.kill()
        else:
            worker.kill(block=False)  # dies at the next turn of the loop ...
            dispatcher.submit("b", 1)  # ... before it wakes up with "b"
    dispatcher.submit("a", 3)
    assert dispatcher.join(5)
    assert [i for k, i in seen if k == "a"] == [1, 2, 3]
    assert [i for k, i in seen if k == "b"] == ([1] if when == "handed a key" else [])
    assert worker.dead and dispatcher.idle()


def _greenlets() -> list[gevent.Greenlet]:
    import gc

    return [o for o in gc.get_objects() if isinstance(o, gevent.Greenlet) and not o.dead]


def test_run_here_runs_in_the_caller_when_the_key_is_idle_and_what_arrives_meanwhile_waits():
    seen: list[tuple[str, object]] = []
    dispatcher = OrderedDispatcher(lambda key, item: seen.append((key, item)))
    proceed = gevent.event.Event()
    ran_in: list[gevent.Greenlet] = []

    def action():
        ran_in.append(gevent.getcurrent())
        seen.append(("call", "action starts"))
        dispatcher.submit("call", "event during the action")
        proceed.wait(5)  # e.g. waiting for the switch's reply
        seen.append(("call", "action ends"))

    helper = gevent.spawn(lambda: (gevent.sleep(0.01), proceed.set()))
    assert dispatcher.run_here("call", action)
    assert ran_in == [gevent.getcurrent()]
    assert dispatcher.join(5)
    helper.join(5)
    assert seen == [("call", "action starts"), ("call", "action ends"), ("call", "event during the action")]
    assert dispatcher.idle()


def test_run_here_refuses_a_busy_key_and_runs_nothing():
    release = gevent.event.Event()
    dispatcher = OrderedDispatcher(lambda key, item: release.wait(5))
    dispatcher.submit("call", "slow event")
    gevent.sleep(0)  # a worker has it
    ran: list[str] = []
    assert not dispatcher.run_here("call", lambda: ran.append("action"))
    assert ran == []
    release.set()
    assert dispatcher.join(5)


def test_run_here_lets_the_error_through_and_frees_the_key():
    seen: list[object] = []
    dispatcher = OrderedDispatcher(lambda key, item: seen.append(item))

    def fails():
        dispatcher.submit("call", "queued meanwhile")
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        dispatcher.run_here("call", fails)
    assert dispatcher.join(5)
    assert seen == ["queued meanwhile"]
    assert dispatcher.run_here("call", lambda: seen.append("next action"))
    assert seen == ["queued meanwhile", "next action"] and dispatcher.idle()
