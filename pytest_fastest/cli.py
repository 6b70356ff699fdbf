"""``python -m pytest_fastest discover [PATHS] [--json]``: static discovery for editors.

Prints the node ids pytest would collect, found by the C core without
importing pytest or any test module. Files whose node ids can only be known
by importing them (needs-import) are listed with the reason on stderr, or
in the JSON. The discovery cache under pytest's cache dir is shared with
the plugin.
"""

from __future__ import annotations

import os
import sys

# Not a runtime `typing` import: `discover` pays for every import (see core.py).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


USAGE = """\
usage: python -m pytest_fastest discover [-h] [--json] [--no-cache] [--threads N] [PATH ...]

List the node ids of the tests under PATHS (default: pytest's testpaths or
the current directory), found statically, without importing anything.
Run the tests themselves with `pytest -p fastest`.

positional arguments:
  PATH         files or directories

options:
  -h, --help   show this help message and exit
  --json       print one JSON document: every file with its kind, verdict
               (static-exact or needs-import) and reason, and its tests with
               line and markers
  --no-cache   neither read nor write the discovery cache
  --threads N  parser threads (default: CPUs)
"""


class Arguments:
    def __init__(self) -> None:
        self.command = ""
        self.paths: list[str] = []
        self.json = False
        self.no_cache = False
        self.threads = 0


class UsageError(Exception):
    pass


def parse_args(argv: list[str]) -> Arguments:
    """The command line, parsed by hand: argparse (with the gettext, locale
    and shutil imports it makes) would be a tenth of a warm `discover`."""
    args = Arguments()
    rest = list(argv)
    if not rest or rest[0] != "discover":
        if rest and rest[0] in ("-h", "--help"):
            raise SystemExit(_print_usage())
        raise UsageError("the command must be 'discover'")
    args.command = rest.pop(0)
    only_paths = False
    while rest:
        arg = rest.pop(0)
        if only_paths or not arg.startswith("-") or arg == "-":
            args.paths.append(arg)
        elif arg == "--":
            only_paths = True
        elif arg in ("-h", "--help"):
            raise SystemExit(_print_usage())
        elif arg == "--json":
            args.json = True
        elif arg == "--no-cache":
            args.no_cache = True
        elif arg == "--threads" or arg.startswith("--threads="):
            value = arg.partition("=")[2] if "=" in arg else (rest.pop(0) if rest else "")
            try:
                args.threads = int(value)
            except ValueError:
                raise UsageError(f"--threads: invalid int value: {value!r}") from None
        else:
            raise UsageError(f"unrecognized arguments: {arg}")
    return args


def _print_usage() -> int:
    sys.stdout.write(USAGE)
    return 0


def _cache_path(settings: Any, no_cache: bool) -> str | None:
    if no_cache:
        return None
    from . import inifile

    ini = inifile.locate(settings.roots, os.getcwd())
    cache_dir = ini.get("cache_dir") or ".pytest_cache"
    # As pytest resolves it; an absolute cache_dir stays as it is.
    base = os.path.join(ini.rootdir, os.path.expanduser(os.path.expandvars(cache_dir)))
    return os.path.join(base, "d", "fastest", "inventory.json")


def discover_main(args: Arguments) -> int:
    from . import discovery, settings

    found = settings.from_ini(list(args.paths), os.getcwd())
    missing = [root for root in found.roots if not os.path.exists(root)]
    if missing:
        print(f"error: file or directory not found: {missing[0]}", file=sys.stderr)
        return 4
    try:
        inventory = discovery.run(found, _cache_path(found, args.no_cache), args.threads)
    except RuntimeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    if inventory.cache_warning:
        print(f"warning: {inventory.cache_warning}", file=sys.stderr)
    if args.json:
        import json

        json.dump(_as_json(inventory), sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    out: list[str] = []
    for info in inventory.test_files():
        relpath = inventory.relpath(info.path)
        if info.static_exact:
            out.extend(f"{relpath}::{name}\n" for name, _, _ in info.items)
        else:
            print(f"{relpath}: needs import: {info.reason}", file=sys.stderr)
    sys.stdout.write("".join(out))
    return 0


def _as_json(inventory: Any) -> dict[str, Any]:
    from .discovery import KIND_NAMES, NEEDS_IMPORT

    files = []
    for info in inventory.files:
        relpath = inventory.relpath(info.path)
        files.append(
            {
                "file": relpath,
                "kind": KIND_NAMES[info.kind],
                "verdict": "needs-import" if info.verdict == NEEDS_IMPORT else "static-exact",
                "reason": info.reason,
                "cached": info.cached,
                "tests": [
                    {"nodeid": f"{relpath}::{name}", "line": line, "markers": markers}
                    for name, line, markers in info.items
                ],
                "imports": info.imports,
            }
        )
    return {
        "rootdir": inventory.settings.rootdir,
        "whole_subtrees": {
            inventory.relpath(d): why for d, why in inventory.whole_subtrees.items()
        },
        "files": files,
    }


def main(argv: list[str]) -> int:
    try:
        args = parse_args(argv)
    except UsageError as exc:
        sys.stderr.write(USAGE.split("\n\n", 1)[0] + f"\npython -m pytest_fastest: error: {exc}\n")
        return 2
    return discover_main(args)
