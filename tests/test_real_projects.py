"""Real projects' own test suites, installed from PyPI: the same outcome for
every node id under -p fastest as under plain pytest (bench/outcomes.py).

toolz (plain functions, doctest-free modules) and pyflakes (unittest
TestCase classes, skips) are small enough for the default run; networkx's
whole suite runs in `tox -e slow` and is in docs/compatibility.md.
"""

from __future__ import annotations

import functools
import importlib.util
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "outcomes.py"


@functools.cache
def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_outcomes", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return module


def _compare(projects: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), "--projects", projects, "--fastest-runs", "2"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


class TestTheComparison:
    """The comparison itself tells a difference from a reordering."""

    def outcomes(self, records: set[tuple[str, str, str, bool]], exit_code: int = 0) -> Any:
        bench = _script()
        return bench.Outcomes(1.0, exit_code, {"passed": len(records)}, Counter(records), "")

    def test_the_same_records_in_another_order_are_the_same(self) -> None:
        bench = _script()
        records = {("t.py::a", "call", "passed", False), ("t.py::b", "call", "passed", False)}
        assert bench.differences(self.outcomes(records), self.outcomes(set(sorted(records)))) == []

    def test_an_outcome_changed_is_a_difference(self) -> None:
        bench = _script()
        plain = {("t.py::a", "call", "passed", False), ("t.py::b", "call", "passed", False)}
        other = {("t.py::a", "call", "passed", False), ("t.py::b", "call", "failed", False)}
        diffs = bench.differences(self.outcomes(plain), self.outcomes(other))
        assert "only here: t.py::b call failed False" in diffs
        assert "only plain: t.py::b call passed False" in diffs

    def test_a_report_replayed_twice_is_a_difference(self) -> None:
        bench = _script()
        plain = self.outcomes({("t.py::a", "call", "passed", False)})
        twice = self.outcomes({("t.py::a", "call", "passed", False)})
        twice.records[("t.py::a", "call", "passed", False)] += 1
        assert bench.differences(plain, twice) == ["only here: t.py::a call passed False"]

    def test_a_lost_test_and_another_exit_code_are_differences(self) -> None:
        bench = _script()
        plain = {("t.py::a", "call", "passed", False), ("t.py::b", "call", "passed", False)}
        other = {("t.py::a", "call", "passed", False)}
        diffs = bench.differences(self.outcomes(plain), self.outcomes(other, exit_code=2))
        assert "exit code 2, plain pytest 0" in diffs
        assert "only plain: t.py::b call passed False" in diffs


@pytest.mark.parametrize("project", ["toolz", "pyflakes"])
def test_a_real_projects_suite_has_the_same_outcomes_on_workers(project: str) -> None:
    pytest.importorskip(project)
    proc = _compare(project)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Both fastest runs used workers (an in-process run would prove nothing).
    assert proc.stdout.count("(fastest: plan: ") == 2, proc.stdout
    assert proc.stdout.count("  same  (") == 2, proc.stdout


@pytest.mark.slow
def test_networkx_has_the_same_outcomes_on_workers() -> None:
    pytest.importorskip("networkx")
    proc = _compare("networkx", timeout=1800)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("(fastest: plan: ") == 2, proc.stdout
