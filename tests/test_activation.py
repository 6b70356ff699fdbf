"""Activation: the plugin acts only when requested, from every place pytest reads options."""

from __future__ import annotations

import pytest

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
        result.stdout.fnmatch_lines(["*pytest-fastest*", "*--fastest-workers=N|auto*"])

    @pytest.mark.parametrize("value", ["-1", "abc", "2.5", ""])
    def test_bad_worker_count_is_a_usage_error(self, pytester: pytest.Pytester, value: str) -> None:
        pytester.makepyfile(test_suite=SUITE)
        result = pytester.runpytest_subprocess("-p", "fastest", f"--fastest-workers={value}")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*--fastest-workers*whole number >= 0 or 'auto'*"])

    def test_bad_worker_count_in_ini_is_a_usage_error(self, pytester: pytest.Pytester) -> None:
        (pytester.path / "pytest.ini").write_text("[pytest]\nfastest_workers = many\n")
        pytester.makepyfile(test_suite=SUITE)
        result = pytester.runpytest_subprocess("-p", "fastest")
        assert result.ret == pytest.ExitCode.USAGE_ERROR
        result.stderr.fnmatch_lines(["*fastest_workers*many*whole number >= 0 or 'auto'*"])
