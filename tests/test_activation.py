"""Activation: the plugin acts only when requested, from every place pytest reads options."""

from __future__ import annotations

import pytest
from equivalence import RECORDER, assert_same, run, run_both

# Records, at the end of the run, whether the plugin was active and whether
# the C core was loaded at all.
PROBE_CONFTEST = """
import sys

def pytest_unconfigure(config):
    from pytest_fastest.activation import is_active
    with open("probe.txt", "w") as f:
        f.write(f"active={is_active(config)} core={'pytest_fastest._core' in sys.modules}")
"""

SUITE = """
import pytest

def test_pass():
    pass

def test_fail():
    assert 0

@pytest.mark.skip
def test_skip():
    pass
"""


def probe(pytester: pytest.Pytester, *args: str) -> tuple[str, pytest.RunResult]:
    pytester.makeconftest(PROBE_CONFTEST)
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest_subprocess(*args)
    return (pytester.path / "probe.txt").read_text(), result


class TestActivation:
    def test_installed_but_not_requested_changes_nothing(self, pytester: pytest.Pytester) -> None:
        state, result = probe(pytester)
        assert state == "active=False core=False"
        result.assert_outcomes(passed=1, failed=1, skipped=1)

    def test_dash_p_on_the_command_line_activates(self, pytester: pytest.Pytester) -> None:
        state, result = probe(pytester, "-p", "fastest")
        assert state == "active=True core=True"
        result.assert_outcomes(passed=1, failed=1, skipped=1)
        assert result.ret == pytest.ExitCode.TESTS_FAILED

    @pytest.mark.parametrize(
        ("filename", "content"),
        [
            ("pytest.ini", "[pytest]\naddopts = -p fastest\n"),
            (".pytest.ini", "[pytest]\naddopts = -p fastest\n"),
            ("pyproject.toml", '[tool.pytest.ini_options]\naddopts = "-p fastest"\n'),
            ("tox.ini", "[pytest]\naddopts = -p fastest\n"),
            ("setup.cfg", "[tool:pytest]\naddopts = -p fastest\n"),
        ],
    )
    def test_addopts_in_any_ini_file_activates(
        self, pytester: pytest.Pytester, filename: str, content: str
    ) -> None:
        (pytester.path / filename).write_text(content)
        state, result = probe(pytester)
        assert state == "active=True core=True"
        result.assert_outcomes(passed=1, failed=1, skipped=1)

    def test_pytest_addopts_environment_activates(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PYTEST_ADDOPTS", "-p fastest")
        state, _ = probe(pytester)
        assert state == "active=True core=True"

    def test_activates_with_plugin_autoload_disabled(
        self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
        state, result = probe(pytester, "-p", "fastest")
        assert state == "active=True core=True"
        result.assert_outcomes(passed=1, failed=1, skipped=1)

    def test_dash_p_no_fastest_disables_even_with_addopts(self, pytester: pytest.Pytester) -> None:
        (pytester.path / "pytest.ini").write_text("[pytest]\naddopts = -p fastest\n")
        pytester.makeconftest(
            PROBE_CONFTEST.replace(
                "from pytest_fastest.activation import is_active", "is_active = lambda c: False"
            )
        )
        pytester.makepyfile(test_suite=SUITE)
        result = pytester.runpytest_subprocess("-p", "no:fastest")
        assert (pytester.path / "probe.txt").read_text() == "active=False core=False"
        result.assert_outcomes(passed=1, failed=1, skipped=1)


class TestOptions:
    def test_help_lists_the_fastest_group(self, pytester: pytest.Pytester) -> None:
        result = pytester.runpytest_subprocess("--help")
        result.stdout.fnmatch_lines(
            ["*pytest-fastest*", "*--fastest-workers=N|auto*", "*--fastest-split*"]
        )
        result.stdout.fnmatch_lines(["*fastest_split (bool):*"])

    @pytest.mark.parametrize("value", ["-1", "abc", "2.5", ""])
    def test_bad_worker_count_is_a_usage_error(self, pytester: pytest.Pytester, value: str) -> None:
        pytester.makepyfile(test_suite=SUITE)
        result = pytester.runpytest_subprocess("-p", "fastest", f"--fastest-workers={value}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*--fastest-workers*whole number >= 0 or 'auto'*"])

    @pytest.mark.parametrize(
        ("line", "message"),
        [
            ("fastest_workers = many", "*fastest_workers*many*whole number >= 0 or 'auto'*"),
            ("fastest_split = maybe", "*fastest_split (ini)*'maybe'*expected true or false*"),
        ],
    )
    def test_a_bad_value_in_ini_is_a_usage_error(
        self, pytester: pytest.Pytester, line: str, message: str
    ) -> None:
        (pytester.path / "pytest.ini").write_text(f"[pytest]\n{line}\n")
        pytester.makepyfile(test_suite=SUITE)
        result = pytester.runpytest_subprocess("-p", "fastest")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines([message])


# A plugin module (not a conftest) whose pytest_collect_file makes an item of
# every .txt file when its option is on: static discovery cannot see those.
LINT_PLUGIN = """
import pytest

def pytest_addoption(parser):
    parser.addoption("--{option}", action="store_true")

class Checked(pytest.Item):
    def runtest(self):
        pass

class CheckedFile(pytest.File):
    def collect(self):
        yield Checked.from_parent(self, name="check")

def pytest_collect_file(file_path, parent):
    if parent.config.option.{option} and file_path.suffix == ".txt":
        return CheckedFile.from_parent(parent, path=file_path)
"""

HYPOTHESIS_SUITE = """
from hypothesis import given, strategies as st

@given(st.integers())
def test_doubling_is_even(n):
    assert (2 * n) % 2 == 0

@given(st.text())
def test_fails_on_some_text(s):
    assert len(s) < 3
"""


class TestThirdPartyCollectionHooks:
    """A plugin with a collection hook keeps the run in-process unless it is
    known to add no file in this run."""

    def _lint_suite(self, pytester: pytest.Pytester, module: str, option: str) -> None:
        pytester.makepyfile(**{module: LINT_PLUGIN.format(option=option)})
        pytester.makepyfile(test_suite=SUITE)
        pytester.path.joinpath("notes.txt").write_text("checked\n")
        pytester.syspathinsert()

    def test_an_unknown_plugin_that_adds_files_keeps_the_run_in_process(
        self, pytester: pytest.Pytester
    ) -> None:
        self._lint_suite(pytester, "mylint", "mylint")
        plain, fast = run_both(pytester, "-p", "mylint", "--mylint", "--fastest-explain")
        assert_same(plain, fast)
        assert ("notes.txt::check", "call") in fast.outcomes
        fast.result.stdout.fnmatch_lines(
            ["fastest: in-process: plugin mylint implements pytest_collect_file"]
        )

    def test_a_known_lint_plugin_with_its_option_off_runs_on_workers(
        self, pytester: pytest.Pytester
    ) -> None:
        # Named as pytest-isort's module, with its option (the hook is gated the same way).
        self._lint_suite(pytester, "pytest_isort", "isort")
        plain, fast = run_both(pytester, "-p", "pytest_isort", "--fastest-explain")
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: plan: *"])
        fast.result.stdout.no_fnmatch_line("*in-process*")

    def test_a_known_lint_plugin_with_its_option_on_keeps_the_run_in_process(
        self, pytester: pytest.Pytester
    ) -> None:
        self._lint_suite(pytester, "pytest_isort", "isort")
        plain, fast = run_both(pytester, "-p", "pytest_isort", "--isort", "--fastest-explain")
        assert_same(plain, fast)
        assert ("notes.txt::check", "call") in fast.outcomes
        fast.result.stdout.fnmatch_lines(["fastest: in-process: plugin * implements *"])

    @pytest.mark.parametrize("module", ["pytest_dependency", "syrupy"])
    def test_a_plugin_that_needs_every_item_keeps_the_run_in_process(
        self, pytester: pytest.Pytester, module: str
    ) -> None:
        # An empty module of that name stands in for the plugin: the rule is by name.
        pytester.makepyfile(**{module: "", "test_suite": SUITE})
        pytester.syspathinsert()
        plain, fast = run_both(pytester, "-p", module, "--fastest-explain")
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(
            [
                # The header says it (the user asked for workers), and --fastest-explain.
                f"fastest: in-process (plugin {module} needs the whole item list)",
                f"fastest: in-process: plugin {module} needs the whole item list",
            ]
        )

    def test_a_plugin_that_needs_xdists_hooks_stays_in_process_without_xdist(
        self, pytester: pytest.Pytester
    ) -> None:
        """pytest-randomly gives workers its seed in pytest_configure_node,
        a hook it registers only where pytest-xdist is loaded; its workers
        read the seed from workerinput. A module of its name does the same."""
        pytester.makepyfile(
            pytest_randomly=(
                "def pytest_configure(config):\n"
                "    if hasattr(config, 'workerinput'):\n"
                "        config.workerinput['randomly_seed']\n"
            ),
            test_suite=SUITE,
            test_other=SUITE,
        )
        pytester.syspathinsert()
        # (-p no:randomly: the real plugin, if installed, would load the same module.)
        args = ["-p", "no:randomly", "-p", "pytest_randomly", "-p", "no:xdist"]
        plain, fast = run_both(pytester, *args, "--fastest-explain")
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(
            ["fastest: in-process: plugin pytest_randomly reaches workers only through*"]
        )

    def test_pytest_randomly_with_xdist_loaded_gives_each_test_the_serial_random_state(
        self, pytester: pytest.Pytester
    ) -> None:
        """With pytest-xdist loaded, pytest-randomly's seed reaches the
        workers, and it reseeds before each test: every test draws the same
        numbers as in a serial run, whatever the order."""
        pytest.importorskip("pytest_randomly")
        pytest.importorskip("xdist")
        draw = (
            "import random\n\n"
            "def test_a(request):\n"
            "    name = request.node.nodeid.replace('::', '-') + '.txt'\n"
            "    (request.config.rootpath / name).write_text(repr(random.random()))\n"
        )
        pytester.makepyfile(**{f"test_r{i}": draw for i in range(4)})
        pytester.makepyfile(outcome_recorder=RECORDER)
        pytester.syspathinsert()
        args = ["-p", "randomly", "--randomly-seed=7", "--fastest-explain"]
        drawn = []
        runs = []
        for fastest in (False, True):
            extra = ["--fastest-workers=2"] if fastest else []
            runs.append(run(pytester, *args, *extra, fastest=fastest))
            drawn.append({p.name: p.read_text() for p in pytester.path.glob("test_r*.txt")})
            for p in pytester.path.glob("test_r*.txt"):
                p.unlink()
        assert_same(*runs)
        runs[1].result.stdout.fnmatch_lines(["fastest: plan: 2*"])
        assert len(drawn[0]) == 4
        assert drawn[1] == drawn[0]

    @pytest.mark.parametrize("selection", [[], ["-k", "not test_pass"]])
    def test_hypothesis_plugin_runs_on_workers_with_the_same_results(
        self, pytester: pytest.Pytester, selection: list[str]
    ) -> None:
        """Hypothesis's plugin (loaded wherever hypothesis is installed)
        implements pytest_ignore_collect only to skip `.hypothesis`
        directories; its statistics still reach the controller's summary.
        Its summary reads the ``__dict__`` of every entry of the terminal
        reporter's stats, deselected items included (-k)."""
        pytest.importorskip("hypothesis")
        pytester.makepyfile(test_props=HYPOTHESIS_SUITE, test_suite=SUITE)
        plain, fast = run_both(
            pytester, *selection, "--hypothesis-show-statistics", "--fastest-explain"
        )
        assert_same(plain, fast)
        fast.result.stdout.fnmatch_lines(["fastest: plan: 2*"])
        fast.result.stdout.no_fnmatch_line("*in-process*")
        for each in (plain, fast):
            each.result.stdout.fnmatch_lines(
                ["*Hypothesis Statistics*", "*test_props.py::test_doubling_is_even*"]
            )
            # The failing example is shrunk and shown the same way.
            each.result.stdout.fnmatch_lines(["*where 3 = len('000')*"])
