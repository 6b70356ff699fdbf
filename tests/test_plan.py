"""The worker count under --fastest-workers=auto (plan.choose_workers), how
a first run (no recorded durations) decides, and the parts of long files
under --fastest-split (plan.split_long, assign, cut)."""

from __future__ import annotations

import random

import pytest

from pytest_fastest import plan


class TestChooseWorkers:
    def test_measured_work_that_cannot_pay_stays_in_process(self) -> None:
        count, why = plan.choose_workers(0.07, 5, "auto", 2)
        assert count == 0
        assert why == "estimated 0.07s of work: too little to pay for workers"

    def test_measured_work_that_pays_uses_every_usable_cpu(self) -> None:
        # Half of 0.31 s saved, less the workers' overhead, is worth taking.
        assert plan.choose_workers(0.31, 20, "auto", 2) == (
            2,
            "auto: 2 usable CPUs, estimated 0.31s of work",
        )
        assert plan.choose_workers(0.31, 20, "auto", 4)[0] == 4

    def test_a_guessed_plan_takes_workers_from_a_lower_estimate(self) -> None:
        """200 tests in 20 files are estimated at 0.18 s whether they take
        a millisecond or a second each: workers, which a measured 0.18 s
        would not get."""
        assert plan.choose_workers(0.18, 20, "auto", 2, measured=True)[0] == 0
        assert plan.choose_workers(0.18, 20, "auto", 2, measured=False)[0] == 2

    def test_a_small_guessed_plan_stays_in_process_and_says_it_guessed(self) -> None:
        count, why = plan.choose_workers(0.05, 5, "auto", 2, measured=False)
        assert count == 0
        assert "from test counts (no durations recorded)" in why

    def test_never_more_workers_than_units_and_none_for_one(self) -> None:
        assert plan.choose_workers(9.0, 3, "auto", 8)[0] == 3
        assert plan.choose_workers(9.0, 1, "auto", 8) == (0, "1 unit(s): nothing to divide")

    def test_one_usable_cpu_stays_in_process(self) -> None:
        assert plan.choose_workers(100.0, 50, "auto", 1) == (0, "only one usable CPU")

    @pytest.mark.parametrize("requested", [1, 2, 3])
    def test_an_explicit_count_is_taken_up_to_the_units(self, requested: int) -> None:
        count, why = plan.choose_workers(0.001, 2, requested, 8, measured=False)
        assert count == min(requested, 2)
        assert why == f"--fastest-workers={requested}"


def test_a_first_run_of_a_mid_sized_suite_uses_workers(pytester: pytest.Pytester) -> None:
    """A suite of few slow tests looks like one of few fast ones until it has
    run once: the first run takes workers, then recorded durations decide."""
    body = "".join(f"def test_{n}():\n    pass\n\n" for n in range(10))
    pytester.makepyfile(**{f"test_m{n:02}": body for n in range(20)})
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-explain", "--co", "-q")
    result.stdout.fnmatch_lines(["fastest: plan: ? (auto: ? usable CPUs, estimated 0.18s*"])

    for n in range(15):
        (pytester.path / f"test_m{n:02}.py").unlink()  # 50 tests left
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-explain", "--co", "-q")
    result.stdout.fnmatch_lines(["fastest: in-process: estimated 0.0?s of work from test counts*"])


def _unit(name: str, cost: float, n_items: int | None = 10, is_file: bool = True) -> plan.Unit:
    return plan.Unit(f"/t/{name}", name, cost, n_items=n_items, is_file=is_file)


class TestSplitLongFiles:
    """--fastest-split: which files run in parts, on which workers, and
    where a file's tests are cut."""

    def test_only_a_file_longer_than_a_workers_share_is_split(self) -> None:
        units = [_unit("long.py", 6.0), _unit("a.py", 2.0), _unit("b.py", 2.0)]
        plan.split_long(units, 2)  # a worker's share: 5 s
        assert [u.parts for u in units] == [2, 1, 1]

    def test_parts_fit_in_a_share_and_are_one_per_worker_at_most(self) -> None:
        units = [_unit("long.py", 9.0), _unit("a.py", 1.0)]
        plan.split_long(units, 4)  # a share: 2.5 s; 9 s needs 4 parts
        assert units[0].parts == 4
        plan.split_long(units, 8)  # a share: 1.25 s; 8 parts of 1.125 s
        assert units[0].parts == 8
        units = [_unit("long.py", 9.0), _unit("a.py", 3.0)]
        plan.split_long(units, 4)  # a share: 3 s
        assert units[0].parts == 3

    def test_never_more_parts_than_tests_and_no_directory_is_split(self) -> None:
        units = [_unit("one.py", 9.0, n_items=1), _unit("sub", 9.0, is_file=False)]
        units.append(_unit("a.py", 0.1))
        plan.split_long(units, 2)
        assert [u.parts for u in units] == [1, 1, 1]
        unknown = [_unit("x.py", 9.0, n_items=None), _unit("a.py", 0.1)]
        plan.split_long(unknown, 2)  # tests not known statically: the cut decides
        assert unknown[0].parts == 2

    def test_parts_are_dealt_to_different_workers_by_their_cost(self) -> None:
        units = [_unit("long.py", 6.0), _unit("a.py", 2.5), _unit("b.py", 1.5)]
        plan.split_long(units, 2)
        ordered = plan.assign(units, 2)
        assert [u.relpath for u in ordered] == ["long.py", "a.py", "b.py"]
        long = ordered[0]
        assert sorted(long.part_workers) == [0, 1]
        assert long.worker == long.part_workers[0]
        # 3 s each after the parts: a.py and b.py go to different workers.
        assert ordered[1].worker != ordered[2].worker

    def test_a_split_file_counts_as_work_for_several_workers(self) -> None:
        units = [_unit("long.py", 6.0)]
        assert plan.divisible(units, 2) == 2
        assert plan.choose_workers(6.0, plan.divisible(units, 2), "auto", 2)[0] == 2
        assert plan.choose_workers(6.0, len(units), "auto", 2)[0] == 0

    def test_the_explanation_names_the_parts_workers(self) -> None:
        units = [_unit("long.py", 6.0), _unit("a.py", 2.0)]
        plan.split_long(units, 2)
        the_plan = plan.Plan(2, "test")
        the_plan.units = plan.assign(units, 2)
        lines = the_plan.describe()
        assert any(
            "long.py (split in 2 parts" in line and ("gw0+gw1" in line or "gw1+gw0" in line)
            for line in lines
        )
        # Each worker's estimate counts its part: 3 s, and 2 s more for a.py.
        assert sorted(line for line in lines if line.startswith("  gw")) == [
            "  gw0: 2 units, estimated 5.00s",
            "  gw1: 1 units, estimated 3.00s",
        ]


def _ids(*groups: tuple[str, int]) -> list[str]:
    """Node ids of one file: (top-level name, number of its tests)."""
    return [f"t.py::{name}::test_{n}" for name, count in groups for n in range(count)]


class TestCut:
    def test_equal_runs_of_consecutive_tests(self) -> None:
        ids = [f"t.py::test_{n}" for n in range(10)]
        assert plan.cut(ids, 2) == [ids[:5], ids[5:]]
        assert plan.cut(ids, 3) == [ids[:3], ids[3:7], ids[7:]]

    def test_a_class_near_a_cut_stays_whole(self) -> None:
        ids = _ids(("TestA", 4), ("TestB", 6))
        assert plan.cut(ids, 2) == [ids[:4], ids[4:]]

    def test_one_long_class_or_parametrized_test_is_cut_inside(self) -> None:
        ids = _ids(("TestA", 9))
        assert [len(part) for part in plan.cut(ids, 2)] == [4, 5]
        cases = [f"t.py::test_p[{n}]" for n in range(8)] + ["t.py::test_q"]
        assert plan.cut(cases, 2) == [cases[:4], cases[4:]]

    def test_fewer_parts_than_asked_when_there_are_fewer_tests(self) -> None:
        assert plan.cut(["t.py::a", "t.py::b"], 4) == [["t.py::a"], ["t.py::b"]]
        assert plan.cut(["t.py::a"], 2) == [["t.py::a"]]
        assert plan.cut([], 2) == []

    def test_every_test_once_in_order_in_nonempty_runs(self) -> None:
        rng = random.Random(7)
        for _ in range(500):
            groups = [(f"T{g}", rng.randint(1, 12)) for g in range(rng.randint(1, 8))]
            ids = _ids(*groups)
            parts = rng.randint(2, 9)
            cut = plan.cut(ids, parts)
            assert [nodeid for part in cut for nodeid in part] == ids
            assert all(cut) and len(cut) == min(parts, len(ids))
