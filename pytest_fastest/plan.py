"""The plan: units of work, their costs, the worker count, and why.

A unit is one collection argument for a worker: a test file, or a whole
directory that static discovery cannot be sure of (conftest collection
hooks, unreadable entries), which a worker then collects with pytest's own
rules. Costs come from durations recorded in earlier runs (pytest's cache,
else a durations file: durations_file.py), else from the inventory. Units
are dealt longest-first to the least-loaded worker (LPT), which is also the
order each worker's queue runs in; the dispatcher's work stealing evens out
what estimates get wrong.

A file estimated to cost more than a worker's fair share is the run's long
pole: no dealing of whole files can end the run before it does. Under
``--fastest-split`` (opt-in: its module- and class-scoped fixtures then
run once per part) such a file runs in parts on several workers: the plan
decides how many (``split_long``); the controller cuts the file's collected
tests into that many runs of consecutive tests (``cut``).
"""

from __future__ import annotations

import heapq
import math
from typing import Any

# Estimates for files never timed: importing a module and running a
# trivial test, measured on the generated suites (bench/).
FILE_COST = 0.004
ITEM_COST = 0.0005
UNKNOWN_FILE_COST = 0.02
# What starting workers costs over running in-process, in wall time (fork,
# configure, the first collection, shutdown), and the least gain worth
# taking. Measured with bench/'s generated suites on 2 cores: 50 trivial
# tests (0.07 s of recorded work) ran 0.05 s slower with workers, 200
# (0.31 s) 0.07 s faster.
WORKER_OVERHEAD = 0.09
MIN_GAIN = 0.03
# Without recorded durations a file's cost is a guess from its test count,
# and a suite of few slow tests looks as small as one of few trivial tests.
# The two mistakes cost differently: workers for a suite that turns out
# trivial lose at most WORKER_OVERHEAD; in-process for one that turns out
# slow loses up to half of its run. So a plan with any guessed cost takes
# workers from this estimate on (about 150 tests in 15 files).
GUESSED_MIN_COST = 0.15


class Unit:
    __slots__ = (
        "path",
        "relpath",
        "cost",
        "measured",
        "worker",
        "order",
        "n_items",
        "is_file",
        "part_workers",
    )

    def __init__(
        self,
        path: str,
        relpath: str,
        cost: float,
        worker: int = 0,
        measured: bool = False,
        n_items: int | None = None,
        is_file: bool = True,
    ) -> None:
        self.path = path  # absolute path of the file or directory to collect
        self.relpath = relpath  # as in node ids
        self.cost = cost
        self.measured = measured  # cost recorded by an earlier run, not estimated
        self.worker = worker  # the worker that collects it (and runs its first part)
        self.order = 0  # position in pytest's collection order
        self.n_items = n_items  # its tests, when static discovery is sure of them
        self.is_file = is_file  # else a directory left whole to pytest
        # Split (--fastest-split): the worker of each part, the first being
        # `worker`. One entry for a unit run whole.
        self.part_workers = [worker]

    @property
    def parts(self) -> int:
        return len(self.part_workers)

    @property
    def part_cost(self) -> float:
        return self.cost / len(self.part_workers)


class Plan:
    def __init__(self, workers: int, reason: str, cpus: int = 1, announce: bool = False) -> None:
        self.workers = workers  # 0 = in-process
        self.reason = reason  # why this worker count
        self.cpus = cpus  # usable CPUs when planned: the workers' share of thread pools
        # In-process because of a plugin, which the header says: the user
        # asked for workers and did nothing to turn them off.
        self.announce = announce
        self.units: list[Unit] = []

    def files_of(self, worker: int) -> list[str]:
        return [unit.path for unit in self.units if unit.worker == worker]

    def describe(self) -> list[str]:
        lines = [f"fastest: plan: {self.workers or 'in-process'} ({self.reason})"]
        if self.workers:
            for worker in range(self.workers):
                mine = [u for u in self.units if worker in u.part_workers]
                total = sum(u.part_cost for u in mine)
                lines.append(f"  gw{worker}: {len(mine)} units, estimated {total:.2f}s")
            for unit in self.units:
                if unit.parts > 1:
                    where = "+".join(f"gw{worker}" for worker in unit.part_workers)
                    lines.append(
                        f"    {where} {unit.cost:8.3f}s {unit.relpath}"
                        f" (split in {unit.parts} parts: longer than a worker's share)"
                    )
                else:
                    lines.append(f"    gw{unit.worker} {unit.cost:8.3f}s {unit.relpath}")
        return lines


def estimate(n_items: int | None) -> float:
    if n_items is None:
        return UNKNOWN_FILE_COST
    return FILE_COST + ITEM_COST * n_items


def choose_workers(
    total_cost: float, n_units: int, requested: int | str, cpus: int, measured: bool = True
) -> tuple[int, str]:
    """Worker count and the reason: explicit, or the largest count that pays.
    `measured`: every unit's cost was recorded by an earlier run (else some
    are guesses from test counts: see GUESSED_MIN_COST)."""
    if requested != "auto":
        count = int(requested)
        if count == 0:
            return 0, "--fastest-workers=0"
        return max(1, min(count, n_units)), f"--fastest-workers={count}"
    if cpus < 2:
        return 0, "only one usable CPU"
    count = min(cpus, n_units)
    if count < 2:
        return 0, f"{n_units} unit(s): nothing to divide"
    if not measured:
        if total_cost < GUESSED_MIN_COST:
            return 0, (
                f"estimated {total_cost:.2f}s of work from test counts (no durations"
                " recorded): too little to pay for workers"
            )
    elif total_cost - total_cost / count - WORKER_OVERHEAD < MIN_GAIN:
        return 0, f"estimated {total_cost:.2f}s of work: too little to pay for workers"
    return count, f"auto: {cpus} usable CPUs, estimated {total_cost:.2f}s of work"


def assign(units: list[Unit], workers: int) -> list[Unit]:
    """Deal units longest-first to the least-loaded worker, each part of a
    split unit to another worker; returns them in that order."""
    ordered = sorted(units, key=lambda u: -u.part_cost)
    loads = [(0.0, worker) for worker in range(workers)]
    for unit in ordered:
        least = [heapq.heappop(loads) for _ in range(unit.parts)]
        unit.worker = least[0][1]
        unit.part_workers = [worker for _, worker in least]
        for load, worker in least:
            heapq.heappush(loads, (load + unit.part_cost, worker))
    return ordered


def parts_for(unit: Unit, share: float, workers: int) -> int:
    """How many parts a unit runs in under --fastest-split: one, unless it
    is a file estimated longer than `share` (a worker's fair share of the
    run); then as many as make each part fit in a share, one per worker at
    most, and never more than its tests."""
    if not unit.is_file or workers < 2 or unit.cost <= share:
        return 1
    parts = min(workers, math.ceil(unit.cost / share))
    if unit.n_items is not None:
        parts = min(parts, unit.n_items)
    return max(parts, 1)


def split_long(units: list[Unit], workers: int) -> None:
    """Mark the files longer than a worker's fair share to run in parts
    (their workers are dealt by assign)."""
    share = sum(u.cost for u in units) / workers if workers else 0.0
    for unit in units:
        unit.part_workers = [unit.worker] * parts_for(unit, share, workers)


def divisible(units: list[Unit], workers: int) -> int:
    """The units there would be with every long file split for `workers`
    workers: what --fastest-workers=auto may divide (one long file is
    work for several workers)."""
    share = sum(u.cost for u in units) / workers if workers else 0.0
    return sum(parts_for(unit, share, workers) for unit in units)


def cut(nodeids: list[str], parts: int) -> list[list[str]]:
    """A split file's collected tests, in their order, cut into `parts`
    runs of consecutive tests of about equal length. A cut lands between
    two top-level names (test functions, classes, with all their
    parametrized cases) when one is near, so that a class's fixtures run
    in one part; a file of one long class or one parametrized test is cut
    inside it. Fewer runs when there are fewer tests."""
    parts = min(parts, len(nodeids))
    if parts < 2:
        return [nodeids] if nodeids else []
    # Where a new top-level name starts: cutting there keeps a class whole.
    starts = [
        index
        for index in range(1, len(nodeids))
        if _top_level(nodeids[index]) != _top_level(nodeids[index - 1])
    ]
    size = len(nodeids) / parts  # >= 1
    cuts: list[int] = []
    for number in range(1, parts):
        # With size >= 1 each ideal point lies past the previous cut (a
        # boundary taken within size / 4 of the previous ideal) and before
        # the end: every run is non-empty.
        ideal = round(number * size)
        near = min(starts, key=lambda start: abs(start - ideal), default=ideal)
        near_enough = abs(near - ideal) <= size / 4 and (not cuts or near > cuts[-1])
        cuts.append(near if near_enough else ideal)
    bounds = [0, *cuts, len(nodeids)]
    return [nodeids[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def _top_level(nodeid: str) -> str:
    """A node id's first name in its file, without parameters: the test
    function or class it belongs to."""
    parts = nodeid.split("::")
    return parts[1].split("[", 1)[0] if len(parts) > 1 else ""


def units_from(inventory: Any, durations: dict[str, float]) -> list[Unit] | str:
    """One unit per test file, one per subtree left whole to pytest; or
    why the run cannot be divided."""
    from .discovery import CONFTEST, WALK_ERROR, _is_below

    settings = inventory.settings
    for directory, why in inventory.whole_subtrees.items():
        for root in settings.roots:
            if root == directory or _is_below(root, directory):
                return f"{why}: pytest collects the whole run"
    units: list[Unit] = []
    subtree_units: dict[str, Unit] = {}
    for info in inventory.files:
        if info.kind == CONFTEST:
            continue
        owner = next((d for d in inventory.whole_subtrees if _is_below(info.path, d)), None)
        n_items = info.n_items if info.static_exact else None
        if owner is not None:
            unit = subtree_units.get(owner)
            if unit is None:
                relpath = inventory.relpath(owner)
                unit = subtree_units[owner] = Unit(
                    owner,
                    relpath,
                    durations.get(relpath, 0.0),
                    measured=relpath in durations,
                    is_file=False,
                )
                units.append(unit)
            if inventory.relpath(owner) not in durations:
                unit.cost += estimate(n_items)
            continue
        if info.kind == WALK_ERROR and info.path in settings.roots:
            return f"cannot read {inventory.relpath(info.path)}: pytest reports it"
        relpath = inventory.relpath(info.path)
        cost = durations.get(relpath)
        is_file = info.kind != WALK_ERROR  # an unreadable entry may be a directory
        if cost is None:
            cost = estimate(n_items)
        units.append(
            Unit(
                info.path,
                relpath,
                cost,
                measured=relpath in durations,
                n_items=n_items,
                is_file=is_file,
            )
        )
    for order, unit in enumerate(units):
        unit.order = order
    return units
