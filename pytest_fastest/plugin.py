"""The pytest11 entry point ``fastest``: options, activation, hook wiring.

pytest imports this module in every run once the package is installed, so
it stays tiny: it registers the "fastest" options and acts only when the
user asked for the plugin (``-p fastest`` on the command line, in
``addopts`` of any ini file, or in PYTEST_ADDOPTS). Installed but not
requested, it changes nothing and loads no C code.

Process roles: the user's pytest process is the *controller*. In
``pytest_cmdline_main`` (plugins and root conftests loaded, nothing
configured, no thread of ours yet) it forks the *zygote*, which later forks
the *workers*; a worker returns from this same hook and goes on through
pytest's normal configure/session as a pytest-xdist-style worker.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import pytest


def _skip_assertion_rewriting() -> None:
    """Import our own modules as plain modules.

    pytest rewrites the asserts of every module of a distribution that
    registers a pytest11 entry point, which means parsing and compiling each
    of our modules from source on every run where the rewritten bytecode
    cannot be cached (read-only site-packages, PYTHONDONTWRITEBYTECODE):
    about 2 ms a module, paid by small suites. Our code has no asserts that
    need pytest's messages, so the package is taken off the rewrite list.
    """
    for finder in sys.meta_path:
        must_rewrite = getattr(finder, "_must_rewrite", None)
        if isinstance(must_rewrite, set):
            must_rewrite.discard(__package__)


_skip_assertion_rewriting()

from . import options  # noqa: E402  (after the rewrite list is fixed)

# The names under which `-p` can request this plugin.
_REQUEST_NAMES = frozenset({"fastest", "pytest_fastest.plugin"})
ZYGOTE_KEY = pytest.StashKey[Any]()
IN_PROCESS_KEY = pytest.StashKey[str]()
PLAN_KEY = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    options.add_options(parser)


def is_requested(config: pytest.Config) -> bool:
    """True when `-p fastest` is among the -p values pytest parsed.

    The entry point loads this module whether or not it was requested, so
    loading alone says nothing. pytest merges ini ``addopts`` and
    PYTEST_ADDOPTS into the arguments before parsing them, so this sees all
    three sources. ``-p no:fastest`` blocks the module before it is loaded.
    """
    requested = getattr(config.option, "plugins", None) or []
    return any(name in _REQUEST_NAMES for name in requested)


def is_worker(config: pytest.Config) -> bool:
    workerinput = getattr(config, "workerinput", None)
    return isinstance(workerinput, dict) and "fastest_channel" in workerinput


def in_process_reason(config: pytest.Config) -> str | None:
    """Why this run cannot use workers, known before anything is configured."""
    option = config.option
    if options.workers(config) == 0:
        return "--fastest-workers=0"
    for name, why in (
        ("help", "--help"),
        ("showfixtures", "--fixtures"),
        ("show_fixtures_per_test", "--fixtures-per-test"),
        ("markers", "--markers"),
        ("cacheshow", "--cache-show"),
        ("usepdb", "--pdb"),
        ("trace", "--trace"),
        ("lf", "--lf (skips files as it collects them, in one process's order)"),
        ("stepwise", "--stepwise (needs the whole item list)"),
        ("stepwise_skip", "--stepwise-skip (needs the whole item list)"),
        ("pyargs", "--pyargs"),
        ("doctestmodules", "--doctest-modules"),
        ("setuponly", "--setup-only"),
        ("setupplan", "--setup-plan"),
    ):
        if getattr(option, name, False):
            return why
    if getattr(option, "failedfirst", False) and option.last_failed_no_failures == "none":
        # (both options exist together: the cache provider defines them)
        return "--ff with --lfnf=none (may deselect every test at once)"
    numprocesses = getattr(option, "numprocesses", None)
    if numprocesses:
        return "pytest-xdist's -n is given: xdist runs as usual"
    if getattr(config.workerinput if hasattr(config, "workerinput") else None, "get", None):
        return "already a pytest-xdist worker"
    if uses_spawn(config):
        if config.invocation_params.plugins:
            return "--fastest-start=spawn: pytest.main() got plugin objects (a new process cannot)"
        return None
    import threading

    if threading.active_count() > 1:
        # A fork with threads running copies locks in unknown states.
        return f"{threading.active_count() - 1} other thread(s) already running"
    return None


def uses_spawn(config: pytest.Config) -> bool:
    """Workers start as fresh interpreters: asked for, or no fork() here."""
    return options.start_method(config) == "spawn" or not hasattr(os, "fork")


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    if not is_requested(config) or is_worker(config):
        return None
    from .spawner import start_from_environment

    spawned = start_from_environment()
    if spawned is not None:
        _become_worker(config, spawned)
        return None
    options.threads(config)  # a bad value is a usage error even when the run stays in-process
    reason = in_process_reason(config)
    if reason is not None:
        config.stash[IN_PROCESS_KEY] = reason
        return None
    from . import activation, covmode
    from .plan import Plan

    activation.load_core()
    the_plan, notices = activation.make_plan(config)
    if the_plan.workers:
        why = covmode.switch_to_distributed(config)
        if why is not None:
            the_plan = Plan(0, why)
    config.stash[PLAN_KEY] = (the_plan, notices)
    if the_plan.workers == 0:
        return None
    if uses_spawn(config):
        from .spawner import Spawner

        params = config.invocation_params
        config.stash[ZYGOTE_KEY] = Spawner(list(params.args), str(params.dir))
        return None
    from . import claims
    from .zygote import WorkerStart, Zygote

    claims.make_table(config, the_plan.units)  # before the fork: the workers share it
    covmode.pause(config)  # no tracer may run in a forked process
    started = Zygote.fork()
    if isinstance(started, WorkerStart):
        _become_worker(config, started)
    else:
        covmode.resume(config)
        config.stash[ZYGOTE_KEY] = started
    return None


def _become_worker(config: pytest.Config, started: Any) -> None:
    """In a freshly forked worker: look like a pytest-xdist worker, then let
    pytest configure and run the session as usual."""
    spec = started.spec
    workerinput = dict(spec["workerinput"])
    workerinput["fastest_channel"] = started.channel_fd
    config.workerinput = workerinput  # type: ignore[attr-defined]
    config.workeroutput = {}  # type: ignore[attr-defined]
    os.environ["PYTEST_XDIST_WORKER"] = workerinput["workerid"]
    os.environ["PYTEST_XDIST_WORKER_COUNT"] = str(workerinput["workercount"])
    os.environ["PYTEST_XDIST_TESTRUNUID"] = workerinput["testrunuid"]
    from . import threadpools

    threadpools.apply(spec.get("threads"))
    config.option.basetemp = spec["basetemp"]
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    from . import worker

    worker.restart_capture(config)
    worker.skip_new_first_ids(config)
    worker.hide_configure_warnings()
    sys.stdout.flush()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if is_worker(config):
        from . import worker

        worker.install(config)
        return
    if not is_requested(config):
        return
    from . import activation

    the_plan, notices = config.stash.get(PLAN_KEY, (None, []))
    activation.activate(config, config.stash.get(ZYGOTE_KEY, None), the_plan, notices)
