"""Acceptance: what collection leaves behind is a serial run's.

Files a worker collects in a later pass (taken from a slower peer) see their
directory's conftest fixtures; the "last failed" cache forgets a file that
collects again; a plugin that records every collection report gets the
same reports, children and order as in a serial run.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from equivalence import RECORDER, assert_same, run, run_both

from pytest_fastest.collectreports import CHILDREN, merge, serial_order

# Records every collection report the reporting process's hooks receive.
COLLECT_RECORDER = """
import json, os

_records = []

def pytest_collectreport(report):
    children = [
        [c.nodeid, type(c).__name__, c.location[1] if hasattr(c, "location") else None]
        for c in report.result
    ]
    _records.append([report.nodeid, report.outcome, children])

def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        return
    with open(os.environ["COLLECT_RECORD"], "w") as f:
        json.dump(_records, f)
"""

USES_CONFTEST_FIXTURE = "def test_sees_the_fixture(sub_value):\n    assert sub_value == 1\n"


def test_files_taken_from_a_slower_worker_see_their_conftest_fixtures(
    pytester: pytest.Pytester,
) -> None:
    """Guards: a later collection pass reuses the directory nodes of the first
    (pytest >= 9.1 ties conftest fixtures to the directory's node: the taken
    files' tests failed with "fixture 'sub_value' not found")."""
    sub = pytester.mkdir("sub")
    (sub / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef sub_value():\n    return 1\n"
    )
    # The first file of one worker's share is slow to import: its peer
    # finishes its own share and takes the files after it.
    (sub / "test_a.py").write_text("import time\ntime.sleep(1.5)\n" + USES_CONFTEST_FIXTURE)
    for name in "bcdefgh":
        (sub / f"test_{name}.py").write_text(USES_CONFTEST_FIXTURE)
    pytester.makepyfile(outcome_recorder=RECORDER)
    pytester.syspathinsert()
    plain = run(pytester, fastest=False)
    fast = run(pytester, "--fastest-workers=2", "--fastest-explain", fastest=True)
    assert_same(plain, fast)
    assert plain.summary == "8 passed"
    fast.result.stdout.fnmatch_lines(["*files taken from a slower worker*"])


def test_a_package_is_set_up_once_per_worker_when_files_are_taken(
    pytester: pytest.Pytester,
) -> None:
    """Guards: files of one package collected in two passes share one
    package node, so its package-scoped fixture is set up once in each
    worker (a second node for the package set it up again)."""
    pkg = pytester.mkdir("pkg")
    (pkg / "__init__.py").write_text("")
    (pkg / "conftest.py").write_text(
        "import os, pytest\n\n"
        "@pytest.fixture(scope='package')\n"
        "def pkg_value():\n"
        "    worker = os.environ.get('PYTEST_XDIST_WORKER', 'serial')\n"
        "    with open(f'setups-{worker}', 'a') as f:\n"
        "        f.write('setup\\n')\n"
        "    return 1\n"
    )
    uses = "def test_uses(pkg_value):\n    assert pkg_value == 1\n"
    (pkg / "test_a.py").write_text("import time\ntime.sleep(1.5)\n" + uses)
    for name in "bcdefgh":
        (pkg / f"test_{name}.py").write_text(uses)
    result = pytester.runpytest_subprocess(
        "-p", "fastest", "--fastest-workers=2", "--fastest-explain"
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*files taken from a slower worker*"])
    setups = {path.name: path.read_text().count("setup") for path in pytester.path.glob("setups-*")}
    assert setups and all(count == 1 for count in setups.values()), setups


def test_last_failed_cache_forgets_a_file_that_collects_again(pytester: pytest.Pytester) -> None:
    """Guards: the passed report of a file the cache lists as failed reaches
    the controller (the cache kept the file's id for ever, so --lf kept
    selecting it)."""

    def lastfailed_after_fixing(*args: str) -> Any:
        shutil.rmtree(pytester.path / ".pytest_cache", ignore_errors=True)
        pytester.makepyfile(test_bad="def test_x(:\n")
        pytester.runpytest_subprocess(*args)
        pytester.makepyfile(test_bad="def test_x():\n    pass\n\ndef test_y():\n    assert 0\n")
        pytester.runpytest_subprocess(*args)
        return json.loads((pytester.path / ".pytest_cache/v/cache/lastfailed").read_text())

    for index in range(4):
        pytester.makepyfile(**{f"test_ok{index}": "def test_a():\n    pass\n"})
    plain = lastfailed_after_fixing("-p", "no:fastest")
    fast = lastfailed_after_fixing("-p", "fastest", "--fastest-workers=2")
    assert plain == {"test_bad.py::test_y": True}
    assert fast == plain


def _tree(pytester: pytest.Pytester) -> None:
    root = Path(pytester.path)
    files = {
        "tests/test_top.py": (
            "def test_f():\n    pass\n\nclass TestC:\n    def test_m(self):\n        pass\n"
        ),
        "tests/test_nothing.py": "VALUE = 1\n",
        "tests/test_module_skip.py": (
            "import pytest\npytest.skip('all of it', allow_module_level=True)\n"
        ),
        "tests/data/input.txt": "not a test\n",
        "tests/pkg/__init__.py": "",
        "tests/pkg/test_in_pkg.py": "def test_p():\n    pass\n",
        "tests/sub/deeper/test_deep.py": "def test_d():\n    pass\n",
        "tests/sub/conftest.py": "",
        "other/test_other.py": "import pytest\n\n@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_n(n):\n    pass\n",
    }
    for index in range(4):
        files[f"tests/test_m{index}.py"] = "def test_a():\n    pass\n\ndef test_b():\n    pass\n"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _collect_records(pytester: pytest.Pytester, *args: str) -> tuple[list[Any], list[Any]]:
    pytester.makepyfile(collect_recorder=COLLECT_RECORDER)
    records = []
    for fastest in (False, True):
        path = pytester.path / f"collect-{fastest}.json"
        extra = ["-p", "fastest", "--fastest-workers=2"] if fastest else ["-p", "no:fastest"]
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("COLLECT_RECORD", str(path))
            mp.setenv("PYTHONPATH", str(pytester.path))
            result = pytester.runpytest_subprocess(*extra, "-p", "collect_recorder", *args)
        assert result.ret == 0, result.stdout.str()
        records.append(_without_basetemps(json.loads(path.read_text())))
    return records[0], records[1]


def _without_basetemps(records: list[Any]) -> list[Any]:
    """pytester puts each run's basetemp (runpytest-N) in the suite's root:
    the second run finds the first one's."""
    return [
        [nodeid, outcome, [c for c in children if not c[0].startswith("runpytest-")]]
        for nodeid, outcome, children in records
        if not nodeid.startswith("runpytest-")
    ]


def test_every_collection_report_reaches_a_plugin_that_records_them(
    pytester: pytest.Pytester,
) -> None:
    """Guards: with a plugin implementing pytest_collectreport, workers send
    passed reports too, with their children, and the controller gives them
    in a serial run's order; directories without test files are reported
    (workers sent failed and skipped reports only)."""
    _tree(pytester)
    plain, fast = _collect_records(pytester)
    assert len(plain) > 10
    assert fast == plain


def test_collection_reports_for_explicit_arguments(pytester: pytest.Pytester) -> None:
    _tree(pytester)
    plain, fast = _collect_records(pytester, "other", "tests/sub", "tests/test_top.py")
    assert fast == plain


def test_a_recording_plugin_does_not_change_outcomes(pytester: pytest.Pytester) -> None:
    _tree(pytester)
    pytester.makepyfile(collect_recorder=COLLECT_RECORDER)
    pytester.syspathinsert()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COLLECT_RECORD", str(pytester.path / "ignored.json"))
        plain, fast = run_both(pytester, "-p", "collect_recorder")
    assert_same(plain, fast)


# -- the controller's merge and order, on their own ---------------------------


def _data(nodeid: str, *children: str) -> dict[str, Any]:
    kind = {True: "Function", False: "Dir"}
    return {
        "nodeid": nodeid,
        "outcome": "passed",
        CHILDREN: [[child, kind["::" in child], None] for child in children],
    }


def test_a_directory_found_by_two_workers_is_reported_once_with_all_its_entries() -> None:
    merged = merge(
        [
            _data("tests", "tests/test_b.py", "tests/test_d.py"),
            _data("tests", "tests/test_a.py", "tests/test_b.py", "tests/test_c.py"),
        ]
    )
    assert [child[0] for child in merged["tests"][CHILDREN]] == [
        "tests/test_a.py",
        "tests/test_b.py",
        "tests/test_c.py",
        "tests/test_d.py",
    ]


def test_each_collector_follows_its_children_and_the_session_comes_first() -> None:
    reports = [
        _data("pkg/test_b.py", "pkg/test_b.py::test_z", "pkg/test_b.py::test_y"),
        _data("pkg", "pkg/test_b.py"),
        _data("", "."),
        _data("pkg", "pkg/__init__.py", "pkg/test_a.py"),
        _data("pkg/test_a.py", "pkg/test_a.py::test_x"),
        _data(".", "pkg", "data"),
        _data("data"),
        _data("pkg/__init__.py"),
    ]
    order = [data["nodeid"] for data in serial_order(merge(reports))]
    assert order == ["", "data", "pkg/__init__.py", "pkg/test_a.py", "pkg/test_b.py", "pkg", "."]


def test_reports_no_parent_lists_keep_their_order() -> None:
    reports = [_data("b.py", "b.py::t"), _data("a.py", "a.py::t")]
    assert [d["nodeid"] for d in serial_order(merge(reports))] == ["b.py", "a.py"]
