"""--fastest-split: a file longer than a worker's share runs in parts on
several workers, with the results of a serial run.

Each test records the worker it ran on, and the module fixture each setup:
the only differences the option is allowed to make are where tests run and
that module-scoped fixtures run once per part.
"""

from __future__ import annotations

from collections import Counter

import pytest
from equivalence import assert_same, run_both

LONG_FILE = """
import os
import time

import pytest


@pytest.fixture(scope="module")
def module_setup():
    with open("setups", "a") as out:
        out.write(os.environ.get("PYTEST_XDIST_WORKER", "main") + "\\n")
    yield


@pytest.fixture(autouse=True)
def where(request):
    with open("ran", "a") as out:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        out.write(f"{worker} {request.node.nodeid}\\n")


@pytest.mark.parametrize("n", range(16))
def test_slow(n, module_setup):
    time.sleep(0.02)
    assert n != 13


class TestTail:
    def test_skip(self):
        pytest.skip("skipped")

    @pytest.mark.xfail(strict=True)
    def test_xfail(self):
        assert False

    def test_error(self, missing_fixture):
        pass
"""

SHORT_FILE = "def test_short():\n    pass\n"


def _suite(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_long=LONG_FILE, test_a=SHORT_FILE, test_b=SHORT_FILE)


def _ran(pytester: pytest.Pytester) -> list[tuple[str, str]]:
    """(worker, node id) of each test that got past its setup, in the
    order they ran; the record is reset."""
    path = pytester.path / "ran"
    lines = path.read_text().splitlines()
    path.unlink()
    return [(worker, nodeid) for worker, nodeid in (line.split(" ", 1) for line in lines)]


def _setups(pytester: pytest.Pytester) -> Counter[str]:
    path = pytester.path / "setups"
    counts = Counter(path.read_text().split())
    path.unlink()
    return counts


def test_a_long_file_runs_in_parts_on_two_workers_with_serial_results(
    pytester: pytest.Pytester,
) -> None:
    _suite(pytester)
    plain, fast = run_both(pytester, "-p", "no:randomly", "--fastest-split")
    assert_same(plain, fast)
    assert plain.result.ret == 1
    fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])
    ran = _ran(pytester)
    plain_ran = [nodeid for worker, nodeid in ran if worker == "main"]
    fast_ran = [(worker, nodeid) for worker, nodeid in ran if worker != "main"]
    assert len(plain_ran) == 19
    assert sorted(nodeid for _, nodeid in fast_ran) == sorted(plain_ran)
    assert {worker for worker, _ in fast_ran} == {"gw0", "gw1"}
    # Once per part: once in the serial run, once in each worker.
    assert _setups(pytester) == Counter({"main": 1, "gw0": 1, "gw1": 1})


def test_without_the_option_a_file_runs_whole_on_one_worker(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
    result.assert_outcomes(passed=17, failed=1, skipped=1, xfailed=1, errors=1)
    assert len({worker for worker, _ in _ran(pytester)}) == 1
    assert _setups(pytester).total() == 1


def test_the_ini_key_turns_it_on_and_explain_names_the_parts(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    pytester.makeini("[pytest]\nfastest_split = true\n")
    result = pytester.runpytest_subprocess(
        "-p", "fastest", "--fastest-workers=2", "--fastest-explain"
    )
    result.stdout.fnmatch_lines(["    gw?+gw? * test_long.py (split in 2 parts*"])
    assert {worker for worker, _ in _ran(pytester)} == {"gw0", "gw1"}


def test_only_the_selected_tests_are_cut_into_parts(pytester: pytest.Pytester) -> None:
    _suite(pytester)
    plain, fast = run_both(pytester, "--fastest-split", "-k", "slow and not 1")
    assert_same(plain, fast)
    fast_ran = [worker for worker, _ in _ran(pytester) if worker != "main"]
    assert len(fast_ran) == 9 and set(fast_ran) == {"gw0", "gw1"}


def test_a_suite_of_one_long_file_gets_workers_under_auto(pytester: pytest.Pytester) -> None:
    """One file is nothing to divide, unless it may be split: its recorded
    duration (a first run) decides as for any plan."""
    pytester.makepyfile(test_long=LONG_FILE)
    first = pytester.runpytest_subprocess("-p", "fastest", "--fastest-explain", "--fastest-split")
    first.stdout.fnmatch_lines(["fastest: in-process: *no durations recorded*"])
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-explain", "--fastest-split")
    result.stdout.fnmatch_lines(["fastest: plan: 2 (auto: *", "*test_long.py (split in 2 parts*"])
    result.assert_outcomes(passed=15, failed=1, skipped=1, xfailed=1, errors=1)
    unsplit = pytester.runpytest_subprocess("-p", "fastest", "--fastest-explain")
    unsplit.stdout.fnmatch_lines(["fastest: in-process: 1 unit(s): nothing to divide"])
