"""The serving process's memory settings: garbage collection that does not freeze calls.

CPython's cycle collector stops the whole process while it runs, and a gevent process
is one thread: every call, request and push waits. A collection walks every container
object of the generations it collects, ~1 µs each on the 2-core test machine. With 500
calls and their desktops connected the process holds ~190,000 such objects, and a full
collection (the oldest generation) took 100-180 ms, every 20-30 s at the bench's load;
the actions and events in flight meanwhile were the 99th percentile of their latency
(docs/benchmarks.md).

Two things keep full collections short, and one makes them rarer:

- :func:`freeze_startup_heap`: what exists once the process has started (modules, the
  Flask app, models, routes: ~88,000 objects) lives as long as the process; ``gc.freeze()``
  moves it out of every later collection.
- :func:`keep_survivors_frozen`: what survives a full collection is, mostly, the state of
  calls and connected desktops, which lives for minutes to hours. It is frozen too, so
  the next full collection walks only what became old since (a few thousand objects:
  milliseconds). The price: cyclic garbage among frozen objects (objects freed by
  reference counting, nearly all of them, are freed as usual) waits for the next
  *sweep*, a complete collection every :data:`SWEEP_SECONDS` (one pause of the old
  length, an hour apart).
- gevent's greenlet tree tracking (on by default) keeps the spawning stack of every
  greenlet: ~18 frame objects for each of the ~1,000 greenlets 500 desktops keep alive,
  and a stack walk on every spawn. Nothing here reads it (:func:`tune_greenlets`).

The young generations keep CPython's thresholds: a young collection walks the young
objects, so a larger first threshold makes each one longer (20,000 objects: 15-25 ms
here) to save pauses that are short already (~0.5 ms at the default 700).
"""
from __future__ import annotations

import gc
import logging

import gevent

log = logging.getLogger(__name__)

#: seconds between complete collections (frozen objects included); see the module docstring
SWEEP_SECONDS = 3600.0

_sweeper: gevent.Greenlet | None = None


def tune_greenlets() -> None:
    """Do not record who spawned each greenlet (call before the server starts)."""
    gevent.config.track_greenlet_tree = False


def freeze_startup_heap() -> None:
    """Collect once and keep what is left out of every later collection.

    Call once the process has started (database opened, contact center and web app
    built), before it serves.
    """
    gc.collect()
    gc.freeze()
    log.info("gc: %d start-up objects frozen", gc.get_freeze_count())


def keep_survivors_frozen(sweep_seconds: float = SWEEP_SECONDS) -> None:
    """Freeze what survives each full collection; sweep everything every ``sweep_seconds``."""
    global _sweeper
    if _freeze_after_full_collection not in gc.callbacks:
        gc.callbacks.append(_freeze_after_full_collection)
    if _sweeper is None:
        _sweeper = gevent.spawn(_sweep_every, sweep_seconds)


def stop_keeping_survivors_frozen() -> None:
    """Undo :func:`keep_survivors_frozen` (tests; a process that embeds the controller)."""
    global _sweeper
    if _freeze_after_full_collection in gc.callbacks:
        gc.callbacks.remove(_freeze_after_full_collection)
    if _sweeper is not None:
        _sweeper.kill(block=False)
        _sweeper = None
    gc.unfreeze()


def _freeze_after_full_collection(phase: str, info: dict) -> None:
    # right after a full collection the young generations are empty: this freezes
    # exactly the survivors
    if phase == "stop" and info["generation"] == 2:
        gc.freeze()


def sweep() -> int:
    """A complete collection, frozen objects included; returns the objects it found unreachable."""
    gc.unfreeze()
    found = gc.collect()  # the callback freezes the survivors again
    log.info("gc: swept the whole heap: %d unreachable objects, %d kept", found, gc.get_freeze_count())
    return found


def _sweep_every(seconds: float) -> None:
    while True:
        gevent.sleep(seconds)
        try:
            sweep()
        except Exception:  # noqa: BLE001 - the next sweep tries again
            log.exception("gc: sweep failed")
