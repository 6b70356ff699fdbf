"""Real third-party plugins, run both ways (plain and ``-p fastest``).

Each test needs its plugin installed and is skipped otherwise: the default
test environment leaves them out (each changes every pytest run of the
environment it is installed in). ``tox -e plugins`` and CI's plugins stage
(.ci/plugins) install them and run this file.
"""

from __future__ import annotations

import pytest
from equivalence import assert_same, run_both

# Fails once per run: its marker lives in the run's (or worker's) basetemp.
FLAKY = """
def test_flaky(tmp_path_factory):
    marker = tmp_path_factory.getbasetemp() / "flaky-marker"
    if not marker.exists():
        marker.write_text("failed once")
        assert False
"""

PASSING = "def test_a():\n    pass\n\ndef test_b():\n    pass\n"

BENCHMARKS = """
def test_sum(benchmark):
    assert benchmark(sum, range(100)) == 4950

def test_sorted(benchmark):
    benchmark(sorted, range(100, 0, -1))

def test_not_a_benchmark():
    pass
"""


def _passing_files(pytester: pytest.Pytester, count: int = 4) -> None:
    for index in range(count):
        pytester.makepyfile(**{f"test_p{index}": PASSING})


class TestRerunfailures:
    @pytest.fixture(autouse=True)
    def _installed(self) -> None:
        pytest.importorskip("pytest_rerunfailures")

    @pytest.mark.parametrize("fail_on_flaky", [False, True])
    def test_reruns_and_the_flaky_exit_status_are_a_serial_runs(
        self, pytester: pytest.Pytester, fail_on_flaky: bool
    ) -> None:
        """A test that fails once and passes on its rerun: "R", "1 rerun",
        and with --fail-on-flaky exit status 7 (decided in the worker that
        ran it, from its items' execution counts)."""
        pytester.makepyfile(test_flaky=FLAKY)
        _passing_files(pytester)
        args = ["--reruns", "2", *(["--fail-on-flaky"] if fail_on_flaky else [])]
        plain, fast = run_both(pytester, *args)
        assert_same(plain, fast)
        assert plain.summary == "9 passed, 1 rerun"
        assert plain.result.ret == (7 if fail_on_flaky else 0)
        fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])


class TestBenchmark:
    @pytest.fixture(autouse=True)
    def _installed(self) -> None:
        pytest.importorskip("pytest_benchmark")

    def test_a_run_timing_benchmarks_stays_in_process_and_prints_the_table(
        self, pytester: pytest.Pytester
    ) -> None:
        """In a worker pytest-benchmark turns itself off: no table, no
        comparison that can fail the run. The run stays in-process, saying why."""
        pytester.makepyfile(test_bench=BENCHMARKS)
        _passing_files(pytester)
        result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
        result.assert_outcomes(passed=11)
        result.stdout.fnmatch_lines(
            ["fastest: in-process (pytest-benchmark times benchmarks*", "*benchmark: 2 tests*"]
        )

    @pytest.mark.parametrize("option", ["--benchmark-skip", "--benchmark-disable"])
    def test_a_run_timing_nothing_uses_workers(
        self, pytester: pytest.Pytester, option: str
    ) -> None:
        pytester.makepyfile(test_bench=BENCHMARKS)
        _passing_files(pytester)
        plain, fast = run_both(pytester, option)
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])

    def test_benchmark_only_gives_the_serial_results(self, pytester: pytest.Pytester) -> None:
        """It failed in every worker ("Can't have both --benchmark-only and
        --benchmark-disable")."""
        pytester.makepyfile(test_bench=BENCHMARKS)
        _passing_files(pytester)
        plain, fast = run_both(pytester, "--benchmark-only")
        assert_same(plain, fast)
        assert plain.summary == "2 passed, 9 skipped"

    def test_a_suite_that_never_names_the_fixture_uses_workers(
        self, pytester: pytest.Pytester
    ) -> None:
        _passing_files(pytester, 6)
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])
