"""A durations file: what test files cost, kept beside the code.

Each run records what its test files cost (collection and tests) in pytest's
cache, and the next run's plan deals the files by those costs. A CI job that
starts from a fresh checkout has no cache: it plans from what static
discovery counts, which cannot see that one file's tests take seconds (the
first-run figures in docs/benchmarks.md). A durations file carries the same
numbers in a file that can be committed or cached: the plan reads it for
every file the cache has no duration for, and ``--fastest-store-durations``
writes the run's durations into it.

The file is a JSON object mapping each test file's path (relative to the
rootdir, as in node ids) to seconds. A file that is not valid is ignored
with a one-line notice; it is never what stops a run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest

DEFAULT_NAME = ".fastest-durations.json"


def path(config: pytest.Config) -> tuple[Path, bool]:
    """The durations file, and whether it was named (option or ini) rather
    than the default one in the rootdir."""
    named = getattr(config.option, "fastest_durations", None) or str(
        config.getini("fastest_durations")
    )
    raw = Path(os.path.expanduser(named)) if named else Path(DEFAULT_NAME)
    return (raw if raw.is_absolute() else config.rootpath / raw), bool(named)


def valid(data: Any) -> dict[str, float]:
    """``data`` as a map of test-file paths to seconds, or ValueError saying
    what is wrong with it (also for the durations in pytest's cache)."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    for key, value in data.items():
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{key!r}: not a number of seconds")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{key!r}: {value!r} is not a duration")
    return {str(key): float(value) for key, value in data.items()}


def read(config: pytest.Config) -> tuple[dict[str, float], str | None]:
    """The durations in the file, and a notice when it could not be used."""
    where, named = path(config)
    try:
        text = where.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, (f"fastest: durations file {where} not found" if named else None)
    except OSError as exc:
        return {}, f"fastest: durations file {where} not read: {exc.strerror or exc}"
    try:
        return valid(json.loads(text)), None
    except ValueError as exc:  # json.JSONDecodeError is one
        return {}, f"fastest: durations file {where} ignored: {exc}"


def store(config: pytest.Config, measured: dict[str, float]) -> str | None:
    """Merge this run's durations into the file (files not run keep theirs);
    returns a notice when the file could not be written."""
    where, _ = path(config)
    durations, _ = read(config)
    durations.update(measured)
    text = json.dumps(durations, indent=1, sort_keys=True) + "\n"
    partial = where.with_name(f".{where.name}.{os.getpid()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, where)  # readers never see half a file
    except OSError as exc:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        return f"fastest: durations file {where} not written: {exc.strerror or exc}"
    return None
