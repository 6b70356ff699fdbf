"""Workers look like pytest-xdist workers to plugins (DESIGN.md): the
controller calls ``pytest_configure_node`` for each, a worker sees its
``workerinput`` and the PYTEST_XDIST_* variables, and what it leaves in
``config.workeroutput`` reaches the controller's ``pytest_testnodedown`` as
it was (bytes and tuples included, as execnet carries them)."""

from __future__ import annotations

import json
import re
import sys

import pytest
from equivalence import RECORDER, assert_same, run

from pytest_fastest import workeroutput


class TestCarrier:
    def test_values_come_back_as_they_were(self) -> None:
        values = {
            "blob": b"\x00\xff\x1f",
            "pair": (1, "a"),
            "names": {"x", "y"},
            "nested": {"k": [1.5, None, True], 3: b""},
            "text": "caf\u00e9",
        }
        packed, unsent = workeroutput.pack(values)
        assert unsent == []
        # What travels is text in a JSON frame.
        again = workeroutput.unpack(json.loads(json.dumps(packed)))
        assert again == values
        assert type(again["pair"]) is tuple
        assert type(again["blob"]) is bytes

    def test_a_value_that_cannot_be_sent_is_named_and_the_rest_still_travel(self) -> None:
        packed, unsent = workeroutput.pack({"fine": 1, "code": lambda: 0})
        assert workeroutput.unpack(packed) == {"fine": 1}
        assert len(unsent) == 1
        assert unsent[0].startswith("workeroutput['code'] not sent: ")


SURFACE_CONFTEST = """
import json, os

def pytest_configure_node(node):
    node.workerinput["from_controller"] = "hello " + node.gateway.id

def pytest_sessionfinish(session):
    config = session.config
    if hasattr(config, "workerinput"):
        config.workeroutput["blob"] = b"\\x00\\xff" + config.workerinput["workerid"].encode()
        config.workeroutput["pair"] = (1, "a")
        config.workeroutput["env"] = [
            os.environ["PYTEST_XDIST_WORKER"],
            os.environ["PYTEST_XDIST_WORKER_COUNT"],
            os.environ["PYTEST_XDIST_TESTRUNUID"] == config.workerinput["testrunuid"],
        ]
        config.workeroutput["greeting"] = config.workerinput.get("from_controller")
        config.workeroutput["code"] = lambda: 0

def pytest_testnodedown(node, error):
    out = dict(node.workeroutput)
    out["blob"] = list(out["blob"]) if type(out.get("blob")) is bytes else repr(out.get("blob"))
    out["pair_is_tuple"] = type(out.pop("pair", None)) is tuple
    with open(f"down-{node.gateway.id}.json", "w") as f:
        json.dump(out, f)
"""


def test_workeroutput_reaches_testnodedown_as_it_was(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")  # its hookspecs declare the two node hooks
    pytester.makeconftest(SURFACE_CONFTEST)
    for i in range(4):
        pytester.makepyfile(**{f"test_m{i}": "def test_a():\n    pass\n"})
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
    result.assert_outcomes(passed=4, warnings=2)
    for workerid in ("gw0", "gw1"):
        down = json.loads((pytester.path / f"down-{workerid}.json").read_text())
        down.pop("metadata", None)  # pytest-metadata's, where it is installed
        assert down == {
            "blob": [0, 255, *workerid.encode()],
            "pair_is_tuple": True,
            "env": [workerid, "2", True],
            "greeting": f"hello {workerid}",
        }
    # The value that could not travel is named in the warnings summary, once per worker.
    result.stdout.fnmatch_lines(
        ["*PytestWarning: pytest-fastest: gw*: workeroutput*code* not sent: *"]
    )


WARNING_CONFTEST = """
import warnings

def pytest_configure(config):
    warnings.warn(UserWarning("printed at configure time"))
"""


@pytest.mark.parametrize("fastest", [False, True])
def test_a_configure_time_warning_is_printed_once(pytester: pytest.Pytester, fastest: bool) -> None:
    """Plugins configure again in each worker; only the controller prints
    what they warn at that time, as a serial run prints it once."""
    pytester.makeconftest(WARNING_CONFTEST)
    for i in range(4):
        pytester.makepyfile(**{f"test_m{i}": "def test_a():\n    pass\n"})
    args = ["-p", "fastest", "--fastest-workers=2", "--fastest-explain"] if fastest else []
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(passed=4)
    if fastest:
        result.stdout.fnmatch_lines(["fastest: plan: 2*"])
    assert result.stderr.str().count("UserWarning: printed at configure time") == 1


# A plugin that swaps pytest's terminal reporter for its own in its trylast
# pytest_configure, as pytest-sugar does (it reads the reporter's config).
REPORTER_SWAPPING_PLUGIN = """
import os
import pytest
from _pytest.terminal import TerminalReporter

class OwnReporter(TerminalReporter):
    pass

@pytest.hookimpl(trylast=True)
def pytest_configure(config):
    standard = config.pluginmanager.getplugin("terminalreporter")
    own = OwnReporter(standard.config)
    config.pluginmanager.unregister(standard)
    config.pluginmanager.register(own, "terminalreporter")

def pytest_collection_finish(session):
    if not hasattr(session.config, "workerinput"):
        with open(os.environ["ITEMS_RECORD"], "w") as f:
            f.write(str(len(session.items)))
"""


@pytest.mark.parametrize("fastest", [False, True])
def test_a_plugin_replacing_the_terminal_reporter_and_counting_items(
    pytester: pytest.Pytester, fastest: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guards: a worker has a (quiet) terminal reporter while plugins
    configure (pytest-sugar's configure crashed in every worker without
    one), and the controller's session.items holds one entry per selected
    test at pytest_collection_finish (it was empty: pytest-sugar's progress
    bar stayed at 0%, pytest-html's count at 0)."""
    pytester.makepyfile(swapper=REPORTER_SWAPPING_PLUGIN)
    pytester.syspathinsert()
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    monkeypatch.setenv("ITEMS_RECORD", str(pytester.path / "items.txt"))
    for i in range(4):
        pytester.makepyfile(
            **{f"test_m{i}": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"}
        )
    args = ["-p", "fastest", "--fastest-workers=2", "--fastest-explain"] if fastest else []
    result = pytester.runpytest_subprocess("-p", "swapper", "-k", "not m3", *args)
    result.assert_outcomes(passed=6, deselected=2)
    if fastest:
        result.stdout.fnmatch_lines(["fastest: plan: 2*"])
    assert (pytester.path / "items.txt").read_text() == "6"


@pytest.mark.skipif(pytest.version_tuple < (8, 4), reason="console_output_style=times: pytest 8.4+")
def test_the_times_style_shows_each_files_time(pytester: pytest.Pytester) -> None:
    """console_output_style=times counts a module's tests in session.items
    to know when its line ends (each file's line got no time before)."""
    for i in range(4):
        pytester.makepyfile(
            **{f"test_m{i}": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"}
        )
    result = pytester.runpytest_subprocess(
        "-p", "fastest", "--fastest-workers=2", "-o", "console_output_style=times"
    )
    result.assert_outcomes(passed=8)
    for i in range(4):  # in the order the workers finished them
        pattern = re.compile(rf"test_m{i}.py \.\. +[\d.]+[um]?s$")
        assert any(pattern.match(line) for line in result.outlines), result.outlines


# As pytest-rerunfailures' --fail-on-flaky: at sessionfinish, a passing run
# exits 7 when an item ran more than once (here: when a test marked its item).
EXIT_STATUS_PLUGIN = """
import pytest

@pytest.fixture
def mark_item(request):
    request.node.ran_twice = True

@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    if exitstatus == 0 and any(getattr(item, "ran_twice", False) for item in session.items):
        session.exitstatus = 7
"""


@pytest.mark.parametrize("failing", [False, True])
def test_an_exit_status_a_plugin_sets_in_a_worker_is_the_runs(
    pytester: pytest.Pytester, failing: bool
) -> None:
    """Guards: the items live in the workers, so a plugin deciding the exit
    status from them at sessionfinish decides it there; the run exits with
    it as a serial run does (it exited 0). A run that failed keeps its 1,
    as serially (the plugin only turns a passing run's 0)."""
    pytester.makeconftest(EXIT_STATUS_PLUGIN)
    for i in range(4):
        pytester.makepyfile(**{f"test_m{i}": "def test_a():\n    pass\n"})
    pytester.makepyfile(test_marked=f"def test_marked(mark_item):\n    assert {not failing}\n")
    expected = 1 if failing else 7
    assert pytester.runpytest_subprocess().ret == expected
    fast = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
    fast.stdout.fnmatch_lines(["fastest: 2 workers*"])
    assert fast.ret == expected


def test_rerunfailures_logs_its_reruns_in_a_worker_without_pytest_xdist(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pytest-rerunfailures asks whether pytest-xdist 1.20+ is installed
    before it logs a rerun attempt in a worker: without pytest-xdist the
    reruns ran but "R" and "1 rerun" were missing (checked by hand with
    pytest-rerunfailures 16.7 in a venv without pytest-xdist). A worker
    answers its check as 1.20+ would; an answer already true stays."""
    import types

    from pytest_fastest import worker

    fake = types.ModuleType("pytest_rerunfailures")
    fake.works_with_current_xdist = lambda: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pytest_rerunfailures", fake)
    worker._let_rerunfailures_log_reruns()
    assert fake.works_with_current_xdist() is True  # type: ignore[attr-defined]

    def installed() -> bool:
        return True

    fake.works_with_current_xdist = installed  # type: ignore[attr-defined]
    worker._let_rerunfailures_log_reruns()
    assert fake.works_with_current_xdist is installed  # type: ignore[attr-defined]


SESSION_ITEMS_RECORDER = """
import os, pytest

# Read when used: a root conftest is imported before the workers exist.
def worker():
    return os.environ.get("PYTEST_XDIST_WORKER", "serial")

@pytest.fixture(autouse=True)
def record_run(request):
    with open(f"ran-{worker()}", "a") as f:
        f.write(request.node.nodeid + "\\n")

def pytest_sessionfinish(session):
    with open(f"items-{worker()}", "w") as f:
        f.write("\\n".join(item.nodeid for item in session.items))
"""


def test_a_workers_session_items_hold_every_test_it_collected(pytester: pytest.Pytester) -> None:
    """Guards: each collection pass of a worker (its share, files taken
    from a slower worker, files of stolen units) replaced session.items
    with its own items, so a plugin reading them at sessionfinish missed
    the earlier passes' (--fail-on-flaky then missed a flaky test)."""
    pytester.makeconftest(SESSION_ITEMS_RECORDER)
    test = "def test_t():\n    pass\n"
    # A slow import in one share: the peer takes the files after it.
    pytester.makepyfile(test_a="import time\ntime.sleep(1.5)\n" + test)
    for name in "bcdefgh":
        pytester.makepyfile(**{f"test_{name}": test})
    result = pytester.runpytest_subprocess(
        "-p", "fastest", "--fastest-workers=2", "--fastest-explain"
    )
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*files taken from a slower worker*"])
    records = sorted(pytester.path.glob("ran-gw*"))
    assert records
    for record in records:
        ran = set(record.read_text().split())
        items = set((pytester.path / record.name.replace("ran-", "items-")).read_text().split())
        assert ran <= items, record.name


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_a_config_time_warning_is_counted_once(pytester: pytest.Pytester, start: str) -> None:
    """Guards: a warning recorded while pytest loads plugins (a plugin's
    import) reached the summary once per worker too: "3 warnings" with two
    workers, forked (the hook is historic, and a fork inherits the
    controller's record) or spawned (each loads the plugins again). As
    under pytest-xdist; a serial run counts 1."""
    pytester.makepyfile(noisy="import warnings\nwarnings.warn('noisy import', UserWarning)\n")
    for i in range(4):
        pytester.makepyfile(**{f"test_m{i}": "def test_a():\n    pass\n"})
    pytester.makepyfile(outcome_recorder=RECORDER)
    pytester.syspathinsert()
    plain = run(pytester, "-p", "noisy", fastest=False)
    fast = run(
        pytester, "-p", "noisy", "--fastest-workers=2", f"--fastest-start={start}", fastest=True
    )
    assert plain.summary == "4 passed, 1 warning"
    assert_same(plain, fast)
    fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])


def test_a_conftests_import_warning_is_counted_once(pytester: pytest.Pytester) -> None:
    """Guards: each worker collecting below a conftest imports it, and
    recorded what its import warned: once per worker in the summary (as
    under pytest-xdist), once in a serial run. Warnings of the test
    modules' imports (each module is imported by one worker) still count
    one each, and so do repeats within one worker."""
    sub = pytester.mkdir("sub")
    (sub / "conftest.py").write_text(
        "import warnings\n"
        "for n in range(2):\n"
        "    warnings.warn(DeprecationWarning('conftest import'))\n"
    )
    for i in range(6):
        (sub / f"test_m{i}.py").write_text(
            "import warnings\nwarnings.warn('module import')\n\ndef test_a():\n    pass\n"
        )
    pytester.makepyfile(outcome_recorder=RECORDER)
    pytester.syspathinsert()
    plain = run(pytester, fastest=False)
    fast = run(pytester, "--fastest-workers=2", fastest=True)
    assert plain.summary == "6 passed, 8 warnings"
    assert_same(plain, fast)  # 10 warnings before: the conftest's 2 again from the other worker
    fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])


# As pytest-sugar's module-level hook (active whenever it is installed).
DESELECTED_READER = """
def pytest_deselected(items):
    items[0].config.pluginmanager

def pytest_collection_finish(session):
    assert all(item.config is session.config for item in session.items)
"""


@pytest.mark.parametrize("every_report", [False, True])
def test_deselected_items_and_session_items_have_the_config(
    pytester: pytest.Pytester, every_report: bool
) -> None:
    """Guards: the controller's stand-ins for the workers' items (deselected
    ones, session.items) carry `config`, as items do: pytest-sugar, merely
    installed, read it in its pytest_deselected and every run with -k ended
    in INTERNALERROR. Both kinds of stand-in: with a plugin recording
    collection reports (the reports' children) and without."""
    reader = DESELECTED_READER
    if every_report:
        reader += "\ndef pytest_collectreport(report):\n    pass\n"
    pytester.makepyfile(reader_plugin=reader)
    pytester.syspathinsert()
    for i in range(4):
        pytester.makepyfile(
            **{f"test_m{i}": "def test_a():\n    pass\n\ndef test_b():\n    pass\n"}
        )
    result = pytester.runpytest_subprocess(
        "-p", "reader_plugin", "-p", "fastest", "--fastest-workers=2", "-k", "not m3"
    )
    result.assert_outcomes(passed=6, deselected=2)
    result.stdout.fnmatch_lines(["fastest: 2 workers*"])


NODE_DOWN_RECORDER = """
import json, os

def pytest_configure(config):
    if hasattr(config, "workerinput"):
        config.workeroutput["metadata"] = {"worker": config.workerinput["workerid"]}

def pytest_testnodedown(node, error):
    # As pytest-metadata does: only a worker that finished has its output.
    if hasattr(node, "workeroutput"):
        node.workeroutput["metadata"]
    with open("down.jsonl", "a") as f:
        f.write(json.dumps([node.gateway.id, hasattr(node, "workeroutput"), error]) + "\\n")
"""


def test_a_crashed_workers_node_has_no_workeroutput(pytester: pytest.Pytester) -> None:
    """Guards: a worker that died sent no final message, yet its node had
    an empty workeroutput, so pytest-metadata's pytest_testnodedown read a
    key of it and the run ended in INTERNALERROR. As on pytest-xdist, the
    node has none until the worker's final message arrives."""
    pytester.makeconftest(NODE_DOWN_RECORDER)
    for i in range(3):
        pytester.makepyfile(**{f"test_m{i}": "def test_a():\n    pass\n"})
    pytester.makepyfile(test_crash="import os\n\ndef test_dies():\n    os._exit(3)\n")
    result = pytester.runpytest_subprocess("-p", "fastest", "--fastest-workers=2")
    result.assert_outcomes(passed=3, failed=1)
    downs = [json.loads(line) for line in (pytester.path / "down.jsonl").read_text().splitlines()]
    crashed = [down for down in downs if down[2] is not None]
    assert len(crashed) == 1 and crashed[0][1] is False
    finished = [down for down in downs if down[2] is None]
    assert finished and all(has_output for _, has_output, _ in finished)
