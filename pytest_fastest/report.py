"""Reports and warnings across the process boundary.

Workers encode what ``pytest_report_to_serializable`` gives; the controller
rebuilds pytest's own report objects with ``pytest_report_from_serializable``
so every hook sees what a serial run gives it. The common case, a passing
phase with no output, sections or extra attributes, travels as a short list
and is rebuilt as an equal :class:`pytest.TestReport` directly: most of a
fast suite's reports are of that kind, and the controller's cost per report
decides the speed-up on few cores.
"""

from __future__ import annotations

import importlib
import warnings
from typing import Any

import pytest

# Attributes every TestReport has; a report with anything else (wasxfail,
# plugin extras) takes the full encoding so that nothing is dropped.
_PLAIN_ATTRIBUTES = frozenset(
    {
        "_id",
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


def encode(config: pytest.Config, rep: pytest.TestReport | pytest.CollectReport) -> Any:
    if (
        type(rep) is pytest.TestReport
        and rep.outcome == "passed"
        and rep.longrepr is None
        and not rep.sections
        and not rep.user_properties
        and rep.__dict__.keys() <= _PLAIN_ATTRIBUTES
    ):
        return [rep.when, rep.duration, rep.start, rep.stop, list(rep.keywords)]
    return config.hook.pytest_report_to_serializable(config=config, report=rep)


def decode(
    config: pytest.Config, data: Any, nodeid: str, location: tuple[str, int | None, str]
) -> pytest.TestReport | pytest.CollectReport:
    if isinstance(data, list):
        when, duration, start, stop, keywords = data
        return pytest.TestReport(
            nodeid,
            location,
            dict.fromkeys(keywords, 1),
            "passed",
            None,
            when,
            (),
            duration,
            start,
            stop,
        )
    rep: pytest.TestReport | pytest.CollectReport = config.hook.pytest_report_from_serializable(
        config=config, data=data
    )
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
