"""Recorded durations: every run stores each test file's cost; the next plan uses it.

A file's cost is its tests' time plus its collection (import included),
timed in-process by the controller or by each worker for its own files.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SLOW = "import time\n\ndef test_slow():\n    time.sleep(0.3)\n"
FAST = "def test_fast():\n    pass\n"


def _recorded(pytester: pytest.Pytester) -> dict[str, float]:
    path = Path(pytester.path, ".pytest_cache", "v", "fastest", "durations")
    data: dict[str, float] = json.loads(path.read_text())
    return data


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "workers"])
def test_each_file_cost_is_recorded(pytester: pytest.Pytester, workers: str) -> None:
    pytester.makepyfile(test_slow=SLOW, **{f"test_fast{n}": FAST for n in range(3)})
    result = pytester.runpytest_subprocess("-p", "fastest", f"--fastest-workers={workers}")
    result.assert_outcomes(passed=4)
    recorded = _recorded(pytester)
    assert set(recorded) == {"test_slow.py", "test_fast0.py", "test_fast1.py", "test_fast2.py"}
    assert recorded["test_slow.py"] >= 0.3
    assert all(0 < recorded[f"test_fast{n}.py"] < 0.3 for n in range(3))


def test_next_plan_puts_the_slow_file_first(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_slow=SLOW, **{f"test_fast{n}": FAST for n in range(3)})
    pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2").assert_outcomes(passed=4)
    result = pytester.runpytest_subprocess(
        "-p", "fastest", "--fastest-workers=2", "--fastest-explain"
    )
    result.assert_outcomes(passed=4)
    units = [line.split()[-1] for line in result.outlines if line.strip().endswith(".py")]
    assert units[0] == "test_slow.py", result.outlines


@pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "workers"])
def test_a_file_whose_tests_did_not_run_keeps_its_recorded_cost(
    pytester: pytest.Pytester, workers: str
) -> None:
    """Regression: a run that deselects (or stops before) a file's tests
    must not replace its cost with its collection time alone."""
    pytester.makepyfile(test_slow=SLOW, **{f"test_fast{n}": FAST for n in range(3)})
    args = ["-p", "fastest", f"--fastest-workers={workers}"]
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=4)
    before = _recorded(pytester)["test_slow.py"]
    result = pytester.runpytest_subprocess(*args, "-k", "fast")
    result.assert_outcomes(passed=3, deselected=1)
    assert _recorded(pytester)["test_slow.py"] == before >= 0.3
