"""A pytest plugin that records what the reporting process's hooks receive.

Loaded as ``-p outcome_recorder`` by bench/outcomes.py and by the acceptance
tests (tests/equivalence.py), in plain pytest runs and in ``-p fastest``
runs alike: it keeps each test report's node id, phase, outcome and xfail
flag, and each failed or skipped collection report, and writes them as JSON
to $FASTEST_RECORD at the end. A worker process (it has ``workerinput``)
writes nothing: only what the controller's hooks saw counts, as in a serial
run's single process.
"""

import json
import os

_records = []


def pytest_runtest_logreport(report):
    _records.append([report.nodeid, report.when, report.outcome, hasattr(report, "wasxfail")])


def pytest_collectreport(report):
    if report.failed or report.skipped:
        _records.append([report.nodeid, "collect", report.outcome, False])


def pytest_unconfigure(config):
    if hasattr(config, "workerinput"):
        return
    path = os.environ.get("FASTEST_RECORD")
    if path:
        with open(path, "w") as f:
            json.dump(_records, f)
