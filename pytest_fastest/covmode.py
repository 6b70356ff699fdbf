"""pytest-cov under our workers: its distributed mode, as under pytest-xdist.

pytest-cov picks its mode in ``pytest_load_initial_conftests``, before we
have a plan: with no pytest-xdist option it starts its *central* mode, which
measures this process only, so the workers' lines would be lost. When the
plan runs workers, the controller switches it to the *distributed* mode
before the zygote forks, and from there pytest-cov does what it does under
pytest-xdist: each worker measures itself from its session start and saves a
data file (``pytest_configure_node`` gives it the ``cov_master_*`` keys it
needs, ``pytest_testnodedown`` collects its node id), and the controller
combines every file into the report.

What the central mode measured before the switch (the conftests imported at
start-up, whose module-level lines a serial run counts) is kept: its
coverage object is stopped, not dropped, and saved as one more data file
just before pytest-cov combines. Not earlier: a worker started fresh (spawn,
or a replacement) starts pytest-cov's central mode first, which erases the
data files that exist at that moment.

pytest-cov's own objects are used as pytest-cov uses them; the few private
coverage attributes set here are the ones its distributed mode sets itself.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import SimpleNamespace
from typing import Any

import pytest

# The central mode's controller object, kept from the switch to the end of the run.
_EARLY_KEY = pytest.StashKey[Any]()


def _cov_plugin(config: pytest.Config) -> Any | None:
    """pytest-cov's plugin object when it measures this run, else None."""
    if not getattr(config.option, "cov_source", None) or getattr(config.option, "no_cov", False):
        return None
    plugin = config.pluginmanager.get_plugin("_cov")
    if plugin is None or getattr(plugin, "_disabled", False):
        return None
    return plugin


def _engine() -> Any | None:
    try:
        return importlib.import_module("pytest_cov.engine")
    except ImportError:
        return None


def switch_to_distributed(config: pytest.Config) -> str | None:
    """Before any worker exists: make pytest-cov measure workers. Returns why
    the run must stay in-process instead, or None (also when pytest-cov does
    not measure this run)."""
    plugin = _cov_plugin(config)
    if plugin is None:
        return None
    engine = _engine()
    central = getattr(plugin, "cov_controller", None)
    if engine is None or central is None or not hasattr(engine, "DistMaster"):
        return "pytest-cov: its distributed mode is not available in this version"
    if type(central) is not engine.Central:
        return None  # already distributed, or a mode we do not know: leave it
    if central.cov.config.dynamic_context == "test_function":
        # pytest-cov's distributed mode refuses it (pytest-cov issue 604).
        return "pytest-cov: dynamic_context = test_function cannot be used with workers"
    central.pause()
    # What only the early phase imported may look unimported to it; the
    # distributed mode silences the same warnings on its own objects.
    central.cov._warn_no_data = False
    central.cov._warn_unimported_source = False
    central.cov._warn_preimported_source = False
    config.stash[_EARLY_KEY] = central
    plugin.start(engine.DistMaster)
    return None


def pause(config: pytest.Config) -> None:
    """Stop measuring around the zygote's fork: a forked process must not
    inherit a running tracer (each worker starts its own at session start)."""
    plugin = _cov_plugin(config)
    if plugin is not None and _EARLY_KEY in config.stash:
        plugin.cov_controller.pause()


def resume(config: pytest.Config) -> None:
    plugin = _cov_plugin(config)
    if plugin is not None and _EARLY_KEY in config.stash:
        plugin.cov_controller.resume()


def save_early_data(config: pytest.Config) -> None:
    """At the end of the run loop, before pytest-cov combines: write what the
    central mode measured before the switch as one more data file."""
    central = config.stash.get(_EARLY_KEY, None)
    if central is None:
        return
    del config.stash[_EARLY_KEY]
    cwd = os.getcwd()
    os.chdir(central.topdir)  # where pytest-cov keeps its data files
    try:
        central.cov.save()
    finally:
        os.chdir(cwd)


def node_platform() -> Any:
    """What ``node.gateway._rinfo()`` gives pytest-cov under pytest-xdist
    (it names the platforms that contributed data in its report header)."""
    return SimpleNamespace(
        executable=sys.executable,
        version_info=tuple(sys.version_info),
        platform=sys.platform,
        cwd=os.getcwd(),
    )
