"""Passed collection reports: which ones workers send, and how the
controller gives them to its hooks in a serial run's order.

A serial run calls ``pytest_collectreport`` for every collector: the
session, each directory, package, module and class, with the collector's
children as ``report.result``. The terminal reporter and junitxml look only
at failed and skipped reports, and the controller sends those always. Two
kinds of listeners need the passed ones too:

* pytest's "last failed" plugin: when a file that failed to collect in the
  last run collects now, it forgets the file and marks each of its tests as
  failed (so that ``--lf`` runs them). Workers send the passed report of
  every collector the cache lists as failed.
* plugins that record every collector (pytest-reportlog, pytest-json-report):
  when one implements the hook, workers send every passed report, and the
  first worker walks every directory (files stay pruned to its share), so
  that directories without test files are reported as serially.

A report's ``result`` holds stand-ins for the children (node id, type name,
an item's location): a worker's nodes cannot cross a pipe.
"""

from __future__ import annotations

from typing import Any

import pytest

from .activation import OWN_OR_PYTESTS, plugin_module
from .report import node_id

# The key of a sent report's children: [node id, type name, item location or None].
CHILDREN = "fastest_children"


def all_wanted(config: pytest.Config) -> bool:
    """Whether a plugin outside pytest wants every collection report.

    pytest's own look only at failed or skipped reports, or (the "last
    failed" plugin) are served by the reports workers send anyway."""
    return any(
        not plugin_module(impl.plugin).startswith(OWN_OR_PYTESTS)
        for impl in config.pluginmanager.hook.pytest_collectreport.get_hookimpls()
    )


def last_failed(config: pytest.Config, report: pytest.CollectReport) -> bool:
    """Whether the cache lists this (passing) collector as failed last run."""
    lf = config.pluginmanager.get_plugin("lfplugin")
    lastfailed = getattr(lf, "lastfailed", None)
    if not lastfailed:
        return False
    return getattr(report, "id", report.nodeid) in lastfailed


def children(report: pytest.CollectReport) -> list[list[Any]]:
    return [
        [
            child.nodeid,
            type(child).__name__,
            list(child.location) if isinstance(child, pytest.Item) else None,
        ]
        for child in report.result
    ]


def merge(reports: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """One report per node id, from every worker's reports.

    Directories and the session are collected by every worker that has
    files below them: the first report stands, with the children all of
    them found (each worker finds its own share's), once each.
    """
    merged: dict[str, dict[str, Any]] = {}
    for data in reports:
        nodeid = data.get("nodeid", "")
        first = merged.get(nodeid)
        if first is None:
            merged[nodeid] = data
            continue
        known = {child[0] for child in first.get(CHILDREN, [])}
        added = [child for child in data.get(CHILDREN, []) if child[0] not in known]
        if added:
            first[CHILDREN] = first.get(CHILDREN, []) + added
    for nodeid, data in merged.items():
        entries = data.get(CHILDREN)
        # A directory's entries in pytest's order; the session's children
        # (the arguments) and a module's or class's stay as they came.
        if nodeid and entries and all("::" not in child[0] for child in entries):
            entries.sort(key=lambda child: _sibling_key(child[0]))
    return merged


def _sibling_key(nodeid: str) -> tuple[bool, str]:
    """pytest's order of a directory's entries: by name, a package's
    ``__init__.py`` first."""
    name = nodeid.rstrip("/").rsplit("/", 1)[-1]
    return name != "__init__.py", name


def serial_order(merged: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The reports in a serial run's order: the session's first, then each
    collector's after its children's (pytest reports a collector once all
    below it is collected), siblings in collection order.

    Children are visited in the order `merge` left them. Reports no parent
    lists (the parents' passed reports were not sent) follow, in the order
    they came.
    """
    out: list[dict[str, Any]] = []
    placed: set[str] = set()

    def kids(nodeid: str) -> list[str]:
        return [c[0] for c in merged[nodeid].get(CHILDREN, []) if c[0] in merged]

    def visit(nodeid: str) -> None:
        placed.add(nodeid)
        for kid in kids(nodeid):
            if kid not in placed:
                visit(kid)
        out.append(merged[nodeid])

    if "" in merged:
        # The session's own report comes first; its children follow in argument order.
        placed.add("")
        out.append(merged[""])
        for kid in kids(""):
            if kid not in placed:
                visit(kid)
    for nodeid in merged:
        if nodeid not in placed:
            visit(nodeid)
    return out


class _Child:
    """A collected node as a passed collection report's result lists it.

    No __slots__: plugins keep their own data on collected nodes
    (pytest-json-report sets an attribute on each), as on a serial run's.
    """

    def __init__(self, nodeid: str, location: list[Any] | None, config: pytest.Config) -> None:
        self.nodeid = nodeid
        self.config = config  # pytest-sugar's pytest_deselected reads items[0].config
        if location is not None:
            self.location = (location[0], location[1], location[2])

    @property
    def id(self) -> Any:  # what the "last failed" plugin records
        return node_id(self.nodeid)

    @property
    def name(self) -> str:
        return self.nodeid.rstrip("/").rsplit("::", 1)[-1].rsplit("/", 1)[-1]

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


_child_types: dict[str, type[_Child]] = {}


def stand_ins(children: list[list[Any]], config: pytest.Config) -> list[_Child]:
    """A report's children, each of a class named as the worker's node's."""
    out = []
    for nodeid, type_name, location in children:
        cls = _child_types.get(type_name)
        if cls is None:
            cls = _child_types[type_name] = type(type_name, (_Child,), {})
        out.append(cls(nodeid, location, config))
    return out
