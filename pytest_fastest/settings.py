"""Discovery settings from pytest's config (plugin) or from the ini file (CLI)."""

from __future__ import annotations

import os

from .discovery import Settings

# Not a runtime `typing` import: `discover` pays for every import (see core.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def _normalize_roots(paths: list[str]) -> list[str]:
    """Drop duplicates and paths inside other paths, as pytest does."""
    roots: list[str] = []
    for path in paths:
        if path in roots:
            continue
        if any(path.startswith(other.rstrip(os.sep) + os.sep) for other in roots):
            continue
        roots = [r for r in roots if not r.startswith(path.rstrip(os.sep) + os.sep)]
        roots.append(path)
    return roots


def from_config(config: Any) -> Settings | str:
    """Settings for this pytest run, or why the run cannot be planned statically."""
    invocation = str(config.invocation_params.dir)
    paths = []
    for arg in config.args:
        if "::" in arg:
            return f"node id argument {arg!r} (planned by pytest's own collection)"
        path = os.path.abspath(os.path.join(invocation, arg))
        if not os.path.exists(path):
            return f"argument {arg!r} does not exist (pytest reports it)"
        paths.append(path)
    ignore = [
        os.path.abspath(os.path.join(invocation, p)) for p in (config.getoption("ignore") or [])
    ]
    extra: list[str] = []
    if config.pluginmanager.has_plugin("doctest"):
        extra = list(config.getoption("doctestglob") or ["test*.txt"])
    confcutdir = config.known_args_namespace.confcutdir
    return Settings(
        rootdir=str(config.rootpath),
        roots=_normalize_roots(paths),
        python_files=list(config.getini("python_files")),
        python_classes=list(config.getini("python_classes")),
        python_functions=list(config.getini("python_functions")),
        norecursedirs=list(config.getini("norecursedirs")),
        ignore=ignore,
        ignore_glob=list(config.getoption("ignore_glob") or []),
        extra_file_patterns=extra,
        confcutdir=str(confcutdir) if confcutdir else None,
        collect_in_virtualenv=bool(config.getoption("collect_in_virtualenv")),
        noconftest=bool(config.getoption("noconftest")),
    )


def from_ini(args: list[str], invocation: str) -> Settings:
    """Settings as pytest would compute them for `pytest ARGS`, without pytest."""
    from . import inifile

    ini = inifile.locate(args, invocation)
    if not args:
        testpaths = ini.getlist("testpaths")
        if testpaths and invocation == ini.rootdir:
            import glob

            args = [
                match
                for pattern in testpaths
                for match in sorted(glob.glob(os.path.join(ini.rootdir, pattern), recursive=True))
            ] or []
        if not args:
            args = [invocation]
    paths = [os.path.abspath(os.path.join(invocation, a.split("::")[0])) for a in args]
    addopts = ini.getlist("addopts")
    ignore = _option_values(addopts, "--ignore")
    ignore_glob = _option_values(addopts, "--ignore-glob")
    confcutdir = os.path.dirname(ini.inifile) if ini.inifile else ini.rootdir
    return Settings(
        rootdir=ini.rootdir,
        roots=_normalize_roots(paths),
        python_files=ini.getlist("python_files"),
        python_classes=ini.getlist("python_classes"),
        python_functions=ini.getlist("python_functions"),
        norecursedirs=ini.getlist("norecursedirs"),
        ignore=[os.path.abspath(os.path.join(ini.rootdir, p)) for p in ignore],
        ignore_glob=ignore_glob,
        extra_file_patterns=["test*.txt"],
        confcutdir=confcutdir,
    )


def _option_values(argv: list[str], name: str) -> list[str]:
    values = []
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            values.append(argv[index + 1])
        elif arg.startswith(name + "="):
            values.append(arg.split("=", 1)[1])
    return values
