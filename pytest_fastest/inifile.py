"""pytest's configuration as ``discover`` needs it, read without importing pytest.

An editor calls ``python -m pytest_fastest discover`` and waits for it, so
it must not import pytest (about 0.2 s). This module finds the rootdir and
the configuration file with pytest 9's rules (the first directory, from the
arguments' common ancestor upwards, holding pytest.toml, .pytest.toml,
pytest.ini, .pytest.ini, a pyproject.toml with [tool.pytest] or
[tool.pytest.ini_options], a tox.ini with [pytest] or a setup.cfg with
[tool:pytest]) and reads the options that shape collection. In the plugin
the same values come from pytest's own config object instead.
"""

from __future__ import annotations

import os
import shlex

# Not a runtime `typing` import: `discover` pays for every import (see core.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

DEFAULTS: dict[str, list[str]] = {
    "python_files": ["test_*.py", "*_test.py"],
    "python_classes": ["Test"],
    "python_functions": ["test"],
    "norecursedirs": [
        "*.egg",
        ".*",
        "_darcs",
        "build",
        "CVS",
        "dist",
        "node_modules",
        "venv",
        "{arch}",
    ],
    "testpaths": [],
    "addopts": [],
}


class IniConfig:
    # A plain class: an editor waits for `discover`, and dataclasses costs
    # several milliseconds to import.
    def __init__(self, rootdir: str, inifile: str | None, values: dict[str, Any]) -> None:
        self.rootdir = rootdir
        self.inifile = inifile
        self.values = values

    def getlist(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return list(DEFAULTS.get(name, []))
        if isinstance(value, list):
            return [str(v) for v in value]
        return shlex.split(str(value))

    def get(self, name: str) -> str | None:
        value = self.values.get(name)
        return None if value is None else str(value)


def _toml(path: str) -> dict[str, Any] | None:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return None
    try:
        with open(path, "rb") as f:
            document: dict[str, Any] = tomllib.load(f)
        return document
    except (OSError, ValueError):
        return None


def _from_pytest_toml(path: str) -> dict[str, Any] | None:
    document = _toml(path) or {}
    table = document.get("pytest")
    return dict(table) if isinstance(table, dict) else {}


def _from_pyproject(path: str) -> dict[str, Any] | None:
    document = _toml(path)
    if not document:
        return None
    tool = document.get("tool", {}).get("pytest")
    if not isinstance(tool, dict):
        return None
    if isinstance(tool.get("ini_options"), dict):
        return dict(tool["ini_options"])
    return {k: v for k, v in tool.items() if k != "ini_options"}


def _from_ini(path: str, section: str, always: bool) -> dict[str, Any] | None:
    import configparser

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error, UnicodeDecodeError):
        return {} if always else None
    if not parser.has_section(section):
        return {} if always else None
    return {key: value for key, value in parser.items(section)}


_LOADERS = (
    ("pytest.toml", lambda p: _from_pytest_toml(p)),
    (".pytest.toml", lambda p: _from_pytest_toml(p)),
    ("pytest.ini", lambda p: _from_ini(p, "pytest", always=True)),
    (".pytest.ini", lambda p: _from_ini(p, "pytest", always=True)),
    ("pyproject.toml", _from_pyproject),
    ("tox.ini", lambda p: _from_ini(p, "pytest", always=False)),
    ("setup.cfg", lambda p: _from_ini(p, "tool:pytest", always=False)),
)


def _self_and_parents(path: str) -> list[str]:
    """`path` and every directory above it, up to the root."""
    chain = [path]
    while True:
        parent = os.path.dirname(chain[-1])
        if parent == chain[-1]:
            return chain
        chain.append(parent)


def _common_ancestor(paths: list[str], invocation_dir: str) -> str:
    existing = [p for p in paths if os.path.exists(p)]
    if not existing:
        return invocation_dir
    common = os.path.commonpath(existing)
    return os.path.dirname(common) if os.path.isfile(common) else common


def _search(bases: list[str]) -> IniConfig | None:
    """pytest's ``locate_config``: the first config file from each base upwards."""
    found_pyproject: str | None = None
    for arg in bases:
        for base in _self_and_parents(arg):
            for name, loader in _LOADERS:
                candidate = os.path.join(base, name)
                if not os.path.isfile(candidate):
                    continue
                if name == "pyproject.toml" and found_pyproject is None:
                    found_pyproject = candidate
                values = loader(candidate)
                if values is not None:
                    return IniConfig(base, candidate, values)
    if found_pyproject is not None:
        return IniConfig(os.path.dirname(found_pyproject), found_pyproject, {})
    return None


def locate(args: list[str], invocation_dir: str) -> IniConfig:
    """rootdir, config file and values for these (path) arguments.

    pytest's ``determine_setup`` without -c/--rootdir: search upwards from
    the arguments' common ancestor; else a setup.py upwards from it; else
    from each argument's directory; else the common ancestor of the
    invocation directory and the arguments (not the arguments alone:
    ``pytest pkg`` run from site-packages roots at site-packages).

    Paths are strings (os.path), not pathlib: `discover` imports this, and
    pathlib (with the urllib.parse it imports) costs an editor 4 ms.
    """
    paths = [os.path.abspath(os.path.join(invocation_dir, a.split("::")[0])) for a in args]
    dirs = [p if os.path.isdir(p) else os.path.dirname(p) for p in paths if os.path.exists(p)]
    ancestor = _common_ancestor(dirs, invocation_dir)
    found = _search([ancestor])
    if found is not None:
        return found
    for base in _self_and_parents(ancestor):
        if os.path.isfile(os.path.join(base, "setup.py")):
            return IniConfig(base, None, {})
    if dirs != [ancestor]:
        found = _search(dirs or [invocation_dir])
        if found is not None:
            return found
    rootdir = _common_ancestor([invocation_dir, ancestor], invocation_dir)
    if os.path.dirname(rootdir) == rootdir:  # the filesystem root
        rootdir = ancestor
    return IniConfig(rootdir, None, {})
