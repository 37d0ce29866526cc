"""The serving process's memory settings: garbage collection that does not freeze calls.

CPython's cycle collector stops the whole process while it runs, and a gevent process
is one thread: every call, request and push waits. A full collection walks every
container object the process has. With 500 calls and their desktops connected that is
~200,000 objects and 100-180 ms, once every few seconds to minutes; at 50 actions a
second that pause alone is the 99th percentile of their latency (docs/benchmarks.md).

- :func:`freeze_startup_heap`: what exists once the process has started (modules, the
  Flask app, the models, routes: about 85,000 objects) lives as long as the process.
  ``gc.freeze()`` moves it out of every later collection, so a full collection walks
  only what calls and connections made since.
- :data:`THRESHOLDS`: a young collection every 700 new objects (CPython's default)
  runs several times within one HTTP request, and each one promotes the request's
  still-live objects to an older generation, where they count towards the next full
  collection although they die a moment later. A larger first threshold lets a
  request's objects die young (freed by reference counting before any collection
  sees them); a young collection of that size takes about a millisecond.
- gevent's greenlet tree tracking (on by default) keeps the spawning stack of every
  greenlet: ~18 frame objects for each of the 1,000 greenlets that 500 desktops keep
  alive, and a stack walk on every spawn. Nothing here reads it.
"""
from __future__ import annotations

import gc
import logging

import gevent

log = logging.getLogger(__name__)

#: (young, middle, old) collection thresholds; see the module's docstring
THRESHOLDS = (20_000, 20, 10)


def tune_greenlets() -> None:
    """Do not record who spawned each greenlet (call before the server starts)."""
    gevent.config.track_greenlet_tree = False


def freeze_startup_heap() -> None:
    """Collect once, keep what is left out of every later collection, and raise the thresholds.

    Call once the process has started (database opened, contact center and web app
    built), before it serves: objects made later (calls, sessions) are collected as usual.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    log.info("gc: %d start-up objects frozen; thresholds %s", gc.get_freeze_count(), THRESHOLDS)
