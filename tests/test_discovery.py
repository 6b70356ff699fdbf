"""Static discovery against pytest's own collection.

``python -m pytest_fastest discover`` (and the plugin's plan, which uses the
same inventory) may only claim what pytest would collect. These tests run
both on the same trees and compare: node ids of every static-exact file,
the walker's file set against the Module nodes pytest collects, bad input
(never a crash or a hang, always needs-import with a reason), the cache, and
a real suite (networkx, slow).
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest
from equivalence import assert_same, run_both

ROOT = Path(__file__).resolve().parent.parent

# --- helpers ---------------------------------------------------------------


def discover(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """``python -m pytest_fastest discover ARGS`` in `cwd`."""
    return subprocess.run(
        [sys.executable, "-m", "pytest_fastest", "discover", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def discover_json(cwd: Path, *args: str, cache: bool = False) -> dict[str, Any]:
    proc = discover(cwd, "--json", *([] if cache else ["--no-cache"]), *args)
    assert proc.returncode == 0, proc.stderr
    document: dict[str, Any] = json.loads(proc.stdout)
    return document


def walker_files(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The walker's test files (what pytest makes Module nodes of), by relpath."""
    return {f["file"]: f for f in document["files"] if f["kind"] in ("test-module", "explicit")}


def collected_ids(pytester: pytest.Pytester, *args: str) -> dict[str, list[str]]:
    """Node ids of `pytest --collect-only -q ARGS`, grouped by file, in order."""
    result = pytester.runpytest_subprocess("--collect-only", "-q", "-p", "no:cacheprovider", *args)
    assert result.ret in (0, 5), result.stdout.str()
    ids: dict[str, list[str]] = collections.defaultdict(list)
    for line in result.outlines:
        if "::" in line and not line.startswith(" "):
            ids[line.split("::", 1)[0]].append(line)
    return ids


MODULE_RECORDER = """
import json, os
import pytest

_modules = []

def pytest_collectstart(collector):
    if isinstance(collector, pytest.Module):
        _modules.append(collector.nodeid)

def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        return
    with open(os.environ["FASTEST_MODULES"], "w") as f:
        json.dump(_modules, f)
"""


def collected_modules(pytester: pytest.Pytester, *args: str) -> set[str]:
    """Node ids of every Module pytest collects (files with zero tests too)."""
    pytester.makepyfile(fastest_module_recorder=MODULE_RECORDER)
    record = pytester.path / "modules.json"
    os.environ["FASTEST_MODULES"] = str(record)
    try:
        result = pytester.runpytest_subprocess(
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "fastest_module_recorder",
            "--ignore=fastest_module_recorder.py",
            *args,
        )
    finally:
        del os.environ["FASTEST_MODULES"]
    assert result.ret in (0, 5), result.stdout.str()
    return set(json.loads(record.read_text()))


def planned_units(pytester: pytest.Pytester, *args: str) -> list[str]:
    """The units `pytest -p fastest --fastest-explain --fastest-workers=2` plans."""
    result = pytester.runpytest_subprocess(
        "-p",
        "fastest",
        "--fastest-explain",
        "--fastest-workers=2",
        "-p",
        "no:cacheprovider",
        "--ignore=fastest_module_recorder.py",
        *args,
    )
    if any(line.startswith("fastest: in-process:") for line in result.outlines):
        return ["."]  # pytest's own collection of the whole run
    units = []
    for line in result.outlines:
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("gw") and parts[1].endswith("s"):
            units.append(parts[2])
    assert units, result.stdout.str()
    return units


def is_below(path: str, directory: str) -> bool:
    return directory == "." or path == directory or path.startswith(directory.rstrip("/") + "/")


def write_tree(base: Path, files: dict[str, str | bytes]) -> None:
    for relpath, content in files.items():
        path = base / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content))


# --- 1. node ids -------------------------------------------------------------

SHAPES: dict[str, str] = {
    "pytest.ini": "[pytest]\n",
    "test_shapes.py": """
        import pytest

        def test_plain():
            pass

        def testnounderscore():
            pass

        async def test_async():
            pass

        test_value = 3

        def helper_test():
            pass

        class TestGroup:
            def test_method(self):
                pass

            @staticmethod
            def test_static():
                pass

            @classmethod
            def test_classmethod(cls):
                pass

            class TestNested:
                def test_inner(self):
                    pass

            def not_a_test(self):
                pass

        class TestBase:
            def test_inherited(self):
                pass

        class TestChild(TestBase):
            def test_own(self):
                pass

        class NotATest:
            def test_ignored(self):
                pass

        class TestHidden:
            __test__ = False

            def test_x(self):
                pass

        def test_redefined():
            pass

        def test_redefined():
            pass

        @pytest.mark.skip(reason="r")
        # a comment between decorators
        @pytest.mark.xfail
        def test_marked():
            pass

        class Testing:
            pytestmark = pytest.mark.foo

            def test_prefix_only(self):
                pass

        class TestA:
            class TestB:
                class TestC:
                    @pytest.mark.parametrize("v", [1])
                    def test_deep(self, v):
                        pass
    """,
    "test_params.py": """
        import pytest

        @pytest.mark.parametrize(
            "x", [1, 2, -3, 0.5, 1e3, None, True, False, "a", "b c", "", "é", "a/b", "a::b", b"by"]
        )
        def test_scalars(x):
            pass

        @pytest.mark.parametrize("a,b", [(1, 2), (3, 4)])
        def test_comma_names(a, b):
            pass

        @pytest.mark.parametrize(("a", "b"), [(1, "x"), (None, 2.5)])
        def test_tuple_argnames(a, b):
            pass

        @pytest.mark.parametrize(["a", "b"], [[1, 2]])
        def test_list_argnames(a, b):
            pass

        @pytest.mark.parametrize("x", [1, 2], ids=["one", "two"])
        def test_ids(x):
            pass

        @pytest.mark.parametrize("x", [1, 2], ids=("p", "q"))
        def test_tuple_ids(x):
            pass

        @pytest.mark.parametrize("x", [1, 2], ids=["a", None])
        def test_none_in_ids(x):
            pass

        @pytest.mark.parametrize("x", [1, 2], ids=["same", "same"])
        def test_duplicate_ids(x):
            pass

        @pytest.mark.parametrize(
            "x",
            [
                pytest.param(1, id="first"),
                pytest.param(2),
                pytest.param(3, marks=pytest.mark.xfail),
            ],
        )
        def test_param_objects(x):
            pass

        @pytest.mark.parametrize("x", [pytest.param(1, id="é"), pytest.param(2, id="a b")])
        def test_param_ids(x):
            pass

        @pytest.mark.parametrize("x", [1, 1, 1])
        def test_duplicates(x):
            pass

        @pytest.mark.parametrize("x", ["a", "a", "b"])
        def test_duplicate_strings(x):
            pass

        @pytest.mark.parametrize("x", [])
        def test_empty(x):
            pass

        @pytest.mark.parametrize("a", [0, 1])
        @pytest.mark.parametrize("b", ["x", "y"])
        def test_stacked(a, b):
            pass

        @pytest.mark.parametrize("x", [True, False, None])
        @pytest.mark.parametrize("y", [pytest.param("a", marks=[pytest.mark.skip])])
        def test_stacked_params(x, y):
            pass

        class TestParams:
            @pytest.mark.parametrize("x", [(1, 2), (3,)])
            def test_in_class(self, x):
                pass

        @pytest.mark.parametrize("x", [1, 2])
        class TestClassParam:
            def test_a(self, x):
                pass

        @pytest.mark.parametrize("x", [-0.0, 0x10, 1_000, 0o7, 0b11, 1.50, .5, 3j, 1e100, 1.0e-5])
        def test_numbers(x):
            pass

        @pytest.mark.parametrize(
            "x", [r"\\d", "a" "b", '''tri
        ple''', "\\\\", "\\u00e9", '"q"', "[x]", "-", 'single', "a\\tb", "  spaces  "]
        )
        def test_strings(x):
            pass

        @pytest.mark.parametrize("x", [(1, 2)])
        def test_single_name_tuple(x):
            pass

        @pytest.mark.parametrize("x,", [(1,), (2,)])
        def test_trailing_comma_name(x):
            pass

        @pytest.mark.parametrize(argnames="x", argvalues=[1, 2])
        def test_keyword_args(x):
            pass

        @pytest.mark.parametrize("x", (1, 2))
        def test_tuple_values(x):
            pass
    """,
    "test_module_mark.py": """
        import pytest

        pytestmark = pytest.mark.parametrize("x", [1, 2])

        def test_a(x):
            pass
    """,
    "test_empty.py": "",
    "util_test.py": """
        def test_suffix_style():
            pass
    """,
    # needs-import: what shapes the node ids is decided at import.
    "test_conditional.py": """
        import sys

        if sys.platform:
            def test_platform():
                pass
    """,
    "test_try.py": """
        try:
            import json

            def test_json():
                pass
        except ImportError:
            pass
    """,
    "test_alias.py": """
        def test_a():
            pass

        test_b = test_a
    """,
    "test_star.py": """
        from os.path import *

        def test_a():
            pass
    """,
    "test_computed.py": """
        import pytest

        @pytest.mark.parametrize("x", list(range(3)))
        def test_range(x):
            pass
    """,
    "test_init.py": """
        class TestWithInit:
            def __init__(self):
                pass

            def test_never(self):
                pass
    """,
}

NEEDS_IMPORT = {
    "test_conditional.py",
    "test_try.py",
    "test_alias.py",
    "test_star.py",
    "test_computed.py",
    "test_init.py",
}


class TestNodeIds:
    def test_static_exact_files_have_the_node_ids_pytest_collects(
        self, pytester: pytest.Pytester
    ) -> None:
        """Guards the extraction rules: a static-exact file lists pytest's ids, in order."""
        write_tree(pytester.path, SHAPES)
        files = walker_files(discover_json(pytester.path))
        real = collected_ids(pytester)
        static = {name: f for name, f in files.items() if f["verdict"] == "static-exact"}
        assert set(static) == set(files) - NEEDS_IMPORT
        for name, info in static.items():
            assert [t["nodeid"] for t in info["tests"]] == real.get(name, []), name
        assert sum(len(real[name]) for name in static) >= 90

    def test_definitions_decided_at_import_are_needs_import_with_a_reason(
        self, pytester: pytest.Pytester
    ) -> None:
        """Guards against guessing: conditional, aliased, star-imported or computed tests."""
        write_tree(pytester.path, SHAPES)
        files = walker_files(discover_json(pytester.path))
        for name in NEEDS_IMPORT:
            assert files[name]["verdict"] == "needs-import", name
            assert files[name]["reason"], name

    def test_plain_output_lists_the_node_ids_and_needs_import_files_on_stderr(
        self, pytester: pytest.Pytester
    ) -> None:
        write_tree(pytester.path, SHAPES)
        proc = discover(pytester.path, "--no-cache")
        assert proc.returncode == 0, proc.stderr
        real = collected_ids(pytester)
        expected = [i for name in sorted(real) if name not in NEEDS_IMPORT for i in real[name]]
        assert sorted(proc.stdout.splitlines()) == sorted(expected)
        assert {line.split(":")[0] for line in proc.stderr.splitlines()} == NEEDS_IMPORT

    def test_generated_benchmark_suite_is_static_exact_with_pytests_node_ids(
        self, pytester: pytest.Pytester
    ) -> None:
        suite = pytester.path / "medium"
        subprocess.run(
            [sys.executable, str(ROOT / "bench" / "gen_suite.py"), "medium", str(suite)],
            check=True,
        )
        files = walker_files(discover_json(suite))
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=suite,
            capture_output=True,
            text=True,
        )
        real = sorted(line for line in result.stdout.splitlines() if "::" in line)
        assert len(files) == 100
        assert all(f["verdict"] == "static-exact" for f in files.values())
        assert sorted(t["nodeid"] for f in files.values() for t in f["tests"]) == real

    def test_discover_does_not_import_pytest(self, pytester: pytest.Pytester) -> None:
        """Guards the editor use: discover answers without pytest's 0.2 s import."""
        write_tree(pytester.path, SHAPES)
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "pytest_fastest", "discover", "--no-cache"],
            cwd=pytester.path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0
        imported = {
            line.split("|")[-1].strip()
            for line in proc.stderr.splitlines()
            if line.startswith("import time:")
        }
        assert "pytest_fastest.cli" in imported
        assert not {m for m in imported if m.split(".")[0] in ("pytest", "_pytest", "pluggy")}
        # Nor the heavier parts of the standard library an editor would wait for
        # (argparse, typing; tree-sitter-python's __init__ and importlib.resources).
        assert not imported & {"argparse", "typing", "tree_sitter_python", "importlib.resources"}

    def test_the_grammar_package_still_imports_normally_after_discovery(self) -> None:
        code = (
            "from pytest_fastest import core\n"
            "core.load()\n"
            "import tree_sitter_python as t\n"
            "assert t._binding.language() is not None and t.language() is not None\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr

    def test_a_missing_path_exits_4_and_names_it(self, pytester: pytest.Pytester) -> None:
        write_tree(pytester.path, SHAPES)
        proc = discover(pytester.path, "no_such_dir")
        plain = pytester.runpytest_subprocess("no_such_dir")
        assert proc.returncode == plain.ret == 4
        assert proc.stdout == ""
        assert proc.stderr.strip().splitlines() == [
            f"error: file or directory not found: {pytester.path / 'no_such_dir'}"
        ]

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--bogus"], "unrecognized arguments: --bogus"),
            (["--threads", "x"], "--threads: invalid int value: 'x'"),
            (["--threads"], "--threads: invalid int value: ''"),
        ],
    )
    def test_bad_arguments_are_a_usage_error(
        self, pytester: pytest.Pytester, args: list[str], message: str
    ) -> None:
        proc = discover(pytester.path, *args)
        assert proc.returncode == 2
        assert proc.stdout == ""
        assert proc.stderr.splitlines()[-1] == f"python -m pytest_fastest: error: {message}"

    def test_help_and_options_in_any_order(self, pytester: pytest.Pytester) -> None:
        assert "--no-cache" in discover(pytester.path, "--help").stdout
        write_tree(pytester.path, SHAPES)
        default = discover(pytester.path, "--no-cache")
        spelled = discover(pytester.path, "--threads=1", ".", "--no-cache", "--threads", "2")
        assert spelled.returncode == default.returncode == 0
        assert spelled.stdout == default.stdout != ""

    def test_rootdir_without_config_file_is_pytests(self, pytester: pytest.Pytester) -> None:
        """Regression: with no config file pytest roots at the common ancestor of the
        invocation dir and the arguments (``pytest pkg`` in site-packages gives
        ``pkg/...`` ids), not at the argument itself."""
        write_tree(pytester.path, {"pkg/tests/test_a.py": "def test_a():\n    pass\n"})
        document = discover_json(pytester.path, "pkg")
        assert Path(document["rootdir"]) == pytester.path
        assert [t["nodeid"] for t in walker_files(document)["pkg/tests/test_a.py"]["tests"]] == (
            collected_ids(pytester, "pkg")["pkg/tests/test_a.py"]
        )


# --- 2. the walker's file set -----------------------------------------------

TREES: dict[str, dict[str, str]] = {
    "collection-hooks": {
        "pytest.ini": "[pytest]\n",
        "test_top.py": "def test_top():\n    pass\n",
        "yaml_tests/conftest.py": """
            import pytest

            class YamlItem(pytest.Item):
                def runtest(self):
                    pass

            class YamlFile(pytest.File):
                def collect(self):
                    yield YamlItem.from_parent(self, name="case")

            def pytest_collect_file(parent, file_path):
                if file_path.suffix == ".yaml":
                    return YamlFile.from_parent(parent, path=file_path)
        """,
        "yaml_tests/test_in_yaml_dir.py": "def test_y():\n    pass\n",
        "yaml_tests/cases.yaml": "x: 1\n",
        "picky/conftest.py": """
            def pytest_ignore_collect(collection_path, config):
                if collection_path.name == "test_hidden_by_hook.py":
                    return True
        """,
        "picky/test_hidden_by_hook.py": "def test_h():\n    pass\n",
        "picky/test_kept.py": "def test_k():\n    pass\n",
    },
    "collect-ignore": {
        "pytest.ini": "[pytest]\n",
        "conftest.py": """
            collect_ignore = ["test_ignored.py", "skipdir", "sub/test_deep_ignored.py"]
            collect_ignore_glob = ["*_glob.py"]
        """,
        "test_ignored.py": "def test_i():\n    pass\n",
        "test_kept.py": "def test_k():\n    pass\n",
        "test_by_glob.py": "def test_g():\n    pass\n",
        "skipdir/test_s.py": "def test_s():\n    pass\n",
        "sub/test_deep_ignored.py": "def test_d():\n    pass\n",
        "sub/test_deep_kept.py": "def test_d():\n    pass\n",
        "sub/conftest.py": "collect_ignore = ['test_local.py']\n",
        "sub/test_local.py": "def test_l():\n    pass\n",
    },
    "ignore-options": {
        "pytest.ini": (
            "[pytest]\naddopts = --ignore=skip_me --ignore-glob=*_generated.py"
            " --ignore=tests/test_one.py\n"
        ),
        "skip_me/test_a.py": "def test_a():\n    pass\n",
        "tests/test_one.py": "def test_one():\n    pass\n",
        "tests/test_two.py": "def test_two():\n    pass\n",
        "tests/test_x_generated.py": "def test_g():\n    pass\n",
    },
    "recursion-rules": {
        "pytest.ini": "[pytest]\nnorecursedirs = skip_* .* __pycache__\n",
        "skip_this/test_a.py": "def test_a():\n    pass\n",
        "build/test_b.py": "def test_b():\n    pass\n",
        ".hidden/test_h.py": "def test_h():\n    pass\n",
        "__pycache__/test_p.py": "def test_p():\n    pass\n",
        "env/pyvenv.cfg": "home = /usr/bin\n",
        "env/test_venv.py": "def test_v():\n    pass\n",
        "pkg/__init__.py": "",
        "pkg/test_in_package.py": "def test_p():\n    pass\n",
        "pkg/inner/test_deeper.py": "def test_d():\n    pass\n",
        "test_helpers_only.py": "def helper():\n    pass\n",
        "test_zero.py": "",
        "check_me.py": "def test_n():\n    pass\n",
    },
    "testpaths": {
        "pytest.ini": "[pytest]\ntestpaths = tests other\n",
        "tests/test_a.py": "def test_a():\n    pass\n",
        "other/test_b.py": "def test_b():\n    pass\n",
        "elsewhere/test_c.py": "def test_c():\n    pass\n",
    },
    "pytest-plugins": {
        "pytest.ini": "[pytest]\n",
        "test_top.py": "def test_top():\n    pass\n",
        "helpers.py": "import pytest\n\n@pytest.fixture\ndef helper():\n    return 1\n",
        "conftest.py": "pytest_plugins = ['helpers']\n",
        "sub/test_uses_helper.py": "def test_u(helper):\n    assert helper == 1\n",
        "other/test_other.py": "def test_o(helper):\n    assert helper == 1\n",
    },
}


def check_file_set(pytester: pytest.Pytester, tree: str, *args: str) -> dict[str, Any]:
    """The walker's files, outside whole subtrees, are exactly pytest's modules there;
    every module pytest collects is in the plan (as a unit or inside a whole subtree)."""
    write_tree(pytester.path, TREES[tree])
    document = discover_json(pytester.path, *args)
    subtrees = set(document["whole_subtrees"])
    walker = set(walker_files(document))
    modules = collected_modules(pytester, *args)

    def outside(paths: set[str]) -> set[str]:
        return {p for p in paths if not any(is_below(p, d) for d in subtrees)}

    assert outside(walker) == outside(modules)
    units = planned_units(pytester, *args)
    assert all(any(is_below(m, u) for u in units) for m in modules), (units, modules)
    return {"walker": walker, "modules": modules, "subtrees": subtrees, "units": units}


class TestFileSet:
    def test_conftest_collection_hooks_hand_their_subtree_whole_to_pytest(
        self, pytester: pytest.Pytester
    ) -> None:
        found = check_file_set(pytester, "collection-hooks")
        assert found["subtrees"] == {"yaml_tests", "picky"}
        assert "picky/test_hidden_by_hook.py" not in found["modules"]
        assert {"yaml_tests", "picky"} <= set(found["units"])

    def test_literal_collect_ignore_and_globs_hide_what_pytest_hides(
        self, pytester: pytest.Pytester
    ) -> None:
        found = check_file_set(pytester, "collect-ignore")
        assert found["subtrees"] == set()
        # The nearest conftest defining collect_ignore wins: sub/conftest.py's
        # list replaces the root's for sub/, as in pytest.
        assert found["walker"] == {
            "test_kept.py",
            "sub/test_deep_kept.py",
            "sub/test_deep_ignored.py",
        }

    def test_ignore_options_from_addopts_hide_what_pytest_hides(
        self, pytester: pytest.Pytester
    ) -> None:
        found = check_file_set(pytester, "ignore-options")
        assert found["walker"] == {"tests/test_two.py"}

    def test_norecursedirs_hidden_cache_and_virtualenv_dirs_are_skipped(
        self, pytester: pytest.Pytester
    ) -> None:
        """Also files with zero tests: pytest still makes Module nodes of them."""
        found = check_file_set(pytester, "recursion-rules")
        assert found["walker"] == {
            "build/test_b.py",
            "pkg/test_in_package.py",
            "pkg/inner/test_deeper.py",
            "test_helpers_only.py",
            "test_zero.py",
        }

    def test_testpaths_are_the_roots_without_arguments(self, pytester: pytest.Pytester) -> None:
        found = check_file_set(pytester, "testpaths")
        assert found["walker"] == {"tests/test_a.py", "other/test_b.py"}

    def test_explicit_file_arguments_are_collected_whatever_their_name(
        self, pytester: pytest.Pytester
    ) -> None:
        found = check_file_set(
            pytester, "recursion-rules", "check_me.py", "pkg", "skip_this/test_a.py"
        )
        assert found["walker"] == {
            "check_me.py",
            "pkg/test_in_package.py",
            "pkg/inner/test_deeper.py",
            "skip_this/test_a.py",
        }

    def test_pytest_plugins_in_the_root_conftest_keeps_every_module_planned(
        self, pytester: pytest.Pytester
    ) -> None:
        """pytest allows pytest_plugins only in root conftests (elsewhere it is a
        collection error). Today's rule (discovery.SUBTREE_HOOKS has
        FACT_PYTEST_PLUGINS) hands the root's whole tree to pytest: the run goes
        in-process. This guards that nothing is lost either way."""
        found = check_file_set(pytester, "pytest-plugins")
        assert found["subtrees"] == {"."}
        assert found["modules"] == {"test_top.py", "sub/test_uses_helper.py", "other/test_other.py"}


# --- 3. bad input ------------------------------------------------------------

BAD_TREE: dict[str, str | bytes] = {
    "pytest.ini": "[pytest]\n",
    "test_good.py": "def test_good():\n    pass\n",
    "test_syntax.py": "def test_broken(:\n    pass\n",
    "test_nul.py": b"def test_nul():\n    pass\n\x00\x00\n",
    "test_latin1.py": b"def test_caf\xe9():\n    pass\n",
    "test_bom.py": b"\xef\xbb\xbfdef test_bom():\n    pass\n",
    "test_empty.py": b"",
}
BROKEN = {"test_syntax.py", "test_nul.py", "test_latin1.py"}


def big_file() -> str:
    """About 10 MB of valid Python around two tests."""
    line = "X = [" + ", ".join(str(i) for i in range(200)) + "]\n"
    return (
        "def test_before():\n    pass\n\n"
        + line * (10_000_000 // len(line))
        + "\ndef test_after():\n    pass\n"
    )


def collected_ids_tolerant(pytester: pytest.Pytester) -> dict[str, list[str]]:
    """Like collected_ids, for trees with collection errors (exit code 2)."""
    result = pytester.runpytest_subprocess(
        "--collect-only", "-q", "-p", "no:cacheprovider", "--continue-on-collection-errors"
    )
    ids: dict[str, list[str]] = collections.defaultdict(list)
    for line in result.outlines:
        if "::" in line and not line.startswith(" "):
            ids[line.split("::", 1)[0]].append(line)
    return ids


def summary(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.strip()]
    return lines[-1].rsplit(" in ", 1)[0] if lines else ""


def error_lines(stdout: str) -> list[str]:
    return sorted(line for line in stdout.splitlines() if line.startswith("ERROR "))


class TestBadInput:
    def test_unreadable_python_is_needs_import_with_the_reason(
        self, pytester: pytest.Pytester
    ) -> None:
        """Syntax errors, NUL bytes and invalid UTF-8 are left to pytest's import;
        a BOM or an empty file is either read exactly or needs-import too."""
        write_tree(pytester.path, BAD_TREE)
        files = walker_files(discover_json(pytester.path))
        real = collected_ids_tolerant(pytester)
        for name in BROKEN:
            assert files[name]["verdict"] == "needs-import", name
            assert files[name]["reason"], name
        for name in set(files) - BROKEN:
            if files[name]["verdict"] == "static-exact":
                assert [t["nodeid"] for t in files[name]["tests"]] == real.get(name, []), name
            else:
                assert files[name]["reason"], name

    def test_unreadable_python_gives_pytests_own_collection_errors(
        self, pytester: pytest.Pytester
    ) -> None:
        write_tree(pytester.path, BAD_TREE)
        plain, fast = run_both(pytester)
        assert plain.result.ret == 2
        assert_same(plain, fast)

    @pytest.mark.slow
    def test_a_ten_megabyte_file_is_handled_like_pytest(self, pytester: pytest.Pytester) -> None:
        write_tree(pytester.path, {"pytest.ini": "[pytest]\n", "test_big.py": big_file()})
        proc = discover(pytester.path, "--json", "--no-cache", timeout=60)
        assert proc.returncode == 0, proc.stderr
        info = walker_files(json.loads(proc.stdout))["test_big.py"]
        if info["verdict"] == "static-exact":
            assert [t["nodeid"] for t in info["tests"]] == [
                "test_big.py::test_before",
                "test_big.py::test_after",
            ]
        else:
            assert info["reason"]
        plain, fast = run_both(pytester)
        assert_same(plain, fast)

    def test_a_directory_symlink_loop_neither_hangs_nor_crashes(
        self, pytester: pytest.Pytester
    ) -> None:
        write_tree(
            pytester.path,
            {"pytest.ini": "[pytest]\n", "sub/test_ok.py": "def test_ok():\n    pass\n"},
        )
        (pytester.path / "sub" / "loop").symlink_to("..", target_is_directory=True)
        document = discover_json(pytester.path)
        errors = {f["file"]: f for f in document["files"] if f["kind"] == "error"}
        assert errors["sub/loop"]["reason"]
        plain, fast = run_both(pytester)
        assert_same(plain, fast)

    def test_an_unreadable_directory_is_reported_like_pytest_reports_it(self) -> None:
        """Runs as nobody (root reads everything): discover names the directory,
        and -p fastest gives pytest's own collection error."""
        setpriv = shutil.which("setpriv")
        if os.geteuid() != 0 or setpriv is None:
            pytest.skip("needs root and setpriv to run as nobody (root ignores permissions)")
        as_nobody = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        base = Path(tempfile.mkdtemp(prefix="fastest-locked-"))
        try:
            write_tree(
                base,
                {
                    "pytest.ini": "[pytest]\n",
                    "test_ok.py": "def test_ok():\n    pass\n",
                    "test_other.py": "def test_other():\n    pass\n",
                    "locked/test_locked.py": "def test_l():\n    pass\n",
                },
            )
            base.chmod(0o755)
            for path in base.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            (base / "locked").chmod(0)

            def run(*args: str) -> subprocess.CompletedProcess[str]:
                return subprocess.run(
                    [*as_nobody, sys.executable, *args],
                    cwd=base,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )

            proc = run("-m", "pytest_fastest", "discover", "--json", "--no-cache")
            assert proc.returncode == 0, proc.stderr
            errors = {
                f["file"]: f["reason"]
                for f in json.loads(proc.stdout)["files"]
                if f["kind"] == "error"
            }
            assert "Permission denied" in errors["locked"]
            plain = run("-m", "pytest", "-p", "no:cacheprovider")
            fast = run(
                "-m", "pytest", "-p", "no:cacheprovider", "-p", "fastest", "--fastest-workers=2"
            )
            assert plain.returncode == 2
            assert fast.returncode == plain.returncode
            assert summary(fast.stdout) == summary(plain.stdout)
            assert error_lines(fast.stdout) == error_lines(plain.stdout)
        finally:
            (base / "locked").chmod(0o755)
            shutil.rmtree(base)


# --- 4. the cache --------------------------------------------------------------


def cached(document: dict[str, Any]) -> dict[str, bool]:
    return {name: f["cached"] for name, f in walker_files(document).items()}


def age(path: Path, seconds: int = 60) -> None:
    """Move a file's mtime into the past: the cache does not keep entries whose
    mtime is within 3 s of their parse (FST_CACHE_RACY_NS: an edit in the same
    clock tick would go unseen), so freshly written files are never cached."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns - seconds * 1_000_000_000))


class TestCache:
    TREE = {
        "pytest.ini": "[pytest]\n",
        "test_a.py": "def test_a():\n    pass\n",
        "test_b.py": "def test_b():\n    pass\n",
    }
    CACHE = Path(".pytest_cache") / "d" / "fastest" / "inventory.json"

    def test_a_second_discover_answers_unchanged_files_from_the_cache(
        self, pytester: pytest.Pytester
    ) -> None:
        write_tree(pytester.path, self.TREE)
        for name in ("test_a.py", "test_b.py", "pytest.ini"):
            age(pytester.path / name)
        first = discover_json(pytester.path, cache=True)
        assert cached(first) == {"test_a.py": False, "test_b.py": False}
        assert (pytester.path / self.CACHE).is_file()
        second = discover_json(pytester.path, cache=True)
        assert cached(second) == {"test_a.py": True, "test_b.py": True}

    def test_a_touched_file_is_parsed_again(self, pytester: pytest.Pytester) -> None:
        """Same size would not do: the new text is longer, and its mtime differs too."""
        write_tree(pytester.path, self.TREE)
        for name in ("test_a.py", "test_b.py", "pytest.ini"):
            age(pytester.path / name)
        discover_json(pytester.path, cache=True)
        path = pytester.path / "test_b.py"
        path.write_text("def test_b():\n    pass\n\ndef test_c():\n    pass\n")
        age(path, 30)
        document = discover_json(pytester.path, cache=True)
        assert cached(document) == {"test_a.py": True, "test_b.py": False}
        assert [t["nodeid"] for t in walker_files(document)["test_b.py"]["tests"]] == [
            "test_b.py::test_b",
            "test_b.py::test_c",
        ]

    def test_a_corrupt_cache_is_ignored_with_one_warning_and_rebuilt(
        self, pytester: pytest.Pytester
    ) -> None:
        write_tree(pytester.path, self.TREE)
        for name in ("test_a.py", "test_b.py", "pytest.ini"):
            age(pytester.path / name)
        discover_json(pytester.path, cache=True)
        (pytester.path / self.CACHE).write_bytes(b'{"version": 1, "files": [\x00 not json')
        proc = discover(pytester.path, "--json")
        assert proc.returncode == 0
        assert len(proc.stderr.splitlines()) == 1
        assert proc.stderr.startswith("warning: ")
        assert cached(json.loads(proc.stdout)) == {"test_a.py": False, "test_b.py": False}
        rebuilt = discover_json(pytester.path, cache=True)
        assert cached(rebuilt) == {"test_a.py": True, "test_b.py": True}


# --- 5. a real suite: networkx -------------------------------------------------


@pytest.mark.slow
def test_networkx_static_exact_files_have_pytests_node_ids(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Every static-exact test file of the installed networkx lists exactly the
    node ids pytest collects from it. Files pytest skips at import (a
    module-level importorskip of a missing package) are counted apart: under
    pytest they have no ids whatever their text says."""
    networkx = pytest.importorskip("networkx")
    site = Path(networkx.__file__).parent.parent
    proc = discover(site, "networkx", "--json", "--no-cache", timeout=120)
    assert proc.returncode == 0, proc.stderr
    files = walker_files(json.loads(proc.stdout))
    static = sorted(name for name, f in files.items() if f["verdict"] == "static-exact")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            *static,
        ],
        cwd=site,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    real: dict[str, list[str]] = collections.defaultdict(list)
    for line in result.stdout.splitlines():
        if "::" in line and not line.startswith(" "):
            real[line.split("::", 1)[0]].append(line)
    skipped = {
        line.split("] ", 1)[1].split(":", 1)[0]
        for line in result.stdout.splitlines()
        if line.startswith("SKIPPED [")
    }
    differences = [
        name
        for name in static
        if name not in skipped and [t["nodeid"] for t in files[name]["tests"]] != real.get(name, [])
    ]
    with capsys.disabled():
        print(
            f"\nnetworkx: {len(files)} test files, {len(static)} static-exact "
            f"({len(static) / len(files):.0%}), {len(skipped)} skipped at import, "
            f"{sum(len(v) for v in real.values())} node ids compared, "
            f"{len(differences)} differences: {differences}"
        )
    assert differences == []
    assert len(static) > 100
