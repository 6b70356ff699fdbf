"""Sharing the first collection: each planned file collected once, by the
worker that gets to it first; a worker done early takes a slower one's files."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from equivalence import assert_same, run_both

from pytest_fastest.claims import Share


class Table:
    """_core.Claims's semantics in one process (the C table's own tests,
    tests/c/test_claims.c, race two processes on it)."""

    def __init__(self, slots: int) -> None:
        self.holders = [0] * slots

    def take(self, slot: int, who: int) -> bool:
        if self.holders[slot] == 0:
            self.holders[slot] = who
        return self.holders[slot] == who

    def holder(self, slot: int) -> int:
        return self.holders[slot]


def _share(table: Table, who: int, own: dict[str, int], others: list[list[object]]) -> Share:
    layout = {"who": who, "slots": own, "others": others}
    return Share(table, layout, lambda path: path.endswith("/"))


def test_the_claims_type_shares_slots_with_forked_processes(tmp_path: Path) -> None:
    """The binding (csrc/binding/claims.c), from the installed package: a
    slot a forked child takes is taken in the parent; bad arguments raise."""
    script = textwrap.dedent(
        """
        import os
        from pytest_fastest import _core
        table = _core.Claims(3)
        pid = os.fork()
        if pid == 0:
            os._exit(0 if table.take(1, 2) else 1)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
        seen = (len(table), table.holder(1), table.take(1, 1), table.take(0, 1))
        assert seen == (3, 2, False, True), seen
        for call, error in [
            (lambda: table.take(3, 1), IndexError),
            (lambda: table.take(0, 0), ValueError),
            (lambda: table.holder(-1), IndexError),
            (lambda: _core.Claims(0), ValueError),
        ]:
            try:
                call()
            except error:
                continue
            raise AssertionError(f"no {error.__name__}")
        print("ok")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "ok", done.stderr


class TestShare:
    def test_an_own_file_is_collected_unless_a_peer_claimed_it_first(self) -> None:
        table = Table(2)
        share = _share(table, 1, {"a.py": 0, "b.py": 1}, [])
        assert table.take(1, 2)  # a peer got to b.py first
        assert share.claim_own("a.py")
        assert not share.claim_own("b.py")
        assert share.claim_own("not-planned.py")  # a file outside the plan: always collected
        assert share.lost == {"b.py"}

    def test_closing_keeps_the_own_files_the_pass_never_reached(self) -> None:
        table = Table(3)
        share = _share(table, 1, {"a.py": 0, "b.py": 1, "c.py": 2}, [])
        share.claim_own("a.py")
        assert table.take(2, 2)
        share.close()
        assert [table.holder(slot) for slot in range(3)] == [1, 1, 2]
        assert share.lost == {"c.py"}
        assert share.closed

    def test_a_batch_is_the_later_half_of_the_busiest_peers_free_files(self) -> None:
        table = Table(8)
        peer2 = [[2, slot, f"p2_{slot}.py"] for slot in range(0, 6)]
        peer3 = [[3, slot, f"p3_{slot}.py"] for slot in range(6, 8)]
        share = _share(table, 1, {}, [*peer2, *peer3])
        assert table.take(0, 2)  # peer 2 is collecting its first file: 5 free
        assert share.take_batch() == ["p2_3.py", "p2_4.py", "p2_5.py"]
        assert [table.holder(slot) for slot in (3, 4, 5)] == [1, 1, 1]
        assert share.taken == 3
        # Now peer 2 and peer 3 have 2 free each: the first found, its later half.
        assert share.take_batch() == ["p2_2.py"]

    def test_a_batch_stops_where_the_peer_got_to(self) -> None:
        class Racing:
            """A table whose peer claims slot 3 between the look and the take."""

            def __init__(self) -> None:
                self.table = Table(5)

            def holder(self, slot: int) -> int:
                return self.table.holder(slot)

            def take(self, slot: int, who: int) -> bool:
                if slot == 3:
                    self.table.take(3, 2)
                return self.table.take(slot, who)

        racing = Racing()
        share = _share(racing, 1, {}, [[2, slot, f"f{slot}.py"] for slot in range(5)])  # type: ignore[arg-type]
        assert share.take_batch() == ["f4.py"]
        assert racing.table.holder(3) == 2

    def test_nothing_left_gives_an_empty_batch(self) -> None:
        table = Table(2)
        share = _share(table, 1, {}, [[2, 0, "a.py"], [2, 1, "b.py"]])
        assert table.take(0, 2) and table.take(1, 2)
        assert share.take_batch() == []
        assert share.taken == 0

    def test_directories_are_never_taken(self) -> None:
        table = Table(2)
        share = _share(table, 1, {}, [[2, 0, "pkg/"], [2, 1, "c.py"]])
        assert share.take_batch() == ["c.py"]
        assert share.take_batch() == []
        assert table.holder(0) == 0


# A module that records which worker imported it, then collects slowly in gw1.
SLOW_IN_GW1 = """
import os, time
with open(os.path.join({log!r}, os.environ.get("PYTEST_XDIST_WORKER", "main")), "a") as f:
    f.write(__name__ + "\\n")
if os.environ.get("PYTEST_XDIST_WORKER") == "gw1":
    time.sleep(0.1)

def test_a():
    pass

def test_b():
    pass
"""


def _slow_suite(pytester: pytest.Pytester, files: int) -> str:
    log = pytester.path / "imports"
    log.mkdir()
    pytester.makepyfile(
        **{f"test_m{index:02}": SLOW_IN_GW1.format(log=str(log)) for index in range(files)}
    )
    return str(log)


def _imports(log: str) -> dict[str, list[str]]:
    return {
        path.name: path.read_text().split()
        for path in Path(log).iterdir()
        if path.name.startswith("gw")
    }


class TestSharedCollection:
    def test_a_worker_done_early_collects_the_slower_ones_files_once(
        self, pytester: pytest.Pytester
    ) -> None:
        log = _slow_suite(pytester, 16)
        result = pytester.runpytest_subprocess(
            "-p", "fastest", "--fastest-workers=2", "--fastest-explain", "--collect-only", "-q"
        )
        result.stdout.fnmatch_lines(["*gw0: collected in *files taken from a slower worker*"])
        result.stdout.fnmatch_lines(["32 tests collected*"])
        imported = _imports(log)
        every = imported.get("gw0", []) + imported.get("gw1", [])
        assert sorted(every) == [f"test_m{index:02}" for index in range(16)]  # each once
        assert len(imported["gw0"]) > 8  # more than its planned half

    def test_outcomes_are_the_same_as_plain_pytest(self, pytester: pytest.Pytester) -> None:
        _slow_suite(pytester, 16)
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        assert fast.result.ret == pytest.ExitCode.OK

    def test_a_failing_directory_is_reported_once(self, pytester: pytest.Pytester) -> None:
        """Both workers have files below a conftest that fails to import: one
        error, as in a serial run (each worker reports the directory's)."""
        for name in ("a", "b"):
            sub = pytester.mkdir(f"sub_{name}")
            for index in range(4):
                (sub / f"test_{name}{index}.py").write_text("def test_x():\n    pass\n")
        (pytester.path / "sub_b" / "conftest.py").write_text("raise ImportError('broken')\n")
        plain, fast = run_both(pytester)
        assert_same(plain, fast)
        assert fast.result.ret == pytest.ExitCode.INTERRUPTED


SLOW_TESTS_IN_GW1 = """
import os, time

def test_a():
    if os.environ.get("PYTEST_XDIST_WORKER") == "gw1":
        time.sleep(0.05)
"""


def test_explain_counts_the_files_a_worker_collected_when_their_unit_arrived(
    pytester: pytest.Pytester,
) -> None:
    """A worker done early takes units from a busier one's queue and
    collects their files then; --fastest-explain counts them. gw1 runs
    each test slowly, so one of the two ends up taking the other's units."""
    # Enough files that gw1's queue outlasts what a worker is dealt ahead
    # (up to 8 short files) even after gw0 took some while collecting.
    pytester.makepyfile(**{f"test_s{index:02}": SLOW_TESTS_IN_GW1 for index in range(60)})
    result = pytester.runpytest_subprocess(
        "-p", "fastest", "--fastest-workers=2", "--fastest-explain"
    )
    result.assert_outcomes(passed=60)
    # Which one takes depends on timing: gw0 may have taken gw1's files while collecting.
    result.stdout.fnmatch_lines(
        ["fastest: gw*: collected in *other workers' queues collected here*"]
    )
