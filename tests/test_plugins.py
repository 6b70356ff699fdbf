"""Real third-party plugins, run both ways (plain and ``-p fastest``).

Each test needs its plugin installed and is skipped otherwise: the default
test environment leaves them out (each changes every pytest run of the
environment it is installed in). ``tox -e plugins`` and CI's plugins stage
(.ci/plugins) install them and run this file.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

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


MIXED = """
import pytest

def test_pass():
    pass

def test_fail():
    assert 1 == 2

@pytest.mark.skip(reason="no")
def test_skip():
    pass

@pytest.mark.parametrize("n", [1, 2, 3])
def test_param(n):
    assert n

class TestK:
    def test_method(self):
        pass
"""


def _mixed_suite(pytester: pytest.Pytester) -> None:
    """Files in a package and a plain directory, one failing to import."""
    pkg = pytester.mkdir("pkg")
    (pkg / "__init__.py").write_text("")
    for name in ("a", "b"):
        (pkg / f"test_{name}.py").write_text(MIXED)
    plain_dir = pytester.mkdir("plain")
    for name in ("c", "d"):
        (plain_dir / f"test_{name}.py").write_text(MIXED)
    (plain_dir / "test_broken.py").write_text("import no_such_module\n")


class TestReportLog:
    @pytest.fixture(autouse=True)
    def _installed(self) -> None:
        pytest.importorskip("pytest_reportlog")

    def test_the_log_has_a_serial_runs_reports(self, pytester: pytest.Pytester) -> None:
        """Every collection report in a serial run's order (each with its
        children), the same test reports (as a multiset: order differs),
        the same exit status."""
        _mixed_suite(pytester)

        def log(*args: str) -> list[dict[str, Any]]:
            path = pytester.path / "log.jsonl"
            path.unlink(missing_ok=True)
            pytester.runpytest_subprocess(
                # The suite's directories: each run adds a basetemp directory beside them.
                *args,
                "pkg",
                "plain",
                "--continue-on-collection-errors",
                f"--report-log={path}",
            )
            return [json.loads(line) for line in path.read_text().splitlines()]

        plain = log()
        fast = log("-p", "fastest", "--fastest-workers=2")

        def collected(lines: list[dict[str, Any]]) -> list[Any]:
            return [
                (line["nodeid"], line["outcome"], [r["nodeid"] for r in line["result"] or ()])
                for line in lines
                if line["$report_type"] == "CollectReport"
            ]

        def tested(lines: list[dict[str, Any]]) -> Counter[Any]:
            return Counter(
                (line["nodeid"], line["when"], line["outcome"])
                for line in lines
                if line["$report_type"] == "TestReport"
            )

        def finish(lines: list[dict[str, Any]]) -> Any:
            return [line["exitstatus"] for line in lines if line["$report_type"] == "SessionFinish"]

        assert collected(fast) == collected(plain)
        assert len(collected(plain)) > 8
        assert tested(fast) == tested(plain)
        assert finish(fast) == finish(plain) == [1]


class TestJsonReport:
    @pytest.fixture(autouse=True)
    def _installed(self) -> None:
        pytest.importorskip("pytest_jsonreport")

    def test_the_report_has_a_serial_runs_collectors_and_tests(
        self, pytester: pytest.Pytester
    ) -> None:
        _mixed_suite(pytester)

        def report(*args: str) -> dict[str, Any]:
            path = pytester.path / "report.json"
            path.unlink(missing_ok=True)
            pytester.runpytest_subprocess(
                *args,
                "pkg",
                "plain",
                "-k",
                "not method",
                "--continue-on-collection-errors",
                "--json-report",
                f"--json-report-file={path}",
            )
            return dict(json.loads(path.read_text()))

        plain = report()
        fast = report("-p", "fastest", "--fastest-workers=2")
        assert fast["collectors"] == plain["collectors"]
        summary = {key: value for key, value in plain["summary"].items() if key != "duration"}
        assert {key: fast["summary"][key] for key in summary} == summary
        assert sorted((t["nodeid"], t["outcome"]) for t in fast["tests"]) == sorted(
            (t["nodeid"], t["outcome"]) for t in plain["tests"]
        )
        assert fast["exitcode"] == plain["exitcode"] == 1


class TestTerminalPlugins:
    def test_sugar_shows_the_same_results(self, pytester: pytest.Pytester) -> None:
        """pytest-sugar replaces the terminal reporter, also in workers (each
        crashed before they swapped it for a quiet one)."""
        pytest.importorskip("pytest_sugar")
        _passing_files(pytester, 4)
        pytester.makepyfile(test_failing="def test_no():\n    assert False\n")
        plain = pytester.runpytest_subprocess("--force-sugar")
        fast = pytester.runpytest_subprocess(
            "--force-sugar", "-p", "fastest", "--fastest-workers=2"
        )
        assert fast.ret == plain.ret == 1
        for result in (plain, fast):
            result.stdout.fnmatch_lines(["*8 passed*", "*1 failed*"])
            result.stdout.no_fnmatch_line("*INTERNALERROR*")
        # Sugar prints the header before our session start: from the plan.
        fast.stdout.fnmatch_lines(["fastest: 2 workers*"])

    def test_instafail_prints_a_failure_as_it_happens(self, pytester: pytest.Pytester) -> None:
        pytest.importorskip("pytest_instafail")
        _passing_files(pytester, 4)
        pytester.makepyfile(test_failing="def test_no():\n    assert 3 == 4\n")
        plain, fast = run_both(pytester, "--instafail")
        assert_same(plain, fast)
        # The failure's traceback appears before the summary, as it ran.
        for run in (plain, fast):
            text = run.result.stdout.str()
            assert text.index("assert 3 == 4") < text.index("short test summary info")

    def test_html_reports_the_same_tests(self, pytester: pytest.Pytester) -> None:
        pytest.importorskip("pytest_html")
        _mixed_suite(pytester)

        def counts(*args: str) -> str:
            path = pytester.path / "report.html"
            path.unlink(missing_ok=True)
            pytester.runpytest_subprocess(
                *args, "--continue-on-collection-errors", f"--html={path}"
            )
            match = re.search(r"(\d+) tests? took", path.read_text())
            assert match is not None
            return match.group(1)

        assert counts("-p", "fastest", "--fastest-workers=2") == counts()
