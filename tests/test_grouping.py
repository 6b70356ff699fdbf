"""ReplayOrder: which worker's reports are replayed now and which are held
(pytest_fastest/grouping.py); the terminal output it gives is checked in
test_equivalence.py (each file's progress on its own line)."""

from __future__ import annotations

from pytest_fastest.grouping import ReplayOrder

A, B, C = 1, 2, 3


def test_disabled_replays_everything_as_it_arrives() -> None:
    order = ReplayOrder(False)
    assert order.arrive(A, b"a1") == [b"a1"]
    assert order.arrive(B, b"b1") == [b"b1"]
    assert order.unit_done(A) == []


def test_the_first_worker_to_report_is_shown_and_the_others_wait_for_its_unit() -> None:
    order = ReplayOrder(True)
    assert order.arrive(A, b"a1") == [b"a1"]
    assert order.arrive(B, b"b1") == []
    assert order.arrive(A, b"a2") == [b"a2"]
    assert order.arrive(B, b"b2") == []
    assert order.unit_done(B) == []  # B is not shown: its unit's reports stay held
    # A's unit ends: B is shown, its held reports first, in order.
    assert order.unit_done(A) == [b"b1", b"b2"]
    assert order.arrive(B, b"b3") == [b"b3"]
    assert order.arrive(A, b"a3") == []


def test_the_worker_held_longest_is_shown_next() -> None:
    order = ReplayOrder(True)
    order.arrive(A, b"a1")
    order.arrive(C, b"c1")
    order.arrive(B, b"b1")
    assert order.unit_done(A) == [b"c1"]
    assert order.unit_done(C) == [b"b1"]


def test_a_shown_unit_that_ends_with_nothing_held_lets_the_next_report_decide() -> None:
    order = ReplayOrder(True)
    order.arrive(A, b"a1")
    assert order.unit_done(A) == []
    assert order.arrive(B, b"b1") == [b"b1"]
    assert order.arrive(A, b"a2") == []


def test_a_worker_going_away_releases_what_is_held_of_it() -> None:
    order = ReplayOrder(True)
    order.arrive(A, b"a1")
    order.arrive(B, b"b1")
    assert order.release(B) == [b"b1"]
    assert order.release(A) == []  # shown: nothing held
    # Nobody is shown now; a held worker's next report brings its held ones first.
    assert order.arrive(C, b"c1") == [b"c1"]


def test_held_reports_come_first_when_their_worker_becomes_shown_by_reporting() -> None:
    order = ReplayOrder(True)
    order.arrive(A, b"a1")
    order.arrive(B, b"b1")
    order.release(A)  # the shown worker ended
    assert order.arrive(B, b"b2") == [b"b1", b"b2"]


def test_release_all_returns_every_held_report() -> None:
    order = ReplayOrder(True)
    order.arrive(A, b"a1")
    order.arrive(B, b"b1")
    order.arrive(C, b"c1")
    order.arrive(B, b"b2")
    assert order.release_all() == [b"b1", b"b2", b"c1"]
    assert order.arrive(C, b"c2") == [b"c2"]


def test_a_held_worker_that_ends_stays_held_until_its_turn() -> None:
    """Its final message must not break the shown worker's file."""
    order = ReplayOrder(True)
    order.arrive(A, b"a1")
    order.arrive(B, b"b1")
    assert order.unit_done(B) == []  # B's last unit, then its final message
    assert order.arrive(A, b"a2") == [b"a2"]
    assert order.unit_done(A) == [b"b1"]
