"""pytest-cov under workers: the same coverage report as a serial run.

pytest-cov starts measuring before our plan exists (its central mode); when
workers run, the controller switches it to its distributed mode, as under
pytest-xdist (pytest_fastest/covmode.py). The report must count what a
serial run counts: the lines the workers ran, and the lines run at start-up
in the controller only (a conftest importing the measured package).
"""

from __future__ import annotations

import textwrap

import pytest
from equivalence import assert_same, run_both

pytest.importorskip("pytest_cov")

PACKAGE = {
    "pkg/__init__.py": "",
    "pkg/core.py": """
        LIMIT = 10  # run at import: by the conftest, before any worker exists


        def sign(x):
            if x > 0:
                return 1
            if x < 0:
                return -1
            return 0


        def clamp(x):
            if x > LIMIT:
                return LIMIT
            return x


        def never_called():
            return "missed"
        """,
}

CONFTEST = """
    import pkg.core  # the package's module-level lines run here, in the controller only


    def pytest_configure(config):
        pkg.core.clamp(1)
    """

TESTS = {
    "test_sign_pos": "from pkg.core import sign\n\ndef test_pos():\n    assert sign(5) == 1\n",
    "test_sign_neg": "from pkg.core import sign\n\ndef test_neg():\n    assert sign(-5) == -1\n",
    "test_clamp": "from pkg.core import clamp\n\ndef test_big():\n    assert clamp(99) == 10\n",
    "test_fail": "from pkg.core import sign\n\ndef test_zero():\n    assert sign(0) == 1\n",
}


def _report(result: pytest.RunResult) -> list[str]:
    """The coverage table pytest-cov printed (its header to its TOTAL line)."""
    lines = result.outlines
    start = next(i for i, line in enumerate(lines) if "coverage: platform" in line)
    end = next(i for i, line in enumerate(lines) if line.startswith("TOTAL"))
    return lines[start : end + 1]


@pytest.fixture
def measured(pytester: pytest.Pytester) -> pytest.Pytester:
    for path, text in PACKAGE.items():
        target = pytester.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"))
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(**TESTS)
    return pytester


def test_workers_report_the_same_coverage_as_a_serial_run(measured: pytest.Pytester) -> None:
    plain, fast = run_both(measured, "--cov=pkg", "--cov-report=term-missing", "--fastest-explain")
    assert_same(plain, fast)
    fast.result.stdout.fnmatch_lines(["fastest: plan: 2 (--fastest-workers=2)"])
    table = _report(plain.result)
    # Counted: lines only the controller ran (the module's top level, imported
    # by the conftest before the switch; clamp's last line, from its
    # pytest_configure) and lines only the workers ran (the tests' branches).
    # The one miss is never_called's body.
    assert [line.split()[-1] for line in table if line.startswith("pkg/core.py")] == ["19"]
    assert _report(fast.result) == table
    # Every worker's data was combined: none reported missing.
    assert "failed workers" not in fast.result.stdout.str()


def test_spawned_workers_report_the_same_coverage(measured: pytest.Pytester) -> None:
    plain, fast = run_both(
        measured, "--cov=pkg", "--cov-report=term-missing", "--fastest-start=spawn"
    )
    assert_same(plain, fast)
    fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])
    assert _report(fast.result) == _report(plain.result)


def test_a_context_per_test_function_keeps_the_run_in_process(measured: pytest.Pytester) -> None:
    """pytest-cov's distributed mode refuses coverage's dynamic_context =
    test_function: the run stays in-process and says why."""
    measured.path.joinpath(".coveragerc").write_text("[run]\ndynamic_context = test_function\n")
    plain, fast = run_both(measured, "--cov=pkg", "--cov-report=term-missing", "--fastest-explain")
    assert_same(plain, fast)
    fast.result.stdout.fnmatch_lines(["*in-process*dynamic_context = test_function*"])
    assert _report(fast.result) == _report(plain.result)
