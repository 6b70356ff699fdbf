"""Reports survive the trip from a worker to the controller unchanged.

Every report a real pytest run makes is encoded as a worker encodes it (the
lean form for plain passes, with keywords sent once per test), sent through
JSON, rebuilt as the controller rebuilds it, and compared with the original
in pytest's own serializable form.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest

from pytest_fastest import controller, report, wire

SUITE = """
import sys
import pytest

def test_pass():
    pass

@pytest.mark.slowish
@pytest.mark.parametrize("n", [1, 2])
def test_param(n):
    pass

def test_fail():
    assert 1 == 2

def test_output(record_property):
    print("to stdout")
    sys.stderr.write("to stderr")
    record_property("answer", 42)

@pytest.mark.skip(reason="no")
def test_skip():
    pass

@pytest.mark.xfail(reason="known")
def test_xfail():
    assert 0

@pytest.fixture
def broken():
    yield
    raise RuntimeError("teardown")

def test_teardown_error(broken):
    pass

class TestGroup:
    def test_method(self):
        pass
"""


def _encode_test(config: pytest.Config, reports: list[pytest.TestReport]) -> list[Any]:
    """A test's reports encoded as a worker encodes them (keywords sent once)."""
    sent: list[str] | None = None
    encoded = []
    for rep in reports:
        data = report.encode(config, rep, sent)
        sent = report.lean_keywords(data) or sent
        encoded.append(data)
    return encoded


def _serializable(config: pytest.Config, rep: Any) -> dict[str, Any]:
    data: dict[str, Any] = config.hook.pytest_report_to_serializable(config=config, report=rep)
    # JSON turns tuples into lists on the way; compare in that form.
    return json.loads(json.dumps(data))


def test_every_report_is_rebuilt_equal(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers = slowish\n")
    pytester.makepyfile(test_suite=SUITE)
    recorder = pytester.inline_run("-p", "no:cacheprovider")
    config = pytester.parseconfigure()
    by_test: dict[str, list[pytest.TestReport]] = defaultdict(list)
    for rep in recorder.getreports("pytest_runtest_logreport"):
        by_test[rep.nodeid].append(rep)
    assert len(by_test) == 9

    lean = 0
    for nodeid, originals in by_test.items():
        encoded = _encode_test(config, originals)
        lean += sum(isinstance(data, list) for data in encoded)
        # Through the frame encoder and decoder the processes use.
        payload = wire.encode_json(encoded).encode()
        assert payload == json.dumps(encoded, separators=(",", ":")).encode()
        location = originals[0].location
        rebuilt = report.decode_test(config, controller._decode_json(payload), nodeid, location)
        assert [type(rep) for rep in rebuilt] == [type(rep) for rep in originals]
        for before, after in zip(originals, rebuilt, strict=True):
            assert after.nodeid == before.nodeid
            assert isinstance(after.location, tuple)
            assert _serializable(config, after) == _serializable(config, before), nodeid
        # Each rebuilt report owns its keywords: a plugin changing one
        # report's dict must not change another's.
        dicts = [id(rep.keywords) for rep in rebuilt]
        assert len(set(dicts)) == len(dicts)
    # The plain passes took the lean path (the test would prove little otherwise).
    assert lean >= 15


def test_lean_reports_send_keywords_once(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfigure()
    reports = [
        pytest.TestReport(
            "t.py::test_x",
            ("t.py", 0, "test_x"),
            {"test_x": 1, "t.py": 1},
            "passed",
            None,
            when,
            duration=0.1,
            start=1e9 + 1 / 3,
            stop=1e9 + 0.5,
        )
        for when in ("setup", "call", "teardown")
    ]
    encoded = _encode_test(config, reports)
    assert encoded[0][4] == ["test_x", "t.py"]
    assert encoded[1][4] is None and encoded[2][4] is None
    rebuilt = report.decode_test(config, encoded, "t.py::test_x", ("t.py", 0, "test_x"))
    assert [rep.when for rep in rebuilt] == ["setup", "call", "teardown"]
    assert all(rep.keywords == {"test_x": 1, "t.py": 1} for rep in rebuilt)
    assert all(
        (rep.duration, rep.start, rep.stop) == (0.1, 1e9 + 1 / 3, 1e9 + 0.5) for rep in rebuilt
    )


def test_a_time_that_is_not_a_float_takes_the_full_encoding(pytester: pytest.Pytester) -> None:
    """A plugin may put an int (or anything JSON carries) in a report's times:
    the lean form carries floats only, so such a report keeps its value and type."""
    config = pytester.parseconfigure()
    rep = pytest.TestReport("t.py::test_x", ("t.py", 0, "test_x"), {}, "passed", None, "call")
    assert rep.duration == 0 and type(rep.duration) is int
    data = report.encode(config, rep)
    assert isinstance(data, dict)
    payload = wire.encode_json([data]).encode()
    (rebuilt,) = report.decode_test(
        config, controller._decode_json(payload), rep.nodeid, rep.location
    )
    assert type(rebuilt.duration) is int and _serializable(config, rebuilt) == _serializable(
        config, rep
    )


@pytest.mark.parametrize(
    "payload", [b"", b"[1,", b'{"nodeid":', b'{"a":1} ', b"[1][2]", b"nul", b"\xff"]
)
def test_a_damaged_frame_is_an_error(payload: bytes) -> None:
    """Truncated JSON, trailing bytes or invalid UTF-8 raise ValueError
    (JSONDecodeError or UnicodeDecodeError), never a partial value."""
    with pytest.raises(ValueError):
        controller._decode_json(payload)
