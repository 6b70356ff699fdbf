"""Run one suite with plain pytest and with ``-p fastest``; compare what users see.

"The same results" (DESIGN.md): the same node ids with the same outcomes,
the same summary counts and exit code. A recording plugin
(bench/outcome_recorder.py, loaded with ``-p``) writes every report the
controller's hooks receive (never a worker's) to a JSON file, so the
comparison covers node ids, phases and outcomes, not just the summary line.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

# The recording plugin bench/outcomes.py uses on real projects' suites.
RECORDER = (Path(__file__).resolve().parent.parent / "bench" / "outcome_recorder.py").read_text()

_SUMMARY = re.compile(r"^=+ (.*) in [\d.]+s")


@dataclass
class Run:
    result: pytest.RunResult
    records: list[list[Any]]

    @property
    def outcomes(self) -> dict[tuple[str, str], tuple[str, bool]]:
        return {(r[0], r[1]): (r[2], r[3]) for r in self.records}

    @property
    def summary(self) -> str:
        for line in reversed(self.result.outlines):
            match = _SUMMARY.match(line)
            if match:
                return match.group(1)
        return ""


def run(pytester: pytest.Pytester, *args: str, fastest: bool) -> Run:
    record = pytester.path / ("record-fastest.json" if fastest else "record-plain.json")
    record.unlink(missing_ok=True)
    extra = ["-p", "fastest"] if fastest else []
    old = os.environ.get("FASTEST_RECORD")
    os.environ["FASTEST_RECORD"] = str(record)
    try:
        result = pytester.runpytest_subprocess(*extra, *args, "-p", "outcome_recorder")
    finally:
        if old is None:
            os.environ.pop("FASTEST_RECORD", None)
        else:
            os.environ["FASTEST_RECORD"] = old
    records = json.loads(record.read_text()) if record.exists() else []
    return Run(result, records)


def run_both(pytester: pytest.Pytester, *args: str, workers: str = "2") -> tuple[Run, Run]:
    """Plain pytest, then pytest -p fastest with `workers` workers."""
    pytester.makepyfile(outcome_recorder=RECORDER)
    pytester.syspathinsert()
    plain = run(pytester, *args, fastest=False)
    fast = run(pytester, *args, f"--fastest-workers={workers}", fastest=True)
    return plain, fast


def assert_same(plain: Run, fast: Run) -> None:
    assert fast.outcomes == plain.outcomes
    assert fast.result.ret == plain.result.ret
    assert fast.summary == plain.summary
