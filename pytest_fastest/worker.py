"""The worker side: a pytest session that collects and runs its share only.

A worker is a fork of the zygote (see :mod:`.zygote`) configured as a
pytest-xdist-style worker (``config.workerinput``), so plugins see the
worker semantics they already know. It speaks the frame protocol of
:mod:`.wire` with the controller:

1. ``L`` (collect): collect the listed files in one pass of pytest's own
   collection, skipping a file another worker claimed first, then collect
   files a slower worker has not reached (claims.py); answer ``C`` with the
   items per file, the number deselected and every failed or skipped
   collect report.
2. ``U`` (unit): run the items of one file. Units arrive ahead of time, so
   the last item of a unit runs with the first item of the next one as
   ``nextitem`` and module/class fixtures tear down where they would in a
   serial run. A unit of a file this worker has not collected (work stolen
   from another worker, or left by a dead one) is collected on arrival.
   After each item, its reports go out as one ``R`` frame; after each unit,
   ``D``.
3. ``E`` (end: no more work) or ``Q`` (stop after the current test). The
   session then ends through pytest's own sessionfinish and unconfigure;
   ``F`` carries ``config.workeroutput`` back.
"""

from __future__ import annotations

import inspect
import json
import os
import select
import sys
import time
import warnings
from collections import deque
from typing import Any

import pytest
from _pytest.terminal import TerminalReporter

from . import claims, collectreports, heap, report, wire
from . import workeroutput as carrier
from .activation import ModuleTimer
from .report import lean_keywords

WORKER_KEY = pytest.StashKey["WorkerSession"]()
_CACHE_GET_KEY = pytest.StashKey[Any]()


class _Unit:
    __slots__ = ("unit_id", "items")

    def __init__(self, unit_id: int, items: list[pytest.Item]) -> None:
        self.unit_id = unit_id
        self.items = items


class WorkerSession:
    """Plugin registered in a worker: owns collection and the run loop."""

    def __init__(self, config: pytest.Config, channel: wire.Channel) -> None:
        self.config = config
        self.channel = channel
        self.items_by_file: dict[str, list[pytest.Item]] = {}
        self.all_items: list[pytest.Item] = []  # of every collection pass, in order
        self.deselected: list[str] = []
        self.collected = 0
        self.collect_reports: list[dict[str, Any]] = []
        self.collect_times: dict[str, float] = {}
        # Where this worker's time went, for --fastest-explain.
        self.started = time.perf_counter()
        self.collected_at = self.started
        self.waited = 0.0
        self.collected_late = 0  # files collected when their unit arrived (taken from a peer)
        self.module_timer = ModuleTimer()
        self.pending: list[Any] = []
        # The keywords of this test's last lean report (sent once per test).
        self.keywords_sent: list[str] | None = None
        self.warnings: list[dict[str, Any]] = []
        # Seconds of the current test, and of the current unit's tests per file.
        self.test_seconds = 0.0
        self.unit_seconds: dict[str, float] = {}
        self.queue: deque[_Unit] = deque()
        self.ended = False
        self.stopping = False
        self._collecting_initial = False
        self._scope: set[str] | None = None
        self._scope_dirs: tuple[str, ...] = ()
        self.share: claims.Share | None = None  # the first collection's claims
        # Send every passed collection report (see collectreports.py), and
        # walk every directory (the first worker) so that each is reported.
        self.all_collect_reports = False
        self.walk_dirs = False
        self.claimed_by_peer: set[str] = set()  # files whose empty report is not theirs
        self.directories: dict[Any, pytest.Directory] = {}  # by path: see pytest_collect_directory

    def pytest_plugin_registered(self, plugin: Any, plugin_name: str, manager: Any) -> None:
        """The controller reports, so a worker's terminal reporter formats
        nothing (see _QuietTerminal); yet plugins look for one while they
        configure, and pytest-sugar replaces it with its own (it crashed on
        a worker without one). Each reporter registered under pytest's
        name, pytest's or a plugin's, is swapped for a quiet one."""
        if plugin_name != "terminalreporter" or isinstance(plugin, _QuietTerminal):
            return
        manager.unregister(plugin)
        if type(plugin) is TerminalReporter:  # pytest's own: one that writes to /dev/null
            plugin = _sink_reporter(self.config)
        manager.register(_QuietTerminal(plugin), "terminalreporter")

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        show_warnings_again()
        _install_quiet_terminal(self.config)
        _restore_cache_get(self.config)

    # -- collection ---------------------------------------------------------

    def _collect(
        self, session: pytest.Session, units: list[str], dirs: list[str], initial: bool = False
    ) -> None:
        """Collect these units (files, and the directories in `dirs`, collected
        whole) in one pass of pytest's own collection of the user's
        arguments, pruned to them by pytest_ignore_collect. That keeps
        pytest's collection exactly as it is (initial paths, conftests, node
        ids), and costs less than naming the files as arguments: pytest lists
        a file argument's whole directory again for each one (100 files x 100
        arguments).
        `initial`: the first collection, whose reports the controller gets."""
        for unit in units:
            self.items_by_file.setdefault(unit, [])
        if not units:
            return
        # Every unit and the directories above them; below a directory unit, everything.
        self._scope = _with_parents(set(units))
        self._scope_dirs = tuple(d.rstrip(os.sep) + os.sep for d in dirs)
        self._collecting_initial = initial
        try:
            session.perform_collect()
        finally:
            self._collecting_initial = False
            self._scope = None
        self._group(session.items, set(units))
        # Each pass replaces session.items with its own; plugins reading it
        # later (pytest-rerunfailures' --fail-on-flaky, at sessionfinish)
        # must see every item this worker collected, as a serial run's has.
        self.all_items.extend(session.items)
        session.items = self.all_items

    def _group(self, items: list[pytest.Item], units: set[str]) -> None:
        """Give each item to the unit (file or directory) that holds it. An
        item of no planned unit (a plugin collected something the plan did
        not know) becomes a unit of its own file, so that nothing is lost."""
        for item in items:
            path = str(item.path)
            owner = path if path in units else _owning_arg(item.path, units)
            self.items_by_file.setdefault(owner or path, []).append(item)

    def pytest_ignore_collect(self, collection_path: Any) -> bool | None:
        """While collecting (see _collect), skip what holds none of the units."""
        if self._scope is None:
            return None
        path = str(collection_path)
        if path in self._scope or any(path.startswith(d) for d in self._scope_dirs):
            return None
        if self.walk_dirs and os.path.isdir(path):
            return None  # walked only to be reported: its files stay pruned
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_collect_directory(self, path: Any, parent: Any) -> pytest.Directory | None:
        """A later pass (files taken from a peer, or collected when their
        unit arrives) gets the directory nodes of the earlier ones, as one
        serial collection has one node per directory. pytest >= 9.1 ties a
        conftest's fixtures to its directory's node when that is first
        collected: a second node for the directory would see none of them.
        And a package node is where its package-scoped fixtures and its
        setup live: a second one would set the package up again."""
        return self.directories.get(path)

    # Named pytest_*: pytest registers only such attributes as hook implementations.
    @pytest.hookimpl(wrapper=True, specname="pytest_collect_directory")
    def pytest_collect_directory_remember(self, path: Any, parent: Any) -> Any:
        node = yield
        if isinstance(node, pytest.Directory):
            self.directories.setdefault(path, node)
        return node

    @pytest.hookimpl(tryfirst=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Any:
        """In the first pass, a file a peer claimed first is not collected
        here (see claims.py): it reports no items."""
        share = self.share
        if (
            share is not None
            and not share.closed
            and isinstance(collector, pytest.File)
            and not isinstance(collector, pytest.Package)
            and not share.claim_own(str(collector.path))
        ):
            self.claimed_by_peer.add(collector.nodeid)
            return pytest.CollectReport(collector.nodeid, "passed", None, [])
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool:
        kind, payload = self.channel.receive()
        if kind != wire.COLLECT:
            self._handle(kind, payload, session)
            return True
        message = json.loads(payload)
        table = self.config.stash.get(claims.CLAIMS_KEY, None)
        if message.get("claims") and table is not None:
            self.share = claims.Share(table, message["claims"], os.path.isdir)
        dirs = message.get("dirs", [])  # the controller told the directory units apart
        self.all_collect_reports = message.get("collect_reports") == "all"
        self.walk_dirs = bool(message.get("walk_dirs"))
        self._collect(session, [*message["files"], *dirs], dirs, initial=True)
        self.walk_dirs = False  # once is enough: later passes find only their files
        if self.share is not None:
            self._take_peers_files(session, self.share)
        message = {
            "files": {
                path: [item.nodeid for item in items] for path, items in self.items_by_file.items()
            },
            "collected": self.collected,
            "groups": _xdist_groups(self.items_by_file),
            "deselected_ids": self.deselected,
            "reports": self.collect_reports,
            # What each module cost to collect: another worker stealing it pays that again.
            "collect_seconds": dict(self.collect_times),
        }
        if self.config.option.collectonly:
            message["tree"] = _collection_tree(self.config, self.items_by_file)
        self.collected_at = time.perf_counter()
        self.channel.send_json(wire.COLLECTED, message)
        return True

    def _take_peers_files(self, session: pytest.Session, share: claims.Share) -> None:
        """With its own share collected, collect files a slower peer has not
        reached, batch by batch, until none is left to take."""
        share.close()
        for path in share.lost:
            self.items_by_file.pop(path, None)
        while batch := share.take_batch():
            self._collect(session, batch, [], initial=True)  # never directories

    def pytest_collectstart(self, collector: pytest.Collector) -> None:
        self.module_timer.start(collector)

    # First: this worker's own "last failed" plugin forgets a collector that
    # passes when it sees its report, and last_failed() must see it listed.
    @pytest.hookimpl(tryfirst=True)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.module_timer.stop(report, self.collect_times)
        if not self._collecting_initial:
            return
        self.collected += sum(1 for x in report.result if isinstance(x, pytest.Item))
        if report.failed or report.skipped:
            self.collect_reports.append(report_to_data(self.config, report))
        elif report.nodeid not in self.claimed_by_peer and (
            self.all_collect_reports or collectreports.last_failed(self.config, report)
        ):
            data = report_to_data(self.config, report)
            data[collectreports.CHILDREN] = collectreports.children(report)
            self.collect_reports.append(data)

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        if self._collecting_initial:
            self.deselected.extend(item.nodeid for item in items)

    # -- the run loop ---------------------------------------------------------

    def _handle(self, kind: bytes, payload: bytes, session: pytest.Session) -> None:
        if kind == wire.UNIT:
            message = json.loads(payload)
            data = message["data"]
            paths = [data["file"], *data.get("also", [])]
            missing = [path for path in paths if path not in self.items_by_file]
            if missing:
                self._collect(session, missing, [p for p in missing if os.path.isdir(p)])
                self.collected_late += len(missing)
            items = [item for path in paths for item in self.items_by_file[path]]
            only = data.get("only")
            if only is not None:
                wanted = set(only)
                items = [item for item in items if item.nodeid in wanted]
            self.queue.append(_Unit(message["unit"], items))
        elif kind == wire.END:
            self.ended = True
        elif kind == wire.STOP:
            self.stopping = True
            self.ended = True

    def _receive(self, session: pytest.Session) -> None:
        try:
            before = time.perf_counter()
            kind, payload = self.channel.receive()
            self.waited += time.perf_counter() - before
        except wire.ChannelClosed:
            self.stopping = self.ended = True
            return
        self._handle(kind, payload, session)

    def _poll(self, session: pytest.Session) -> None:
        """Take in frames that already arrived, without blocking."""
        while True:
            readable, _, _ = select.select([self.channel.fd], [], [], 0)
            if not readable and not self.channel.has_buffered_frame():
                return
            self._receive(session)
            if self.stopping:
                return

    def _next_item(self, session: pytest.Session) -> pytest.Item | None:
        """The item that will run after the current unit, waiting for it if needed.

        Units after the current one that have no items (all deselected) are
        finished on the spot: they would otherwise hold the dispatcher's
        lookahead and no further unit would come.

        Before blocking, the worker says it is idle: holding a unit, it
        would otherwise not be given another worker's (the dispatcher lets
        only idle workers steal), and would wait for the end of the run.
        """
        said_idle = False
        while True:
            while len(self.queue) > 1 and not self.queue[1].items:
                empty = self.queue[1]
                del self.queue[1]
                self._unit_done(empty.unit_id)
                # The dispatcher ignored an idle said while this unit was on
                # its way: say it again, or no steal (nor 'E') would come.
                said_idle = False
            if len(self.queue) > 1:
                return self.queue[1].items[0]
            if self.ended:
                return None
            if not said_idle:
                self._poll(session)
                if len(self.queue) > 1 or self.ended or self.stopping:
                    continue
                self.channel.send(wire.IDLE, b"")
                said_idle = True
            self._receive(session)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        while not self.stopping:
            if not self.queue:
                if self.ended:
                    break
                self._receive(session)
                continue
            unit = self.queue[0]
            for index, item in enumerate(unit.items):
                if index + 1 < len(unit.items):
                    nextitem: pytest.Item | None = unit.items[index + 1]
                else:
                    nextitem = self._next_item(session)
                item.config.hook.pytest_runtest_protocol(item=item, nextitem=nextitem)
                self._poll(session)
                if self.stopping or session.shouldfail or session.shouldstop:
                    self.stopping = True
                    break
            else:
                self.queue.popleft()
                self._unit_done(unit.unit_id)
        return True

    def _unit_done(self, unit_id: int) -> None:
        """Tell the controller a unit is finished, with what it cost per file:
        the module's collection here plus its tests (the controller records
        them for the next plan)."""
        message: dict[str, Any] = {"unit": unit_id}
        if self.unit_seconds:
            message["durations"] = {
                path: self.collect_times.pop(path, 0.0) + seconds
                for path, seconds in self.unit_seconds.items()
            }
            self.unit_seconds = {}
        self.channel.send_json(wire.UNIT_DONE, message)

    # -- reports ---------------------------------------------------------------

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.test_seconds += report.duration
        data = report_to_data(self.config, report, self.keywords_sent)
        sent = lean_keywords(data)
        if sent is not None:
            self.keywords_sent = sent
        self.pending.append(data)

    def pytest_warning_recorded(
        self, warning_message: Any, when: str, nodeid: str, location: Any
    ) -> None:
        if when == "config":
            # Recorded while pytest loaded plugins and configured (a plugin's
            # import, issue_config_time_warning): the controller, with the same
            # plugins, options and ini, recorded it once, as a serial run does.
            # (This hook is historic: a forked worker gets the controller's too.)
            return
        data = report.warning_to_data(warning_message, when, nodeid, location)
        if when == "collect" and os.path.basename(warning_message.filename) == "conftest.py":
            # Each worker collecting below a conftest imports it: the controller
            # keeps one worker's record of what the conftest's import warned.
            data["worker"] = os.environ.get("PYTEST_XDIST_WORKER", "")
        self.warnings.append(data)

    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        message: dict[str, Any] = {"nodeid": nodeid, "location": location, "reports": self.pending}
        if self.warnings:
            message["warnings"] = self.warnings
            self.warnings = []
        self.pending = []
        self.keywords_sent = None
        path = nodeid.split("::", 1)[0]
        self.unit_seconds[path] = self.unit_seconds.get(path, 0.0) + self.test_seconds
        self.test_seconds = 0.0
        self.channel.send_json(wire.REPORTS, message)

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Any:
        # The innermost wrapper: around the plain implementations only.
        status_before = session.exitstatus
        result = yield
        workeroutput = getattr(self.config, "workeroutput", {})
        now = time.perf_counter()
        timing = {
            "collect": self.collected_at - self.started,
            "run": now - self.collected_at,
            "waited": self.waited,
            "taken": self.share.taken if self.share is not None else 0,
            "collected_late": self.collected_late,
        }
        packed, unsent = carrier.pack(workeroutput)
        for line in unsent:  # shown in the controller's warnings summary
            workerid = os.environ.get("PYTEST_XDIST_WORKER", "worker")
            warning = pytest.PytestWarning(f"pytest-fastest: {workerid}: {line}")
            message = warnings.WarningMessage(warning, pytest.PytestWarning, __file__, 0)
            self.warnings.append(report.warning_to_data(message, "runtest", "", None))
        final: dict[str, Any] = {
            "workeroutput": packed,
            "warnings": self.warnings,
            "timing": timing,
        }
        if session.exitstatus != status_before:
            # A plugin set the exit status from what only this worker knows
            # (pytest-rerunfailures' --fail-on-flaky: 7): the controller's run takes it.
            final["exitstatus"] = int(session.exitstatus)
        try:
            self.channel.send_json(wire.FINAL, final)
        except OSError:
            pass
        return result

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # After pytest's unraisable-exception plugin has collected what the
        # tests left behind (it runs earlier in this hook).
        heap.freeze_heap()


def _xdist_groups(items_by_file: dict[str, list[pytest.Item]]) -> dict[str, list[str]]:
    """The ``xdist_group`` names of each file's tests (files without: absent),
    named as pytest-xdist names them."""
    groups: dict[str, list[str]] = {}
    for path, items in items_by_file.items():
        names = set()
        for item in items:
            mark = item.get_closest_marker("xdist_group")
            if mark is not None:
                names.add(str(mark.args[0] if mark.args else mark.kwargs.get("name", "default")))
        if names:
            groups[path] = sorted(names)
    return groups


def _hidden_warning(*args: Any, **kwargs: Any) -> None:
    pass


def hide_configure_warnings() -> None:
    """Until the session starts, print no warning in this worker.

    Plugins' ``pytest_configure`` runs again in every worker, and a warning
    it raises (pytest-asyncio's about an unset option, for one) is printed
    to the terminal directly, not recorded through pytest's hooks: the
    controller has already printed it once from its own configure, with the
    same plugins, options and ini, as a serial run does. Warnings from the
    session on are recorded and reach the controller's summary.
    """
    if warnings.showwarning is not _hidden_warning:
        _hidden_warning.original = warnings.showwarning  # type: ignore[attr-defined]
        warnings.showwarning = _hidden_warning


def show_warnings_again() -> None:
    original = getattr(_hidden_warning, "original", None)
    if warnings.showwarning is _hidden_warning and original is not None:
        warnings.showwarning = original


class _QuietTerminal:
    """Stands in for the terminal reporter in a worker.

    The controller reports, so a worker blocks pytest's terminal reporter,
    but plugins reach for it while tests run: pytest-timeout calls
    ``config.get_terminal_writer()`` (which asserts a reporter exists) in
    its signal handler and timer thread. This object has the reporter's
    attributes, writing to /dev/null, and none of its hooks: nothing is
    formatted per test.
    """

    def __init__(self, reporter: Any) -> None:
        self._reporter = reporter

    def __getattr__(self, name: str) -> Any:
        if name.startswith("pytest_"):
            raise AttributeError(name)
        return getattr(self._reporter, name)


def _sink_reporter(config: pytest.Config) -> TerminalReporter:
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives with the worker
    return TerminalReporter(config, sink)


def _install_quiet_terminal(config: pytest.Config) -> None:
    """A quiet reporter for a worker that has none (`-p no:terminal`)."""
    pm = config.pluginmanager
    if pm.get_plugin("terminalreporter") is None and not pm.is_blocked("terminalreporter"):
        pm.register(_QuietTerminal(_sink_reporter(config)), "terminalreporter")


def _collection_tree(
    config: pytest.Config, items_by_unit: dict[str, list[pytest.Item]]
) -> dict[str, Any]:
    """What --collect-only prints, for the controller to print it: each
    item's chain of collectors (node ids), and each collector's text (and
    docstring at -v), as the terminal reporter would show them."""
    verbosity = config.get_verbosity(config.VERBOSITY_TEST_CASES)
    if verbosity < 0:
        return {}
    nodes: dict[str, list[Any]] = {}
    chains: dict[str, list[list[str]]] = {}
    for unit, items in items_by_unit.items():
        unit_chains = chains[unit] = []
        for item in items:
            chain = item.listchain()[1:]
            for col in chain:
                if col.nodeid not in nodes:
                    doc = None
                    if verbosity >= 1:
                        obj = getattr(col, "obj", None)
                        doc = inspect.getdoc(obj) if obj else None
                    nodes[col.nodeid] = [str(col), doc]
            unit_chains.append([col.nodeid for col in chain])
    return {"nodes": nodes, "chains": chains}


def _with_parents(paths: set[str]) -> set[str]:
    """The paths and every directory above them. A walk up stops at a
    directory already in the set: the units of one directory share their
    parents (500 files would otherwise build 3,500 pathlib objects)."""
    scope = set(paths)
    for path in paths:
        parent = os.path.dirname(path)
        while parent not in scope:
            scope.add(parent)
            up = os.path.dirname(parent)
            if up == parent:
                break
            parent = up
    return scope


def _owning_arg(path: Any, args: set[str]) -> str | None:
    for parent in path.parents:
        if str(parent) in args:
            return str(parent)
    return None


def report_to_data(
    config: pytest.Config,
    rep: pytest.TestReport | pytest.CollectReport,
    keywords_sent: list[str] | None = None,
) -> Any:
    return report.encode(config, rep, keywords_sent)


def install(config: pytest.Config) -> None:
    """Register the worker session; called from pytest_configure in a worker."""
    channel = wire.Channel(int(config.workerinput["fastest_channel"]))  # type: ignore[attr-defined]
    worker = WorkerSession(config, channel)
    config.stash[WORKER_KEY] = worker
    config.pluginmanager.register(worker, "fastest-worker")
    _let_rerunfailures_log_reruns()


def _let_rerunfailures_log_reruns() -> None:
    """pytest-rerunfailures logs a rerun attempt's report (the "R" in the
    progress, "1 rerun" in the summary) in a worker only when pytest-xdist
    1.20+ is installed: older xdist workers ended at the first report of a
    test. Our workers take every report of a test, so where pytest-xdist is
    not installed its check is answered as 1.20+ would answer it (the
    reruns were run, and not shown: 2026-12-02, pytest-rerunfailures 16.7)."""
    module = sys.modules.get("pytest_rerunfailures")
    check = getattr(module, "works_with_current_xdist", None)
    if check is not None and not check():
        module.works_with_current_xdist = lambda: True  # type: ignore[union-attr]


def skip_new_first_ids(config: pytest.Config) -> None:
    """Spare this worker the parse of every node id of the last run.

    pytest's "new first" plugin reads all the node ids the last run
    collected from the cache when it is configured, and parses each (0.1 s
    for 20,000 tests, on every worker's way to its first test). It uses them
    only to order items with ``--nf`` and to write them back at the end,
    which a worker never does (the controller does). So without ``--nf``,
    until the session starts, this worker's cache reads that key as absent.
    Called before pytest configures the worker.
    """
    if config.getoption("newfirst", False):
        return
    try:
        from _pytest.cacheprovider import Cache
    except ImportError:  # pragma: no cover - pytest moved it: nothing skipped
        return
    read = Cache.get

    def get(self: Any, key: str, default: Any) -> Any:
        if key == "cache/nodeids":
            return default
        return read(self, key, default)

    Cache.get = get  # type: ignore[method-assign]
    config.stash[_CACHE_GET_KEY] = read


def _restore_cache_get(config: pytest.Config) -> None:
    read = config.stash.get(_CACHE_GET_KEY, None)
    if read is not None:
        from _pytest.cacheprovider import Cache

        Cache.get = read  # type: ignore[method-assign]
        del config.stash[_CACHE_GET_KEY]


def restart_capture(config: pytest.Config) -> None:
    """Give this worker its own capture files (the fork shares the zygote's)."""
    capman = config.pluginmanager.get_plugin("capturemanager")
    if capman is None or capman._global_capturing is None:
        return
    # Not pop_outerr_to_orig: what is buffered belongs to the zygote.
    capman._global_capturing.stop_capturing()
    capman._global_capturing = None
    if config.known_args_namespace.capture != "no":
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.close(devnull)
    capman.start_global_capturing()
    capman.suspend_global_capture()
