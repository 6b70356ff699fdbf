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
new cache dir). Prints the times, the speed-ups, and whether every node id
has the same outcome in all three runs, with the same exit code and summary
counts (bench/outcomes.py's comparison). For figures worth quoting, use
bench/run.py (several interleaved rounds, memory, xdist, ceilings).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_suite  # noqa: E402
from outcomes import Outcomes, differences, record, recorder_copy  # noqa: E402
from run import COMMON_FLAGS, clean_env  # noqa: E402

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


def compare(label: str, cwd: Path, args: list[str], recorder: Path) -> bool:
    # A new cache dir: the first fastest run finds no durations recorded by
    # an earlier demo (networkx's rootdir is site-packages, shared by all).
    cache = cwd / ".demo-cache"
    pytest = [sys.executable, "-m", "pytest", *COMMON_FLAGS, "-o", f"cache_dir={cache}"]
    subprocess.run(
        [*pytest, "--collect-only", *args], cwd=cwd, env=clean_env(), capture_output=True
    )
    plain = record([*pytest, *args], cwd, recorder)
    first = record([*pytest, "-p", "fastest", *args], cwd, recorder)
    second = record([*pytest, "-p", "fastest", *args], cwd, recorder)
    diffs: list[tuple[str, list[str]]] = [
        (name, differences(plain, run)) for name, run in (("1st", first), ("2nd", second))
    ]
    same = not any(found for _, found in diffs)
    counts = ", ".join(f"{n} {k}" for k, n in plain.counts.items()) or f"exit {plain.exit_code}"
    print(
        f"{label:<26} {plain.seconds:7.2f}s {first.seconds:7.2f}s {_x(plain, first)} "
        f"{second.seconds:7.2f}s {_x(plain, second)}   {'yes' if same else 'NO'}  ({counts})",
        flush=True,
    )
    for name, found in diffs:
        for line in found:
            print(f"    fastest {name} run: {line}")
    return same


def _x(plain: Outcomes, run: Outcomes) -> str:
    return f"{plain.seconds / run.seconds:5.2f}x"


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
        recorder = recorder_copy(Path(tmp))
        medium = Path(tmp) / "medium"
        gen_suite.generate("medium", medium)
        ok &= compare("medium (2,000 tests)", medium, [], recorder)
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
            ok &= compare(label, where, _package_args(targets), recorder)
    print(
        "\nx = plain time / fastest time. The 1st run plans without recorded durations"
        " (a CI job that does not keep .pytest_cache); the 2nd with those the 1st recorded."
        "\nOne run each, so expect some noise (bench/run.py measures properly)."
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
