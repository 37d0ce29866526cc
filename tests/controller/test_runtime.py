"""The serving process's garbage collection (controller/runtime.py): survivors of a full
collection are frozen, and a sweep still finds cyclic garbage among them."""
from __future__ import annotations

import gc
import weakref

import pytest

from controller import runtime


class Node:
    def __init__(self):
        self.partner = None


@pytest.fixture
def survivors_frozen():
    runtime.keep_survivors_frozen(sweep_seconds=3600)
    try:
        yield
    finally:
        runtime.stop_keeping_survivors_frozen()


def test_what_survives_a_full_collection_is_left_out_of_the_next(survivors_frozen):
    kept = [Node() for _ in range(100)]
    gc.collect()
    assert gc.get_freeze_count() >= len(kept)
    assert not any(o is kept for o in gc.get_objects())  # frozen objects are in no generation
    # objects made after it are collected as usual
    a, b = Node(), Node()
    a.partner, b.partner = b, a
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None


def test_a_sweep_collects_cyclic_garbage_that_was_frozen(survivors_frozen):
    a, b = Node(), Node()
    a.partner, b.partner = b, a
    gone = weakref.ref(a)
    gc.collect()  # both survive (still referenced) and are frozen
    del a, b
    gc.collect()  # frozen: a full collection does not look at them
    assert gone() is not None
    assert runtime.sweep() >= 2
    assert gone() is None
    assert gc.get_freeze_count() > 0  # the survivors of the sweep are frozen again


def test_objects_freed_by_reference_counting_are_freed_while_frozen(survivors_frozen):
    node = Node()
    gc.collect()
    gone = weakref.ref(node)
    del node
    assert gone() is None
