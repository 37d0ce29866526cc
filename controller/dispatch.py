"""Per-call ordered dispatch.

Everything that touches one call (its ESL events, agent commands, job results, timers)
goes through that call's queue and runs one item at a time, in arrival order. Each busy
call has its own greenlet, so a slow call never delays another. The ESL reader only
appends to a queue: nothing slow runs on it.
"""
from __future__ import annotations

import logging
from collections import deque
from typing import Any, Callable, Hashable

import gevent

log = logging.getLogger(__name__)


class OrderedDispatcher:
    """Runs ``handler(key, item)`` for each submitted item, in order per key, keys in parallel.

    :param handler: called with the key and the item; exceptions are logged, never lost silently
    :param on_idle: called by a worker greenlet before it exits (e.g. to release its DB connection)
    """

    def __init__(self, handler: Callable[[Hashable, Any], None], *, on_idle: Callable[[], None] | None = None):
        self._handler = handler
        self._on_idle = on_idle
        self._queues: dict[Hashable, deque] = {}
        self._workers: dict[Hashable, gevent.Greenlet] = {}

    def submit(self, key: Hashable, item: Any) -> None:
        queue = self._queues.get(key)
        if queue is None:
            queue = self._queues[key] = deque()
        queue.append(item)
        if key not in self._workers:
            self._workers[key] = gevent.spawn(self._drain, key, queue)

    def _drain(self, key: Hashable, queue: deque) -> None:
        handler = self._handler
        try:
            while queue:
                item = queue.popleft()
                try:
                    handler(key, item)
                except Exception:
                    log.exception("handling %r for call %s failed", item, key)
        finally:
            if self._on_idle is not None:
                self._on_idle()
            del self._workers[key]
            if queue:  # appended while the last item ran and we were exiting
                self._workers[key] = gevent.spawn(self._drain, key, queue)
            else:
                self._queues.pop(key, None)

    def pending(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def idle(self) -> bool:
        return not self._workers

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every queue is drained (tests and shutdown)."""
        with gevent.Timeout(timeout, False):
            while self._workers:
                gevent.joinall(list(self._workers.values()))
            return True
        return False
