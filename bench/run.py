"""Benchmark plain pytest, pytest-xdist and pytest -p fastest side by side.

    python bench/run.py                          # all generated suites, 3 rounds
    python bench/run.py --suites small,large --rounds 5 --json out.json --chart out.png
    python bench/run.py --suites networkx,networkx-nodeps --rounds 1 --warmup 0

For each suite: generate it (bench/gen_suite.py) under --out, then time every
mode in ONE interleaved loop: round 1 runs each mode once, round 2 again in a
rotated order, and so on, so machine noise hits every mode alike. Modes:

  startup        pytest over one empty test file (start-up + configure only)
  plain          pytest
  xdist          pytest -n N            (pytest-xdist; --xdist-n, default 2)
  fastest        pytest -p fastest      (auto workers; durations recorded by earlier runs)
  fastest-split  pytest -p fastest --fastest-split (long files run in parts)
  fastest-first  pytest -p fastest with no .pytest_cache: no recorded durations and
                 no discovery cache, as a CI job that does not keep .pytest_cache
  baseline       pytest -p fastest from another install (--baseline DIR): an
                 earlier version, timed in the same rounds as this one
  halves         two plain pytest processes at once, each on its own copy of the
                 suite with every other test file: a perfect split with nothing
                 to coordinate, what two cores of this machine give when nothing
                 is shared (generated suites only)
  collect        pytest --collect-only  (on a separate copy of the suite)
  discover-cold  python -m pytest_fastest discover, its cache removed first
  discover-warm  python -m pytest_fastest discover, cache left from earlier runs

Every pytest mode gets the same COMMON_FLAGS (see docs/benchmarks.md for why).
Each run records wall time (perf_counter around the subprocess), exit code,
the outcome counts of pytest's summary line, and peak memory: the peak over
the run of the sum of PSS of the process and all its descendants, sampled
every --sample-ms by a thread. Exit codes and outcome counts of the three
test-running modes must agree; a mismatch is printed loudly and makes the
exit status 1. A mode that is not available (xdist or pytest_fastest not
installed, discover not written yet) is skipped with the reason printed.

Ceiling: serial start-up cannot be divided, so the best possible time on C
usable cores is best = startup + (plain - startup) / C, and the ceiling
ratio is plain / best. Ratios are "X vs plain" = plain time / X time
(above 1 is faster than plain pytest).
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import platform
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_suite  # noqa: E402

PY = sys.executable
# The same for every pytest mode: quiet output (the terminal reporter still
# runs, as in CI), no ini or environment options leaking in, cache provider
# on as users have it (fastest keeps its durations there; xdist and plain pay
# the same small cost of writing it).
COMMON_FLAGS = ["-q", "-o", "addopts="]
GENERATED = list(gen_suite.SUITES)
REAL = ["networkx", "networkx-nodeps"]
# Optional dependencies of networkx's tests that networkx-nodeps hides.
NX_OPTIONAL = ("numpy", "scipy", "pandas", "matplotlib", "pygraphviz", "pydot", "lxml", "sympy")
# What "cold" removes in the collect copy before timing discover.
COLD_REMOVE = (".pytest_cache", ".fastest", ".fastest_cache", "__fastest_cache__")
# The modes that run pytest -p fastest (baseline: another install of it).
FASTEST_MODES = ("fastest", "fastest-split", "fastest-first", "baseline")
RUN_MODES = ("plain", "xdist", *FASTEST_MODES)
# Modes the warm-up runs once before timing: plain writes the bytecode caches,
# fastest records the durations its later runs plan with (without it, the
# first timed round of "fastest" would be a first run; "fastest-first"
# measures that condition on purpose). When a collect mode is timed, the
# warm-up also collects its copy of the suite once.
WARMUP_MODES = ("plain", "fastest")  # fastest: only when a fastest mode is timed
SUMMARY_WORD = re.compile(
    r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|warnings?|deselected|"
    r"tests? collected|rerun)"
)


# -- peak memory --------------------------------------------------------------


class PeakPss(threading.Thread):
    """Samples the summed PSS of a process tree until stopped; keeps the peak.

    PSS, not RSS: forked workers share pages with their parent, and a sum of
    RSS would count those pages once per process. There is no
    /proc/PID/task/TID/children on every kernel, so descendants are found from
    the ppid field of /proc/*/stat, read once per new pid (a pid's parent does
    not change while its parent lives).
    """

    def __init__(self, root: int, interval: float) -> None:
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_kb = 0
        self.peak_procs = 0
        self._parent: dict[int, int] = {}
        self._done = threading.Event()

    def stop(self) -> None:
        self._done.set()
        self.join()

    def run(self) -> None:
        while True:
            self._sample()
            if self._done.wait(self.interval):
                return

    def _tree(self) -> list[int]:
        for name in os.listdir("/proc"):
            if name.isdigit() and int(name) not in self._parent:
                try:
                    with open(f"/proc/{name}/stat", "rb") as f:
                        stat = f.read()
                except OSError:
                    continue
                self._parent[int(name)] = int(stat[stat.rindex(b")") + 2 :].split()[1])
        children: dict[int, list[int]] = {}
        for pid, ppid in self._parent.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            tree.append(pid)
            todo.extend(children.get(pid, ()))
        return tree

    def _sample(self) -> None:
        total = procs = 0
        for pid in self._tree():
            try:
                with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
                    for line in f:
                        if line.startswith(b"Pss:"):
                            total += int(line.split()[1])
                            procs += 1
                            break
            except (OSError, ValueError):
                continue  # exited between the walk and the read
        self.peak_kb = max(self.peak_kb, total)
        self.peak_procs = max(self.peak_procs, procs)


# -- suites and modes ----------------------------------------------------------


@dataclass
class Suite:
    name: str
    run_dir: Path  # where the test-running modes run
    collect_dir: Path  # a separate copy for collection modes
    startup_dir: Path  # pytest.ini + one empty test file
    args: list[str] = field(default_factory=list)  # paths / --pyargs for pytest
    discover_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    test_dirs: list[Path] = field(default_factory=list)  # where --fresh-bytecode clears caches
    cache_dir: Path | None = None  # pytest's cache dir of run_dir (fastest-first removes it)
    halves: list[Path] = field(default_factory=list)  # two half copies (mode halves)


@dataclass
class Run:
    suite: str
    mode: str
    round: int
    wall_s: float
    rc: int
    outcomes: dict[str, int]
    peak_pss_mb: float
    peak_procs: int
    log: str


def _startup_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "pytest.ini").write_text("[pytest]\n")
    (path / "test_empty.py").write_text("")
    return path


def _nodeps_site(out: Path) -> Path:
    """A sitecustomize that makes the optional dependencies of networkx unimportable."""
    site = out / "nodeps-site"
    site.mkdir(parents=True, exist_ok=True)
    # Every finder is wrapped to find nothing under the hidden names, so
    # `import numpy` raises ModuleNotFoundError and importlib.util.find_spec
    # returns None, as for a package that is not installed (networkx's lazy
    # imports ask find_spec; None in sys.modules would fool them).
    (site / "sitecustomize.py").write_text(f"""import sys

_HIDDEN = {NX_OPTIONAL!r}


class _Hide:
    def __init__(self, finder):
        self._finder = finder

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in _HIDDEN:
            return None
        return self._finder.find_spec(name, path, target)

    def __getattr__(self, attr):
        return getattr(self._finder, attr)


sys.meta_path[:] = [_Hide(f) if hasattr(f, "find_spec") else f for f in sys.meta_path]
""")
    return site


def _halve(suite_dir: Path, halves: list[Path]) -> None:
    """Two copies of a generated suite, each keeping every other test file
    (in sorted order) and every conftest and ini file."""
    tests = sorted(p.relative_to(suite_dir) for p in suite_dir.rglob("test_*.py"))
    for index, half in enumerate(halves):
        shutil.rmtree(half, ignore_errors=True)
        shutil.copytree(
            suite_dir, half, ignore=shutil.ignore_patterns(".pytest_cache", "__pycache__")
        )
        for number, rel in enumerate(tests):
            if number % 2 != index:
                (half / rel).unlink()


def prepare(name: str, out: Path) -> Suite | str:
    """Generate (or locate) suite `name`; return it, or why it cannot run."""
    base = out / name
    startup = _startup_dir(out / f"{name}.startup")
    if name in gen_suite.SUITES:
        gen_suite.generate(name, base)
        gen_suite.generate(name, out / f"{name}.collect")
        collect = out / f"{name}.collect"
        halves = [out / f"{name}.half-a", out / f"{name}.half-b"]
        _halve(base, halves)
        return Suite(
            name,
            base,
            collect,
            startup,
            test_dirs=[base, collect, *halves],
            cache_dir=base / ".pytest_cache",
            halves=halves,
        )
    if name in REAL:
        spec = importlib.util.find_spec("networkx")
        if spec is None or spec.origin is None:
            return "networkx is not installed (pip install networkx)"
        nx_dir = str(Path(spec.origin).parent)
        env = {}
        if name == "networkx-nodeps":
            env["PYTHONPATH"] = os.pathsep.join(
                p for p in (str(_nodeps_site(out)), os.environ.get("PYTHONPATH")) if p
            )
        dirs = [out / f"{name}{suffix}" for suffix in ("", ".collect")]
        for d in dirs:  # an empty config: nothing of an enclosing project applies
            d.mkdir(parents=True, exist_ok=True)
            (d / "pytest.ini").write_text("[pytest]\n")
        # The package directory as the argument (as `pytest path/to/networkx`;
        # --pyargs would keep -p fastest in-process), node ids rooted where
        # the package is installed.
        args = ["-c", "pytest.ini", "--rootdir", str(Path(nx_dir).parent), nx_dir]
        # pytest's cache dir is under the rootdir.
        cache = Path(nx_dir).parent / ".pytest_cache"
        return Suite(name, dirs[0], dirs[1], startup, args, [nx_dir], env, [Path(nx_dir)], cache)
    return f"unknown suite (expected one of {', '.join(GENERATED + REAL)})"


def mode_command(
    mode: str, suite: Suite, xdist_n: str, discover_extra: list[str]
) -> tuple[Path, list[str]]:
    pytest = [PY, "-m", "pytest", *COMMON_FLAGS]
    if mode == "startup":
        return suite.startup_dir, [*pytest, "test_empty.py"]
    if mode == "plain":
        return suite.run_dir, [*pytest, *suite.args]
    if mode == "xdist":
        return suite.run_dir, [*pytest, "-n", xdist_n, *suite.args]
    if mode == "fastest-split":
        return suite.run_dir, [*pytest, "-p", "fastest", "--fastest-split", *suite.args]
    if mode in FASTEST_MODES:
        return suite.run_dir, [*pytest, "-p", "fastest", *suite.args]
    if mode == "halves":
        # One shell starts both and exits with the worse exit code.
        first, second = (shlex.quote(str(half)) for half in suite.halves)
        half = shlex.join([*pytest, *suite.args])
        script = (
            f"(cd {second} && exec {half}) & other=$!; cd {first} && {half}; mine=$?; "
            "wait $other; theirs=$?; exit $((mine > theirs ? mine : theirs))"
        )
        return suite.halves[0], ["sh", "-c", script]
    if mode == "collect":
        return suite.collect_dir, [*pytest, "--collect-only", *suite.args]
    if mode == "collect-fastest":
        return suite.collect_dir, [*pytest, "--collect-only", "-p", "fastest", *suite.args]
    if mode in ("discover-cold", "discover-warm"):
        return suite.collect_dir, [
            PY,
            "-m",
            "pytest_fastest",
            "discover",
            *discover_extra,
            *suite.discover_args,
        ]
    raise ValueError(mode)


def unavailable_modes(modes: list[str], baseline: Path | None = None) -> dict[str, str]:
    """Modes that cannot run here, with the reason."""
    why = {}
    if "baseline" in modes and (baseline is None or not (baseline / "pytest_fastest").is_dir()):
        why["baseline"] = (
            "--baseline DIR (a `pip install --target DIR` of another version) not given"
        )
    if "xdist" in modes and importlib.util.find_spec("xdist") is None:
        why["xdist"] = "pytest-xdist is not installed"
    if importlib.util.find_spec("pytest_fastest") is None:
        for mode in ("fastest", "fastest-split", "fastest-first"):
            if mode in modes:
                why[mode] = "pytest-fastest is not installed"
    if any(m.startswith("discover") for m in modes):
        probe = subprocess.run(
            [PY, "-m", "pytest_fastest", "discover", "--help"], capture_output=True, text=True
        )
        if probe.returncode != 0:
            reason = (probe.stderr or probe.stdout).strip().splitlines()[-1:] or ["no output"]
            for m in ("discover-cold", "discover-warm"):
                why[m] = f"`python -m pytest_fastest discover --help` failed: {reason[0]}"
    return why


def outcomes_of(text: str) -> dict[str, int]:
    """Counts from pytest's last summary line ('3 failed, 10 passed in 0.1s')."""
    for line in reversed(text.strip().splitlines()):
        found = SUMMARY_WORD.findall(line)
        if found and re.search(r" in [\d.]+s", line):
            counts = {}
            for n, word in found:
                key = {
                    "error": "errors",
                    "warning": "warnings",
                    "test collected": "tests collected",
                }.get(word, word)
                counts[key] = int(n)
            return counts
    return {}


def clear_rewrite_caches(suite: Suite) -> None:
    """Remove pytest's assertion-rewrite caches of the suite's test modules and
    conftests (``__pycache__/*-pytest-*.pyc``): the next run rewrites and
    compiles every test module, as the first run on a fresh checkout does."""
    for directory in suite.test_dirs:
        for cached in directory.rglob("*-pytest-*.pyc"):
            cached.unlink(missing_ok=True)


def clean_env() -> dict[str, str]:
    """This environment without pytest options, colour forcing or a bytecode ban.

    PYTEST_ADDOPTS and friends would change what every mode runs; a
    PYTHONDONTWRITEBYTECODE inherited from a developer's shell would make
    every run compile from source, which users' repeat runs do not.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PY_COLORS"))}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_once(
    suite: Suite, mode: str, rnd: int, args: argparse.Namespace, sample: bool | None = None
) -> Run:
    """One run of `mode`; `sample`: measure its peak memory (default: unless
    --memory-round keeps the sampler out of the timed rounds)."""
    if sample is None:
        sample = args.sample_ms > 0 and not args.memory_round
    cwd, cmd = mode_command(mode, suite, args.xdist_n, args.discover_args.split())
    if mode == "fastest-first" and suite.cache_dir is not None:
        shutil.rmtree(suite.cache_dir, ignore_errors=True)
    if mode == "discover-cold":
        for rel in COLD_REMOVE + tuple(args.cold_remove):
            target = cwd / rel
            shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(
                missing_ok=True
            )
    env = clean_env()
    if args.fresh_bytecode:
        clear_rewrite_caches(suite)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.update(suite.env)
    if mode == "baseline":
        # Found before the installed one: pytest loads the plugin module by name.
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(args.baseline), env.get("PYTHONPATH")])
        )
    log = args.out / "logs" / f"{suite.name}-{mode}-r{rnd}.txt"
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "wb") as out:
        start = time.perf_counter()
        # Its own process group, so a timeout kills the workers too.
        proc = subprocess.Popen(
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        sampler = PeakPss(proc.pid, args.sample_ms / 1000)
        if sample:
            sampler.start()
        # wait() with a timeout polls in sleeps of up to 50 ms, which would
        # quantize the wall time: a timer kills a run that hangs instead.
        killer = threading.Timer(args.timeout, os.killpg, (proc.pid, signal.SIGKILL))
        killer.start()
        rc = proc.wait()
        wall = time.perf_counter() - start
        killer.cancel()
        if sample:
            sampler.stop()
    text = log.read_text(errors="replace")
    return Run(
        suite.name,
        mode,
        rnd,
        wall,
        rc,
        outcomes_of(text),
        sampler.peak_kb / 1024,
        sampler.peak_procs,
        str(log),
    )


# -- results -------------------------------------------------------------------


def summarize(runs: list[Run], cores: int) -> dict[str, dict[str, float]]:
    """Medians per mode, plus ratios and the ceiling."""
    med: dict[str, dict[str, float]] = {}
    for mode in sorted({r.mode for r in runs}):
        mine = [r for r in runs if r.mode == mode]
        med[mode] = {
            "wall_s": statistics.median(r.wall_s for r in mine),
            # The fastest round: less sensitive than the median to other work
            # on a shared machine (only in --json).
            "min_wall_s": min(r.wall_s for r in mine),
            "peak_pss_mb": statistics.median(r.peak_pss_mb for r in mine),
        }
    plain = med.get("plain", {}).get("wall_s")
    if plain:
        for mode in ("xdist", *FASTEST_MODES, "halves"):
            if mode in med:
                med[mode]["vs_plain"] = plain / med[mode]["wall_s"]
        if "startup" in med:
            startup = min(med["startup"]["wall_s"], plain)
            best = startup + (plain - startup) / cores
            med["ceiling"] = {"best_s": best, "ratio": plain / best}
    return med


def check_agreement(runs: list[Run]) -> list[str]:
    """Loud messages for every run whose exit code or counts differ from plain's."""
    problems = []
    for suite in sorted({r.suite for r in runs}):
        ref = [r for r in runs if r.suite == suite and r.mode == "plain"]
        if not ref:
            continue
        for r in runs:
            if r.suite != suite or r.mode not in RUN_MODES:
                continue
            where = f"{suite}: {r.mode} round {r.round + 1}"
            if r.rc != ref[0].rc:
                problems.append(f"{where} exit code {r.rc} != plain's {ref[0].rc} ({r.log})")
            elif r.outcomes != ref[0].outcomes:
                problems.append(
                    f"{where} outcomes {r.outcomes} != plain's {ref[0].outcomes} ({r.log})"
                )
    return problems


def _fmt(value: float | None, spec: str, unit: str = "") -> str:
    return "-" if value is None else format(value, spec) + unit


def _against_fastest(
    results: dict[str, dict[str, dict[str, float]]], mode: str, label: str, plain_column: bool
) -> list[list[str]]:
    """A table of `mode` beside fastest, for the suites that timed `mode`:
    both times, both ratios to plain, and fastest's speed-up over `mode`."""
    header = ["suite", *(["plain"] if plain_column else []), label, f"{mode} vs plain"]
    table = [[*header, "fastest", "fastest vs plain", f"fastest vs {mode}"]]
    for name, med in results.items():
        other, fast = med.get(mode, {}), med.get("fastest", {})
        if not other:
            continue
        plain = [_fmt(med.get("plain", {}).get("wall_s"), ".2f", "s")] if plain_column else []
        table.append(
            [
                name,
                *plain,
                _fmt(other.get("wall_s"), ".2f", "s"),
                _fmt(other.get("vs_plain"), ".2f", "x"),
                _fmt(fast.get("wall_s"), ".2f", "s"),
                _fmt(fast.get("vs_plain"), ".2f", "x"),
                _fmt(other["wall_s"] / fast["wall_s"] if fast else None, ".2f", "x"),
            ]
        )
    return table


def print_tables(results: dict[str, dict[str, dict[str, float]]], xdist_label: str) -> None:
    rows = [
        [
            "suite",
            "plain",
            xdist_label,
            "fastest",
            "fastest vs plain",
            "first run",
            "first vs plain",
            "xdist vs plain",
            "ceiling",
            "peak MB (plain / xdist / fastest)",
        ]
    ]
    crows = [
        [
            "suite",
            "collect-only",
            "collect-only -p fastest",
            "vs plain",
            "discover cold",
            "vs collect",
            "discover warm",
            "vs collect",
            "startup",
        ]
    ]
    for name, med in results.items():

        def g(
            mode: str, key: str = "wall_s", med: dict[str, dict[str, float]] = med
        ) -> float | None:
            return med.get(mode, {}).get(key)

        rows.append(
            [
                name,
                _fmt(g("plain"), ".2f", "s"),
                _fmt(g("xdist"), ".2f", "s"),
                _fmt(g("fastest"), ".2f", "s"),
                _fmt(g("fastest", "vs_plain"), ".2f", "x"),
                _fmt(g("fastest-first"), ".2f", "s"),
                _fmt(g("fastest-first", "vs_plain"), ".2f", "x"),
                _fmt(g("xdist", "vs_plain"), ".2f", "x"),
                _fmt(g("ceiling", "ratio"), ".2f", "x"),
                " / ".join(_fmt(g(m, "peak_pss_mb"), ".0f") for m in RUN_MODES[:3]),
            ]
        )

        def ratio(mode: str) -> str:
            base, other = g("collect"), g(mode)
            return _fmt(base / other if base and other else None, ".1f", "x")

        crows.append(
            [
                name,
                _fmt(g("collect"), ".2f", "s"),
                _fmt(g("collect-fastest"), ".2f", "s"),
                ratio("collect-fastest"),
                _fmt(g("discover-cold"), ".3f", "s"),
                ratio("discover-cold"),
                _fmt(g("discover-warm"), ".3f", "s"),
                ratio("discover-warm"),
                _fmt(g("startup"), ".2f", "s"),
            ]
        )
    brows = _against_fastest(results, "baseline", "baseline", plain_column=False)
    hrows = _against_fastest(results, "halves", "halves (2 x plain at once)", plain_column=True)
    srows = _against_fastest(results, "fastest-split", "--fastest-split", plain_column=True)
    for table in (rows, crows, brows, hrows, srows):
        if len(table) == 1:
            continue
        widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
        print()
        for i, row in enumerate(table):
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")
            if i == 0:
                print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("\n(medians over rounds; '-' = mode skipped or failed; ratios = plain time / mode time)")


def draw_chart(
    results: dict[str, dict[str, dict[str, float]]], path: Path, xdist_label: str
) -> None:
    try:
        import matplotlib
    except ImportError:
        print("--chart: matplotlib is not installed (pip install matplotlib); no chart drawn")
        return
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    series = [
        (f"{xdist_label} vs plain", "xdist", "vs_plain"),
        ("fastest vs plain", "fastest", "vs_plain"),
        ("fastest, first run vs plain", "fastest-first", "vs_plain"),
        ("2 x plain on halves at once", "halves", "vs_plain"),
        ("ceiling", "ceiling", "ratio"),
    ]
    # Only what some suite has (halves: generated suites, when timed).
    series = [entry for entry in series if any(entry[1] in results[n] for n in names)]
    fig, ax = plt.subplots(figsize=(max(6, 1.6 * len(names)), 4))
    width = 0.8 / len(series)
    for i, (label, mode, key) in enumerate(series):
        values = [results[n].get(mode, {}).get(key, 0) for n in names]
        ax.bar([x + i * width for x in range(len(names))], values, width, label=label)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks([x + width for x in range(len(names))], names)
    ax.set_ylabel("speed-up over plain pytest (x)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    print(f"chart: {path}")


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--suites",
        default=",".join(GENERATED),
        help=f"comma-separated, from {','.join(GENERATED + REAL)} (default: the generated ones)",
    )
    parser.add_argument(
        "--modes",
        default=(
            "startup,plain,xdist,fastest,fastest-first,collect,collect-fastest,"
            "discover-cold,discover-warm"
        ),
        help="comma-separated modes to time (default: all)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument(
        "--warmup",
        type=int,
        default=1,
        help="untimed plain runs per suite before the rounds: bytecode and page cache (default 1)",
    )
    parser.add_argument(
        "--fresh-bytecode",
        action="store_true",
        help="before every run remove the test modules' assertion-rewrite caches and write "
        "none (PYTHONDONTWRITEBYTECODE=1), as on a fresh CI checkout; default: the caches "
        "written by the warm-up are used, as in a developer's repeated runs (an inherited "
        "PYTHONDONTWRITEBYTECODE is dropped either way)",
    )
    parser.add_argument("--xdist-n", default="2", help="pytest-xdist's -n (default 2)")
    parser.add_argument(
        "--discover-args", default="", help="extra arguments for discover, e.g. --json"
    )
    parser.add_argument(
        "--cold-remove",
        action="append",
        default=[],
        help="also remove this path (relative to the suite) for discover-cold; always: "
        + ", ".join(COLD_REMOVE),
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "out",
        help="where suites and logs go (default bench/out/)",
    )
    parser.add_argument(
        "--sample-ms",
        type=float,
        default=100,
        help="memory sampling period; 0 turns sampling off (default 100: reading "
        "smaps_rollup takes each process's memory lock, and sampling every 20 ms "
        "measurably slowed multi-process runs)",
    )
    parser.add_argument(
        "--memory-round",
        action="store_true",
        help="time the rounds without the memory sampler and measure peak memory in one "
        "more, untimed round per mode (reading /proc/PID/smaps_rollup takes each process's "
        "memory lock: the sampler slows a run of several processes more than plain "
        "pytest's one)",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="per run, seconds (default 1800)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="another pytest-fastest, installed with `pip install --no-deps --target DIR "
        "<checkout>`: the mode `baseline` times it beside this one",
    )
    parser.add_argument("--json", type=Path, help="write every raw number here")
    parser.add_argument(
        "--chart", type=Path, help="draw a bar chart of the ratios (needs matplotlib)"
    )
    parser.add_argument(
        "--chart-from",
        type=Path,
        nargs="+",
        metavar="JSON",
        help="run nothing: draw --chart from the medians of earlier --json files "
        "(suites in the order given; a later file's suite replaces an earlier one's)",
    )
    args = parser.parse_args(argv)
    args.out = args.out.resolve()
    if args.baseline:
        args.baseline = args.baseline.resolve()
    if args.chart_from:
        if not args.chart:
            parser.error("--chart-from needs --chart")
        medians: dict[str, dict[str, dict[str, float]]] = {}
        for saved in args.chart_from:
            medians.update(json.loads(saved.read_text())["medians"])
        draw_chart(medians, args.chart, f"xdist -n {args.xdist_n}")
        return 0

    cores = len(os.sched_getaffinity(0))
    modes = [m for m in args.modes.split(",") if m]
    skipped = unavailable_modes(modes, args.baseline)
    for mode, reason in skipped.items():
        print(f"skipping mode {mode}: {reason}")
    modes = [m for m in modes if m not in skipped]

    suites: list[Suite] = []
    for name in [s for s in args.suites.split(",") if s]:
        prepared = prepare(name, args.out)
        if isinstance(prepared, str):
            print(f"skipping suite {name}: {prepared}")
        else:
            suites.append(prepared)
    load_before = os.getloadavg()
    print(
        f"{len(suites)} suites x {len(modes)} modes x {args.rounds} rounds "
        f"on {cores} usable cores, python {platform.python_version()}; logs in {args.out / 'logs'}"
    )
    if load_before[0] > cores / 2:
        print(
            f"warning: load average {load_before[0]:.1f} on {cores} cores: other work is running, "
            "expect noisy figures"
        )

    for suite in suites:
        for i in range(args.warmup):
            for mode in WARMUP_MODES:
                if mode == "plain" or set(FASTEST_MODES) & set(modes):
                    run_once(suite, mode, -1 - i, args)
            if {"collect", "collect-fastest"} & set(modes):
                # The collect modes run on their own copy: its bytecode too.
                run_once(suite, "collect", -1 - i, args)
            if "halves" in modes and suite.halves:
                run_once(suite, "halves", -1 - i, args)

    runs: list[Run] = []
    peaks: dict[tuple[str, str], float] = {}  # from the --memory-round
    failed_modes: dict[tuple[str, str], str] = {}
    for rnd in range(args.rounds):
        for suite in suites:
            order = modes[rnd % len(modes) :] + modes[: rnd % len(modes)]
            for mode in order:
                if (suite.name, mode) in failed_modes or (mode == "halves" and not suite.halves):
                    continue
                r = run_once(suite, mode, rnd, args)
                print(
                    f"  round {rnd + 1} {suite.name:>16} {mode:<14} {r.wall_s:7.2f}s rc={r.rc} "
                    f"{r.peak_pss_mb:6.0f} MB {r.outcomes}",
                    flush=True,
                )
                if mode.startswith("discover") and r.rc != 0:
                    failed_modes[(suite.name, mode)] = f"exit code {r.rc}, see {r.log}"
                    print(f"  {mode} failed on {suite.name}: not timed further (see {r.log})")
                    continue
                runs.append(r)

    if args.memory_round and args.sample_ms > 0:
        # Untimed: its wall time carries the sampler's cost; only its peak is kept.
        for suite in suites:
            for mode in modes:
                if (suite.name, mode) in failed_modes or mode.startswith("discover"):
                    continue
                if mode == "halves" and not suite.halves:
                    continue
                r = run_once(suite, mode, args.rounds, args, sample=True)
                print(f"  memory {suite.name:>16} {mode:<14} {r.peak_pss_mb:6.0f} MB", flush=True)
                peaks[(suite.name, mode)] = r.peak_pss_mb

    results = {s.name: summarize([r for r in runs if r.suite == s.name], cores) for s in suites}
    for (suite_name, mode), peak in peaks.items():
        if mode in results[suite_name]:
            results[suite_name][mode]["peak_pss_mb"] = peak
    xdist_label = f"xdist -n {args.xdist_n}"
    print_tables(results, xdist_label)
    load_after = os.getloadavg()
    print(f"load average (1 min) before {load_before[0]:.1f}, after {load_after[0]:.1f}")
    print(
        "bytecode: "
        + (
            "fresh (rewrite caches removed before every run)"
            if args.fresh_bytecode
            else "cached (written by the warm-up)"
        )
    )
    problems = check_agreement(runs)
    if problems:
        print("\n" + "!" * 78 + "\n!!! RESULTS DIFFER FROM PLAIN PYTEST:")
        for p in problems:
            print("!!! " + p)
        print("!" * 78)
    for (suite_name, mode), reason in failed_modes.items():
        print(f"note: {mode} on {suite_name} failed ({reason})")

    if args.json:
        meta = {
            "date": datetime.datetime.now().isoformat(timespec="seconds"),
            "cores": cores,
            "python": sys.version,
            "machine": platform.platform(),
            "common_flags": COMMON_FLAGS,
            "xdist_n": args.xdist_n,
            "rounds": args.rounds,
            "fresh_bytecode": args.fresh_bytecode,
            "skipped_modes": skipped,
            "failed_modes": {f"{s}:{m}": v for (s, m), v in failed_modes.items()},
            "mismatches": problems,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
        }
        args.json.write_text(
            json.dumps(
                {"meta": meta, "medians": results, "runs": [asdict(r) for r in runs]}, indent=1
            )
        )
        print(f"json: {args.json}")
    if args.chart:
        draw_chart(results, args.chart, xdist_label)
    # xdist's default --dist load splits modules across workers, so module- and
    # class-scoped state can differ from a serial run: reported, but only a
    # difference of fastest fails this script.
    return 1 if any(": fastest " in p for p in problems) else 0


if __name__ == "__main__":
    sys.exit(main())
