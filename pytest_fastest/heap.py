"""Keep CPython's cyclic garbage collector off the controller's hot path.

The cyclic collector walks every tracked object of the oldest generation
each time that generation has grown by a quarter. A controller holding the
reports of 20,000 tests (pytest's terminal reporter keeps them all, as in a
serial run) walked them six times during the run (0.63 s of CPU on the
*large* suite, time taken from the workers' two cores) and several more
times at the end: pytest's unraisable-exception plugin calls
``gc.collect()`` twice in ``pytest_unconfigure``, and interpreter
finalization collects again while it tears modules down (0.24 s and 0.83 s
on that suite before the controller froze its heap at unconfigure).

``gc.freeze()`` moves every live object to the permanent generation, which
no collection visits, in constant time. Objects are still freed by
reference counting. Only garbage *cycles* alive at that moment stay
unfinalized and in memory: the controller runs no test code (only the
hooks that report), and replaying leaves few (66 objects in cycles after
2,000 tests, with the automatic collector off). Where tests ran (a
worker), the freeze waits until pytest's own end-of-run collection has
reported unraisable exceptions; a worker's heap is never frozen while tests
run (a test may look for objects with ``gc.get_objects()``, which does not
list frozen ones).
"""

from __future__ import annotations

import gc

# Replayed tests between two freezes of the controller's heap: the young
# generations still collect what the hooks leave behind in between.
TESTS_PER_FREEZE = 500


def freeze_heap() -> None:
    gc.freeze()


class ReplayFreezer:
    """Freezes the controller's heap as replayed reports accumulate."""

    __slots__ = ("next_at",)

    def __init__(self) -> None:
        self.next_at = 0

    def replayed(self, count: int) -> None:
        if count >= self.next_at:
            gc.freeze()
            self.next_at = count + TESTS_PER_FREEZE
