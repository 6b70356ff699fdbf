"""The order and grouping of units, decided from what the workers collected.

pytest's cache plugins learn the collected items in
pytest_collection_modifyitems, which runs in the workers on their share
only; ``update_cache_plugins`` tells the controller's plugins what they would
have learnt, and orders the units as --ff / --nf ask. ``xdist_groups`` joins
the files of an ``@pytest.mark.xdist_group`` into one unit.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from .plan import Unit
from .report import node_id


def _mtime(path: str) -> float:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return 0.0


def _cache_plugins(config: pytest.Config) -> tuple[Any, Any, bool, bool]:
    """pytest's "new first" and "last failed" plugins (None when absent),
    and whether --nf / --ff order this run."""
    pm = config.pluginmanager
    option = config.option  # no cache options under -p no:cacheprovider
    nf = pm.get_plugin("nfplugin")
    if nf is not None and not hasattr(nf, "cached_nodeids"):
        nf = None
    lf = pm.get_plugin("lfplugin")
    newfirst = nf is not None and bool(getattr(option, "newfirst", False))
    failedfirst = (
        lf is not None
        and bool(getattr(lf, "active", False))
        and bool(getattr(option, "failedfirst", 0))
    )
    return nf, lf, newfirst, failedfirst


def orders_units(config: pytest.Config) -> bool:
    """--ff or --nf order the units (with their plugins active)."""
    _, _, newfirst, failedfirst = _cache_plugins(config)
    return newfirst or failedfirst


def update_cache_plugins(
    config: pytest.Config, file_nodeids: dict[str, list[str]], units: list[Unit]
) -> dict[str, Any]:
    """Give the controller's cache plugins what they learn in
    pytest_collection_modifyitems (which ran in the workers), and order
    the units for --ff / --nf.

    The "new first" plugin records every collected node id (the
    cache/nodeids that a later --nf compares with); the "last failed"
    plugin, under --ff, says how many previous failures run first. The
    run order follows: units holding previous failures (--ff), or new
    files, newest first (--nf), go to the front of their worker's queue,
    and each worker's own plugin orders the tests inside its share.

    Returns the node ids it parsed, by their text (empty when it parsed
    none): the controller's reports reuse them instead of parsing again.
    """
    nf, lf, newfirst, failedfirst = _cache_plugins(config)
    # The "new first" plugin writes what it learnt only after a run that is
    # not --collect-only: there, parsing every node id would be wasted.
    nf_learns = nf is not None and not config.option.collectonly
    if not (nf_learns or newfirst or failedfirst):
        return {}
    collected = [nodeid for ids in file_nodeids.values() for nodeid in ids]
    parsed = [node_id(nodeid) for nodeid in collected]
    new_paths: set[str] = set()
    if newfirst and nf is not None:
        new_paths = {
            nodeid.split("::", 1)[0]
            for nodeid, key in zip(collected, parsed, strict=True)
            if key not in nf.cached_nodeids
        }
    if nf is not None:
        nf.cached_nodeids.update(parsed)
    failed_paths: set[str] = set()
    if failedfirst and lf is not None:
        failed = [n for n, key in zip(collected, parsed, strict=True) if key in lf.lastfailed]
        failed_paths = {nodeid.split("::", 1)[0] for nodeid in failed}
        if not lf.lastfailed:
            lf._report_status = "no previously failed tests, not deselecting items."
        elif not failed:
            lf._report_status = f"{len(lf.lastfailed)} known failures not in selected tests"
        else:
            lf._previously_failed_count = len(failed)
            noun = "failure" if len(failed) == 1 else "failures"
            lf._report_status = f"rerun previous {len(failed)} {noun} first"
    if failed_paths:
        units.sort(key=lambda unit: unit.relpath not in failed_paths)
    elif newfirst:
        units.sort(key=lambda unit: -_mtime(unit.path))
        units.sort(key=lambda unit: unit.relpath not in new_paths)
    return dict(zip(collected, parsed, strict=True))


def xdist_groups(file_groups: dict[str, list[str]], units: list[Unit]) -> dict[str, list[Unit]]:
    """Files whose tests share an ``@pytest.mark.xdist_group`` name, joined
    into one unit each (by path: the members, costliest first, in run
    order), so that one worker runs the whole group, as pytest-xdist's
    ``--dist loadgroup`` does. Tests of one file always share a worker;
    this covers groups that span files. The unit runs on the worker
    that collected its costliest file; the others collect their files
    there again."""
    by_path = {unit.path: unit for unit in units}
    parent: dict[str, str] = {}

    def root(path: str) -> str:
        while parent.get(path, path) != path:
            path = parent[path]
        return path

    first_with: dict[str, str] = {}
    for path, names in file_groups.items():
        if path not in by_path:
            continue
        parent.setdefault(path, path)
        for name in names:
            other = first_with.setdefault(name, path)
            parent[root(path)] = root(other)
    components: dict[str, list[Unit]] = {}
    for path in parent:
        components.setdefault(root(path), []).append(by_path[path])
    order = {id(unit): index for index, unit in enumerate(units)}
    members: dict[str, list[Unit]] = {}
    for group in components.values():
        if len(group) < 2:
            continue
        lead = max(group, key=lambda unit: unit.cost)
        rest = sorted((u for u in group if u is not lead), key=lambda u: order[id(u)])
        for unit in group:
            members[unit.path] = [lead, *rest]
    return members
