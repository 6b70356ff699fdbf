"""Instructions executed by plain pytest and by pytest -p fastest, per process.

    python bench/instructions.py                       # the medium suite
    python bench/instructions.py --suite large --out /tmp/fastest-instructions

Wall times on a shared 2-core machine move by 10-20 % from one run to the
next; the number of instructions a run executes hardly moves (Valgrind's
callgrind counts them, whatever else the machine does). This script measures
what pytest-fastest adds to a suite's work, the quantity its speed-up on few
cores depends on, reproducibly:

1. generate the suite (bench/gen_suite.py) and warm it: plain pytest and
   pytest -p fastest twice each, so bytecode, discovery cache and recorded
   durations are in place, as in a repeated run;
2. run each once under ``valgrind --tool=callgrind --dump-before=fork``.
   A forked child starts with its parent's counters; dumping (and zeroing)
   them just before every fork() makes each process's files hold only its
   own instructions. The controller's first dump is its start-up: the
   interpreter, pytest and the plugins, up to the zygote's fork;
3. print the instructions of each process and the totals, the overhead per
   test, and the instruction ceiling: the best ratio any schedule could
   reach on --cores cores with these counts (the controller's start-up runs
   alone; the rest is divided evenly), before the machine's own losses
   (two busy processes slow each other down on shared cores).

Under Valgrind a run is about 50 times slower: medium takes a few minutes.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_suite  # noqa: E402
from run import COMMON_FLAGS, clean_env  # noqa: E402

PY = sys.executable
SUMMARY = re.compile(r"^summary: (\d+)$", re.MULTILINE)
PASSED = re.compile(r"(\d+) passed")


def callgrind(suite: Path, out: Path, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Run pytest under callgrind; return the controller's pid and pytest's output."""
    out.mkdir(parents=True, exist_ok=True)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--dump-before=fork",
        f"--callgrind-out-file={out}/cg.%p",
        PY,
        "-m",
        "pytest",
        *COMMON_FLAGS,
        *args,
    ]
    proc = subprocess.Popen(
        command, cwd=suite, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    text, _ = proc.communicate()
    return proc.pid, text


def per_process(out: Path) -> dict[int, list[int]]:
    """Each process's dumps in order (parts before each fork, then the rest)."""
    parts: dict[int, list[tuple[int, int]]] = {}
    for path in out.glob("cg.*"):
        pid, _, part = path.name[3:].partition(".")
        found = SUMMARY.search(path.read_text(errors="replace"))
        if found:  # a process killed by a signal leaves an empty last file
            order = int(part) if part else 1 << 30
            parts.setdefault(int(pid), []).append((order, int(found.group(1))))
    return {pid: [count for _, count in sorted(dumps)] for pid, dumps in parts.items()}


def millions(count: float) -> str:
    return f"{count / 1e6:,.0f} M"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", default="medium", choices=sorted(gen_suite.SUITES))
    parser.add_argument("--out", type=Path, default=None, help="work dir (default: a temp dir)")
    parser.add_argument("--cores", type=int, default=2, help="cores for the ceiling (default 2)")
    parser.add_argument(
        "--workers", default="auto", help="--fastest-workers for the fastest run (default auto)"
    )
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    work = args.out or Path(tempfile.mkdtemp(prefix="fastest-instructions-"))
    suite = work / args.suite
    gen_suite.generate(args.suite, suite)
    fastest_args = ["-p", "fastest", f"--fastest-workers={args.workers}"]
    env = clean_env()
    for extra in ([], [], fastest_args, fastest_args):  # warm-up
        run = [PY, "-m", "pytest", *COMMON_FLAGS, *extra]
        subprocess.run(run, cwd=suite, env=env, stdout=subprocess.DEVNULL, check=False)

    plain_pid, plain_text = callgrind(suite, work / "plain", [], env)
    fast_pid, fast_text = callgrind(suite, work / "fastest", fastest_args, env)
    plain = sum(per_process(work / "plain")[plain_pid])
    processes = per_process(work / "fastest")
    controller = processes.pop(fast_pid)
    startup = controller[0] if len(controller) > 1 else 0
    forked = {pid: sum(counts) for pid, counts in processes.items()}
    total = sum(controller) + sum(forked.values())

    tests = [int(m.group(1)) for m in PASSED.finditer(plain_text)]
    same = PASSED.findall(plain_text) == PASSED.findall(fast_text)
    print(f"suite {args.suite} ({tests[-1] if tests else '?'} passed; same summary: {same})")
    print(f"  plain pytest              {millions(plain):>12}")
    print(f"  fastest: controller       {millions(sum(controller)):>12}", end="")
    print(f"   (start-up up to the zygote's fork: {millions(startup)})")
    for pid, count in sorted(forked.items(), key=lambda item: -item[1]):
        role = "zygote" if count < 0.01 * total else "worker"
        print(f"  fastest: {role:<16} {millions(count):>12}   (pid {pid})")
    print(f"  fastest: all processes    {millions(total):>12}   ({total / plain:.3f}x plain's)")
    if tests:
        added = (total - plain) / tests[-1]
        print(f"  added per test            {added / 1e3:>10,.0f} K")
    best = startup + (total - startup) / args.cores
    print(f"  instruction ceiling on {args.cores} cores: {plain / best:.2f}x plain pytest")
    print(f"  (callgrind files: {work})")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
