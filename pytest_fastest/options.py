"""Command-line and ini options of the "fastest" group, and their validation.

Every option is also an ini key of the same name without the leading dashes
(``--fastest-workers`` / ``fastest_workers``); the command line wins.
Invalid values are usage errors (exit code 4) naming the option and what it
accepts.
"""

from __future__ import annotations

import argparse
import os

import pytest

# More workers than this cannot help on any machine we know of, and each
# costs memory; larger requests are capped with a notice.
MAX_WORKERS = 256

WORKERS_HELP = (
    "number of worker processes: a whole number >= 0 (0 runs in-process, "
    "as -n 0 does for pytest-xdist) or 'auto' (the usable CPUs, in-process "
    "when the plan is too small to pay for workers; default: auto)"
)
START_HELP = (
    "how workers start: 'fork' (from a zygote forked before configuration, "
    "the default on POSIX) or 'spawn' (fresh interpreters)"
)


DURATIONS_HELP = (
    "JSON file of test-file durations the plan uses for files pytest's cache "
    "has none for (a CI job without .pytest_cache); relative to the rootdir "
    "(default: .fastest-durations.json there, when it exists)"
)

THREADS_HELP = (
    "threads of native thread pools (OpenMP, OpenBLAS, MKL, BLIS, Accelerate, "
    "numexpr) in each worker: 'auto' gives each worker its share of the usable "
    "CPUs unless one of their variables (OMP_NUM_THREADS, ...) is set, 'keep' "
    "leaves them as they are, or a whole number >= 1 (default: auto)"
)

SPLIT_HELP = (
    "run a test file estimated to take longer than a worker's share of the "
    "run in parts, on several workers (its module- and class-scoped fixtures "
    "then run once per part, and its tests' output in several places); "
    "without it each file runs whole on one worker (default: off)"
)

AUTO = "auto"
KEEP = "keep"


def parse_workers(value: str, option: str = "--fastest-workers") -> int | str:
    """Return the worker count (or AUTO) or raise ArgumentTypeError."""
    text = value.strip()
    if text == AUTO:
        return AUTO
    if text.isdigit():
        return int(text)
    raise argparse.ArgumentTypeError(
        f"{option}: invalid value {value!r}: expected a whole number >= 0 or 'auto'"
    )


def _workers_arg(value: str) -> int | str:
    return parse_workers(value)


def parse_threads(value: str, option: str = "--fastest-threads") -> int | str:
    """Return the threads per worker (or AUTO / KEEP) or raise ArgumentTypeError."""
    text = value.strip()
    if text in (AUTO, KEEP):
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(
        f"{option}: invalid value {value!r}: expected a whole number >= 1, 'auto' or 'keep'"
    )


def _threads_arg(value: str) -> int | str:
    return parse_threads(value)


def _start_arg(value: str) -> str:
    if value in ("fork", "spawn"):
        return value
    raise argparse.ArgumentTypeError(
        f"--fastest-start: invalid value {value!r}: expected 'fork' or 'spawn'"
    )


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("fastest", "pytest-fastest (active with -p fastest)")
    group.addoption(
        "--fastest-workers",
        dest="fastest_workers",
        metavar="N|auto",
        type=_workers_arg,
        default=None,
        help=WORKERS_HELP,
    )
    group.addoption(
        "--fastest-start",
        dest="fastest_start",
        metavar="fork|spawn",
        type=_start_arg,
        default=None,
        help=START_HELP,
    )
    group.addoption(
        "--fastest-threads",
        dest="fastest_threads",
        metavar="N|auto|keep",
        type=_threads_arg,
        default=None,
        help=THREADS_HELP,
    )
    group.addoption(
        "--fastest-explain",
        dest="fastest_explain",
        action="store_true",
        default=False,
        help="print the plan and why: workers or in-process (and the reason), "
        "units and their estimated costs; after the run, where each worker's time went",
    )
    group.addoption(
        "--fastest-durations",
        dest="fastest_durations",
        metavar="FILE",
        default=None,
        help=DURATIONS_HELP,
    )
    group.addoption(
        "--fastest-store-durations",
        dest="fastest_store_durations",
        action="store_true",
        default=False,
        help="after the run, write the durations measured into the durations file "
        "(merged: files that did not run keep theirs), to commit or cache it",
    )
    group.addoption(
        "--fastest-split",
        dest="fastest_split",
        action="store_true",
        default=None,
        help=SPLIT_HELP,
    )
    parser.addini("fastest_workers", WORKERS_HELP, default="auto")
    parser.addini("fastest_durations", DURATIONS_HELP, default="")
    parser.addini("fastest_start", START_HELP, default="fork")
    parser.addini("fastest_threads", THREADS_HELP, default="auto")
    parser.addini("fastest_split", SPLIT_HELP, type="bool", default=False)


def workers(config: pytest.Config) -> int | str:
    """The requested worker count, or AUTO (command line first, then ini)."""
    value = getattr(config.option, "fastest_workers", None)
    if value is None:
        raw = str(config.getini("fastest_workers"))
        try:
            value = parse_workers(raw, option="fastest_workers (ini)")
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(str(exc)) from None
    return value


def threads(config: pytest.Config) -> int | str:
    """Threads per worker for native thread pools: a number, AUTO or KEEP."""
    value = getattr(config.option, "fastest_threads", None)
    if value is None:
        try:
            value = parse_threads(str(config.getini("fastest_threads")), "fastest_threads (ini)")
        except argparse.ArgumentTypeError as exc:
            raise pytest.UsageError(str(exc)) from None
    return value


def split(config: pytest.Config) -> bool:
    """Whether long files run in parts (--fastest-split, or the ini key)."""
    value = getattr(config.option, "fastest_split", None)
    if value is None:
        try:
            return bool(config.getini("fastest_split"))
        except (ValueError, pytest.UsageError) as exc:  # pytest 8 / 9 reading a bad bool
            raise pytest.UsageError(f"fastest_split (ini): {exc}: expected true or false") from None
    return bool(value)


def start_method(config: pytest.Config) -> str:
    value = getattr(config.option, "fastest_start", None)
    if value is None:
        value = str(config.getini("fastest_start")).strip()
        if value not in ("fork", "spawn"):
            raise pytest.UsageError(
                f"fastest_start (ini): invalid value {value!r}: expected 'fork' or 'spawn'"
            )
    if value == "fork" and not hasattr(os, "fork"):
        return "spawn"
    return str(value)
