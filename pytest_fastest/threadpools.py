"""How many threads native thread pools get in each worker.

numpy's OpenBLAS, MKL and OpenMP code start one thread per CPU by default,
and so do they in every worker: with two workers on two cores, four busy
threads share two cores, and BLAS threads that spin while they wait for
work take time from the other worker's tests. networkx's suite (numpy and
scipy installed) ran in 108 s with the default pools and in 91 s with one
thread per worker, with the same outcomes (docs/benchmarks.md). So, as
joblib's and dask's workers do, each worker gets its share of the usable
CPUs through the variables these libraries read when they load; they load
after the worker starts (conftests and test modules import them), so the
variables take effect there. A library already imported before the workers
start (by a plugin) keeps the pool it made.

A user who sets any of the variables manages threads: ``auto`` then leaves
all of them alone. ``keep`` never sets them; a number sets all of them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .options import AUTO, KEEP

# The variables OpenMP runtimes, OpenBLAS, MKL, BLIS, Apple's Accelerate and
# numexpr read for their thread counts.
VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


def per_worker(
    setting: int | str, usable_cpus: int, workers: int, env: Mapping[str, str]
) -> int | None:
    """The thread count each worker's pools get, or None to leave them as they are."""
    if setting == KEEP or workers < 1:
        return None
    if setting == AUTO:
        if any(name in env for name in VARIABLES):
            return None
        return max(1, usable_cpus // workers)
    return int(setting)


def apply(threads: int | None) -> None:
    """In a starting worker, before any library reads them."""
    if threads is None:
        return
    for name in VARIABLES:
        os.environ[name] = str(threads)


def describe(threads: int | None, setting: int | str) -> str:
    """One line for --fastest-explain."""
    if threads is None:
        why = "--fastest-threads=keep" if setting == KEEP else "set in the environment"
        return f"fastest: native thread pools left as they are ({why})"
    plural = "s" if threads != 1 else ""
    return f"fastest: native thread pools (OpenMP, BLAS): {threads} thread{plural} per worker"
