"""The serving process's memory settings: garbage collection that does not freeze calls.

CPython's cycle collector stops the whole process while it runs, and a gevent process
is one thread: every call, request and push waits. A collection walks every container
object of the generations it collects, ~1 µs each on the 2-core test machine. With 500
calls and their desktops connected the process holds ~190,000 such objects, and a full
collection (the oldest generation) took 100-180 ms, every 20-30 s at the bench's load,
and a collection of the middle one 12-20 ms; the actions and events in flight meanwhile
were the 99th percentile of their latency (docs/benchmarks.md). With what follows, no
collection in the bench's measurement takes more than ~12 ms (most 1-4 ms).

What is done about it:

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

Thresholds (:data:`THRESHOLDS`): a collection walks the generations it collects, so the
first threshold stays at CPython's 700 (a larger one makes each young collection longer:
20,000 objects took 15-25 ms); the middle generation is collected every 3rd young
collection instead of every 10th (it held 13-17k objects then, 12-16 ms; now ~10k), and
the old one whenever 2 middle collections have run, as soon as anything became old.
With the survivors frozen that is cheap: it walks only what became old since the last
one (a few thousand objects, 1-3 ms). CPython also waits until a quarter as many objects
as the last full collection kept have become old; right after a freeze that would be a
quarter of everything (~25,000 objects: 20 ms), so each freeze is followed by a
collection of the (then empty) old generation that resets that count.
"""
from __future__ import annotations

import gc
import logging

import gevent

log = logging.getLogger(__name__)

#: seconds between complete collections (frozen objects included); see the module docstring
SWEEP_SECONDS = 3600.0
#: (young, middle, old) collection thresholds; see the module docstring
THRESHOLDS = (700, 3, 1)

_sweeper: gevent.Greenlet | None = None
_CPYTHON_THRESHOLDS = gc.get_threshold()
_resetting = False  # the collection that follows a freeze is running


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
    gc.set_threshold(*THRESHOLDS)
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
    gc.set_threshold(*_CPYTHON_THRESHOLDS)
    gc.unfreeze()


def _freeze_after_full_collection(phase: str, info: dict) -> None:
    # right after a full collection the young generations are empty: this freezes
    # exactly the survivors
    global _resetting
    if phase != "stop" or info["generation"] != 2:
        return
    gc.freeze()
    if _resetting:
        _resetting = False
        return
    # a collection cannot start another: the reset runs in the next turn of the loop
    _resetting = True
    gevent.get_hub().loop.run_callback(_reset_old_generation_count)


def _reset_old_generation_count() -> None:
    """A full collection of an empty old generation: CPython's count of what the last one
    kept becomes ~0, so the next full collection does not wait for a quarter of the heap."""
    global _resetting
    try:
        gc.collect()
    finally:
        _resetting = False


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
