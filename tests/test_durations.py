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


@pytest.mark.parametrize("damage", ['{"test_slow.py": "slow"}', "[1, 2]", "null"])
def test_a_damaged_cache_entry_is_ignored_and_replaced(
    pytester: pytest.Pytester, damage: str
) -> None:
    """Regression: a non-number duration in pytest's cache crashed the plan
    (TypeError summing the costs), and a non-object crashed sessionfinish."""
    pytester.makepyfile(test_slow=SLOW, **{f"test_fast{n}": FAST for n in range(3)})
    path = Path(pytester.path, ".pytest_cache", "v", "fastest", "durations")
    path.parent.mkdir(parents=True)
    path.write_text(damage)
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
    result.assert_outcomes(passed=4)
    recorded = _recorded(pytester)
    assert set(recorded) == {"test_slow.py", "test_fast0.py", "test_fast1.py", "test_fast2.py"}
    assert recorded["test_slow.py"] >= 0.3


def _units(result: pytest.RunResult) -> list[str]:
    """The units --fastest-explain listed, in plan order."""
    return [line.split()[-1] for line in result.outlines if line.strip().endswith(".py")]


class TestDurationsFile:
    """A durations file (committed or cached) gives a run without
    .pytest_cache, as a CI job from a fresh checkout, what the cache would."""

    def test_a_run_without_a_cache_plans_with_the_file(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(**{f"test_fast{n}": FAST for n in range(4)})
        # As counted statically, every file costs the same; the file says otherwise.
        durations = {f"test_fast{n}.py": 0.01 for n in range(4)} | {"test_fast2.py": 5.0}
        Path(pytester.path, ".fastest-durations.json").write_text(json.dumps(durations))
        result = pytester.runpytest_subprocess(
            "-p", "fastest", "--fastest-workers=2", "--fastest-explain", "-p", "no:cacheprovider"
        )
        result.assert_outcomes(passed=4)
        assert _units(result)[0] == "test_fast2.py", result.outlines
        result.stdout.fnmatch_lines(["*5.000s test_fast2.py"])

    def test_the_cache_wins_over_the_file(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_slow=SLOW, **{f"test_fast{n}": FAST for n in range(3)})
        args = ["-p", "fastest", "--fastest-workers=2"]
        pytester.runpytest_subprocess(*args).assert_outcomes(passed=4)  # fills the cache
        Path(pytester.path, "durations.json").write_text(json.dumps({"test_fast1.py": 60.0}))
        result = pytester.runpytest_subprocess(
            *args, "--fastest-explain", "--fastest-durations=durations.json"
        )
        assert _units(result)[0] == "test_slow.py", result.outlines

    @pytest.mark.parametrize("workers", ["0", "2"], ids=["in-process", "workers"])
    def test_store_writes_the_measured_durations_and_keeps_the_rest(
        self, pytester: pytest.Pytester, workers: str
    ) -> None:
        pytester.makepyfile(test_slow=SLOW, **{f"test_fast{n}": FAST for n in range(3)})
        target = Path(pytester.path, "ci", "durations.json")
        target.parent.mkdir()
        target.write_text(json.dumps({"test_gone.py": 1.5, "test_slow.py": 0.001}))
        result = pytester.runpytest_subprocess(
            "-p",
            "fastest",
            f"--fastest-workers={workers}",
            "--fastest-durations=ci/durations.json",
            "--fastest-store-durations",
            "-p",
            "no:cacheprovider",
        )
        result.assert_outcomes(passed=4)
        stored = json.loads(target.read_text())
        assert set(stored) == {"test_gone.py", "test_slow.py"} | {
            f"test_fast{n}.py" for n in range(3)
        }
        assert stored["test_gone.py"] == 1.5  # not run: kept
        assert stored["test_slow.py"] >= 0.3  # run: replaced
        assert not list(target.parent.glob("*.tmp"))

    @pytest.mark.parametrize(
        "text", ["{not json", "[1, 2]", '{"test_fast0.py": "slow"}', '{"test_fast0.py": -1}']
    )
    def test_an_invalid_file_is_ignored_with_a_notice(
        self, pytester: pytest.Pytester, text: str
    ) -> None:
        pytester.makepyfile(**{f"test_fast{n}": FAST for n in range(3)})
        Path(pytester.path, ".fastest-durations.json").write_text(text)
        result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
        result.assert_outcomes(passed=3)
        result.stdout.fnmatch_lines(["fastest: durations file *.fastest-durations.json ignored: *"])

    def test_a_named_file_that_is_missing_is_reported(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_fast0=FAST)
        result = pytester.runpytest_subprocess(
            "-p", "fastest", "--fastest-workers=2", "--fastest-durations=nowhere.json"
        )
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["fastest: durations file *nowhere.json not found"])

    def test_a_file_that_cannot_be_written_is_reported_on_its_own_line(
        self, pytester: pytest.Pytester
    ) -> None:
        pytester.makepyfile(test_fast0=FAST)
        result = pytester.runpytest_subprocess(
            "-p",
            "fastest",
            "--fastest-workers=0",
            "--fastest-durations=missing-dir/durations.json",
            "--fastest-store-durations",
        )
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(
            ["fastest: durations file *missing-dir?durations.json not written: *"]
        )
