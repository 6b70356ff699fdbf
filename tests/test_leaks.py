"""Memory stays flat when the C core is used many times in one process.

A leak in the core (an inventory, a tree-sitter tree, a frame buffer, a
worker record not freed) or in the binding (a reference not released) goes
unnoticed by every functional test, because each test uses the core a few
times. Here static discovery and a whole dispatcher lifecycle run many times
in one process; after a warm-up (allocator arenas, interned strings, caches
filled), Python object counts and the process's resident memory must stay
within a tolerance far below what one leaked object per iteration would add.

Each measurement runs in a fresh interpreter (this file run as a script):
the pytest process's own allocations would blur the numbers, and from the
repository root `pytest_fastest` resolves to the source tree, which has no
built `_core`.
"""

from __future__ import annotations

import gc
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FILES = 40
WARMUP = 10
HEADER = struct.Struct("<I")


def make_tree(root: Path) -> None:
    """A test tree with the constructs extraction handles: classes, markers, parametrize."""
    for index in range(FILES):
        package = root / f"pkg{index % 4}"
        package.mkdir(exist_ok=True)
        (package / f"test_mod{index}.py").write_text(
            "import pytest\n\n"
            f"@pytest.mark.parametrize('x', [1, 2, 'three', None, (4, 5)])\n"
            f"def test_param_{index}(x):\n    assert x != 7\n\n"
            "@pytest.mark.slow\n"
            f"def test_marked_{index}():\n    pass\n\n"
            f"class TestGroup{index}:\n"
            "    def test_a(self):\n        pass\n\n"
            "    @pytest.mark.parametrize('y', range(3))\n"
            "    def test_dynamic(self, y):\n        pass\n"
        )
    (root / "conftest.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef thing():\n    return 1\n"
    )


def settings_for(root: Path) -> Any:
    from pytest_fastest import discovery

    return discovery.Settings(
        rootdir=str(root),
        roots=[str(root)],
        python_files=["test_*.py", "*_test.py"],
        python_classes=["Test"],
        python_functions=["test"],
        norecursedirs=["*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv"],
    )


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def snapshot() -> tuple[int, int, int]:
    gc.collect()
    return len(gc.get_objects()), sys.getallocatedblocks(), rss_bytes()


def measure(step: Callable[[int], None], iterations: int) -> dict[str, int]:
    """Run step() WARMUP times, then `iterations` times; return the growth of each measure."""
    for i in range(WARMUP):
        step(i)
    objects0, blocks0, rss0 = snapshot()
    for i in range(iterations):
        step(WARMUP + i)
    objects1, blocks1, rss1 = snapshot()
    return {
        "iterations": iterations,
        "objects": objects1 - objects0,
        "blocks": blocks1 - blocks0,
        "rss": rss1 - rss0,
    }


def _under_asan() -> bool:
    return "libasan" in os.environ.get("LD_PRELOAD", "") or "ASAN_OPTIONS" in os.environ


def run_measurement(name: str, rss_tolerance: int) -> dict[str, int]:
    """Run one measurement in a fresh interpreter and check its growth."""
    done = subprocess.run(
        [sys.executable, __file__, name],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    growth: dict[str, int] = json.loads(done.stdout.splitlines()[-1])
    iterations = growth["iterations"]
    # Less than one object per two iterations: a leaked inventory entry, event
    # tuple or bytes payload per run would add at least `iterations` of them.
    assert growth["objects"] < iterations // 2, growth
    # sys.getallocatedblocks() is 0 under PYTHONMALLOC=malloc (the ASan run).
    assert growth["blocks"] < iterations // 2, growth
    # Under AddressSanitizer freed memory sits in its quarantine (256 MB by
    # default), so RSS grows by design; ASan's own leak checks apply there.
    if not _under_asan():
        assert growth["rss"] < rss_tolerance, growth
    return growth


def discovery_growth(iterations: int) -> dict[str, int]:
    from pytest_fastest import discovery

    # grammar_version() asks importlib.metadata, whose lru_caches (128 entries
    # each) grow by about one object per call until full: not ours, and it
    # would hide a leak of ours for the first hundred runs.
    version = discovery.grammar_version()
    discovery.grammar_version = lambda: version  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "tree"
        tree.mkdir()
        make_tree(tree)
        settings = settings_for(tree)
        cache = Path(tmp) / "inventory.json"

        first: list[tuple[str, int, bool]] = []

        def step(i: int) -> None:
            if i % 2 == 0 and cache.exists():
                cache.unlink()
            inventory = discovery.run(settings, str(cache), threads=2)
            # Every run, cold or warm, sees the same files and items.
            seen = sorted((f.path, len(f.items), f.static_exact) for f in inventory.test_files())
            if not first:
                assert len(seen) == FILES and all(items for _, items, _ in seen), seen
                first.extend(seen)
            assert seen == first
            # The plan's form: counts only, the same files and numbers.
            counts = discovery.run(settings, str(cache), threads=2, with_items=False)
            assert all(not f.items for f in counts.test_files())
            assert sorted((f.path, f.n_items, f.static_exact) for f in counts.test_files()) == first
            del seen, inventory, counts

        return measure(step, iterations)


class TestStaticDiscoveryDoesNotLeak:
    def test_discovery_repeated_keeps_objects_and_rss_flat(self) -> None:
        """Guards the walk, the parse pool, extraction, the cache and the conversion
        to Python objects: cold (cache rewritten) and warm (cache read) runs alternate."""
        # One run allocates 40 files' worth of items, trees and JSON (hundreds
        # of KiB): 150 runs leaking any of it would grow RSS by many MiB.
        run_measurement("discovery", rss_tolerance=1 << 20)


def read_frames(sock: socket.socket, buffer: bytearray) -> list[tuple[bytes, bytes]] | None:
    """Read what is available; return the whole frames, or None on EOF."""
    chunk = sock.recv(1 << 16)
    if not chunk:
        return None
    buffer += chunk
    frames = []
    while len(buffer) >= 4:
        (length,) = HEADER.unpack_from(buffer)
        if len(buffer) < 4 + length:
            break
        frames.append((bytes(buffer[4:5]), bytes(buffer[5 : 4 + length])))
        del buffer[: 4 + length]
    return frames


def frame_bytes(kind: bytes, payload: bytes) -> bytes:
    return HEADER.pack(len(payload) + 1) + kind + payload


def send_frame(sock: socket.socket, kind: bytes, payload: bytes) -> None:
    sock.sendall(frame_bytes(kind, payload))


def dispatcher_lifecycle(units_per_worker: int) -> int:
    """Two fake workers driven by hand through one Dispatcher, from 'L' to EOF.

    Returns the number of frames the dispatcher delivered.
    """
    from pytest_fastest import _core, core, wire

    core.load()
    dispatcher = _core.Dispatcher(2)
    workers: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    try:
        for n in range(2):
            ours, theirs = socket.socketpair()
            handle = dispatcher.add_worker(os.dup(ours.fileno()), 4_000_000 + n)
            ours.close()
            workers[handle] = theirs
            selector.register(theirs, selectors.EVENT_READ, (handle, bytearray()))
            dispatcher.send(handle, wire.COLLECT, json.dumps({"files": [f"f{n}.py"]}).encode())
            for u in range(units_per_worker):
                unit = {"file": f"f{n}.py", "items": [f"f{n}.py::test_{u}"]}
                dispatcher.add_unit(handle, float(units_per_worker - u), json.dumps(unit).encode())
        dispatcher.start()
        dispatcher.run()

        frames = lost = 0
        done = False
        while not (done and lost == 2):
            for key, _ in selector.select(timeout=0.01):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                handle, buffer = key.data
                received = read_frames(sock, buffer)
                assert received is not None, "the dispatcher closed a worker's channel early"
                for kind, payload in received:
                    if kind == wire.COLLECT:
                        send_frame(sock, wire.COLLECTED, b'{"nodeids":[]}')
                    elif kind == wire.UNIT:
                        unit = json.loads(payload)["unit"]
                        report = json.dumps({"nodeid": "x", "outcome": "passed"}).encode()
                        send_frame(sock, wire.REPORTS, report)
                        send_frame(sock, wire.UNIT_DONE, json.dumps({"unit": unit}).encode())
                    elif kind == wire.END:
                        send_frame(sock, wire.FINAL, b"{}")
                        selector.unregister(sock)
                        sock.close()  # EOF: the worker's normal end
            for event in dispatcher.wait(0 if selector.get_map() else 50):
                if event[0] == "frame":
                    frames += 1
                elif event[0] == "lost":
                    lost += 1
                    assert event[3] == [] and event[6] is True, f"worker lost early: {event}"
                elif event[0] == "done":
                    done = True
        return frames
    finally:
        dispatcher.close()
        selector.close()
        for sock in workers.values():
            sock.close()


def dispatcher_growth(iterations: int) -> dict[str, int]:
    units = 5
    # Per worker: 'C', an 'R' and a 'D' per unit, 'F'.
    expected = 2 * (2 + 2 * units)

    def step(i: int) -> None:
        assert dispatcher_lifecycle(units) == expected

    return measure(step, iterations)


class TestDispatcherDoesNotLeak:
    def test_dispatcher_lifecycle_repeated_keeps_objects_and_rss_flat(self) -> None:
        """Guards the dispatcher's workers, queues, frame buffers, I/O thread and
        event batches, and the binding's event tuples: each iteration creates a
        Dispatcher, runs two hand-driven workers through 'C', 'R', 'D', 'F' and
        EOF, and closes it."""
        # 200 lifecycles: a leaked I/O thread stack (tens of KiB resident),
        # frame buffer or worker record per lifecycle would exceed 2 MiB (a
        # 16 KiB malloc per lifecycle, injected by hand, grew RSS by 3.1 MiB).
        run_measurement("dispatcher", rss_tolerance=2 << 20)


@pytest.mark.parametrize("kind", [b"C", b"D"])
def test_fake_worker_frames_use_the_wire_format_of_the_worker(kind: bytes) -> None:
    """Guards the hand-written frames above: they must match wire.Channel's."""
    from pytest_fastest import wire

    ours, theirs = socket.socketpair()
    try:
        wire.Channel(ours.fileno()).send(kind, b'{"unit":3}')
        assert theirs.recv(64) == frame_bytes(kind, b'{"unit":3}')
    finally:
        ours.close()
        theirs.close()


if __name__ == "__main__":
    measurements = {"discovery": (discovery_growth, 150), "dispatcher": (dispatcher_growth, 200)}
    function, count = measurements[sys.argv[1]]
    print(json.dumps(function(count)))
