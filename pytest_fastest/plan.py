"""The plan: units of work, their costs, the worker count, and why.

A unit is one collection argument for a worker: a test file, or a whole
directory that static discovery cannot be sure of (conftest collection
hooks, unreadable entries), which a worker then collects with pytest's own
rules. Costs come from durations recorded in earlier runs (pytest's cache,
else a durations file: durations_file.py), else from the inventory. Units
are dealt longest-first to the least-loaded worker (LPT), which is also the
order each worker's queue runs in; the dispatcher's work stealing evens out
what estimates get wrong.
"""

from __future__ import annotations

import heapq
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
    __slots__ = ("path", "relpath", "cost", "measured", "worker", "order")

    def __init__(
        self, path: str, relpath: str, cost: float, worker: int = 0, measured: bool = False
    ) -> None:
        self.path = path  # absolute path of the file or directory to collect
        self.relpath = relpath  # as in node ids
        self.cost = cost
        self.measured = measured  # cost recorded by an earlier run, not estimated
        self.worker = worker
        self.order = 0  # position in pytest's collection order


class Plan:
    def __init__(self, workers: int, reason: str, cpus: int = 1) -> None:
        self.workers = workers  # 0 = in-process
        self.reason = reason  # why this worker count
        self.cpus = cpus  # usable CPUs when planned: the workers' share of thread pools
        self.units: list[Unit] = []

    def files_of(self, worker: int) -> list[str]:
        return [unit.path for unit in self.units if unit.worker == worker]

    def describe(self) -> list[str]:
        lines = [f"fastest: plan: {self.workers or 'in-process'} ({self.reason})"]
        if self.workers:
            for worker in range(self.workers):
                mine = [u for u in self.units if u.worker == worker]
                total = sum(u.cost for u in mine)
                lines.append(f"  gw{worker}: {len(mine)} units, estimated {total:.2f}s")
            for unit in self.units:
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
    """Deal units longest-first to the least-loaded worker; returns them in that order."""
    ordered = sorted(units, key=lambda u: -u.cost)
    loads = [(0.0, worker) for worker in range(workers)]
    for unit in ordered:
        load, worker = heapq.heappop(loads)
        unit.worker = worker
        heapq.heappush(loads, (load + unit.cost, worker))
    return ordered


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
                    owner, relpath, durations.get(relpath, 0.0), measured=relpath in durations
                )
                units.append(unit)
            if inventory.relpath(owner) not in durations:
                unit.cost += estimate(n_items)
            continue
        if info.kind == WALK_ERROR and info.path in settings.roots:
            return f"cannot read {inventory.relpath(info.path)}: pytest reports it"
        relpath = inventory.relpath(info.path)
        cost = durations.get(relpath)
        if cost is None:
            units.append(Unit(info.path, relpath, estimate(n_items)))
        else:
            units.append(Unit(info.path, relpath, cost, measured=True))
    for order, unit in enumerate(units):
        unit.order = order
    return units
