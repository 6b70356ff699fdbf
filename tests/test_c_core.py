"""Runs the C core's unit tests (tests/c) as part of the pytest suite.

The C tests are built with meson in build/unit-tests (reused between runs)
and run one executable per pytest test, so the README's single test command
covers both the C core and the plugin.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "unit-tests"


def grammar_module_path() -> str:
    import tree_sitter_python._binding as binding

    return str(binding.__file__)


def unit_test_names() -> list[str]:
    names = []
    for line in (ROOT / "tests" / "c" / "meson.build").read_text().splitlines():
        line = line.strip()
        if line.startswith("'") and "files(" in line:
            names.append(line.split("'")[1])
    return names


@pytest.fixture(scope="session")
def unit_build() -> Path:
    meson = shutil.which("meson") or str(Path(sys.executable).parent / "meson")
    if not (BUILD / "build.ninja").exists():
        subprocess.run(
            [meson, "setup", str(BUILD), str(ROOT), "-Dunit_tests=true", "-Dbuildtype=debug"],
            check=True,
            capture_output=True,
        )
    build = subprocess.run([meson, "compile", "-C", str(BUILD)], capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    return BUILD


@pytest.mark.parametrize("name", unit_test_names())
def test_c_unit(unit_build: Path, name: str) -> None:
    exe = unit_build / "tests" / "c" / f"test_{name}"
    env = dict(os.environ, FST_GRAMMAR_SO=grammar_module_path())
    # From the build directory, as `meson test` runs them (fixture paths are
    # relative to it).
    proc = subprocess.run(
        [str(exe)], capture_output=True, text=True, env=env, timeout=300, cwd=unit_build
    )
    assert proc.returncode == 0, f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
