"""The controller: plans the run, drives the workers, replays their reports.

Registered in the user's pytest process when the plugin is active. It takes
over two hooks of a serial run and leaves everything else to pytest:

* ``pytest_collection`` (through the session plugin, activation.py): static
  discovery made the plan; the workers, started as the session starts, each
  collect their share in one pass of pytest's own collection. Only when every
  worker has collected does the run start, so the terminal knows the total
  and a collection error stops the run before any test result, as in pytest.
* ``pytest_runtestloop``: the C dispatcher hands units to workers (and lets
  idle workers steal); every report that comes back is rebuilt as pytest's
  own report object and fed to this process's hooks (logstart, logreport,
  logfinish, warning_recorded), so the terminal reporter, junitxml, the
  cache provider and third-party reporters see what a serial run shows.

A worker that dies fails the test it was running, with the signal or exit
status in the report; a new worker takes the rest of its work.
"""

from __future__ import annotations

import json
import json.scanner
import math
import os
import signal
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from . import (
    claims,
    collectreports,
    covmode,
    grouping,
    heap,
    options,
    ordering,
    report,
    threadpools,
    wire,
)
from . import plan as planning
from . import workeroutput as carrier
from .spawner import Spawner
from .zygote import Zygote

# Restarts of crashed workers allowed in one run, beyond the first workers.
MAX_RESTARTS = 8
# How long a worker may take to exit after 'Q' before it is killed.
STOP_GRACE = 2.0
WAIT_MS = 100
# The dispatcher reads workers' frames in 2 ms batches instead of waking for
# each test's reports: workers fill every core, and each wake-up preempted
# one (on medium, 2 workers: ~2,500 switches, 0.1 s of controller CPU and
# ~4% of the wall time). Results and progress lines are late by at most that.
READ_DELAY_US = 2000
# So a 'D' answered up to READ_DELAY_US late never leaves a worker waiting: it
# holds more units (up to MAX_HELD) while those after the one it runs are
# estimated shorter than this (files of one quick test each, for instance).
AHEAD_SECONDS = 0.01
MAX_HELD = 8
# The zygote's reports of worker exits matter only when a worker dies without
# its channel closing (a child of it holds the socket): asking after every
# wake-up cost a select() and a recv() per few tests, so ask at most this often.
EXIT_POLL_INTERVAL = 0.02
LOST_EXITED = 3  # fst_dispatch_lost_reason: the zygote reported the exit
# json's C scanner, called directly on each test's frame (see _decode_json).
_scan_json = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]


def _decode_json(payload: bytes) -> Any:
    """One frame's JSON value.

    Workers send compact UTF-8 JSON with nothing around the value, so the
    C scanner reads it directly: json.loads would also guess the encoding
    of the bytes and match whitespace on both sides, in Python, once per test.
    """
    text = payload.decode()
    try:
        value, end = _scan_json(text, 0)
    except StopIteration as exc:
        raise json.JSONDecodeError("Expecting value", text, exc.value) from None
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


class WorkerNode:
    """The controller's view of one worker, shaped like pytest-xdist's
    WorkerController for plugins (pytest_configure_node/pytest_testnodedown).

    (Plain classes here: a dataclass costs a millisecond or two to define at
    import, and this module is imported on every run that uses workers.)
    """

    # Set when the worker's final message arrives. A worker that died never
    # sends one and its node has none, as on pytest-xdist: plugins test
    # hasattr(node, "workeroutput") in pytest_testnodedown (pytest-metadata
    # then reads a key its worker would have set).
    workeroutput: dict[str, Any]

    def __init__(self, id: str, config: pytest.Config, workerinput: dict[str, Any]) -> None:
        self.id = id
        self.config = config
        self.workerinput = workerinput
        self.pid = 0
        self.handle = -1  # the dispatcher's worker id
        self.units: list[int] = []  # unfinished, in send order
        self.shutting_down = False
        self.timing: dict[str, float] = {}

    @property
    def gateway(self) -> WorkerNode:  # plugins read node.gateway.id
        return self

    @property
    def nodemanager(self) -> _NodeManager:  # pytest-cov reads node.nodemanager.roots
        return _NODE_MANAGER

    def _rinfo(self) -> Any:  # pytest-cov: node.gateway._rinfo().platform / .version_info
        return covmode.node_platform()


class _NodeManager:
    """pytest-xdist's NodeManager as plugins read it: no rsync roots (workers
    run in this directory, on this machine)."""

    roots: list[str] = []


_NODE_MANAGER = _NodeManager()


class UnitState:
    """A unit as the controller tracks it: which of its tests have run."""

    __slots__ = ("path", "relpath", "nodeids", "also", "done")

    def __init__(
        self, path: str, relpath: str, nodeids: list[str], also: list[str] | None = None
    ) -> None:
        self.path = path
        self.relpath = relpath
        self.nodeids = nodeids
        self.also = also or []  # more files run with this one (an xdist_group)
        self.done: set[str] = set()


def _describe_status(status: int | None) -> str:
    if status is None or status < 0:
        return "it closed its channel"
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"it was killed by signal {number} ({name})"
    if os.WIFEXITED(status):
        return f"it exited with status {os.WEXITSTATUS(status)}"
    return f"wait status {status}"


class Controller:
    """Plugin registered in the controller process when workers run."""

    def __init__(self, config: pytest.Config, zygote: Zygote, the_plan: planning.Plan) -> None:
        from . import _core

        self.config = config
        self.zygote = zygote
        self.plan = the_plan
        self.dispatcher = _core.Dispatcher(2, READ_DELAY_US, AHEAD_SECONDS, MAX_HELD)
        self.nodes: dict[int, WorkerNode] = {}  # by dispatcher handle
        self.by_pid: dict[int, WorkerNode] = {}
        self.live: set[int] = set()  # handles of workers not yet lost
        self.extra_units: list[tuple[int, str]] = []
        self.units: dict[int, UnitState] = {}
        self.states_by_relpath: dict[str, list[UnitState]] = {}
        self.file_nodeids: dict[str, list[str]] = {}
        self.collected_by: dict[str, int] = {}  # handle of the worker that collected each file
        self.file_groups: dict[str, list[str]] = {}  # xdist_group names by file
        self.collect_seconds: dict[str, float] = {}  # by module node id, as collected this run
        self.testrunuid = uuid.uuid4().hex
        self.spawned = 0
        self.restarts = 0
        self.crashes = 0
        self.stopping = False
        self.finished: set[int] = set()
        self.replayed = 0  # tests whose reports went through the hooks
        self.freezer = heap.ReplayFreezer()
        self.order = grouping.ReplayOrder(False)  # decided when the run starts
        self.node_ids: dict[str, Any] = {}  # parsed node ids of the collection, by text
        self.learnt = False  # the cache plugins know the collected node ids
        # Wait statuses the zygote reported, by pid: an exit may arrive in the
        # same _wait() as the channel's EOF, before that lost event is handled.
        self.exit_statuses: dict[int, int] = {}
        self.next_exit_poll = 0.0
        # The worker whose record of each conftest's collection warning is kept.
        self.conftest_warnings: dict[tuple[Any, ...], str] = {}
        # An exit status a plugin set in a worker's sessionfinish (see there).
        self.plugin_exitstatus = 0
        self.has_node_hooks = hasattr(config.hook, "pytest_configure_node")
        self.all_collect_reports = collectreports.all_wanted(config)
        self.thread_setting = options.threads(config)
        self.threads = threadpools.per_worker(
            self.thread_setting, the_plan.cpus, the_plan.workers, os.environ
        )

    # -- workers ----------------------------------------------------------------

    def _spawn(self, units: list[str], share: dict[str, Any] | None = None) -> WorkerNode:
        workerid = f"gw{self.spawned}"
        self.spawned += 1
        workerinput: dict[str, Any] = {
            "workerid": workerid,
            "workercount": self.plan.workers,
            "testrunuid": self.testrunuid,
            "mainargv": list(sys.argv),
        }
        node = WorkerNode(workerid, self.config, workerinput)
        if self.has_node_hooks:
            self.config.hook.pytest_configure_node(node=node)
        basetemp = self.config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]
        spec = {
            "workerid": workerid,
            "workerinput": _jsonable(node.workerinput),
            "basetemp": str(basetemp / f"popen-{workerid}"),
            "threads": self.threads,
        }
        sock, pid = self.zygote.spawn(spec)
        node.pid = pid
        fd = os.dup(sock.fileno())
        sock.close()
        node.handle = self.dispatcher.add_worker(fd, pid)
        self.nodes[node.handle] = node
        self.live.add(node.handle)
        self.by_pid[pid] = node
        files = [u for u in units if not os.path.isdir(u)]
        dirs = [u for u in units if os.path.isdir(u)]
        message: dict[str, Any] = {"files": files, "dirs": dirs}
        if self.all_collect_reports:
            message["collect_reports"] = "all"
            # One worker walks every directory, so that each is reported.
            message["walk_dirs"] = workerid == "gw0"
        if share is not None:
            message["claims"] = share
        self.dispatcher.send(node.handle, wire.COLLECT, json.dumps(message).encode())
        return node

    def _retire_zygote(self) -> None:
        """Free the zygote's copy of the controller's heap once the first
        workers exist (it becomes a bare reaper of them). A replacement
        worker, needed only after a crash, is then spawned: an interpreter
        start instead of a fork. Not when this run could not spawn one
        (pytest.main() given plugin objects)."""
        params = self.config.invocation_params
        if isinstance(self.zygote, Zygote) and not params.plugins:
            self.zygote.retire(Spawner(list(params.args), str(params.dir)))

    def _node_down(self, node: WorkerNode, error: str | None) -> None:
        if self.has_node_hooks:
            self.config.hook.pytest_testnodedown(node=node, error=error)

    # -- collection ---------------------------------------------------------------

    def start_workers(self, session: pytest.Session) -> None:
        """Fork the planned workers; each starts collecting its share."""
        self.session = session
        for worker in range(self.plan.workers):
            share = claims.layout(self.config, self.plan.units, worker)
            self._spawn(self.plan.files_of(worker), share)
        self._retire_zygote()
        self.dispatcher.start()

    def collect(self, session: pytest.Session) -> bool:
        """pytest_collection, called by the session plugin after its notices:
        gather what the workers collected and report it as pytest would."""
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            # This hook returns first: the reporter's "collecting ..." is ours to call.
            terminal.pytest_collection()
        collected = self._gather_collection()
        hook = self.config.hook
        total_items = 0
        deselected: list[str] = []
        collect_reports: list[Any] = []
        planned = {unit.path for unit in self.plan.units}
        for handle, message in collected:
            self.file_groups.update(message.get("groups", {}))
            self.collect_seconds.update(message.get("collect_seconds", {}))
            for path, nodeids in message["files"].items():
                self.file_nodeids[path] = nodeids
                self.collected_by[path] = handle
                total_items += len(nodeids)
                if path not in planned:
                    # Collected by a plugin outside the plan: run it where it was found.
                    self.extra_units.append((handle, path))
            deselected.extend(message.get("deselected_ids", []))
            collect_reports.extend(message["reports"])
        numcollected = sum(message["collected"] for _, message in collected)
        # A directory's report reaches every worker with files below it: once, as serially.
        merged = collectreports.merge(collect_reports)
        if self.all_collect_reports:
            in_order = collectreports.serial_order(merged)
        else:  # failed or skipped ones, and passed ones the cache lists as failed
            order = {unit.relpath: unit.order for unit in self.plan.units}
            in_order = sorted(
                merged.values(),
                key=lambda data: order.get(data.get("nodeid", "").split("::")[0], -1),
            )
        nodes_by_id: dict[str, Any] = {}
        for data in in_order:
            children = data.pop(collectreports.CHILDREN, None)
            rep = report.decode(self.config, data, "", ("", None, ""))
            if children is not None:
                rep.result = collectreports.stand_ins(children, self.config)  # type: ignore[union-attr]
                nodes_by_id.update((child.nodeid, child) for child in rep.result)
            hook.pytest_collectreport(report=rep)
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            # The terminal counts items from collect reports' results, which
            # stay in the workers; give it their total.
            terminal._numcollected = numcollected
        if deselected:
            # The same objects as the reports' results, as in a serial run.
            items = [
                nodes_by_id.get(nodeid) or _ItemStandIn(nodeid, self.config)
                for nodeid in deselected
            ]
            hook.pytest_deselected(items=items)
        session.testscollected = total_items
        if ordering.orders_units(self.config):
            self._learn_collection()  # --ff / --nf order the units: before any is dealt
        if self.config.option.collectonly:
            session.items = self._collected_items(collected)
        else:
            # Plugins count the run's tests here (pytest-sugar's progress bar,
            # pytest-html's "N/M done"): stand-ins for the selected items, in
            # collection order; the items themselves live in the workers.
            stand_ins: list[Any] = [
                nodes_by_id.get(nodeid) or _ItemStandIn(nodeid, self.config)
                for path in self._files_in_order()
                for nodeid in self.file_nodeids[path]
            ]
            session.items = stand_ins
        hook.pytest_collection_finish(session=session)
        return True

    def _learn_collection(self) -> None:
        """Tell the controller's cache plugins the collected node ids, once
        (ordering.update_cache_plugins). Unless --ff / --nf order the units,
        this waits until the workers have their first units: on 20,000
        tests, parsing the ids took 0.1 s, with both workers idle."""
        if not self.learnt:
            self.learnt = True
            self.node_ids = ordering.update_cache_plugins(
                self.config, self.file_nodeids, self.plan.units
            )

    def _files_in_order(self) -> list[str]:
        """The collected files in pytest's collection order (the plan's);
        files the plan did not know last."""
        order = {unit.path: unit.order for unit in self.plan.units}
        return sorted(self.file_nodeids, key=lambda path: order.get(path, len(order)))

    def _collected_items(self, collected: list[tuple[int, dict[str, Any]]]) -> list[Any]:
        """Stand-ins for the items the workers collected, in pytest's order,
        for --collect-only: the terminal reporter prints them itself."""
        nodes: dict[str, _ReplayNode] = {}
        chains: dict[str, list[list[str]]] = {}
        for _, message in collected:
            tree = message.get("tree") or {}
            for nodeid, (text, doc) in tree.get("nodes", {}).items():
                nodes.setdefault(nodeid, _ReplayNode(nodeid, text, doc))
            chains.update(tree.get("chains", {}))
        items = []
        for path in self._files_in_order():
            unit_chains = chains.get(path)
            for index, nodeid in enumerate(self.file_nodeids[path]):
                chain = [nodes[n] for n in unit_chains[index]] if unit_chains else []
                items.append(_ReplayItem(nodeid, chain))
        return items

    def _record_times(self, times: dict[str, float]) -> None:
        """Record what a finished unit cost per file (its collection and its
        tests), for the next run's plan. A unit cut short (-x, a crash)
        sends none: its files keep the cost recorded before."""
        session = self.config.pluginmanager.get_plugin("fastest-session")
        if session is not None:
            for path, seconds in times.items():
                session.durations[path] = session.durations.get(path, 0.0) + seconds

    def _gather_collection(self) -> list[tuple[int, dict[str, Any]]]:
        messages: dict[int, dict[str, Any]] = {}
        while len(messages) < len(self.nodes):
            for event in self._wait():
                kind = event[0]
                if kind == "frame" and event[2] == "C":
                    messages[event[1]] = json.loads(event[3])
                elif kind == "lost":
                    node = self.nodes[event[1]]
                    raise pytest.UsageError(
                        f"pytest-fastest: worker {node.id} died while collecting: "
                        f"{_describe_status(self._exit_status(event))}"
                    )
        return sorted(messages.items())

    # -- the run --------------------------------------------------------------------

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        result = self._run(session)
        # Inside pytest-cov's wrapper of this hook, before it combines. (Not
        # when the loop raises: pytest-cov then reports nothing, as in a
        # serial run, and the file would be left behind.)
        covmode.save_early_data(self.config)
        return result

    def _run(self, session: pytest.Session) -> bool:
        if session.testsfailed and not self.config.option.continue_on_collection_errors:
            self._learn_collection()  # pytest's "new first" plugin records them even so
            self._stop()
            self._drain()
            raise session.Interrupted(
                f"{session.testsfailed} error{'s' if session.testsfailed != 1 else ''}"
                " during collection"
            )
        if self.config.option.collectonly:
            self._stop()
            self._drain()
            return True
        handles = {node.id: node.handle for node in self.nodes.values()}

        def home(unit: planning.Unit) -> int:
            """The worker that collected the unit's file (its plan's, or a
            peer that took it: see claims.py)."""
            return self.collected_by.get(unit.path, handles[f"gw{unit.worker}"])

        members = ordering.xdist_groups(self.file_groups, self.plan.units)
        for unit in self.plan.units:
            together = members.get(unit.path)
            if together is None:
                nodeids = self.file_nodeids.get(unit.path, [])
                parts = planning.cut(nodeids, unit.parts) if unit.parts > 1 else []
                if len(parts) > 1:
                    self._add_parts(unit, parts, home(unit), handles)
                    continue
                state = UnitState(unit.path, unit.relpath, nodeids)
                self._add_unit(home(unit), unit.cost, state, None, unit.measured)
            elif together[0] is unit:
                nodeids = [n for member in together for n in self.file_nodeids.get(member.path, [])]
                also = [member.path for member in together[1:]]
                state = UnitState(unit.path, unit.relpath, nodeids, also)
                cost = sum(member.cost for member in together)
                measured = all(member.measured for member in together)
                self._add_unit(home(unit), cost, state, None, measured)
        for handle, path in self.extra_units:
            relpath = (
                self.file_nodeids[path][0].split("::", 1)[0] if self.file_nodeids[path] else path
            )
            self._add_unit(handle, 0.0, UnitState(path, relpath, self.file_nodeids[path]), None)
        # The terminal reporter exists by now (not yet when this object was made).
        self.order = grouping.ReplayOrder(_group_by_file(self.config))
        try:
            self.dispatcher.run()
            self._learn_collection()
            self._drain()
            self._replay_held(self.order.release_all())
        except BaseException:
            try:  # what ran belongs in the summary of an interrupted run
                self._replay_held(self.order.release_all())
            finally:
                self._abort()
            raise
        if session.shouldfail:
            raise session.Failed(session.shouldfail)
        if session.shouldstop:
            raise session.Interrupted(session.shouldstop)
        return True

    def _wait(self) -> list[Any]:
        events: list[Any] = self.dispatcher.wait(WAIT_MS)
        now = time.monotonic()
        if not events or now >= self.next_exit_poll:
            self.next_exit_poll = now + EXIT_POLL_INTERVAL
            self._poll_exits()
        return events

    def _poll_exits(self) -> None:
        for pid, status in self.zygote.poll_exits():
            self.exit_statuses[pid] = status
            self.dispatcher.worker_exited(pid, status)

    def _drain(self) -> None:
        """Process events until every worker has ended its session.

        The dispatcher's "done" says no unit is left, but workers still end
        their sessions after it (session fixtures, plugins' sessionfinish)
        and send `config.workeroutput` in their final message: the run ends
        when every worker has sent it or is gone. Their interpreters' exit
        (pytest's unconfigure, atexit, module teardown) overlaps the
        controller's summary; `_await_exits` waits for it at the end.
        """
        session = self.session
        while self.live - self.finished:
            for event in self._wait():
                kind = event[0]
                if kind == "frame":
                    self._on_frame(event[1], event[2], event[3])
                elif kind == "sent":
                    self.nodes[event[1]].units.append(event[2])
                elif kind == "lost":
                    self.live.discard(event[1])
                    self._replay_held(self.order.release(event[1]))
                    self._on_lost(event[1], event[3], self._exit_status(event))
            self.freezer.replayed(self.replayed)
            if not self.stopping and (session.shouldfail or session.shouldstop):
                self._stop()

    def _on_frame(self, handle: int, kind: str, payload: bytes) -> None:
        if kind == "R":
            self._replay_held(self.order.arrive(handle, payload))
        elif kind == "D":
            done = json.loads(payload)
            unit_id = done["unit"]
            self._record_times(done.get("durations", {}))
            node = self.nodes[handle]
            if unit_id in node.units:
                node.units.remove(unit_id)
            # Which of its tests ran matters only while a unit may be lost.
            state = self.units.get(unit_id)
            if state is not None:
                state.done = set()
            self._replay_held(self.order.unit_done(handle))
        elif kind == "F":
            self._replay_held(self.order.unit_done(handle))  # its work is done
            node = self.nodes[handle]
            message = json.loads(payload)
            node.workeroutput = carrier.unpack(message.get("workeroutput", {}))
            node.timing = message.get("timing", {})
            if message.get("exitstatus") and not self.plugin_exitstatus:
                self.plugin_exitstatus = int(message["exitstatus"])
            self._record_warnings(message.get("warnings", ()))
            self.finished.add(handle)
            self._node_down(node, None)

    def _replay_held(self, held: list[bytes]) -> None:
        """Replay frames' reports in order (what ReplayOrder says to replay now)."""
        for reports in held:
            self._replay(_decode_json(reports))

    def _replay(self, message: dict[str, Any]) -> None:
        hook = self.config.hook
        nodeid = message["nodeid"]
        # The path is shared by every test of a file, as in a serial run.
        path_in_location, lineno, domain = message["location"]
        location = (sys.intern(path_in_location), lineno, domain)
        hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        if "warnings" in message:
            self._record_warnings(message["warnings"])
        path = nodeid.split("::", 1)[0]
        parsed = self.node_ids.get(nodeid)  # parsed once, at collection
        for rep in report.decode_test(self.config, message["reports"], nodeid, location, parsed):
            hook.pytest_runtest_logreport(report=rep)
        hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
        self.replayed += 1
        for state in self.states_by_relpath.get(path, ()):
            state.done.add(nodeid)

    def _record_warnings(self, warnings: Any) -> None:
        """Workers' warnings into this process's pytest_warning_recorded.

        A conftest is imported by every worker that collects below it, once
        in a serial run: what its import warned (a warning located in it,
        recorded while collecting) is kept from the first worker that
        reported it. Repeats within that worker are kept, as serially."""
        hook = self.config.hook
        for data in warnings:
            worker = data.get("worker")
            if worker is not None:
                key = (data["filename"], data["lineno"], data["message"], *data["category"])
                if self.conftest_warnings.setdefault(key, worker) != worker:
                    continue
            hook.pytest_warning_recorded.call_historic(kwargs=report.warning_from_data(data))

    def _add_unit(
        self,
        home: int,
        cost: float,
        state: UnitState,
        only: list[str] | None,
        measured: bool = False,
    ) -> None:
        """Queue a unit for the dispatcher. `cost` is the plan's (collection
        and tests); the dispatcher gets its parts: the tests' share, which the
        lookahead measures, and this run's collection, which a worker
        stealing the unit would pay again. Only a cost measured by an earlier
        run may turn a steal down: an estimate knows nothing of slow tests,
        and a wrong refusal leaves one worker with the end of the run."""
        data: dict[str, Any] = {"file": state.path}
        if state.also:
            data["also"] = state.also
        if only is not None:
            data["only"] = only
        # A directory or group unit holds several files.
        paths = {state.relpath, *(nodeid.split("::", 1)[0] for nodeid in state.nodeids)}
        collect = sum(self.collect_seconds.get(path, 0.0) for path in paths)
        run = max(cost - collect, planning.ITEM_COST * len(state.nodeids)) if cost else 0.0
        steal_cost = collect if measured else 0.0
        unit_id = self.dispatcher.add_unit(home, run, json.dumps(data).encode(), steal_cost)
        self.units[unit_id] = state
        for path in paths:
            self.states_by_relpath.setdefault(path, []).append(state)

    def _add_parts(
        self, unit: planning.Unit, parts: list[list[str]], collector: int, handles: dict[str, int]
    ) -> None:
        """A split file (--fastest-split): one unit per part, each naming
        its tests. The first part is queued for the worker that collected
        the file, the others for the workers the plan dealt them to, which
        collect the file when the part arrives (as when they steal a unit)."""
        planned = [handles[f"gw{worker}"] for worker in unit.part_workers]
        homes = list(dict.fromkeys([collector, *planned, *handles.values()]))
        total = sum(len(part) for part in parts)
        for part, part_home in zip(parts, homes[: len(parts)], strict=True):
            state = UnitState(unit.path, unit.relpath, part)
            self._add_unit(part_home, unit.cost * len(part) / total, state, part, unit.measured)

    def _exit_status(self, event: tuple[Any, ...]) -> int | None:
        """The lost worker's wait status: given, or asked of the zygote.

        On EOF the worker may still be alive (a test closed the channel) or
        its exit not yet reported: kill it, and wait briefly for the zygote,
        which alone can reap it.
        """
        _, handle, pid, units, reason, status, _ = event
        if reason == LOST_EXITED:
            return int(status)
        if not units or handle in self.finished:
            return None
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            self._poll_exits()
            if pid in self.exit_statuses:
                return self.exit_statuses[pid]
            if reason != LOST_EXITED and time.monotonic() > deadline - 1.5:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.01)
        return None

    def _on_lost(self, handle: int, unit_ids: list[int], status: int | None) -> None:
        node = self.nodes[handle]
        self.by_pid.pop(node.pid, None)
        if handle in self.finished:
            return
        why = _describe_status(status)
        # The rest of the unit the crash hit, and the units the worker had
        # taken but not started (held in the order they were sent).
        rest: list[tuple[UnitState, list[str]]] = []
        untouched: list[tuple[UnitState, list[str]]] = []
        crashed: str | None = None
        for unit_id in unit_ids:
            state = self.units[unit_id]
            left = [n for n in state.nodeids if n not in state.done]
            if crashed is None and left:
                crashed, left = left[0], left[1:]
                rest.append((state, left))
            elif left:
                untouched.append((state, left))
        if crashed is not None:
            self.crashes += 1
            self._report_crash(node, crashed, why)
        self._node_down(node, f"worker {node.id} crashed: {why}")
        if self.stopping:
            return
        if self.restarts >= MAX_RESTARTS:
            # The crashing file is given up; units that never started are not
            # to blame and still run. Each worker started for them follows a
            # unit given up, so this ends.
            self._report_abandoned(rest, node, why)
            again = untouched
        else:
            again = rest + untouched
            if any(left for _, left in again):
                self.restarts += 1
        again = [(state, left) for state, left in again if left]
        if not again:
            return
        # Units first: a worker added with nothing queued is told to end at once.
        for state, left in again:
            self._add_unit(-1, 0.0, UnitState(state.path, state.relpath, left, state.also), left)
        self._spawn([])

    def _report_crash(self, node: WorkerNode, nodeid: str, why: str) -> None:
        hook = self.config.hook
        location = (nodeid.split("::", 1)[0], None, nodeid.split("::", 1)[-1])
        hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        rep = pytest.TestReport(
            nodeid,
            location,
            {},
            "failed",
            f"worker '{node.id}' crashed while running '{nodeid}': {why}",
            "call",
        )
        hook.pytest_runtest_logreport(report=rep)
        hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    def _report_abandoned(
        self, remaining: list[tuple[UnitState, list[str]]], node: WorkerNode, why: str
    ) -> None:
        message = (
            f"not run: workers crashed {self.crashes} times (limit {MAX_RESTARTS} restarts); "
            f"the last, {node.id}: {why}"
        )
        for _, left in remaining:
            for nodeid in left:
                hook = self.config.hook
                location = (nodeid.split("::", 1)[0], None, nodeid.split("::", 1)[-1])
                hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
                rep = pytest.TestReport(nodeid, location, {}, "failed", message, "call")
                hook.pytest_runtest_logreport(report=rep)
                hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)

    # -- stopping --------------------------------------------------------------------

    def _stop(self) -> None:
        if not self.stopping:
            self.stopping = True
            self.dispatcher.stop()

    def _abort(self) -> None:
        """Ctrl-C or an internal error: stop every worker now, quietly."""
        self._stop()
        self._await_lost(lambda: self.live, 50, time.monotonic() + STOP_GRACE)
        self.kill_all()

    def _await_lost(
        self, waiting: Callable[[], set[int]], wait_ms: int, deadline: float = math.inf
    ) -> None:
        """Take the dispatcher's events, noting each worker lost, until no
        worker of `waiting()` is left or the deadline passes. Other events
        are dropped: the run is over."""
        while waiting() and time.monotonic() < deadline:
            for event in self.dispatcher.wait(wait_ms):
                if event[0] == "lost":
                    self.live.discard(event[1])
                    self.by_pid.pop(self.nodes[event[1]].pid, None)
            self._poll_exits()

    def kill_all(self) -> None:
        for pid in list(self.by_pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.by_pid.clear()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Under --fastest-explain: where each worker's time went."""
        if not self.config.option.fastest_explain:
            return
        for node in self.nodes.values():
            t = node.timing
            if t:
                taken = t.get("taken", 0)
                extra = f" (with {taken} files taken from a slower worker)" if taken else ""
                late = t.get("collected_late", 0)
                again = f"; {late} files of other workers' queues collected here" if late else ""
                terminalreporter.write_line(
                    f"fastest: {node.id}: collected in {t['collect']:.2f}s{extra}, then ran "
                    f"{t['run']:.2f}s (of which {t['waited']:.2f}s waiting for work{again})"
                )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """A plugin changed a worker's exit status at its sessionfinish,
        from what lives in the worker: pytest-rerunfailures' --fail-on-flaky
        makes a passing run exit 7 when an item ran more than once, and the
        items are the workers'. In a serial run the one session would end
        so: a run that passed here takes that status."""
        if self.plugin_exitstatus and session.exitstatus == 0:
            session.exitstatus = self.plugin_exitstatus

    def _await_exits(self) -> None:
        """Let workers that sent their final message exit on their own:
        closing the zygote would kill them in their unconfigure or atexit
        handlers (a plugin writing its files, coverage saving its data)."""
        try:
            self._await_lost(lambda: self.live & self.finished, WAIT_MS)
        except KeyboardInterrupt:
            pass  # Ctrl-C after the summary: stop waiting; the caller kills them

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        # No test ran here: nothing for pytest's unraisable-exception
        # collection to find in the reports and plugins alive now.
        heap.freeze_heap()
        try:
            self._await_exits()
        finally:
            self.kill_all()  # a worker that never finished: an error stopped the run
            self.zygote.close()
            self.dispatcher.close()


class _ReplayNode:
    """A collector as --collect-only prints it: its text and docstring."""

    __slots__ = ("nodeid", "text", "obj")

    def __init__(self, nodeid: str, text: str, doc: str | None) -> None:
        self.nodeid = nodeid
        self.text = text
        self.obj = _Doc(doc) if doc else None

    def __str__(self) -> str:
        return self.text


class _Doc:
    """Holds a docstring the worker already cleaned (inspect.getdoc), which
    inspect.getdoc returns unchanged: cleandoc is idempotent."""

    def __init__(self, doc: str) -> None:
        self.__doc__ = doc


class _ReplayItem(_ReplayNode):
    """An item collected in a worker, for --collect-only's listing."""

    __slots__ = ("chain",)

    def __init__(self, nodeid: str, chain: list[_ReplayNode]) -> None:
        super().__init__(nodeid, chain[-1].text if chain else nodeid, None)
        self.chain = chain
        self.obj = chain[-1].obj if chain else None

    @property
    def id(self) -> Any:  # the parsed node id: only -qq's per-file counts read it
        return report.node_id(self.nodeid)

    def listchain(self) -> list[_ReplayNode]:
        return [self, *self.chain]  # the first entry stands for the session


def _group_by_file(config: pytest.Config) -> bool:
    """Whether replayed reports are held to keep each file's progress
    together (see grouping.py): only where the terminal reporter names files
    in its progress, and never where a failure must stop the run at once."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or not getattr(reporter, "showfspath", False):
        return False
    return not config.option.maxfail and config.get_verbosity() == 0


class _ItemStandIn:
    """Stands in for an item the workers collected: in ``session.items``,
    and for one deselected in a worker (pytest_deselected).

    No __slots__: the terminal reporter files deselected ones under
    ``stats["deselected"]``, and plugins walking every list of its stats read
    each entry's ``__dict__`` (hypothesis does, at the terminal summary), as
    they can of a serial run's items and reports.
    """

    def __init__(self, nodeid: str, config: pytest.Config) -> None:
        self.nodeid = nodeid
        self.config = config  # pytest-sugar's pytest_deselected reads items[0].config

    @property
    def name(self) -> str:
        return self.nodeid.rsplit("::", 1)[-1]

    @property
    def location(self) -> tuple[str, None, str]:
        """The file of its node id (the terminal's "times" style counts a
        module's tests by it); the line is not known here."""
        path, _, domain = self.nodeid.partition("::")
        return path, None, domain.replace("::", ".")


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, item in value.items():
        try:
            json.dumps(item)
        except (TypeError, ValueError):
            continue
        out[key] = item
    return out
