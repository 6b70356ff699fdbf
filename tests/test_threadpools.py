"""Native thread pools get each worker's share of the CPUs, unless the user decides."""

from __future__ import annotations

import json

import pytest

from pytest_fastest import cpus, threadpools

# Each test module records, when it is imported (when numpy would read them),
# the variables it sees and which worker imported it.
MODULE = """
import json, os
SEEN = {{name: os.environ.get(name) for name in {names!r}}}
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

def test_record():
    with open(f"seen-{{__name__}}.json", "w") as f:
        json.dump({{"worker": WORKER, "seen": SEEN}}, f)
"""


def run(pytester: pytest.Pytester, *args: str) -> list[dict[str, object]]:
    for index in range(4):
        pytester.makepyfile(**{f"test_m{index}": MODULE.format(names=threadpools.VARIABLES)})
    result = pytester.runpytest_subprocess("-p", "fastest", *args)
    result.assert_outcomes(passed=4)
    return [json.loads(path.read_text()) for path in sorted(pytester.path.glob("seen-*.json"))]


@pytest.fixture(autouse=True)
def no_thread_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in threadpools.VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_each_worker_gets_its_share_before_test_modules_import(pytester: pytest.Pytester) -> None:
    share = str(max(1, cpus.usable_cpus() // 2))
    records = run(pytester, "--fastest-workers=2")
    # Usually both import some; one that starts late may find its files taken
    # by the other (claims.py): every module was imported in a worker.
    assert {record["worker"] for record in records} <= {"gw0", "gw1"}
    assert len(records) == 4
    for record in records:
        assert record["seen"] == dict.fromkeys(threadpools.VARIABLES, share)


def test_in_process_runs_change_nothing(pytester: pytest.Pytester) -> None:
    for record in run(pytester, "--fastest-workers=0"):
        assert record["worker"] == "main"
        assert record["seen"] == dict.fromkeys(threadpools.VARIABLES)


def test_a_variable_set_by_the_user_leaves_all_of_them_alone(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    expected = {**dict.fromkeys(threadpools.VARIABLES), "OMP_NUM_THREADS": "3"}
    for record in run(pytester, "--fastest-workers=2"):
        assert record["worker"] != "main"
        assert record["seen"] == expected


def test_keep_and_a_number(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for record in run(pytester, "--fastest-workers=2", "--fastest-threads=keep"):
        assert record["seen"] == dict.fromkeys(threadpools.VARIABLES)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    (pytester.path / "pytest.ini").write_text("[pytest]\nfastest_threads = 2\n")
    for path in pytester.path.glob("seen-*.json"):
        path.unlink()
    for record in run(pytester, "--fastest-workers=2"):
        assert record["seen"] == dict.fromkeys(threadpools.VARIABLES, "2")


@pytest.mark.parametrize("value", ["0", "-1", "many", ""])
def test_a_bad_value_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makepyfile(test_a="def test_a(): pass")
    result = pytester.runpytest_subprocess("-p", "fastest", f"--fastest-threads={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--fastest-threads*whole number >= 1, 'auto' or 'keep'*"])
    (pytester.path / "pytest.ini").write_text(f"[pytest]\nfastest_threads = {value or 'x'}\n")
    result = pytester.runpytest_subprocess("-p", "fastest")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*fastest_threads (ini)*"])


@pytest.mark.parametrize(
    ("setting", "cpus_", "workers", "env", "expected"),
    [
        ("auto", 2, 2, {}, 1),
        ("auto", 8, 3, {}, 2),
        ("auto", 2, 4, {}, 1),
        ("auto", 8, 2, {"MKL_NUM_THREADS": "1"}, None),
        ("keep", 8, 2, {}, None),
        (3, 2, 2, {"OMP_NUM_THREADS": "8"}, 3),
    ],
)
def test_per_worker(
    setting: int | str, cpus_: int, workers: int, env: dict[str, str], expected: int | None
) -> None:
    assert threadpools.per_worker(setting, cpus_, workers, env) == expected
