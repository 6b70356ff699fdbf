"""Pieces of the worker tested on their own: the wait for its next unit
(worker.WorkerSession._next_item, driven by scripted frames instead of a
dispatcher), its collection scope, and what it skips on its way to its
first test."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from _pytest.cacheprovider import Cache

from pytest_fastest import wire, worker


class _Channel:
    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, kind: bytes, payload: bytes) -> None:
        self.sent.append(kind)


def _session_waiting_for(
    arrivals: list[Any],
) -> tuple[worker.WorkerSession, _Channel, list[int]]:
    """A worker running the last item of its only unit (id 1); each receive
    delivers the next of `arrivals` (a unit's items, ids from 2, or
    wire.END). Also returns the ids of the units it reports done."""
    channel = _Channel()
    session = worker.WorkerSession.__new__(worker.WorkerSession)
    session.channel = channel  # type: ignore[assignment]
    session.queue = deque([worker._Unit(1, ["current item"])])  # type: ignore[list-item]
    session.ended = session.stopping = False
    done: list[int] = []
    session._unit_done = done.append  # type: ignore[method-assign]
    session._poll = lambda _session: None  # type: ignore[method-assign]
    next_id = iter(range(2, 100))

    def receive(_session: Any) -> None:
        arrival = arrivals.pop(0)
        if arrival is wire.END:
            session.ended = True
        else:
            session.queue.append(worker._Unit(next(next_id), arrival))

    session._receive = receive  # type: ignore[method-assign]
    return session, channel, done


def test_a_worker_says_idle_again_after_a_unit_with_no_items() -> None:
    """An idle said while a unit was on its way is stale to the dispatcher;
    that unit had no items (its module skipped at import), so the worker
    is idle again and must say so, or it waits for the end of the run."""
    session, channel, done = _session_waiting_for([[], ["stolen item"]])
    assert session._next_item(None) == "stolen item"  # type: ignore[arg-type]
    assert channel.sent == [wire.IDLE, wire.IDLE]
    assert done == [2]  # the empty unit, finished on the spot


def test_a_worker_says_idle_once_while_it_waits() -> None:
    session, channel, done = _session_waiting_for([wire.END])
    assert session._next_item(None) is None  # type: ignore[arg-type]
    assert channel.sent == [wire.IDLE]
    assert done == []


def test_collection_scope_holds_every_unit_and_each_directory_above() -> None:
    units = {"/r/t/a/x.py", "/r/t/a/y.py", "/r/t/b", "/r/t/b/c/z.py", "/r/u.py"}
    assert worker._with_parents(units) == units | {"/r/t/a", "/r/t", "/r", "/", "/r/t/b/c"}


class _Config:
    def __init__(self, newfirst: bool) -> None:
        self.newfirst = newfirst
        self.stash = pytest.Stash()

    def getoption(self, name: str, default: Any = None) -> Any:
        return self.newfirst if name == "newfirst" else default


@pytest.mark.parametrize("newfirst", [False, True])
def test_a_worker_reads_no_node_ids_of_the_last_run_until_its_session_starts(
    pytester: pytest.Pytester, newfirst: bool
) -> None:
    cache = Cache.for_config(pytester.parseconfig(), _ispytest=True)
    cache.set("cache/nodeids", ["t.py::test_a"])
    cache.set("cache/lastfailed", {"t.py::test_a": True})
    config: Any = _Config(newfirst)
    try:
        worker.skip_new_first_ids(config)
        # With --nf the worker orders its items by them: it reads them.
        assert cache.get("cache/nodeids", []) == (["t.py::test_a"] if newfirst else [])
        assert cache.get("cache/lastfailed", {}) == {"t.py::test_a": True}
    finally:
        worker._restore_cache_get(config)
    assert cache.get("cache/nodeids", []) == ["t.py::test_a"]
