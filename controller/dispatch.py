"""Per-call ordered dispatch.

Everything that touches one call (its ESL events, agent commands, job results, timers)
goes through that call's queue and runs one item at a time, in arrival order. Each busy
call has its own greenlet, so a slow call never delays another. The ESL reader only
appends to a queue: nothing slow runs on it.

A worker greenlet runs a call's queue until it is empty, then waits, parked, to be
handed the next busy call. Starting a new greenlet costs several times more than handing
work to a parked one (a fresh greenlet needs a fresh stack), and calls become busy and
idle again many times a second.

A greenlet that would only wait for its item's result (an agent's HTTP request) runs it
itself when the call's queue is idle (:meth:`OrderedDispatcher.run_here`): the call is
busy meanwhile, so whatever arrives for it queues behind, exactly as behind a worker,
and the request does not wait for the event loop to get round to a worker first.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Any, Callable, Hashable

import gevent
import gevent.event
from gevent.hub import Waiter, get_hub

log = logging.getLogger(__name__)


class OrderedDispatcher:
    """Runs ``handler(key, item)`` for each submitted item, in order per key, keys in parallel.

    :param handler: called with the key and the item; exceptions are logged, never lost silently
    :param on_idle: called by a worker greenlet when its key's queue is empty, before it takes
        other work (e.g. to release its DB connection)
    """

    #: parked workers kept for the next busy calls; more than this many idle at once exit
    MAX_IDLE_WORKERS = 64

    def __init__(self, handler: Callable[[Hashable, Any], None], *, on_idle: Callable[[], None] | None = None):
        self._handler = handler
        self._on_idle = on_idle
        self._queues: dict[Hashable, deque] = {}  # busy keys: each has exactly one worker on it
        self._parked: list[Waiter] = []
        self._drained = gevent.event.Event()
        self._drained.set()

    def submit(self, key: Hashable, item: Any) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(item)
            return
        queue = self._queues[key] = deque((item,))
        self._drained.clear()
        self._start(key, queue)

    def run_here(self, key: Hashable, action: Callable[[], Any]) -> bool:
        """Run ``action()`` in this greenlet, in order with ``key``'s items, if ``key`` is idle.

        :return: False (and nothing run) if ``key`` has items queued or running: submit it then
        """
        if key in self._queues:
            return False
        queue = self._queues[key] = deque()  # busy: what arrives meanwhile waits behind the action
        self._drained.clear()
        try:
            action()
        finally:
            if queue:
                self._start(key, queue)
            else:
                self._release(key)
        return True

    def _start(self, key: Hashable, queue: deque) -> None:
        """Give a busy key's queue to a parked worker, or to a new one."""
        if self._parked:
            get_hub().loop.run_callback(self._parked.pop().switch, (key, queue))
        else:
            gevent.spawn(self._work, key, queue)

    def _work(self, key: Hashable, queue: deque) -> None:
        handler = self._handler
        waiter = None
        try:
            while True:
                while queue:
                    item = queue.popleft()
                    try:
                        handler(key, item)
                    except Exception:
                        log.exception("handling %r for call %s failed", item, key)
                self._idle_hook()
                if queue:  # appended while the idle hook ran
                    continue
                self._release(key)
                if len(self._parked) >= self.MAX_IDLE_WORKERS:
                    return
                waiter = Waiter()
                self._parked.append(waiter)
                key, queue = waiter.get()
                waiter = None
        except BaseException:
            # killed (GreenletExit, an uncaught Timeout): never leave a busy key without a worker
            if waiter is not None:
                if waiter in self._parked:
                    self._parked.remove(waiter)
                else:  # a key was being handed over: it lands in the waiter, give it to a new worker
                    get_hub().loop.run_callback(lambda: gevent.spawn(self._work, *waiter.value))
            elif self._queues.get(key) is queue:
                self._idle_hook()
                if queue:
                    gevent.spawn(self._work, key, queue)
                else:
                    self._release(key)
            raise

    def _idle_hook(self) -> None:
        if self._on_idle is not None:
            try:
                self._on_idle()
            except Exception:
                log.exception("dispatcher idle hook failed")

    def _release(self, key: Hashable) -> None:
        del self._queues[key]
        if not self._queues:
            self._drained.set()

    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def idle(self) -> bool:
        return not self._queues

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every queue is drained (tests and shutdown)."""
        return self._drained.wait(timeout)
