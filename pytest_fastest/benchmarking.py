"""pytest-benchmark: a run that times benchmarks stays in-process.

pytest-benchmark times each benchmark in the process that runs it and
prints its table, saves (``--benchmark-autosave``, ``--benchmark-json``)
and compares (``--benchmark-compare-fail``, which fails the run) in that
process. In a worker it turns itself off, as under pytest-xdist, since
timings taken beside another busy process are not reliable: the table
was missing, a comparison could not fail the run, and ``--benchmark-only``
failed in every worker ("Can't have both --benchmark-only and
--benchmark-disable"). So when it would time benchmarks, and some test
file or conftest under the run's roots names it (a test can only use the
``benchmark`` fixture by naming it), the run stays in-process.
``--benchmark-skip`` and ``--benchmark-disable`` runs, which time nothing,
use workers, as do suites that never name it.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

FIXTURE = b"benchmark"


def times_benchmarks(config: pytest.Config) -> bool:
    """pytest-benchmark is loaded and would time benchmarks in this run
    (its own reading of these options, session.py of pytest-benchmark 5)."""
    if not config.pluginmanager.has_plugin("benchmark"):
        return False
    option = config.option
    disabled = getattr(option, "benchmark_disable", False) and not getattr(
        option, "benchmark_enable", False
    )
    skipped = getattr(option, "benchmark_skip", False) and not getattr(
        option, "benchmark_only", False
    )
    return not (disabled or skipped)


def reason(config: pytest.Config, paths: Iterable[str]) -> str | None:
    """Why the run stays in-process, or None: some file names the fixture."""
    if not times_benchmarks(config):
        return None
    for path in paths:
        try:
            with open(path, "rb") as source:
                if FIXTURE in source.read():
                    return (
                        "pytest-benchmark times benchmarks in the process that runs them"
                        " (--benchmark-skip or --benchmark-disable runs on workers)"
                    )
        except OSError:
            continue  # pytest reports what it cannot read
    return None
