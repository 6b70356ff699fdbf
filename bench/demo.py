"""A two-minute demo: plain pytest and pytest -p fastest, side by side.

    .venv/bin/python bench/demo.py            # after: bash .ci/install
    .venv/bin/python bench/demo.py --full-networkx

Generates the "medium" suite (2,000 tests in 100 files, bench/gen_suite.py)
and, when networkx is installed, uses part of networkx's own test suite
(all of it with --full-networkx: several minutes). Each suite is first
collected once untimed (so both sides find the same bytecode caches), then
run once with plain pytest and twice with pytest -p fastest, with the same
flags: the first run has no recorded test durations (as a CI job that does
not keep .pytest_cache) and plans from what static discovery counts; the
second plans with the durations the first recorded (each suite gets its own
new cache dir). Prints the times, the speed-ups, and whether the exit codes
and outcome counts are identical. For figures worth quoting, use
bench/run.py (several interleaved rounds, memory, xdist, ceilings).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_suite  # noqa: E402
from run import COMMON_FLAGS, outcomes_of  # noqa: E402

# A part of networkx's tests that runs in well under a minute on 2 cores
# without numpy/scipy and exercises many small modules.
NX_SUBSET = [
    "networkx.classes",
    "networkx.generators",
    "networkx.algorithms.shortest_paths",
    "networkx.algorithms.flow",
]


def _package_args(modules: list[str]) -> list[str]:
    """Paths of installed packages as pytest arguments (--pyargs would keep
    -p fastest in-process), with their install directory as rootdir."""
    import importlib.util

    paths = []
    for module in modules:
        spec = importlib.util.find_spec(module)
        assert spec is not None and spec.origin is not None, module
        paths.append(str(Path(spec.origin).parent))
    top = importlib.util.find_spec(modules[0].split(".")[0])
    assert top is not None and top.origin is not None
    site = str(Path(top.origin).parent.parent)
    return ["-c", "pytest.ini", "--rootdir", site, *paths]


def timed(cmd: list[str], cwd: Path) -> tuple[float, int, dict[str, int]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # The untimed collection writes the bytecode caches both runs then use
    # (as bench/run.py by default), whatever the calling environment says.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return wall, proc.returncode, outcomes_of(proc.stdout)


def compare(label: str, cwd: Path, args: list[str]) -> bool:
    # A new cache dir: the first fastest run finds no durations recorded by
    # an earlier demo (networkx's rootdir is site-packages, shared by all).
    cache = cwd / ".demo-cache"
    pytest = [sys.executable, "-m", "pytest", *COMMON_FLAGS, "-o", f"cache_dir={cache}"]
    subprocess.run([*pytest, "--collect-only", *args], cwd=cwd, capture_output=True)
    plain = timed([*pytest, *args], cwd)
    first = timed([*pytest, "-p", "fastest", *args], cwd)
    second = timed([*pytest, "-p", "fastest", *args], cwd)
    same = plain[1:] == first[1:] == second[1:]
    counts = ", ".join(f"{n} {k}" for k, n in plain[2].items()) or f"exit code {plain[1]}"
    print(
        f"{label:<26} {plain[0]:7.2f}s {first[0]:7.2f}s {plain[0] / first[0]:5.2f}x "
        f"{second[0]:7.2f}s {plain[0] / second[0]:5.2f}x   {'yes' if same else 'NO'}  ({counts})",
        flush=True,
    )
    if not same:
        for name, run in (("plain", plain), ("fastest 1", first), ("fastest 2", second)):
            print(f"    {name:<9}: exit {run[1]} {run[2]}")
    return same


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--full-networkx", action="store_true", help="run all of networkx's tests (slow)"
    )
    parser.add_argument("--no-networkx", action="store_true", help="only the generated suite")
    args = parser.parse_args(argv)

    if importlib.util.find_spec("pytest_fastest") is None:
        print(
            "pytest-fastest is not installed in this interpreter: run `bash .ci/install` "
            "and use .venv/bin/python"
        )
        return 2
    import pytest

    cores = len(os.sched_getaffinity(0))
    print(
        f"pytest {pytest.__version__}, python {sys.version.split()[0]}, {cores} usable cores; "
        f"flags for both: {' '.join(COMMON_FLAGS)}\n"
    )
    print(
        f"{'':<26} {'':>8} {'fastest, 1st run':>15} {'fastest, 2nd run':>15}\n"
        f"{'suite':<26} {'plain':>8} {'time':>8} {'x':>6} {'time':>8} {'x':>6}   same outcomes"
    )
    ok = True
    with tempfile.TemporaryDirectory(prefix="fastest-demo-") as tmp:
        medium = Path(tmp) / "medium"
        gen_suite.generate("medium", medium)
        ok &= compare("medium (2,000 tests)", medium, [])
        if args.no_networkx:
            pass
        elif importlib.util.find_spec("networkx") is None:
            print("networkx is not installed: `pip install networkx` to add a real suite")
        else:
            where = Path(tmp) / "networkx"
            where.mkdir()
            (where / "pytest.ini").write_text("[pytest]\n")
            targets = ["networkx"] if args.full_networkx else NX_SUBSET
            label = "networkx" if args.full_networkx else "networkx (4 packages)"
            ok &= compare(label, where, _package_args(targets))
    print(
        "\nx = plain time / fastest time. The 1st run plans without recorded durations"
        " (a CI job that does not keep .pytest_cache); the 2nd with those the 1st recorded."
        "\nOne run each, so expect some noise (bench/run.py measures properly)."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
