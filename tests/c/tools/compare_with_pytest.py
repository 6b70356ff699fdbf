"""Compare fst_extract with real pytest collection.

    /work/venv/bin/python tests/c/tools/compare_with_pytest.py DUMP [--generate N] [--seed S] [FILE...]

DUMP is the built extract_dump tool; FILEs default to tests/c/fixtures/extract/*.py.
For every file the extractor calls static-exact, the node ids pytest 9
collects (`pytest --collect-only`) must equal ours in order, and each item's
line (item.location[1] + 1) and marker set (names from iter_markers()) must
match.  A first-line comment `# fst-config: python_functions=A,B python_classes=C`
sets pytest's name patterns for that file (and the extractor's).
--generate N also writes N random test modules combining the supported
features (and some unsupported ones) and checks them the same way.
Prints one line per mismatch and a summary; exit status 1 on any mismatch.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """
import json, os
def pytest_collection_finish(session):
    out = []
    for item in session.items:
        out.append([item.nodeid, item.location[1] + 1, sorted({m.name for m in item.iter_markers()})])
    with open(os.environ["FST_PROBE_OUT"], "w") as f:
        json.dump(out, f)
"""


def config_of(path: Path) -> dict[str, list[str]]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8", "replace")
    config = {"python_functions": ["test"], "python_classes": ["Test"]}
    if first.startswith("# fst-config:"):
        for part in first.split(":", 1)[1].split():
            key, _, value = part.partition("=")
            config[key] = value.split(",")
    return config


def run_pytest(workdir: Path, files: list[str], config: dict[str, list[str]]) -> dict[str, list]:
    out = workdir / "probe.json"
    env = dict(
        os.environ,
        FST_PROBE_OUT=str(out),
        PYTHONPATH=str(workdir / "_probe"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    args = [
        sys.executable,
        "-m",
        "pytest",
        "--collect-only",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "fst_probe",
        "--continue-on-collection-errors",
        "-c",
        str(workdir / "pytest.ini"),
        "--rootdir",
        str(workdir / "files"),
        "-W",
        "ignore::pytest.PytestCollectionWarning",
    ]
    for key, values in config.items():
        args += ["-o", f"{key}={' '.join(values)}"]
    if out.exists():
        out.unlink()
    subprocess.run(args + files, cwd=workdir / "files", env=env, capture_output=True, text=True)
    per_file: dict[str, list] = {f: [] for f in files}
    if out.exists():
        for nodeid, line, markers in json.loads(out.read_text()):
            per_file.setdefault(nodeid.split("::", 1)[0], []).append(
                (nodeid.split("::", 1)[1], line, markers)
            )
    return per_file


def run_dump(
    dump: str, workdir: Path, files: list[str], config: dict[str, list[str]]
) -> dict[str, dict]:
    args = [dump]
    for value in config["python_functions"]:
        args += ["--functions", value]
    for value in config["python_classes"]:
        args += ["--classes", value]
    result = subprocess.run(
        args + files, cwd=workdir / "files", capture_output=True, text=True, errors="replace"
    )
    per_file: dict[str, dict] = {}
    current = None
    for line in result.stdout.splitlines():
        kind, _, rest = line.partition(" ")
        if kind == "file":
            current = per_file[rest] = {"verdict": None, "items": []}
        elif kind == "verdict":
            current["verdict"] = rest
        elif kind == "item":
            name, lineno, markers = (rest.rsplit(" ", 2) + ["", ""])[:3]
            current["items"].append(
                (name, int(lineno), sorted(set(filter(None, markers.split(",")))))
            )
    return per_file


# ---------------------------------------------------------------- generator


def gen_value(r: random.Random) -> str:
    kind = r.randrange(14)
    if kind == 0:
        return str(r.randint(-1000, 10**6))
    if kind == 1:
        return repr(
            r.choice([0.5, 1.0, 1e16, 1e-5, 2.5e-7, 123456.789, 1e22, 0.1, 3.0e300, 7e-300])
        )
    if kind == 2:
        return r.choice(
            [
                '"abc"',
                "'x y'",
                '"é"',
                '"\\t\\n"',
                '"a\\\\b"',
                '"\\x00\\x7f"',
                '"日本"',
                '"\\U0001F600"',
                'r"\\d+"',
                '"""tri"""',
                '"a" "b"',
                '"%s"' % ("z" * 101),
                '"%s"' % ("z" * 100),
                '""',
                '"1"',
            ]
        )
    if kind == 3:
        return r.choice(['b"abc"', 'b"\\xff\\x00"', "b'\\\\'", 'rb"\\n"', 'b""'])
    if kind == 4:
        return r.choice(["None", "True", "False"])
    if kind == 5:
        return r.choice(["(1, 2)", "[1]", "{}", "{'a': 1}", "{1, 2}", "[x for x in range(2)]"])
    if kind == 6:
        return r.choice(
            ["0x1F", "0o17", "0b101", "1_000", "-0", "-1.5", "+3", "-0.0", "1j", "2.5j", "0"]
        )
    if kind == 7:
        return "lambda: 1"
    return str(r.randint(0, 5))


def gen_parametrize(r: random.Random, names: list[str], used: set[str]) -> str:
    n_args = r.choice([1, 1, 1, 2, 3])
    argnames = []
    for _ in range(n_args):
        name = r.choice("abcdefgh") + str(r.randint(0, 3))
        if name in used:
            continue
        used.add(name)
        argnames.append(name)
    if not argnames:
        return ""
    names.extend(argnames)
    style = r.randrange(4)
    if style == 0 or len(argnames) > 1 and style == 3:
        argspec = repr(",".join(argnames))
    elif style == 1:
        argspec = repr(", ".join(argnames))
    elif style == 2:
        argspec = repr(argnames)
    else:
        argspec = repr(argnames[0])
    n_sets = r.choice([0, 1, 2, 3, 3, 4, 6])
    sets = []
    for _ in range(n_sets):
        vals = [gen_value(r) for _ in argnames]
        if r.random() < 0.2:
            extra = []
            if r.random() < 0.7:
                extra.append("id=%r" % r.choice(["x", "y", "1", "é", "a b", "x0", ""]))
            if r.random() < 0.5:
                extra.append("marks=pytest.mark.%s" % r.choice(["slow", "skip", "xfail"]))
            sets.append("pytest.param(%s)" % ", ".join(vals + extra))
        elif len(argnames) == 1 and style != 2 and not argspec.endswith(",'"):
            sets.append(vals[0])
        else:
            sets.append("(%s)" % ", ".join(vals) if len(vals) > 1 else "(%s,)" % vals[0])
    ids = ""
    if n_sets and r.random() < 0.2:
        ids = ", ids=[%s]" % ", ".join(
            r.choice(['"i"', '"j"', "None", "1", "'k'"]) for _ in range(n_sets)
        )
    return "@pytest.mark.parametrize(%s, [%s]%s)\n" % (argspec, ", ".join(sets), ids)


def gen_function(r: random.Random, name: str, method: bool, class_params: list[str]) -> str:
    decorators = []
    params: list[str] = []
    used: set[str] = set(class_params)
    for _ in range(r.choice([0, 0, 1, 1, 2])):
        d = gen_parametrize(r, params, used)
        if d:
            decorators.append(d)
    if r.random() < 0.3:
        decorators.insert(
            r.randrange(len(decorators) + 1),
            "@pytest.mark.%s\n"
            % r.choice(["slow", "fast", "skipif(False, reason='x')", "usefixtures('tmp_path')"]),
        )
    if r.random() < 0.05:
        decorators.append("@pytest.fixture\n")
    if r.random() < 0.03:
        decorators.append("@some_decorator\n")
    args = (["self"] if method else []) + params + class_params
    body = "    pass\n" if r.random() > 0.03 else "    yield\n"
    text = "".join(decorators) + "def %s(%s):\n" % (name, ", ".join(args)) + body
    if r.random() < 0.05:
        text = text.replace("def ", "async def ", 1)
    return text


def indent(text: str) -> str:
    return "".join(("    " + line if line.strip() else line) for line in text.splitlines(True))


def gen_class(r: random.Random, name: str, bases: list[str], depth: int) -> str:
    decorators = ""
    class_params: list[str] = []
    if r.random() < 0.2:
        used: set[str] = set()
        decorators += gen_parametrize(r, class_params, used)
    if r.random() < 0.2:
        decorators += "@pytest.mark.cls%d\n" % r.randrange(3)
    base = "(%s)" % r.choice(bases) if bases and r.random() < 0.4 else ""
    body = []
    if r.random() < 0.1:
        body.append("pytestmark = [pytest.mark.inner]\n")
    if r.random() < 0.04:
        body.append("__test__ = False\n")
    if r.random() < 0.04:
        body.append("def __init__(self):\n    pass\n")
    for i in range(r.randint(0, 4)):
        fname = r.choice(["test_m%d" % r.randrange(4), "helper%d" % i, "test_n%d" % i])
        deco = ""
        if r.random() < 0.05:
            deco = "@staticmethod\n"
            fn = gen_function(r, fname, False, class_params)
        else:
            fn = gen_function(r, fname, True, class_params)
        body.append(deco + fn)
    if depth < 2 and r.random() < 0.2:
        body.append(gen_class(r, "TestInner%d" % r.randrange(2), [], depth + 1))
    if not body:
        body.append("pass\n")
    return decorators + "class %s%s:\n" % (name, base) + "".join(indent(b) for b in body)


def gen_module(r: random.Random) -> str:
    parts = ["import pytest\n\n\ndef some_decorator(f):\n    return f\n"]
    if r.random() < 0.15:
        parts.append(
            "pytestmark = %s\n"
            % r.choice(
                [
                    "pytest.mark.mod",
                    "[pytest.mark.mod, pytest.mark.other]",
                    "pytest.mark.parametrize('z', [1, 2])",
                ]
            )
        )
    classes: list[str] = []
    for i in range(r.randint(1, 7)):
        kind = r.random()
        if kind < 0.55:
            name = r.choice(["test_f%d" % r.randrange(5), "helper_%d" % i, "test_g%d" % i])
            params = ["z"] if "'z'" in parts[-1] else []
            parts.append(gen_function(r, name, False, params))
        elif kind < 0.9:
            name = r.choice(["Test%d" % r.randrange(4), "Base%d" % i, "TestC%d" % i])
            parts.append(gen_class(r, name, classes, 0))
            classes.append(name)
        elif kind < 0.95:
            parts.append("test_data%d = [1, 2]\n" % i)
        else:
            parts.append("try:\n    import json\nexcept ImportError:\n    json = None\n")
    if r.random() < 0.03:
        parts.append("__test__ = False\n")
    return "\n".join(parts)


def main() -> int:
    args = sys.argv[1:]
    if not args:
        print(__doc__)
        return 2
    dump = os.path.abspath(args.pop(0))
    generate, seed = 0, 1
    files: list[Path] = []
    while args:
        a = args.pop(0)
        if a == "--generate":
            generate = int(args.pop(0))
        elif a == "--seed":
            seed = int(args.pop(0))
        else:
            files.append(Path(a))
    if not files and not generate:
        files = sorted((Path(__file__).resolve().parents[1] / "fixtures" / "extract").glob("*.py"))
    workdir = Path(tempfile.mkdtemp(prefix="fst-compare-"))
    try:
        (workdir / "_probe").mkdir()
        (workdir / "_probe" / "fst_probe.py").write_text(PROBE)
        (workdir / "pytest.ini").write_text("[pytest]\n")
        (workdir / "files").mkdir()
        groups: dict[str, tuple[dict, list[str]]] = {}
        for f in files:
            target = workdir / "files" / f.name
            shutil.copyfile(f, target)
            config = config_of(target)
            groups.setdefault(json.dumps(config, sort_keys=True), (config, []))[1].append(f.name)
        r = random.Random(seed)
        for i in range(generate):
            name = "test_gen_%04d.py" % i
            (workdir / "files" / name).write_text(gen_module(r))
            groups.setdefault(
                json.dumps(config_of(workdir / "files" / name), sort_keys=True),
                (config_of(workdir / "files" / name), []),
            )[1].append(name)
        exact = needs = mismatches = items = 0
        for config, names in groups.values():
            expected = run_pytest(workdir, names, config)
            ours = run_dump(dump, workdir, names, config)
            for name in names:
                mine = ours.get(name)
                if mine is None:
                    print(f"MISSING {name}: no dump output")
                    mismatches += 1
                    continue
                if mine["verdict"] != "static-exact":
                    needs += 1
                    continue
                exact += 1
                theirs = expected.get(name, [])
                items += len(theirs)
                if [i[0] for i in mine["items"]] != [i[0] for i in theirs]:
                    mismatches += 1
                    print(
                        f"MISMATCH ids {name}\n  ours:   {[i[0] for i in mine['items']]}\n  pytest: {[i[0] for i in theirs]}"
                    )
                    if generate and len(names) > 0:
                        keep = Path(tempfile.gettempdir()) / ("fst-mismatch-" + name)
                        shutil.copyfile(workdir / "files" / name, keep)
                        print(f"  kept as {keep}")
                    continue
                for a, b in zip(mine["items"], theirs):
                    if a[1] != b[1] or a[2] != b[2]:
                        mismatches += 1
                        print(
                            f"MISMATCH line/markers {name}::{a[0]}: ours {a[1]} {a[2]}, pytest {b[1]} {b[2]}"
                        )
                        break
        print(
            f"files: {exact + needs} (static-exact {exact}, needs-import {needs}); "
            f"items checked: {items}; mismatches: {mismatches}"
        )
        return 1 if mismatches else 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
