"""``python -m pytest_fastest discover [PATHS] [--json]``: static discovery for editors.

Prints the node ids pytest would collect, found by the C core without
importing pytest or any test module. Files whose node ids can only be known
by importing them (needs-import) are listed with the reason on stderr, or
in the JSON. The discovery cache under pytest's cache dir is shared with
the plugin.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_fastest",
        description="pytest-fastest tools. Run tests with `pytest -p fastest`.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    discover = commands.add_parser(
        "discover",
        help="list the tests pytest would collect, without importing anything",
        description="List the node ids of the tests under PATHS (default: pytest's "
        "testpaths or the current directory), found statically.",
    )
    discover.add_argument("paths", nargs="*", metavar="PATH", help="files or directories")
    discover.add_argument(
        "--json",
        action="store_true",
        help="print one JSON document: every file with its kind, verdict (static-exact or "
        "needs-import) and reason, and its tests with line and markers",
    )
    discover.add_argument(
        "--no-cache", action="store_true", help="neither read nor write the discovery cache"
    )
    discover.add_argument(
        "--threads", type=int, default=0, metavar="N", help="parser threads (default: CPUs)"
    )
    return parser


def _cache_path(settings: Any, no_cache: bool) -> str | None:
    if no_cache:
        return None
    from . import inifile

    ini = inifile.locate(settings.roots, Path.cwd())
    cache_dir = ini.get("cache_dir") or ".pytest_cache"
    base = Path(os.path.expandvars(cache_dir))
    if not base.is_absolute():
        base = ini.rootdir / base
    return str(base / "d" / "fastest" / "inventory.json")


def discover_main(args: argparse.Namespace) -> int:
    from . import discovery, settings

    found = settings.from_ini(list(args.paths), Path.cwd())
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
    args = _parser().parse_args(argv)
    if args.command == "discover":
        return discover_main(args)
    return 2
