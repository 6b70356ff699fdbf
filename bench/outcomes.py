"""Real projects' own test suites, plain and under -p fastest: every node id's outcome compared.

    python bench/outcomes.py                          # toolz, pyflakes, simplejson
    python bench/outcomes.py --projects networkx      # several minutes
    python bench/outcomes.py --projects toolz --fastest-runs 3
    python bench/outcomes.py --fastest-arg=--fastest-split   # long files in parts

Each project is a package installed in this interpreter whose tests ship
inside it (`pip install toolz pyflakes simplejson networkx`). Its test
directory is run once with plain pytest and --fastest-runs times with
`-p fastest` (the first run plans without recorded durations, later ones
with those the first recorded), from a new directory with its own cache.
A recording plugin (bench/outcome_recorder.py), loaded in every run and
writing only in the process that reports (never a worker), keeps each test
report's node id, phase, outcome and xfail flag, and each failed or skipped
collection report. Two runs are the same when those records are equal as
multisets (parallel order differs; a report replayed twice is a
difference), and the exit codes and the summary line's counts are equal
(DESIGN.md's "the same results").

Prints one line per run and the first differences; exit status 1 when any
run differs from plain pytest. A flaky test of the project itself shows up
as a difference too: rerun to tell.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import clean_env, outcomes_of  # noqa: E402

DEFAULT_PROJECTS = ["toolz", "pyflakes", "simplejson"]
# pytest's default verbosity, as users run it (not the benchmarks' -q: workers'
# reports are replayed in another order there, see pytest_fastest/grouping.py).
FLAGS = ["-o", "addopts="]
RECORDER = Path(__file__).resolve().parent / "outcome_recorder.py"
# Records are (node id, phase, outcome, xfail flag).
Record = tuple[str, str, str, bool]


@dataclass
class Outcomes:
    seconds: float
    exit_code: int
    counts: dict[str, int]
    records: Counter[Record]  # a multiset: a report replayed twice is a difference
    plan: str  # the --fastest-explain line saying how the run was planned, if any
    recorded: bool = True  # False: the recording plugin wrote nothing


def package_dir(project: str) -> Path:
    """The installed package's directory (its tests are inside it)."""
    spec = importlib.util.find_spec(project)
    if spec is None or spec.origin is None:
        raise SystemExit(f"{project} is not installed in {sys.executable}: pip install {project}")
    return Path(spec.origin).parent


def recorder_copy(into: Path) -> Path:
    """A directory holding only the recording plugin, for PYTHONPATH: bench/
    itself holds modules (run, gen_suite) that could shadow a project's own."""
    (into / RECORDER.name).write_text(RECORDER.read_text())
    return into


def record(cmd: Sequence[str], cwd: Path, recorder_dir: Path) -> Outcomes:
    """Run one pytest command with the recording plugin and read back what it saw.

    `recorder_dir` holds a copy of the plugin (see `recorder_copy`)."""
    out = cwd / f"outcomes-{time.monotonic_ns()}.json"
    env = clean_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(recorder_dir), env.get("PYTHONPATH")]))
    env["FASTEST_RECORD"] = str(out)
    start = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "-p", RECORDER.stem], cwd=cwd, env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    records: Counter[Record] = Counter()
    if out.exists():
        records.update((n, w, o, bool(x)) for n, w, o, x in json.loads(out.read_text()))
    plan = next(
        (
            line
            for line in proc.stdout.splitlines()
            if line.startswith(("fastest: plan", "fastest: in-process"))
        ),
        "",
    )
    counts = outcomes_of(proc.stdout)
    return Outcomes(seconds, proc.returncode, counts, records, plan, out.exists())


def differences(plain: Outcomes, other: Outcomes, limit: int = 10) -> list[str]:
    """What `other` reports differently from plain pytest (empty: the same)."""
    diffs = []
    if other.exit_code != plain.exit_code:
        diffs.append(f"exit code {other.exit_code}, plain pytest {plain.exit_code}")
    if other.counts != plain.counts:
        diffs.append(f"summary {other.counts}, plain pytest {plain.counts}")
    for name, run in (("plain pytest", plain), ("this run", other)):
        if not run.recorded:
            diffs.append(f"{name}: the recording plugin wrote nothing (did pytest start?)")
    for label, extra in (
        ("only here", other.records - plain.records),
        ("only plain", plain.records - other.records),
    ):
        for rec in sorted(extra.elements())[:limit]:
            diffs.append(f"{label}: {' '.join(map(str, rec))}")
        if extra.total() > limit:
            diffs.append(f"{label}: ... {extra.total() - limit} more")
    return diffs


def compare_project(
    project: str, fastest_runs: int, workers: str, recorder_dir: Path, extra: Sequence[str] = ()
) -> bool:
    path = package_dir(project)
    with tempfile.TemporaryDirectory(prefix=f"outcomes-{project}-") as tmp:
        cwd = Path(tmp)
        pytest = [
            sys.executable,
            "-m",
            "pytest",
            *FLAGS,
            "-o",
            f"cache_dir={cwd / 'cache'}",
            "-p",
            "no:randomly",
            str(path),
        ]
        plain = record([*pytest, "-p", "no:fastest"], cwd, recorder_dir)
        print(
            f"{project}: {plain.records.total()} reports, exit {plain.exit_code}, {plain.counts}\n"
            f"  plain pytest      {plain.seconds:7.2f}s",
            flush=True,
        )
        same = True
        for i in range(1, fastest_runs + 1):
            fast = record(
                [
                    *pytest,
                    "-p",
                    "fastest",
                    f"--fastest-workers={workers}",
                    "--fastest-explain",
                    *extra,
                ],
                cwd,
                recorder_dir,
            )
            diffs = differences(plain, fast)
            verdict = "same" if not diffs else "DIFFERENT"
            print(
                f"  -p fastest run {i}  {fast.seconds:7.2f}s  {verdict}  ({fast.plan})", flush=True
            )
            for line in diffs:
                print(f"      {line}")
            same &= not diffs
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--projects",
        default=",".join(DEFAULT_PROJECTS),
        help=f"comma-separated installed packages (default {','.join(DEFAULT_PROJECTS)})",
    )
    parser.add_argument(
        "--fastest-runs", type=int, default=2, help="-p fastest runs per project (default 2)"
    )
    parser.add_argument(
        "--workers", default="auto", help="--fastest-workers for the fastest runs (default auto)"
    )
    parser.add_argument(
        "--fastest-arg",
        action="append",
        default=[],
        help="one more argument for the fastest runs (repeatable), "
        "e.g. --fastest-arg=--fastest-split",
    )
    args = parser.parse_args(argv)
    if importlib.util.find_spec("pytest_fastest") is None:
        print(f"pytest-fastest is not installed in {sys.executable}")
        return 2
    ok = True
    with tempfile.TemporaryDirectory(prefix="outcomes-recorder-") as tmp:
        recorder_dir = recorder_copy(Path(tmp))
        for project in filter(None, args.projects.split(",")):
            ok &= compare_project(
                project, args.fastest_runs, args.workers, recorder_dir, args.fastest_arg
            )
    print("\nevery run the same as plain pytest" if ok else "\nSOME RUNS DIFFER from plain pytest")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
