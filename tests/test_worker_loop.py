"""The worker's wait for its next unit (worker.WorkerSession._next_item),
driven by scripted frames instead of a dispatcher."""

from __future__ import annotations

from collections import deque
from typing import Any

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
