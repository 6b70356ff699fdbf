"""The worker count under --fastest-workers=auto (plan.choose_workers), and
how a first run (no recorded durations) decides."""

from __future__ import annotations

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
