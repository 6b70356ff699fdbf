"""Turning the plugin on: load the C core, plan the run, hand it to workers.

Only imported when the user requested the plugin, so the C extension and the
grammar cost nothing to runs that did not ask for them.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from . import options
from . import plan as planning

ACTIVE_KEY = pytest.StashKey[bool]()
DURATIONS_KEY = "fastest/durations"

# Plugins that need every item of the session at once (ordering and
# dependency plugins; syrupy, whose unused-snapshot report merges workers'
# reports as if each had collected the whole suite, as pytest-xdist's
# workers do, and warns when they did not): with them the run stays in-process.
WHOLE_LIST_PLUGINS = ("pytest_order", "pytest_ordering", "pytest_dependency", "syrupy")
# Plugins that give their workers what they need through pytest-xdist's
# pytest_configure_node, and register that hook only where pytest-xdist is
# loaded: without it, their code in a worker fails (pytest-randomly reads
# its seed from workerinput), so the run stays in-process.
NEEDS_XDIST_HOOKS = ("pytest_randomly",)
# Hooks through which a plugin can change which files pytest collects.
FILE_SET_HOOKS = (
    "pytest_collect_file",
    "pytest_collect_directory",
    "pytest_ignore_collect",
    "pytest_pycollect_makemodule",
    "pytest_collection",
)
# Plugins known to implement one of those hooks without adding a file to the
# collection, each with the options that make it add some (a lint plugin's
# hook makes an item of every .py file only when its option is on; read from
# their sources). Hypothesis's plugin, installed wherever hypothesis is, only
# ignores `.hypothesis` directories: a worker's own collection applies that.
FILE_SET_HOOKS_INERT_UNLESS: dict[str, tuple[str, ...]] = {
    "_hypothesis_pytestplugin": (),
    "pytest_isort": ("isort",),
    "pytest_pycodestyle": ("pycodestyle",),
    "pytest_ruff": ("ruff",),
}


def load_core() -> Any:
    try:
        from . import core

        return core.load()
    except RuntimeError as exc:
        raise pytest.UsageError(f"pytest-fastest: {exc}") from None


def activate(
    config: pytest.Config, zygote: Any, the_plan: planning.Plan | None, notices: list[str]
) -> None:
    load_core()
    config.stash[ACTIVE_KEY] = True
    session = FastestSession(config, zygote, the_plan, notices)
    config.pluginmanager.register(session, "fastest-session")


def is_active(config: pytest.Config) -> bool:
    return config.stash.get(ACTIVE_KEY, False)


def _loaded_conftests(config: pytest.Config) -> dict[str, Any]:
    """Conftest modules pytest imported already (at start-up: the root ones)."""
    loaded = {}
    for plugin in config.pluginmanager.get_plugins():
        path = getattr(plugin, "__file__", None)
        if path and os.path.basename(path) == "conftest.py":
            loaded[os.path.abspath(path)] = plugin
    return loaded


# Modules of pytest's own plugins, ours, and pytest-xdist's.
OWN_OR_PYTESTS = ("_pytest.", "pytest_fastest.", "xdist.")


def plugin_module(plugin: Any) -> str:
    """The module a plugin comes from (a module plugin, or an object's class)."""
    return getattr(plugin, "__name__", type(plugin).__module__)


def _third_party_reason(config: pytest.Config) -> str | None:
    """A loaded plugin (not a conftest, not pytest's own) that decides the
    file set or needs the whole item list: such runs stay in-process."""
    pm = config.pluginmanager
    modules = [getattr(p, "__name__", "") for p in pm.get_plugins()]

    def loaded(name: str) -> bool:
        return pm.has_plugin(name) or any(module.startswith(name) for module in modules)

    for name in WHOLE_LIST_PLUGINS:
        if loaded(name):
            return f"plugin {name} needs the whole item list"
    if not pm.has_plugin("xdist"):
        for name in NEEDS_XDIST_HOOKS:
            if loaded(name):
                return f"plugin {name} reaches workers only through pytest-xdist's hooks"
    for hook_name in FILE_SET_HOOKS:
        for impl in getattr(pm.hook, hook_name).get_hookimpls():
            module = plugin_module(impl.plugin)
            plugin_file = getattr(impl.plugin, "__file__", "") or ""
            if module.startswith(OWN_OR_PYTESTS):
                continue
            if os.path.basename(plugin_file) == "conftest.py":
                continue  # conftests are read by static discovery
            if _inert(config, module):
                continue
            return f"plugin {impl.plugin_name} implements {hook_name}"
    return None


def _inert(config: pytest.Config, module: str) -> bool:
    """Whether a known plugin's collection hook adds no file in this run."""
    enabling = FILE_SET_HOOKS_INERT_UNLESS.get(module)
    if enabling is None:
        return False
    return not any(getattr(config.option, name, False) for name in enabling)


class ModuleTimer:
    """Times the collection of each test module (its import included)."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    def start(self, collector: pytest.Collector) -> None:
        if isinstance(collector, pytest.Module):
            self._started[collector.nodeid] = time.perf_counter()

    def stop(self, report: pytest.CollectReport, into: dict[str, float]) -> None:
        started = self._started.pop(report.nodeid, None)
        if started is not None:
            into[report.nodeid] = into.get(report.nodeid, 0.0) + time.perf_counter() - started


class FileTimer:
    """In-process runs: each test file's time, its tests and its collection.

    A file's cost includes its import and collection, often most of it.
    Only files whose tests ran are recorded (a run stopped by -x keeps the
    costs recorded before for the rest). With workers, each worker times
    its own files and sends the times with each finished unit.
    """

    def __init__(self, durations: dict[str, float]) -> None:
        self.durations = durations
        self.collect_times: dict[str, float] = {}
        self.test_times: dict[str, float] = {}
        self.module_timer = ModuleTimer()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        path = report.nodeid.split("::", 1)[0]
        self.test_times[path] = self.test_times.get(path, 0.0) + report.duration

    def pytest_collectstart(self, collector: pytest.Collector) -> None:
        self.module_timer.start(collector)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.module_timer.stop(report, self.collect_times)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        # Before FastestSession's sessionfinish writes the cache.
        for path, seconds in self.test_times.items():
            self.durations[path] = self.collect_times.get(path, 0.0) + seconds


def cache_dir(config: pytest.Config) -> Path | None:
    """pytest's cache dir (as cacheprovider resolves it), or None when the
    cache provider is disabled. Usable before configuration."""
    if config.pluginmanager.is_blocked("cacheprovider"):
        return None
    raw = os.path.expanduser(os.path.expandvars(str(config.getini("cache_dir"))))
    path = Path(raw)
    return path if path.is_absolute() else config.rootpath / path


def _read_durations(base: Path | None) -> dict[str, float]:
    """What earlier runs recorded in pytest's cache; nothing when it is
    unreadable or not a map of paths to seconds (a damaged cache)."""
    from .durations_file import valid

    if base is None:
        return {}
    try:
        return valid(json.loads((base / "v" / DURATIONS_KEY).read_text()))
    except (OSError, ValueError):
        return {}


def make_plan(config: pytest.Config) -> tuple[planning.Plan, list[str]]:
    """Discovery and the plan, before anything is configured; returns the
    plan (workers == 0: in-process, with the reason) and notices to print.

    Runs in pytest_cmdline_main, before the zygote is forked: the discovery
    pool's threads are all joined when it returns, and a plan that does not
    pay for workers means no fork at all.
    """
    from . import cpus, discovery, durations_file, settings

    reason = _third_party_reason(config)
    if reason is not None:
        return planning.Plan(0, reason, announce=True), []
    found = settings.from_config(config)
    if isinstance(found, str):
        return planning.Plan(0, found), []
    notices: list[str] = []
    base = cache_dir(config)
    cache_path = None
    if base is not None:
        directory = base / "d" / "fastest"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            cache_path = str(directory / "inventory.json")
        except OSError as exc:  # e.g. a regular file where the directory goes
            notices.append(f"fastest: discovery cache not used: {exc}")
    # Counts only: the plan needs no more, and what is built here stays in
    # the heap the zygote and every worker inherit.
    inventory = discovery.run(
        found, cache_path, loaded_conftests=_loaded_conftests(config), with_items=False
    )
    if inventory.cache_warning:
        notices.append(f"fastest: {inventory.cache_warning}")
    from . import benchmarking

    # Test modules, conftests and other Python files (helpers defining
    # fixtures); not data files.
    sources = (
        info.path
        for info in inventory.files
        if info.kind != discovery.WALK_ERROR
        and (info.kind != discovery.OTHER_FILE or info.path.endswith(".py"))
    )
    timed = benchmarking.reason(config, sources)
    if timed is not None:
        return planning.Plan(0, timed, announce=True), notices
    from_file, notice = durations_file.read(config)
    if notice is not None:
        notices.append(notice)
    # The cache is this checkout's latest; the file fills what it lacks.
    units = planning.units_from(inventory, {**from_file, **_read_durations(base)})
    if isinstance(units, str):
        return planning.Plan(0, units), notices
    total = sum(u.cost for u in units)
    usable = cpus.usable_cpus()
    measured = all(u.measured for u in units)
    requested = options.workers(config)
    split = options.split(config)
    # Split, a long file is work for several workers.
    most = requested if isinstance(requested, int) and requested else usable
    n_units = planning.divisible(units, most) if split else len(units)
    count, why = planning.choose_workers(total, n_units, requested, usable, measured)
    if count > options.MAX_WORKERS:
        notices.append(f"fastest: {count} workers requested: capped at {options.MAX_WORKERS}")
        count = options.MAX_WORKERS
    the_plan = planning.Plan(count, why, usable)
    if count:
        if split:
            planning.split_long(units, count)
        the_plan.units = planning.assign(units, count)
    return the_plan, notices


class FastestSession:
    """Carries the plan into the session: starts the controller when the
    plan has workers, else leaves collection and the run to pytest."""

    def __init__(
        self, config: pytest.Config, zygote: Any, the_plan: planning.Plan | None, notices: list[str]
    ) -> None:
        self.config = config
        self.zygote = zygote
        self.plan = the_plan
        self.notices = notices
        self.controller: Any = None
        # Seconds per test file, the cost of each unit in the next run's plan:
        # timed here in-process, or sent by the workers.
        self.durations: dict[str, float] = {}
        self.store_notice: str | None = None  # the durations file could not be written

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        # Here, not at sessionfinish: the progress line has ended.
        if self.store_notice is not None:
            terminalreporter.write_line(self.store_notice)

    def _close_zygote(self) -> None:
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None

    def _write(self, lines: list[str]) -> None:
        terminal = self.config.pluginmanager.get_plugin("terminalreporter")
        for line in lines:
            if terminal is not None:
                terminal.write_line(line)
            else:
                print(line)

    def pytest_report_header(self, config: pytest.Config) -> str | None:
        """One header line when workers run, or when a plugin keeps the run
        in-process (a run too small for workers adds none; nor does
        --collect-only, whose output is pytest's exactly)."""
        the_plan = self.plan
        if config.option.collectonly or the_plan is None:
            return None
        # From the plan, not the controller: a plugin printing the header
        # before our session start (pytest-sugar) asks before the workers exist.
        if the_plan.workers == 0 or (self.controller is None and self.zygote is None):
            return f"fastest: in-process ({the_plan.reason})" if the_plan.announce else None
        count = the_plan.workers
        return f"fastest: {count} worker{'s' if count != 1 else ''} ({the_plan.reason})"

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Start the workers as the session starts (where pytest-xdist
        starts its nodes): their configure and session start then overlap
        the rest of the controller's (its fixture manager, the header)."""
        if self.plan is None or self.plan.workers == 0 or self.zygote is None:
            return
        from .controller import Controller

        self.controller = Controller(self.config, self.zygote, self.plan)
        self.zygote = None  # the controller owns it now
        # Registered first: its unconfigure stops the workers if anything fails.
        self.config.pluginmanager.register(self.controller, "fastest-controller")
        self.controller.start_workers(session)

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        from . import plugin

        self._write(self.notices)
        the_plan = self.plan
        explain = self.config.option.fastest_explain
        if self.controller is None:
            self._close_zygote()
            if explain:
                early = self.config.stash.get(plugin.IN_PROCESS_KEY, None)
                why = early or (the_plan.reason if the_plan is not None else None)
                self._write([f"fastest: in-process: {why}"])
            self.config.pluginmanager.register(FileTimer(self.durations), "fastest-file-timer")
            return None
        if explain:
            from .threadpools import describe

            self._write(self.controller.plan.describe())
            self._write([describe(self.controller.threads, self.controller.thread_setting)])
        result: bool = self.controller.collect(session)
        return result

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if not self.durations:
            return
        from . import durations_file

        measured = {path: round(seconds, 4) for path, seconds in self.durations.items()}
        if self.config.option.fastest_store_durations:
            self.store_notice = durations_file.store(self.config, measured)
        cache = getattr(self.config, "cache", None)
        if cache is None:
            return
        try:
            durations = durations_file.valid(cache.get(DURATIONS_KEY, {}))
        except ValueError:  # a damaged cache entry: this run's durations replace it
            durations = {}
        durations.update(measured)
        cache.set(DURATIONS_KEY, durations)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        self._close_zygote()
