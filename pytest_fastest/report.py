"""Reports and warnings across the process boundary.

Workers encode what ``pytest_report_to_serializable`` gives; the controller
rebuilds pytest's own report objects with ``pytest_report_from_serializable``
so every hook sees what a serial run gives it. The common case, a passing
phase with no output, sections or extra attributes, travels as a short list
and is rebuilt as an equal :class:`pytest.TestReport` directly: most of a
fast suite's reports are of that kind, and the controller's cost per report
decides the speed-up on few cores. Its three times travel as
``float.hex()`` strings: exact, and writing a float's shortest decimal form
(what JSON would carry) cost more than the rest of the report's encoding.
"""

from __future__ import annotations

import importlib
import sys
import warnings
from typing import Any, Literal

import pytest

# Attributes every TestReport has; a report with anything else (wasxfail,
# plugin extras) takes the full encoding so that nothing is dropped.
_PLAIN_ATTRIBUTES = frozenset(
    {
        "_id",  # pytest >= 9.1 (a parsed NodeId)
        "nodeid",  # earlier pytest
        "location",
        "keywords",
        "outcome",
        "longrepr",
        "when",
        "user_properties",
        "sections",
        "duration",
        "start",
        "stop",
    }
)


def encode(
    config: pytest.Config,
    rep: pytest.TestReport | pytest.CollectReport,
    keywords_sent: list[str] | None = None,
) -> Any:
    """One report as JSON-ready data.

    ``keywords_sent`` is the keyword list of the previous lean report of the
    same test, if any: the three phases of a test carry the same keywords, so
    only the first one sends them (``None`` in the later ones).
    """
    if (
        type(rep) is pytest.TestReport
        and rep.outcome == "passed"
        and rep.longrepr is None
        and not rep.sections
        and not rep.user_properties
        and rep.__dict__.keys() <= _PLAIN_ATTRIBUTES
        # A plugin may set an int (or anything): the full encoding keeps it.
        and type(rep.duration) is float
        and type(rep.start) is float
        and type(rep.stop) is float
    ):
        keywords: list[str] | None = list(rep.keywords)
        if keywords == keywords_sent:
            keywords = None
        return [rep.when, rep.duration.hex(), rep.start.hex(), rep.stop.hex(), keywords]
    return config.hook.pytest_report_to_serializable(config=config, report=rep)


def lean_keywords(data: Any) -> list[str] | None:
    """The keywords a lean report sent (None for other encodings)."""
    if isinstance(data, list) and data[4] is not None:
        keywords: list[str] = data[4]
        return keywords
    return None


try:  # pytest >= 9.1 parses node ids once into a NodeId; reports accept either.
    from _pytest.nodeid import NodeId as _NodeId

    def node_id(nodeid: str) -> Any:
        return _NodeId.parse(nodeid)

except ImportError:  # pragma: no cover - older pytest keeps plain strings

    def node_id(nodeid: str) -> Any:
        return nodeid


_fromhex = float.fromhex

# One string object per phase name, as in a serial run (JSON makes a new one each time).
_WHEN = {when: when for when in ("setup", "call", "teardown")}


def decode_test(
    config: pytest.Config,
    reports: list[Any],
    nodeid: str,
    location: tuple[str, int | None, str],
    parsed: Any = None,
) -> list[pytest.TestReport | pytest.CollectReport]:
    """The reports of one test, in the order the worker made them.

    The node id is parsed once for all of them (``parsed``: already parsed
    by the caller, as the collection's node ids are). Keyword names are interned:
    a serial run's reports share the item's keyword strings (module,
    directory and marker names repeat across thousands of tests), and
    without interning each decoded report would hold its own copies (a
    quarter of the controller's memory on a 20,000-test suite). Each report
    still gets its own keyword dict, as in a serial run.
    """
    if parsed is None:
        parsed = node_id(nodeid) if reports else nodeid
    out: list[pytest.TestReport | pytest.CollectReport] = []
    names: list[str] = []
    for data in reports:
        if not isinstance(data, list):
            out.append(decode(config, data, nodeid, location))
            continue
        when, duration, start, stop, sent = data
        if sent is not None:
            names = [sys.intern(name) for name in sent]
        keywords: dict[str, Literal[1]] = dict.fromkeys(names, 1)
        phase: Any = _WHEN.get(when, when)
        out.append(
            pytest.TestReport(
                parsed,
                location,
                keywords,
                "passed",
                None,
                phase,
                (),
                _fromhex(duration),
                _fromhex(start),
                _fromhex(stop),
            )
        )
    return out


def decode(
    config: pytest.Config, data: Any, nodeid: str, location: tuple[str, int | None, str]
) -> pytest.TestReport | pytest.CollectReport:
    """One report of the full encoding (collect reports, and test reports
    that are not lean)."""
    if isinstance(data, list):
        return decode_test(config, [data], nodeid, location)[0]
    rep: pytest.TestReport | pytest.CollectReport = config.hook.pytest_report_from_serializable(
        config=config, data=data
    )
    # pytest's decoding keeps the type tag as an attribute, which a report of
    # a serial run does not have (a report log would write it twice).
    rep.__dict__.pop("$report_type", None)
    # JSON has no tuples; pytest checks for them (a skip's longrepr is a
    # (path, lineno, reason) tuple, a location is a tuple).
    if isinstance(rep.longrepr, list):
        rep.longrepr = tuple(rep.longrepr)
    rep.sections = [(str(name), str(text)) for name, text in rep.sections]
    if isinstance(rep, pytest.TestReport):
        if isinstance(rep.location, list):
            as_tuple: Any = tuple(rep.location)
            rep.location = as_tuple
        rep.user_properties = [(str(name), value) for name, value in rep.user_properties]
    return rep


def warning_to_data(
    warning_message: warnings.WarningMessage, when: str, nodeid: str, location: Any
) -> dict[str, Any]:
    category = warning_message.category
    return {
        "message": str(warning_message.message),
        "category": [category.__module__, category.__qualname__],
        "filename": warning_message.filename,
        "lineno": warning_message.lineno,
        "line": warning_message.line,
        "when": when,
        "nodeid": nodeid,
        "location": location,
    }


def _category(module: str, qualname: str) -> type[Warning]:
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        if isinstance(obj, type) and issubclass(obj, Warning):
            return obj
    except Exception:
        pass
    return UserWarning


def warning_from_data(data: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of pytest_warning_recorded for one worker warning."""
    category = _category(*data["category"])
    try:
        message: Warning | str = category(data["message"])
    except Exception:
        message = data["message"]
    location = data.get("location")
    return {
        "warning_message": warnings.WarningMessage(
            message, category, data["filename"], data["lineno"], None, data["line"]
        ),
        "when": data["when"],
        "nodeid": data["nodeid"],
        "location": tuple(location) if location else None,
    }
