"""Compare fst_walk's test-module set and order with pytest --collect-only.

Usage: /work/venv/bin/python tests/c/walk_compare/compare.py [DRIVER]

Builds walk_driver.c (fst_walk + fst_walk_apply_collect_ignore printing
its entries) unless a built DRIVER is given, generates trees in temp
directories, and checks for each that the file parts of pytest's node ids
(plus modules that failed to import, which are Module nodes too) are
exactly the walk's test modules, in the same order.  The symlink-cycle
scenario is an expected difference: pytest walks the cycle until the
kernel's symlink limit, the walker reports the cycle (ELOOP) instead.
"""

import os
import random
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join(HERE, "..", "..", "..", "csrc")
if len(sys.argv) > 1:
    DRIVER = sys.argv[1]
else:
    DRIVER = os.path.join(tempfile.mkdtemp(prefix="fst_walk_driver_"), "walk_driver")
    subprocess.run(
        [
            "cc",
            "-std=c11",
            "-D_GNU_SOURCE",
            "-O1",
            "-I",
            CSRC,
            os.path.join(HERE, "walk_driver.c"),
            os.path.join(CSRC, "fst_walk.c"),
            os.path.join(CSRC, "fst_alloc.c"),
            "-o",
            DRIVER,
        ],
        check=True,
    )
PY = "/work/venv/bin/python"
TEST = "def test_it():\n    pass\n"


def make(tree, files):
    for rel, content in files.items():
        p = os.path.join(tree, rel)
        if rel.endswith("/"):
            os.makedirs(p, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if isinstance(content, tuple) and content[0] == "symlink":
            os.symlink(content[1], p)
        else:
            with open(p, "w") as f:
                f.write(TEST if content is None else content)


def pytest_files(tree, args, ini):
    with open(os.path.join(tree, "pytest.ini"), "w") as f:
        f.write("[pytest]\n" + ini)
    out = subprocess.run(
        [PY, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *args],
        cwd=tree,
        capture_output=True,
        text=True,
    )
    seen = []
    for line in out.stdout.splitlines():
        if (
            line.startswith("ERROR collecting ")
            or line.startswith("_")
            and " ERROR collecting " in line
        ):
            f = line.split("ERROR collecting ")[1].split(" ")[0]
            seen.append(("error", f))
        elif "::" in line:
            f = line.split("::")[0]
            if f not in seen:
                seen.append(f)
    # Modules that failed to import are Module nodes too (pytest considered
    # them); their place in the order is not printed, so they are compared
    # as a set and the rest in order.
    errors = {f for k in seen if isinstance(k, tuple) for f in [k[1]]}
    return [f for f in seen if not isinstance(f, tuple)], errors, out


def walk_files(tree, dargs):
    out = subprocess.run([DRIVER, *dargs], cwd=tree, capture_output=True, text=True, check=True)
    seen, other = [], []
    for line in out.stdout.splitlines():
        kind, err, path = line.split("\t")
        rel = os.path.relpath(path, tree)
        if kind in "ME":
            seen.append(rel)
        else:
            other.append(f"{kind} {rel} {err}")
    return seen, other


def scenario(name, files, args, ini, dargs):
    tree = os.path.realpath(tempfile.mkdtemp(prefix="fst_cmp_"))
    try:
        make(tree, files)
        expected, errors, out = pytest_files(tree, ["--continue-on-collection-errors", *args], ini)
        dargs = [d.replace("{T}", tree) for d in dargs]
        if not any(d.startswith("root=") for d in dargs):
            dargs.append("root=" + tree)
        got, other = walk_files(tree, ["cc=" + tree] + dargs)
        ok = expected == [f for f in got if f not in errors] and set(got) == set(expected) | errors
        print(
            f"{'SAME' if ok else 'DIFF'} {name}: {len(expected)}+{len(errors)} failing modules (pytest) vs {len(got)} (walk); order {'equal' if ok else 'differs'}; walk also reports {other}"
        )
        if not ok and "cycle" in name:
            print(
                "  pytest walked the cycle:",
                len(expected),
                "module paths, deepest",
                max(map(len, expected)),
                "chars",
            )
        elif not ok:
            print("  pytest:", expected)
            print("  walk:  ", got)
            print(
                "  only pytest:",
                sorted(set(expected) - set(got)),
                "only walk:",
                sorted(set(got) - set(expected)),
            )
            print(out.stdout[-2000:], out.stderr[-2000:])
        return ok
    finally:
        subprocess.run(["chmod", "-R", "u+rwx", tree])
        shutil.rmtree(tree)


ok = True
rich = {
    "test_b.py": None,
    "test_a.py": None,
    "test_b/test_inner.py": None,
    "a/test_deep.py": None,
    "zz_test.py": None,
    "helper.py": None,
    "test_x.txt": "x",
    ".hidden/test_h.py": None,
    "build/test_build.py": None,
    "dist/test_d.py": None,
    "x.egg/test_e.py": None,
    "node_modules/test_n.py": None,
    "venv/test_v.py": None,
    "env/pyvenv.cfg": "",
    "env/test_env.py": None,
    "conda/conda-meta/history": "",
    "conda/test_c.py": None,
    "__pycache__/test_pc.py": None,
    "pkg/__init__.py": "",
    "pkg/test_p.py": None,
    "pkg/sub/test_ps.py": None,
    "pkg/conftest.py": "",
    "real/test_r.py": None,
    "linked": ("symlink", "real"),
    "test_dangling.py": ("symlink", "nowhere"),
    "test_linkfile.py": ("symlink", "real/test_r.py"),
    "Test_Upper.py": None,
    "test_.py": None,
    "test.py": None,
    "_test.py": None,
    "deep/a/b/c/d/e/test_deep5.py": None,
    "Build/test_case.py": None,
    ".py": None,
    "test_dot..py": None,
    "a-b/test_dash.py": None,
    "sp ace/test space.py": None,
    "uni/tést_é.py": None,
    "uni/test_é.py": None,
    "uni/test_z.py": None,
    "uni/test_Z.py": None,
    "uni/test_~.py": None,
}
ok &= scenario("default rules on a rich tree", rich, [], "", [])
ok &= scenario("collect-in-virtualenv", rich, ["--collect-in-virtualenv"], "", ["venv=1"])
ok &= scenario(
    "custom python_files/norecursedirs/--ignore/--ignore-glob",
    {
        "tests/unit/check_a.py": None,
        "other/check_b.py": None,
        "tests/fixtures/data/test_x.py": None,
        "tests/test_y.py": None,
        "tests/slow/test_s_slow.py": None,
        "tests/test_t_slow.py": None,
        "ign/test_i.py": None,
        "tests/ign2/test_i2.py": None,
        ".hidden/test_h.py": None,
        "build/test_b.py": None,
        "tests/test_keep_ign.py": None,
    },
    ["--ignore=ign", "--ignore=tests/ign2", "--ignore-glob=*_slow.py"],
    "python_files = tests/*/check_*.py test_*.py\nnorecursedirs = tests/fixtures build\n",
    [
        "pf=tests/*/check_*.py",
        "pf=test_*.py",
        "nr=tests/fixtures",
        "nr=build",
        "ig={T}/ign",
        "ig={T}/tests/ign2",
        "igg={T}/*_slow.py",
    ],
)
ok &= scenario(
    "explicit roots",
    {
        "helper.py": None,
        "sub/test_s.py": None,
        "sub/other.py": None,
        ".hidden/test_h.py": None,
        ".hidden/.deeper/test_d.py": None,
        "z/test_z.py": None,
        "conftest.py": "",
    },
    ["z", "helper.py", ".hidden", "sub/other.py"],
    "",
    ["root={T}/z", "root={T}/helper.py", "root={T}/.hidden", "root={T}/sub/other.py"],
)
ok &= scenario(
    "conftest collect_ignore, nearest wins",
    {
        "conftest.py": "collect_ignore = ['sub/test_a.py', 'test_c.py', 'skipdir']\n",
        "sub/conftest.py": "collect_ignore = ['test_b.py']\n",
        "sub/test_a.py": None,
        "sub/test_b.py": None,
        "test_c.py": None,
        "test_d.py": None,
        "skipdir/test_e.py": None,
        "other/test_f.py": None,
    },
    [],
    "",
    ["ci={T}|sub/test_a.py,test_c.py,skipdir", "ci={T}/sub|test_b.py"],
)
cyc = {"a/test_a.py": None, "a/up": ("symlink", ".."), "b/test_b.py": None}
scenario("symlink cycle (expected difference)", cyc, [], "", [])

ok &= scenario(
    "packages with python_files = *.py (__init__ first)",
    {
        "pkg/__init__.py": None,
        "pkg/_a.py": None,
        "pkg/b.py": None,
        "pkg/sub/__init__.py": None,
        "pkg/sub/A.py": None,
        "plain/_a.py": None,
        "plain/b.py": None,
    },
    [],
    "python_files = *.py\n",
    ["pf=*.py"],
)
for seed in range(3):
    rnd = random.Random(seed)
    names = [
        "a",
        "B",
        "tests",
        "test_x",
        ".git",
        "build",
        "dist",
        "_darcs",
        "venv",
        "node_modules",
        "x.egg",
        "__pycache__",
        "sub",
        "Sub",
        "z",
        "test",
        "a.b",
        "CVS",
        "{arch}",
        "é",
        "0",
    ]
    files = {}
    for i in range(400):
        depth = rnd.randint(0, 4)
        parts = [rnd.choice(names) for _ in range(depth)]
        fname = (
            rnd.choice(
                ["test_%d.py", "%d_test.py", "helper_%d.py", "test_%d.txt", "Test_%d.py", "test_%d"]
            )
            % i
        )
        files["/".join(parts + [fname])] = None
    for d in ["pkgone", "a/pkgtwo", "z/pkgthree"]:
        files[d + "/__init__.py"] = ""
        files[d + "/conftest.py"] = ""
    files["venvlike/pyvenv.cfg"] = ""
    files["venvlike/test_in_venv.py"] = None
    ok &= scenario(f"random tree seed {seed} ({len(files)} files)", files, [], "", [])
print("ALL SAME (apart from the expected symlink-cycle difference)" if ok else "SOME DIFFER")
if len(sys.argv) == 1:
    shutil.rmtree(os.path.dirname(DRIVER))
sys.exit(0 if ok else 1)
