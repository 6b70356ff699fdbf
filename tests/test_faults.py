"""Acceptance: faults in tests, workers, the controller and the discovery cache.

Every scenario runs a suite of several files with ``-p fastest
--fastest-workers=2`` (so both workers are busy) and checks three things:
what the user sees about the fault, that every *other* test's result is the
one plain pytest gives it (tests/equivalence.py), and that no process of the
run is left behind. Each worker records its pid (conftest below); after the
run, no recorded worker and no process whose working directory is the test's
tree may still be alive. docs/reliability.md lists the faults and the test
that covers each.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import equivalence
import pytest
from equivalence import Run, assert_same, run_both

# Each worker records its pid; tests may record more (forked children).
PID_CONFTEST = """
import os

def pytest_configure(config):
    if hasattr(config, "workerinput"):
        directory = os.path.join(str(config.rootpath), "pids")
        os.makedirs(directory, exist_ok=True)
        with open(os.path.join(directory, str(os.getpid())), "w") as f:
            f.write(config.workerinput["workerid"])
"""

# Files that keep both workers busy around the faulty one, with a mix of outcomes.
BYSTANDERS = {
    f"test_bystander{index}": f"""
        import time
        import pytest

        def test_pass():
            time.sleep(0.05)

        def test_fail():
            assert {index} == -1

        @pytest.mark.parametrize("x", [1, 2, 3])
        def test_param(x):
            time.sleep(0.02)
            assert x != 2

        @pytest.mark.skip(reason="skipped")
        def test_skip():
            pass
    """
    for index in range(4)
}


def _alive(pid: int) -> bool:
    """True when pid names a running (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _processes_in(directory: Path) -> list[int]:
    """Live processes (other than this one) whose working directory is under `directory`."""
    found = []
    root = str(directory.resolve())
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            cwd = os.readlink(f"/proc/{entry}/cwd")
        except OSError:
            continue
        if (cwd == root or cwd.startswith(root + os.sep)) and _alive(int(entry)):
            found.append(int(entry))
    return found


def worker_pids(pytester: pytest.Pytester) -> list[int]:
    directory = pytester.path / "pids"
    if not directory.is_dir():
        return []
    return [int(name) for name in os.listdir(directory)]


def assert_nothing_left(pytester: pytest.Pytester, timeout: float = 3.0) -> None:
    """No recorded worker and no process working in the test's tree outlives the run."""
    deadline = time.monotonic() + timeout
    while True:
        left = [pid for pid in worker_pids(pytester) if _alive(pid)]
        left += [pid for pid in _processes_in(pytester.path) if pid not in left]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not left, f"processes left behind: {left}"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    """Bystander files, the pid-recording conftest and the equivalence recorder."""
    pytester.makeconftest(PID_CONFTEST)
    pytester.makepyfile(**BYSTANDERS)
    pytester.makepyfile(outcome_recorder=equivalence.RECORDER)
    pytester.syspathinsert()
    # The discovery cache does not store a file modified in the last 3 s (an
    # edit within one timestamp tick could go unseen): age the files.
    past = time.time() - 60
    for path in pytester.path.glob("*.py"):
        os.utime(path, (past, past))
    return pytester


def run_fastest(pytester: pytest.Pytester, *args: str) -> Run:
    return equivalence.run(pytester, "--fastest-workers=2", *args, fastest=True)


def run_plain(pytester: pytest.Pytester, *args: str) -> Run:
    return equivalence.run(pytester, *args, fastest=False)


def without(outcomes: dict[tuple[str, str], Any], nodeid: str) -> dict[tuple[str, str], Any]:
    return {key: value for key, value in outcomes.items() if key[0] != nodeid}


# -- a test that kills its worker ------------------------------------------------------

CRASHES = {
    "sigkill": (
        "import os, signal\n    os.kill(os.getpid(), signal.SIGKILL)",
        "it was killed by signal 9 (SIGKILL)",
    ),
    "segfault": (
        "import ctypes, faulthandler\n    faulthandler.disable()\n    ctypes.string_at(0)",
        "it was killed by signal 11 (SIGSEGV)",
    ),
    "os_exit": ("import os\n    os._exit(3)", "it exited with status 3"),
}


def _crash_file(body: str) -> str:
    return (
        "import time\n\n"
        "def test_before():\n    time.sleep(0.05)\n\n"
        f"def test_crash():\n    {body}\n\n"
        "def test_after():\n    pass\n\n"
        "def test_after_fails():\n    assert 0\n"
    )


class TestWorkerCrash:
    @pytest.mark.parametrize("fault", sorted(CRASHES))
    def test_crashed_test_fails_and_a_new_worker_runs_the_rest(
        self, suite: pytest.Pytester, fault: str
    ) -> None:
        """Guards: a dying worker fails only its test, naming it and how it died;
        the rest of its file and every other file still run with plain pytest's
        outcomes; exit code 1; no worker survives."""
        body, why = CRASHES[fault]
        suite.makepyfile(test_crash=_crash_file(body))
        crashed = "test_crash.py::test_crash"
        plain = run_plain(suite, "--deselect", crashed)
        fast = run_fastest(suite)
        assert fast.result.ret == 1
        assert fast.outcomes[(crashed, "call")] == ("failed", False)
        assert without(fast.outcomes, crashed) == plain.outcomes
        fast.result.stdout.fnmatch_lines(
            [f"*worker 'gw*' crashed while running '{crashed}': {why}*"]
        )
        assert len(worker_pids(suite)) == 3  # two workers, then one replacement
        assert_nothing_left(suite)

    def test_after_the_restart_limit_the_rest_fails_with_a_clear_message(
        self, suite: pytest.Pytester
    ) -> None:
        """Guards the restart limit: every test of this file kills its worker;
        after MAX_RESTARTS replacements the rest of this file fails with a
        message naming the limit instead of starting more workers for it; a
        unit the last dead worker had taken but not started still runs, so
        every other result is plain pytest's; nothing is left behind."""
        from pytest_fastest.controller import MAX_RESTARTS

        crashing = MAX_RESTARTS + 4
        suite.makepyfile(
            test_crashes="import os\n\n"
            + "".join(f"def test_{n:02d}():\n    os._exit(3)\n\n" for n in range(crashing))
        )
        plain = run_plain(suite, "--ignore", "test_crashes.py")
        fast = run_fastest(suite)
        assert fast.result.ret == 1
        ids = [f"test_crashes.py::test_{n:02d}" for n in range(crashing)]
        assert all(fast.outcomes[(nodeid, "call")] == ("failed", False) for nodeid in ids)
        out = fast.result.stdout.str()
        # From the failure sections (pytest 8's short summary omits the
        # message of a plain-text report): each test's head line, then its text.
        not_run = {
            f"test_crashes.py::{name}"
            for name in re.findall(r"^_+ (\w+) _+\nnot run: workers crashed", out, re.M)
        }
        assert not_run and not_run <= set(ids)
        others = {key: value for key, value in fast.outcomes.items() if key[0] not in ids}
        assert others == plain.outcomes
        # Distinct tests, not lines: the short summary repeats each crash
        # message unless it is truncated to the terminal width, and pytest
        # does not truncate under CI=true.
        crashed = set(re.findall(r"crashed while running '(test_crashes\.py::test_\d+)'", out))
        assert len(crashed) == MAX_RESTARTS + 1
        assert f"not run: workers crashed {MAX_RESTARTS + 1} times (limit {MAX_RESTARTS}" in out
        assert_nothing_left(suite)

    def test_memory_limit_gives_the_same_memory_error_as_plain_pytest(
        self, suite: pytest.Pytester
    ) -> None:
        """Guards: a test that allocates until RLIMIT_AS (set in the worker)
        gets pytest's MemoryError failure, not a lost worker."""
        if os.environ.get("ASAN_OPTIONS") or "asan" in os.environ.get("LD_PRELOAD", ""):
            pytest.skip("address space limits do not work under AddressSanitizer")
        suite.makepyfile(
            test_memory="""
            import resource

            def test_allocates_until_the_limit():
                soft, hard = resource.getrlimit(resource.RLIMIT_AS)
                resource.setrlimit(resource.RLIMIT_AS, (1 << 30, hard))
                try:
                    hog = []
                    while True:
                        hog.append(bytearray(16 << 20))
                finally:
                    hog = None
                    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))

            def test_after():
                pass
            """
        )
        plain = run_plain(suite)
        fast = run_fastest(suite)
        assert_same(plain, fast)
        assert fast.outcomes[("test_memory.py::test_allocates_until_the_limit", "call")][0] == (
            "failed"
        )
        fast.result.stdout.fnmatch_lines(["*MemoryError*"])
        assert_nothing_left(suite)


# -- a test that abuses the worker's file descriptors -----------------------------------

STDIO_FAULTS = {
    "close_stdout": "os.close(1)",
    "close_stderr": "os.close(2)",
    "garbage_stdout": "os.write(1, bytes(range(256)) * 64)",
    "garbage_stderr": "os.write(2, bytes(range(256)) * 64)",
}


class TestStdio:
    @pytest.mark.parametrize("fault", sorted(STDIO_FAULTS))
    def test_closing_or_soiling_stdio_changes_nothing(
        self, suite: pytest.Pytester, fault: str
    ) -> None:
        """Guards: fd 1 and fd 2 of a worker are not its channel to the
        controller: a test that closes them or writes bytes that look like
        frames leaves every result as plain pytest gives it."""
        suite.makepyfile(
            test_stdio=f"""
            import os

            def test_abuse():
                {STDIO_FAULTS[fault]}

            def test_after():
                print("still here")
            """
        )
        plain = run_plain(suite)
        fast = run_fastest(suite)
        assert_same(plain, fast)
        assert_nothing_left(suite)


CHANNEL_FAULTS = {
    "close": "os.close(fd)",
    "garbage": "os.write(fd, bytes(range(256)) * 16)",
    "huge_length": "os.write(fd, b'\\xff\\xff\\xff\\x7fR')",
}


class TestProtocolChannel:
    @pytest.mark.parametrize("fault", sorted(CHANNEL_FAULTS))
    def test_a_broken_channel_fails_that_test_and_the_run_goes_on(
        self, suite: pytest.Pytester, fault: str
    ) -> None:
        """Guards: a test that closes the worker's protocol socket or writes
        garbage into it is reported as a crash of that test (the worker is
        stopped); everything else runs with plain pytest's outcomes."""
        suite.makepyfile(
            test_channel=f"""
            import os, time

            def test_before():
                time.sleep(0.05)

            def test_breaks_channel(request):
                fd = request.config.workerinput["fastest_channel"]
                {CHANNEL_FAULTS[fault]}
                time.sleep(0.2)

            def test_after():
                pass
            """
        )
        # The fault test needs a worker's channel: under plain pytest it
        # has none, so compare the others only.
        broken = "test_channel.py::test_breaks_channel"
        plain = run_plain(suite, "--deselect", broken)
        fast = run_fastest(suite)
        assert fast.result.ret == 1
        assert fast.outcomes[(broken, "call")] == ("failed", False)
        assert without(fast.outcomes, broken) == plain.outcomes
        fast.result.stdout.fnmatch_lines([f"*worker 'gw*' crashed while running '{broken}'*"])
        assert_nothing_left(suite)


# -- a test that leaves a process behind ---------------------------------------------------


class TestStrayChild:
    def test_a_child_that_lives_on_does_not_hold_the_run(self, suite: pytest.Pytester) -> None:
        """Guards: a test's forked child inherits the worker's channel; the
        run must still end when the worker does, not when the child does."""
        suite.makepyfile(
            test_child="""
            import os, time

            def test_forks_a_sleeper():
                pid = os.fork()
                if pid == 0:
                    time.sleep(30)
                    os._exit(0)
                with open("child.pid", "w") as f:
                    f.write(str(pid))

            def test_after():
                pass
            """
        )
        started = time.monotonic()
        try:
            plain = run_plain(suite)
            os.kill(int((suite.path / "child.pid").read_text()), signal.SIGKILL)
            fast = run_fastest(suite)
            elapsed = time.monotonic() - started
            assert_same(plain, fast)
            assert elapsed < 20, f"the run took {elapsed:.1f}s: the child held it"
        finally:
            child = suite.path / "child.pid"
            if child.exists():
                try:
                    os.kill(int(child.read_text()), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        assert_nothing_left(suite)


# -- a test that hangs ----------------------------------------------------------------------


class TestHang:
    def test_pytest_timeout_gives_the_same_result(self, suite: pytest.Pytester) -> None:
        """Guards: with pytest-timeout (signal method) a hanging test fails as
        in plain pytest and the worker goes on with the next test."""
        pytest.importorskip("pytest_timeout")
        suite.makepyfile(
            test_hang="""
            import time

            def test_hangs():
                time.sleep(60)

            def test_after():
                pass
            """
        )
        plain, fast = run_both(suite, "--timeout=2")
        assert_same(plain, fast)
        assert fast.outcomes[("test_hang.py::test_hangs", "call")][0] == "failed"
        fast.result.stdout.fnmatch_lines(["*Timeout*"])
        assert_nothing_left(suite)

    def test_pytest_timeout_thread_method_is_a_worker_crash(self, suite: pytest.Pytester) -> None:
        """Guards: pytest-timeout's thread method ends the process (os._exit(1));
        plain pytest dies with it, a worker's death fails only that test."""
        pytest.importorskip("pytest_timeout")
        suite.makepyfile(
            test_hang="""
            import time

            def test_hangs():
                time.sleep(60)

            def test_after():
                pass
            """
        )
        hung = "test_hang.py::test_hangs"
        plain = run_plain(suite, "--deselect", hung)
        fast = run_fastest(suite, "--timeout=2", "--timeout-method=thread")
        assert fast.result.ret == 1
        assert fast.outcomes[(hung, "call")] == ("failed", False)
        assert without(fast.outcomes, hung) == plain.outcomes
        fast.result.stdout.fnmatch_lines(
            [f"*worker 'gw*' crashed while running '{hung}': it exited with status 1*"]
        )
        assert_nothing_left(suite)


# -- signals to the run ----------------------------------------------------------------------

LONG_TEST = """
import os, time

def test_long():
    open("started", "w").close()
    time.sleep(30)
"""


def _start(pytester: pytest.Pytester, fastest: bool, start: str = "fork") -> subprocess.Popen[str]:
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider"]
    if fastest:
        args += ["-p", "fastest", "--fastest-workers=2", f"--fastest-start={start}"]
    env = dict(os.environ)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.Popen(
        args,
        cwd=pytester.path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _wait_started(pytester: pytest.Pytester, proc: subprocess.Popen[str]) -> None:
    marker = pytester.path / "started"
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()[0]
        assert time.monotonic() < deadline, "the long test never started"
        time.sleep(0.02)
    time.sleep(0.3)  # let the other worker get going


def _finish(proc: subprocess.Popen[str], timeout: float = 20) -> tuple[int, str]:
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        pytest.fail(f"the run did not end after the signal:\n{out}")
    return proc.returncode, out


@pytest.fixture
def long_suite(suite: pytest.Pytester) -> pytest.Pytester:
    suite.makepyfile(test_long=LONG_TEST)
    return suite


def _signal_run(
    pytester: pytest.Pytester,
    fastest: bool,
    signum: int = signal.SIGINT,
    group: bool = False,
    start: str = "fork",
    check: Callable[[subprocess.Popen[str]], None] | None = None,
) -> tuple[int, str]:
    """Run the long suite, and once its long test runs (and `check` passed),
    send `signum` to the run's process group or to the controller alone;
    returns the exit status and the output."""
    (pytester.path / "started").unlink(missing_ok=True)
    proc = _start(pytester, fastest, start)
    try:
        _wait_started(pytester, proc)
        if check is not None:
            check(proc)
        if group:
            os.killpg(proc.pid, signum)
        else:
            os.kill(proc.pid, signum)
        return _finish(proc)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()  # closes the pipe


def _interrupt(
    pytester: pytest.Pytester, fastest: bool, group: bool, start: str = "fork"
) -> tuple[int, str]:
    return _signal_run(pytester, fastest, signal.SIGINT, group=group, start=start)


def _two_workers(pytester: pytest.Pytester) -> Callable[[subprocess.Popen[str]], None]:
    def check(proc: subprocess.Popen[str]) -> None:
        assert len(worker_pids(pytester)) == 2

    return check


class TestSignals:
    @pytest.mark.parametrize("target", ["process_group", "controller"])
    def test_ctrl_c_stops_quietly_with_a_summary(
        self, long_suite: pytest.Pytester, target: str
    ) -> None:
        """Guards: SIGINT (to the whole group, as a terminal's Ctrl-C, or to the
        controller alone) ends the run as in plain pytest: the
        KeyboardInterrupt banner, a summary of what ran, exit code 2; workers
        stop without tracebacks of their own and none is left."""
        group = target == "process_group"
        plain_ret, plain_out = _interrupt(long_suite, fastest=False, group=group)
        fast_ret, fast_out = _interrupt(long_suite, fastest=True, group=group)
        assert fast_ret == plain_ret == 2, fast_out
        for out in (plain_out, fast_out):
            assert "KeyboardInterrupt" in out
            assert re.search(r"^=+ .*\d+ (passed|failed).* in [\d.]+s", out, re.M), out
        assert fast_out.count("Traceback") <= plain_out.count("Traceback"), fast_out
        assert "INTERNALERROR" not in fast_out
        assert_nothing_left(long_suite)

    def test_sigterm_kills_the_controller_and_no_worker_outlives_it(
        self, long_suite: pytest.Pytester
    ) -> None:
        """Guards: SIGTERM acts as on plain pytest (no handler: the controller
        dies of it) and the zygote and workers follow within seconds."""
        ret, _ = _signal_run(long_suite, True, signal.SIGTERM, check=_two_workers(long_suite))
        assert ret == -signal.SIGTERM
        assert_nothing_left(long_suite)

    def test_sigkilled_controller_takes_zygote_and_workers_with_it(
        self, long_suite: pytest.Pytester
    ) -> None:
        """Guards: with the controller SIGKILLed, the zygote sees EOF and its
        workers get PR_SET_PDEATHSIG: nothing is orphaned after ~2 s."""
        ret, _ = _signal_run(long_suite, True, signal.SIGKILL, check=_two_workers(long_suite))
        assert ret == -signal.SIGKILL
        assert_nothing_left(long_suite, timeout=2.0)


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_the_zygote_retires_to_a_bare_reaper_once_workers_run(
    long_suite: pytest.Pytester,
) -> None:
    """Guards the memory figure: after forking the first workers the zygote
    execs the small reaper (same pid, the workers still its children), whose
    resident memory is a bare interpreter's."""

    def check(proc: subprocess.Popen[str]) -> None:
        (zygote,) = _children(proc.pid)
        with open(f"/proc/{zygote}/cmdline", "rb") as f:
            assert b"_reaper.py" in f.read()
        # The worker running the long test is alive (the other may be done).
        alive = _children(zygote)
        assert alive and set(alive) <= set(worker_pids(long_suite))
        # A bare interpreter: well under half the controller (about 8 MB
        # against 50 here; both larger under ASan).
        assert _rss_kb(zygote) * 2 < _rss_kb(proc.pid)

    ret, _ = _signal_run(long_suite, True, signal.SIGINT, group=True, check=check)
    assert ret == 2
    assert_nothing_left(long_suite)


class TestSpawnStart:
    """--fastest-start=spawn: workers are fresh interpreters, children of the
    controller, with the same guarantees as forked ones."""

    def test_a_crash_fails_that_test_and_a_new_worker_runs_the_rest(
        self, suite: pytest.Pytester
    ) -> None:
        body, why = CRASHES["sigkill"]
        suite.makepyfile(test_crash=_crash_file(body))
        crashed = "test_crash.py::test_crash"
        plain = run_plain(suite, "--deselect", crashed)
        fast = run_fastest(suite, "--fastest-start=spawn")
        assert fast.result.ret == 1
        assert fast.outcomes[(crashed, "call")] == ("failed", False)
        assert without(fast.outcomes, crashed) == plain.outcomes
        fast.result.stdout.fnmatch_lines(
            [f"*worker 'gw*' crashed while running '{crashed}': {why}*"]
        )
        assert len(worker_pids(suite)) == 3
        assert_nothing_left(suite)

    def test_ctrl_c_to_the_group_stops_quietly_with_a_summary(
        self, long_suite: pytest.Pytester
    ) -> None:
        ret, out = _interrupt(long_suite, fastest=True, group=True, start="spawn")
        assert ret == 2, out
        assert "KeyboardInterrupt" in out and "INTERNALERROR" not in out
        assert re.search(r"^=+ .*\d+ (passed|failed).* in [\d.]+s", out, re.M), out
        assert_nothing_left(long_suite)

    def test_sigkilled_controller_takes_its_workers_with_it(
        self, long_suite: pytest.Pytester
    ) -> None:
        ret, _ = _signal_run(
            long_suite, True, signal.SIGKILL, start="spawn", check=_two_workers(long_suite)
        )
        assert ret == -signal.SIGKILL
        assert_nothing_left(long_suite, timeout=2.0)


# -- the discovery cache ---------------------------------------------------------------------

CACHE = Path(".pytest_cache/d/fastest/inventory.json")


def _warnings(run: Run) -> list[str]:
    """The plugin's notices, without the header line that names the workers."""
    return [
        line
        for line in run.result.outlines
        if line.startswith("fastest:") and not re.match(r"fastest: \d+ workers? \(", line)
    ]


def _cache_fault(root: Path, fault: str) -> None:
    cache = root / CACHE
    if fault == "corrupt_json":
        cache.write_text("{this is not json")
    elif fault == "truncated":
        cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    elif fault == "wrong_schema":
        data = json.loads(cache.read_text())
        data["schema"] = 999
        cache.write_text(json.dumps(data))
    elif fault == "directory":
        cache.unlink()
        cache.mkdir()
        (cache / "inside").write_text("x")
    elif fault == "binary":
        cache.write_bytes(bytes(range(256)) * 8)
    else:
        raise AssertionError(fault)


class TestDiscoveryCache:
    @pytest.mark.parametrize(
        "fault", ["corrupt_json", "truncated", "wrong_schema", "directory", "binary"]
    )
    def test_an_unusable_cache_warns_once_and_recovers(
        self, suite: pytest.Pytester, fault: str
    ) -> None:
        """Guards: a damaged inventory cache never changes results; the run
        says so in one line and the next run rebuilds it."""
        plain = run_plain(suite)
        first = run_fastest(suite)
        assert_same(plain, first)
        assert (suite.path / CACHE).is_file()
        _cache_fault(suite.path, fault)
        damaged = run_fastest(suite)
        assert_same(plain, damaged)
        if fault != "directory":
            assert len(_warnings(damaged)) == 1, damaged.result.outlines
        assert (suite.path / CACHE).is_file() or fault == "directory"
        if fault == "directory":
            import shutil

            shutil.rmtree(suite.path / CACHE)
        again = run_fastest(suite)
        assert_same(plain, again)
        assert _warnings(again) == []
        assert json.loads((suite.path / CACHE).read_text())["files"]
        assert_nothing_left(suite)

    def test_a_file_where_the_cache_directory_should_be(self, suite: pytest.Pytester) -> None:
        """Guards: an unwritable cache location (a regular file where the
        directory goes; chmod does not stop root) leaves results intact."""
        plain = run_plain(suite)
        (suite.path / ".pytest_cache/d").mkdir(parents=True)
        (suite.path / ".pytest_cache/d/fastest").write_text("not a directory")
        fast = run_fastest(suite)
        assert_same(plain, fast)
        assert "INTERNALERROR" not in fast.result.stdout.str()
        assert len(_warnings(fast)) <= 1
        (suite.path / ".pytest_cache/d/fastest").unlink()
        again = run_fastest(suite)
        assert_same(plain, again)
        assert (suite.path / CACHE).is_file()

    def test_two_runs_at_once_share_the_cache(self, suite: pytest.Pytester) -> None:
        """Guards: concurrent runs on one tree both finish with the right results
        and leave a readable cache (written atomically)."""
        plain = run_plain(suite)
        env = dict(os.environ)
        env.pop("PYTEST_ADDOPTS", None)
        args = [sys.executable, "-m", "pytest", "-p", "fastest", "--fastest-workers=2"]
        procs = [
            subprocess.Popen(
                args,
                cwd=suite.path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(3)
        ]
        outs = [proc.communicate(timeout=60)[0] for proc in procs]
        for proc, out in zip(procs, outs, strict=True):
            assert proc.returncode == plain.result.ret, out
            assert plain.summary in out
        json.loads((suite.path / CACHE).read_text())
        assert_nothing_left(suite)


# -- sizes -------------------------------------------------------------------------------------


class TestLimits:
    def test_more_workers_than_cpus_still_works(self, suite: pytest.Pytester) -> None:
        """Guards: --fastest-workers=64 on a small machine runs (capped at the
        number of units) with plain pytest's results."""
        plain = run_plain(suite)
        fast = equivalence.run(suite, "--fastest-workers=64", fastest=True)
        assert_same(plain, fast)
        assert 1 < len(worker_pids(suite)) <= 4
        assert_nothing_left(suite)

    def test_deeply_nested_expression_is_a_collection_error_as_in_pytest(
        self, pytester: pytest.Pytester
    ) -> None:
        """Guards: a 10,000-deep nested expression must not overflow the C
        core's stack; pytest reports the file's SyntaxError/RecursionError."""
        depth = 10_000
        pytester.makepyfile(
            test_deep="def test_deep():\n    x = " + "(" * depth + "1" + ")" * depth + "\n"
        )
        for index in range(3):
            pytester.makepyfile(**{f"test_ok{index}": "def test_a():\n    pass\n"})
        plain, fast = run_both(pytester)
        assert_same(plain, fast)

    def test_deeply_nested_list_is_handled_as_in_pytest(self, pytester: pytest.Pytester) -> None:
        """Guards: a 10,000-deep nested list display (no parentheses limit)
        parses in the C core without overflowing its stack."""
        depth = 10_000
        pytester.makepyfile(
            test_deep="def test_deep():\n    x = " + "[" * depth + "]" * depth + "\n"
        )
        for index in range(3):
            pytester.makepyfile(**{f"test_ok{index}": "def test_a():\n    pass\n"})
        plain, fast = run_both(pytester)
        assert_same(plain, fast)

    @pytest.mark.slow
    def test_a_file_of_100000_tests(self, pytester: pytest.Pytester) -> None:
        """Guards: one huge file (one unit) runs in a worker with every result."""
        body = "".join(f"def test_{index}():\n    pass\n" for index in range(100_000))
        pytester.makepyfile(test_huge=body, test_small="def test_a():\n    assert 0\n")
        plain, fast = run_both(pytester, "-q")
        assert_same(plain, fast)
        fast.result.assert_outcomes(passed=100_000, failed=1)

    @pytest.mark.slow
    def test_a_tree_of_100000_files_is_discovered_in_reasonable_time(
        self, pytester: pytest.Pytester
    ) -> None:
        """Guards: the walker and extractor scale: discovery of 100,000 files
        (cold, then warm from the cache) and --collect-only finish in bounded time."""
        root = pytester.path / "tree"
        for outer in range(100):
            directory = root / f"pkg{outer}"
            directory.mkdir(parents=True)
            for inner in range(1000):
                # Unique basenames: the tree has no __init__.py files.
                (directory / f"test_{outer}_{inner}.py").write_text("def test_a():\n    pass\n")
        env = dict(os.environ)
        env.pop("PYTEST_ADDOPTS", None)
        for attempt in ("cold", "warm"):
            started = time.monotonic()
            proc = subprocess.run(
                [sys.executable, "-m", "pytest_fastest", "discover", "tree"],
                cwd=pytester.path,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            elapsed = time.monotonic() - started
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.count("::test_a") == 100_000
            assert elapsed < 120, f"{attempt} discovery took {elapsed:.1f}s"
        started = time.monotonic()
        result = pytester.runpytest_subprocess("-p", "fastest", "--collect-only", "-q", "tree")
        elapsed = time.monotonic() - started
        result.stdout.fnmatch_lines(["100000 tests collected*"])
        assert elapsed < 600, f"--collect-only took {elapsed:.1f}s"
