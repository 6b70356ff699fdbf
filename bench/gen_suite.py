"""Generate the benchmark suites of pytest-fastest, deterministically.

    python bench/gen_suite.py SUITE DEST     # e.g. large /tmp/suites/large
    python bench/gen_suite.py --list

Suites (test counts are what plain pytest collects):

  small    50 trivial tests in 5 files
  medium   2,000 tests in 100 files, the shapes of "large"
  large    20,000 tests in 1,000 files: plain functions, a class with methods,
           literal parametrize (with pytest.param ids), built-in markers;
           every file is static-exact (see docs/DESIGN: nothing that needs
           an import to know its tests)
  cpu      200 tests of ~20 ms of CPU each (busy loop on process time), 20 files
  imports  200 files whose import takes ~20 ms of CPU (a table computed at
           module level), 1-2 tests each (300 tests)
  pole     a long pole: one file of 60 tests x 20 ms of CPU (a parametrized
           test and a class) beside 20 files of 5 tests x 5 ms, 160 tests:
           the long file is two thirds of the work, so no dealing of whole
           files ends before it (what --fastest-split is for)
  mixed    a correctness suite: passes, failures, errors in setup and teardown,
           skip / xfail / xpass (strict too), session/module/class fixtures,
           parametrize, classes, prints, warnings; its expected outcome counts
           are whatever plain pytest reports

Every suite has a pytest.ini with an empty [pytest] section so that the suite
directory is pytest's rootdir, and a marker file ``.bench-suite``. DEST is
replaced when it is a suite generated earlier, created when missing, and left
alone (error) when it holds anything else. Same name, same bytes: nothing
depends on the clock, randomness or the machine.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

MARKER = ".bench-suite"

# Files are spread over sub-directories of this many files each; basenames stay
# unique because the directories have no __init__.py (rootdir "prepend" import
# mode imports test modules by basename).
FILES_PER_DIR = 100

Files = Iterator[tuple[str, str]]  # (relative path, text)


def _subdir(index: int, count: int) -> str:
    return f"tests/d{index // FILES_PER_DIR:02d}/" if count > FILES_PER_DIR else "tests/"


def _trivial(files: int, per_file: int) -> Files:
    for f in range(files):
        body = "".join(
            f"\n\ndef test_t{t}():\n    assert {t} + 1 == {t + 1}\n" for t in range(per_file)
        )
        yield f"{_subdir(f, files)}test_small{f:04d}.py", body.lstrip("\n")


# 20 tests: 6 functions + 1 marked function + 6 methods + 4 + 3 parametrized cases.
SHAPES_PER_FILE = 20
_SHAPES = '''\
"""Generated module {f}: static-exact shapes only."""

import pytest

{functions}

@pytest.mark.skipif(False, reason="never skipped: a marker with literal arguments")
def test_marked():
    assert "{f}".isdigit()


class TestGroup{f}:
{methods}

@pytest.mark.parametrize("x", [0, 1, 2, 3])
def test_param(x):
    assert x * x >= x


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize(("a", "b"), [(1, 2), (2, 3), pytest.param(3, 4, id="three")])
def test_pair(a, b):
    assert a < b
'''


def _shapes(files: int) -> Files:
    for f in range(files):
        functions = "\n\n".join(
            f"def test_f{t}():\n    assert {f} + {t} == {f + t}\n" for t in range(6)
        )
        methods = "\n".join(
            f"    def test_m{t}(self):\n        assert [{t}] * 2 == [{t}, {t}]\n" for t in range(6)
        )
        text = _SHAPES.format(f=f, functions=functions, methods=methods)
        yield f"{_subdir(f, files)}test_shapes{f:04d}.py", text


_BURN = '''\
import time


def _burn(seconds):
    """Busy loop for `seconds` of this process's CPU time, not wall time."""
    end = time.process_time() + seconds
    n = 0
    while time.process_time() < end:
        n += 1
    return n
'''


def _cpu() -> Files:
    for f in range(20):
        tests = "".join(f"\n\ndef test_cpu{t}():\n    assert _burn(0.020) > 0\n" for t in range(10))
        yield f"tests/test_cpu{f:02d}.py", _BURN + tests


def _pole() -> Files:
    long_file = (
        _BURN
        + "\n\nimport pytest\n\n\n@pytest.mark.parametrize('n', range(40))\n"
        + "def test_long(n):\n    assert _burn(0.020) > 0\n\n\nclass TestLong:\n"
        + "".join(
            f"    def test_m{t}(self):\n        assert _burn(0.020) > 0\n\n" for t in range(20)
        )
    )
    yield "tests/test_pole.py", long_file.rstrip("\n") + "\n"
    for f in range(20):
        tests = "".join(
            f"\n\ndef test_short{t}():\n    assert _burn(0.005) > 0\n" for t in range(5)
        )
        yield f"tests/test_short{f:02d}.py", _BURN + tests


_IMPORT_HEAVY = '''\
"""Generated module {f}: its import computes a table for ~20 ms of CPU."""

import time

_END = time.process_time() + 0.020
TABLE = []
while time.process_time() < _END:
    TABLE.append(len(TABLE) * 7919 % 10007)
'''


def _imports() -> Files:
    for f in range(200):
        text = _IMPORT_HEAVY.format(f=f)
        text += "\n\ndef test_table():\n    assert len(TABLE) > 0\n"
        if f % 2:
            text += "\n\ndef test_table_values():\n    assert all(v < 10007 for v in TABLE[:100])\n"
        yield f"{_subdir(f, 200)}test_import{f:03d}.py", text


_MIXED: dict[str, str] = {
    "conftest.py": """\
import pytest


@pytest.fixture(scope="session")
def session_value():
    return {"created": 1}


@pytest.fixture
def broken_setup():
    raise RuntimeError("fixture fails in setup")


@pytest.fixture
def broken_teardown():
    yield 1
    raise RuntimeError("fixture fails in teardown")
""",
    "test_pass.py": """\
import pytest


def test_plain():
    assert 1 + 1 == 2


def test_prints(capsys):
    print("hello from test_prints")
    assert capsys.readouterr().out == "hello from test_prints\\n"


def test_prints_and_passes():
    print("captured output of a passing test")


class TestClass:
    def test_one(self):
        assert "a" in "abc"

    def test_two(self, session_value):
        assert session_value["created"] == 1


@pytest.mark.parametrize("n", [1, 2, 3, pytest.param(4, id="four")])
def test_param(n):
    assert n > 0
""",
    "test_fail.py": """\
import pytest


def test_assert_fails():
    print("output shown in the failure report")
    assert [1, 2, 3] == [1, 2, 4]


def test_raises_unexpected():
    {}["missing"]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_one_case_fails(n):
    assert n != 1


class TestFailing:
    def test_method_fails(self):
        assert False, "a failing method"
""",
    "test_errors.py": """\
def test_setup_error(broken_setup):
    pass


def test_teardown_error(broken_teardown):
    assert broken_teardown == 1


def test_teardown_error_after_failure(broken_teardown):
    assert broken_teardown == 2
""",
    "test_skip_xfail.py": """\
import sys

import pytest


@pytest.mark.skip(reason="unconditional skip")
def test_skipped():
    pass


@pytest.mark.skipif(sys.version_info > (3,), reason="always true condition")
def test_skipif():
    pass


def test_skip_inside():
    pytest.skip("skipped at run time")


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="not really broken")
def test_xpass():
    pass


@pytest.mark.xfail(strict=True, reason="strict: passing is a failure")
def test_xpass_strict():
    pass


@pytest.mark.xfail(strict=True, raises=ZeroDivisionError)
def test_xfail_strict():
    1 / 0


def test_xfail_inside():
    pytest.xfail("marked xfail at run time")
""",
    "test_module_skip.py": """\
import pytest

pytest.skip("the whole module is skipped", allow_module_level=True)


def test_never_runs():
    pass
""",
    "test_fixtures.py": """\
import pytest

CALLS = []


@pytest.fixture(scope="module")
def module_list():
    CALLS.append("module")
    return []


@pytest.fixture(scope="class")
def class_counter():
    return {"n": 0}


def test_module_fixture_first(module_list):
    module_list.append(1)
    assert CALLS.count("module") == 1


def test_module_fixture_shared(module_list):
    assert module_list == [1]
    assert CALLS.count("module") == 1


class TestClassScope:
    def test_first(self, class_counter):
        class_counter["n"] += 1
        assert class_counter["n"] == 1

    def test_second(self, class_counter):
        class_counter["n"] += 1
        assert class_counter["n"] == 2


@pytest.fixture(params=["a", "b"])
def letter(request):
    return request.param


def test_param_fixture(letter):
    assert letter in "ab"
""",
    "test_warnings.py": """\
import warnings

import pytest


def test_emits_user_warning():
    warnings.warn("a user warning", UserWarning)


def test_emits_deprecation():
    warnings.warn("a deprecation", DeprecationWarning)


def test_warns_is_caught():
    with pytest.warns(RuntimeWarning):
        warnings.warn("expected", RuntimeWarning)
""",
}


def _mixed() -> Files:
    for rel, text in _MIXED.items():
        yield f"tests/{rel}", text


SUITES: dict[str, Callable[[], Files]] = {
    "small": lambda: _trivial(5, 10),
    "medium": lambda: _shapes(100),
    "large": lambda: _shapes(1000),
    "cpu": _cpu,
    "imports": _imports,
    "pole": _pole,
    "mixed": _mixed,
}


def generate(name: str, dest: Path) -> int:
    """Write suite `name` into `dest` (see the module docstring); return its file count."""
    if name not in SUITES:
        raise ValueError(f"unknown suite {name!r}: expected one of {', '.join(SUITES)}")
    dest = Path(dest)
    if dest.exists():
        if not (dest / MARKER).is_file() and any(dest.iterdir()):
            raise FileExistsError(f"{dest} is not empty and was not made by gen_suite.py")
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    (dest / "pytest.ini").write_text("[pytest]\n")
    (dest / MARKER).write_text(name + "\n")
    count = 0
    for rel, text in SUITES[name]():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        count += 1
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("suite", nargs="?", choices=sorted(SUITES), help="suite to generate")
    parser.add_argument("dest", nargs="?", type=Path, help="directory to generate it into")
    parser.add_argument("--list", action="store_true", help="list the suite names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(SUITES))
        return 0
    if args.suite is None or args.dest is None:
        parser.error("SUITE and DEST are required (or --list)")
    try:
        count = generate(args.suite, args.dest)
    except (OSError, ValueError) as exc:
        print(f"gen_suite.py: {exc}", file=sys.stderr)
        return 2
    print(f"{args.suite}: {count} files in {args.dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
