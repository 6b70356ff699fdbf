"""The controller's heap freezes (heap.ReplayFreezer): at the first batch of
replayed reports, then every TESTS_PER_FREEZE tests."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from pytest_fastest import heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def _new_tracked_objects() -> list[list[int]]:
    return [[n] for n in range(100)]  # lists are always tracked (dicts of ints are not)


def test_the_heap_freezes_first_at_once_then_every_so_many_tests(unfrozen: None) -> None:
    freezer = heap.ReplayFreezer()
    freezer.replayed(0)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    kept = _new_tracked_objects()
    freezer.replayed(heap.TESTS_PER_FREEZE - 1)
    assert gc.get_freeze_count() == frozen  # the new objects stay collectable
    freezer.replayed(heap.TESTS_PER_FREEZE)
    assert gc.get_freeze_count() >= frozen + len(kept)
