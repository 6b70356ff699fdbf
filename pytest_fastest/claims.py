"""Sharing the first collection between workers: each file collected once,
by whichever worker gets to it first.

Each worker collects its planned share of files in one pass, and no test
runs until every worker's collection is in. Equal shares do not take equal
time: on a shared 2-core machine one worker collected its 500 files of
identical tests in 2.6 s and the other its 500 in 3.3 s, and the faster
one waited.
So a worker that is done takes files its peer has not started, and
collects them itself.

Who collects a file is decided by a claim in a table of shared memory
(``_core.Claims``, csrc/fst_claims.h) made before the workers are forked,
one slot per planned unit (its ``order``): a worker claims each of its own
files as pytest's collection reaches it, and skips one a peer claimed
first. A worker with its share done claims half of what the busiest peer
has left, from the end of that peer's list (the files the peer reaches
last), collects those, and repeats until nothing is left to take. Then it
claims every own file its pass never reached (a failed directory above
them, say), so that no peer collects what its own collection skipped.

Workers spawned as fresh interpreters (``--fastest-start=spawn``, or a
replacement for a crashed worker) have no table: they collect their share.
"""

from __future__ import annotations

from typing import Any

import pytest

CLAIMS_KEY = pytest.StashKey[Any]()


def make_table(config: pytest.Config, units: list[Any]) -> None:
    """In the controller, before the zygote is forked: the table every
    worker forked from it shares (none for a plan without units)."""
    if units:
        from . import _core

        config.stash[CLAIMS_KEY] = _core.Claims(len(units))


def layout(config: pytest.Config, units: list[Any], worker: int) -> dict[str, Any] | None:
    """What worker `worker` needs to claim its files and take its peers':
    the slot of each own file, and the others' files in collection order.
    None without a table."""
    if CLAIMS_KEY not in config.stash:
        return None
    own = {}
    others = []
    for unit in sorted(units, key=lambda u: u.order):
        if unit.worker == worker:
            own[unit.path] = unit.order
        else:
            others.append([unit.worker + 1, unit.order, unit.path])
    return {"who": worker + 1, "slots": own, "others": others}


class Share:
    """A worker's side of the claims: what it may collect, and what it may take."""

    def __init__(self, table: Any, layout: dict[str, Any], is_dir: Any) -> None:
        self.table = table
        self.who: int = layout["who"]
        self.slots: dict[str, int] = layout["slots"]
        # Peers' files by peer, in collection order; directories are never
        # taken (a worker collects a directory unit whole, as planned).
        self.peers: dict[int, list[tuple[int, str]]] = {}
        for peer, slot, path in layout["others"]:
            if not is_dir(path):
                self.peers.setdefault(peer, []).append((slot, path))
        self.lost: set[str] = set()  # own files a peer claimed first
        self.closed = False  # the first pass is over: own files are claimed
        self.taken = 0  # peers' files this worker collected

    def claim_own(self, path: str) -> bool:
        """True when this worker collects `path` (its own file, or not a
        planned one); False when a peer took it."""
        slot = self.slots.get(path)
        if slot is None or self.table.take(slot, self.who):
            return True
        self.lost.add(path)
        return False

    def close(self) -> None:
        """After the first pass: keep every own file the pass never reached."""
        self.closed = True
        for path, slot in self.slots.items():
            if not self.table.take(slot, self.who):
                self.lost.add(path)

    def take_batch(self) -> list[str]:
        """Claim half (at least one) of the free files of the peer with the
        most left, from the end of its list; [] when no peer has any."""
        best: list[tuple[int, str]] = []
        for files in self.peers.values():
            free = [(slot, path) for slot, path in files if self.table.holder(slot) == 0]
            if len(free) > len(best):
                best = free
        batch = []
        for slot, path in reversed(best[len(best) // 2 :]):
            if not self.table.take(slot, self.who):
                break  # the peer got here: the rest of the batch is behind it
            batch.append(path)
        batch.reverse()
        self.taken += len(batch)
        return batch
