"""Acceptance: every scenario run with plain pytest and with -p fastest (2 workers).

Each test compares node ids with their phases and outcomes, the summary line
and the exit code (tests/equivalence.py).
"""

from __future__ import annotations

import json
import re
import shutil
from typing import Any

import pytest
from equivalence import RECORDER, Run, assert_same, run, run_both

# Lines whose text holds a duration ("collected ... in 0.12s").
_TIMING = re.compile(r"in [\d.]+s")

MIXED = {
    "test_pass_fail": """
        import pytest

        def test_pass():
            pass

        def test_fail():
            assert 1 == 2

        def test_output():
            print("to stdout")
            import sys; sys.stderr.write("to stderr\\n")
            assert False
    """,
    "test_setup_teardown": """
        import pytest

        @pytest.fixture
        def broken_setup():
            raise RuntimeError("setup")

        @pytest.fixture
        def broken_teardown():
            yield
            raise RuntimeError("teardown")

        def test_error_in_setup(broken_setup):
            pass

        def test_error_in_teardown(broken_teardown):
            pass
    """,
    "test_marks": """
        import pytest

        @pytest.mark.skip(reason="skipped")
        def test_skip():
            pass

        @pytest.mark.skipif(True, reason="condition")
        def test_skipif():
            pass

        def test_skip_inside():
            pytest.skip("inside")

        @pytest.mark.xfail(reason="expected")
        def test_xfail():
            assert 0

        @pytest.mark.xfail
        def test_xpass():
            pass

        @pytest.mark.xfail(strict=True)
        def test_xpass_strict():
            pass
    """,
    "test_params": """
        import pytest

        @pytest.mark.parametrize("x", [1, 2, 3, "a", None])
        def test_param(x):
            assert x != 3

        @pytest.mark.parametrize("a", [0, 1])
        @pytest.mark.parametrize("b", ["x", "y"])
        def test_stacked(a, b):
            pass
    """,
    "test_fixtures": """
        import pytest

        CALLS = []

        @pytest.fixture(scope="module")
        def module_resource():
            CALLS.append("module")
            yield len(CALLS)

        class TestGroup:
            @pytest.fixture(scope="class")
            def class_resource(self):
                return object()

            def test_one(self, module_resource, class_resource):
                assert module_resource == 1

            def test_two(self, module_resource, class_resource):
                assert CALLS == ["module"]

        @pytest.fixture(params=[1, 2])
        def number(request):
            return request.param

        def test_param_fixture(number, tmp_path):
            assert tmp_path.exists()
            assert number in (1, 2)
    """,
}


@pytest.fixture
def mixed(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(**{name: body for name, body in MIXED.items()})
    return pytester


class TestOutcomes:
    def test_mixed_suite_has_the_same_outcomes(self, mixed: pytest.Pytester) -> None:
        plain, fast = run_both(mixed)
        assert plain.records, "the recorder saw nothing"
        assert_same(plain, fast)

    def test_spawned_workers_give_the_same_results(self, mixed: pytest.Pytester) -> None:
        plain, fast = run_both(mixed, "-v", "--fastest-start=spawn")
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])

    def test_verbose_lines_have_no_worker_prefix(self, mixed: pytest.Pytester) -> None:
        plain, fast = run_both(mixed, "-v")
        assert_same(plain, fast)
        assert not any("[gw" in line for line in fast.result.outlines)
        passed = sorted(line for line in fast.result.outlines if " PASSED" in line)
        assert [p.split(" PASSED")[0] for p in passed] == sorted(
            line.split(" PASSED")[0] for line in plain.result.outlines if " PASSED" in line
        )

    def test_each_files_progress_is_on_its_own_line_as_in_a_serial_run(
        self, pytester: pytest.Pytester
    ) -> None:
        """At default verbosity pytest starts a line for each file: two
        workers' reports, replayed as they came, switched file at almost
        every test. Each file's line must hold all its results, as serially."""
        body = "import time\n" + "".join(
            f"def test_{i}():\n    time.sleep(0.002)\n" for i in range(15)
        )
        body += "def test_fails():\n    assert 0\n"
        pytester.makepyfile(**{f"test_file{i:02d}": body for i in range(12)})
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])

        def progress(run: Run) -> list[str]:
            lines = [line for line in run.result.outlines if re.match(r"test_file\d+\.py \S", line)]
            return sorted(line.rsplit("[", 1)[0].rstrip() for line in lines)

        assert len(progress(plain)) == 12
        assert progress(fast) == progress(plain)

    @pytest.mark.parametrize("option", ["--ff", "--nf"])
    def test_failed_first_and_new_first_run_in_workers_with_the_same_results(
        self, mixed: pytest.Pytester, option: str
    ) -> None:
        _with_recorder(mixed)
        run(mixed, fastest=False)  # a first run records the failures and node ids
        plain, fast = run_both(mixed, option)
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])
        if option == "--ff":
            status = [line for line in plain.result.outlines if "run-last-failure" in line]
            assert status and "first" in status[0]
            assert [line for line in fast.result.outlines if "run-last-failure" in line] == status

    def test_the_node_id_cache_is_written_as_by_pytest(self, mixed: pytest.Pytester) -> None:
        """Regression: pytest's "new first" plugin learns the collected ids in
        pytest_collection_modifyitems, which runs in the workers."""
        cache = mixed.path / ".pytest_cache" / "v" / "cache" / "nodeids"
        _with_recorder(mixed)
        run(mixed, "--fastest-workers=2", fastest=True)
        by_fastest = json.loads(cache.read_text())
        shutil.rmtree(mixed.path / ".pytest_cache")
        run(mixed, fastest=False)
        assert by_fastest == json.loads(cache.read_text())
        assert len(by_fastest) > 20

    def test_the_node_id_cache_is_written_as_by_pytest_after_a_collection_error(
        self, pytester: pytest.Pytester
    ) -> None:
        """The controller tells pytest's "new first" plugin the collected ids
        only once the workers have their first units, or, when a collection
        error stops the run, before it stops: pytest records them then too."""
        cache = pytester.path / ".pytest_cache" / "v" / "cache" / "nodeids"
        _with_recorder(pytester)
        pytester.makepyfile(
            **{f"test_ok{n}": "def test_a():\n    pass\n" for n in range(4)},
            test_broken="raise ImportError('broken')\n",
        )
        fast = run(pytester, "--fastest-workers=2", fastest=True)
        assert fast.result.ret == pytest.ExitCode.INTERRUPTED
        by_fastest = json.loads(cache.read_text())
        shutil.rmtree(pytester.path / ".pytest_cache")
        assert run(pytester, fastest=False).result.ret == pytest.ExitCode.INTERRUPTED
        assert by_fastest == json.loads(cache.read_text())
        assert len(by_fastest) == 4

    @pytest.mark.parametrize("selection", [["-k", "param or skip"], ["-m", "xfail"]])
    def test_selection_is_the_same(self, mixed: pytest.Pytester, selection: list[str]) -> None:
        plain, fast = run_both(mixed, *selection)
        assert_same(plain, fast)
        assert "deselected" in fast.summary

    def test_session_fixture_runs_once_per_worker(self, pytester: pytest.Pytester) -> None:
        pytester.makeconftest(
            """
            import pytest

            @pytest.fixture(scope="session")
            def session_resource():
                return object()
            """
        )
        for index in range(4):
            body = "def test_uses(session_resource):\n    assert session_resource\n"
            pytester.makepyfile(**{f"test_s{index}": body})
        plain, fast = run_both(pytester)
        assert_same(plain, fast)

    def test_all_passing_suite_exits_zero(self, pytester: pytest.Pytester) -> None:
        for index in range(5):
            pytester.makepyfile(**{f"test_ok{index}": "def test_a():\n    pass\n"})
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        assert fast.result.ret == 0


class TestControl:
    def test_exitfirst_stops_with_the_same_exit_code(self, pytester: pytest.Pytester) -> None:
        for index in range(6):
            pytester.makepyfile(
                **{f"test_x{index}": "def test_a():\n    assert 0\n\ndef test_b():\n    pass\n"}
            )
        plain, fast = run_both(pytester, "-x")
        assert fast.result.ret == plain.result.ret == 1
        # Every outcome reported is the one serial pytest gives that test.
        expected = {
            nodeid: outcome for (nodeid, _), outcome in run_both(pytester)[0].outcomes.items()
        }
        for (nodeid, when), outcome in fast.outcomes.items():
            if when == "call":
                assert outcome[0] == ("failed" if nodeid.endswith("test_a") else "passed")
        assert expected

    def test_collection_error_stops_the_run(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_good="def test_a():\n    pass\n")
        pytester.makepyfile(test_bad="import does_not_exist\n\ndef test_b():\n    pass\n")
        pytester.makepyfile(test_good2="def test_c():\n    pass\n")
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        assert fast.result.ret == pytest.ExitCode.INTERRUPTED

    def test_continue_on_collection_errors(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_good="def test_a():\n    pass\n")
        pytester.makepyfile(test_bad="import does_not_exist\n")
        pytester.makepyfile(test_good2="def test_c():\n    assert 0\n")
        plain, fast = run_both(pytester, "--continue-on-collection-errors")
        assert_same(plain, fast)

    def test_no_tests_exits_five(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_empty="x = 1\n", test_empty2="y = 2\n")
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        assert fast.result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


class TestReporting:
    def test_junitxml_has_the_same_testcases(self, mixed: pytest.Pytester) -> None:
        import xml.etree.ElementTree as ET

        plain, fast = run_both(mixed, "--junitxml=plain.xml")
        run_both(mixed, "--junitxml=fast.xml")

        def cases(name: str) -> set[tuple[str, str, str]]:
            root = ET.parse(mixed.path / name).getroot()
            found = set()
            for case in root.iter("testcase"):
                kinds = sorted(child.tag for child in case)
                found.add((case.get("classname", ""), case.get("name", ""), ",".join(kinds)))
            return found

        assert_same(plain, fast)
        assert cases("fast.xml") == cases("plain.xml")

    def test_last_failed_cache_is_the_same(self, mixed: pytest.Pytester) -> None:
        import json

        run_both(mixed)  # the second (fastest) run writes the cache last
        fast_cache = json.loads((mixed.path / ".pytest_cache/v/cache/lastfailed").read_text())
        mixed.runpytest_subprocess("-p", "no:fastest")
        plain_cache = json.loads((mixed.path / ".pytest_cache/v/cache/lastfailed").read_text())
        assert fast_cache == plain_cache

    def test_durations_lists_tests(self, mixed: pytest.Pytester) -> None:
        plain, fast = run_both(mixed, "--durations=3")
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["*slowest 3 durations*"])


class TestCollectOnly:
    """--collect-only is divided among workers and prints what pytest prints."""

    @pytest.mark.parametrize("verbosity", [["-q"], ["-qq"], [], ["-v"]])
    def test_output_is_identical(self, mixed: pytest.Pytester, verbosity: list[str]) -> None:
        mixed.makepyfile(
            test_docs='''
            class TestDocumented:
                """A class with a docstring.

                    Indented second paragraph.
                """

                def test_method(self):
                    """A method's docstring."""
            '''
        )
        plain, fast = run_both(mixed, "--collect-only", *verbosity)
        assert fast.result.ret == plain.result.ret == 0

        def listing(run: Any) -> list[Any]:
            # `-p fastest` loads our plugin first, so pytest lists it first
            # among the plugins (as for any -p plugin): compared as a set.
            # pytest-metadata's -v header line, where it is installed, lists them too.
            return [
                sorted(line.removeprefix("plugins: ").split(", "))
                if line.startswith("plugins: ")
                else line
                for line in run.result.outlines
                if not _TIMING.search(line) and not line.startswith("metadata: ")
            ]

        assert listing(fast) == listing(plain)

    def test_collection_error_is_reported_the_same(self, pytester: pytest.Pytester) -> None:
        pytester.makepyfile(test_good="def test_a():\n    pass\n")
        pytester.makepyfile(test_bad="raise ImportError('nope')\n")
        plain, fast = run_both(pytester, "--collect-only", "-q")
        assert fast.result.ret == plain.result.ret == pytest.ExitCode.INTERRUPTED
        assert fast.summary == plain.summary


def _with_recorder(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(outcome_recorder=RECORDER)
    pytester.syspathinsert()


GROUPED = """
import os, pytest

pytestmark = pytest.mark.xdist_group("{group}")

@pytest.mark.parametrize("n", range(6))
def test_records_its_worker(n):
    with open(f"worker-{{os.path.basename(__file__)}}-{{n}}", "w") as f:
        f.write(os.environ.get("PYTEST_XDIST_WORKER", "none"))
"""

PLAIN_FILE = """
import os, pytest

@pytest.mark.parametrize("n", range(6))
def test_records_its_worker(n):
    with open(f"worker-{os.path.basename(__file__)}-{n}", "w") as f:
        f.write(os.environ.get("PYTEST_XDIST_WORKER", "none"))
"""


def test_an_xdist_group_spanning_files_runs_on_one_worker(pytester: pytest.Pytester) -> None:
    """Guards: files whose tests share an xdist_group name run on one worker
    (the plan alone would split them: same sizes, so a, b, c alternate);
    outcomes are plain pytest's."""
    pytester.makepyfile(
        test_a=GROUPED.format(group="db"),
        test_b=GROUPED.format(group="db"),
        test_c=GROUPED.format(group="db"),
        test_d=PLAIN_FILE,
        test_e=PLAIN_FILE,
        test_f=PLAIN_FILE,
    )
    plain, fast = run_both(pytester)
    assert_same(plain, fast)
    fast.result.stdout.fnmatch_lines(["fastest: 2 workers*"])

    def workers(*names: str) -> set[str]:
        return {
            (pytester.path / f"worker-test_{name}.py-{n}").read_text()
            for name in names
            for n in range(6)
        }

    assert len(workers("a", "b", "c")) == 1
    assert workers("a", "b", "c", "d", "e", "f") == {"gw0", "gw1"}
