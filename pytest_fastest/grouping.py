"""The order in which workers' test reports are replayed at default verbosity.

At default verbosity pytest's terminal reporter writes a file's name, then
one character per test, and starts a new line whenever a test of another
file reports. A serial run therefore shows each file once. Two workers
report two files at once, test by test: replayed as they arrive, the
output switched file at almost every test (954 lines for a 100-file suite
instead of 109). So one worker is *shown*: its reports are replayed as they
arrive, and every other worker's are held until the shown worker finishes
its unit (a file); then the worker held longest is shown, its held reports
first. Each file's progress then stays on its lines, as in a serial run,
at the cost of other workers' progress appearing a unit late.

Nothing is held when the order cannot matter (verbose lines name each test,
quiet ones name no file) or when holding could delay a stop: with -x or
--maxfail the run must see a failure as soon as it arrives. A lost
worker's held reports are replayed before it is handled (crash handling
must know what it ran); a worker that ends normally may have its final
message (pytest_testnodedown) handled before its last held reports are
replayed, at the latest when the run ends.
"""

from __future__ import annotations


class ReplayOrder:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown: int | None = None
        self.held: dict[int, list[bytes]] = {}  # in the order workers were first held

    def arrive(self, handle: int, payload: bytes) -> list[bytes]:
        """One test's reports from a worker: what to replay now, in order."""
        if not self.enabled:
            return [payload]
        if self.shown is None:
            self.shown = handle
        if handle == self.shown:
            return [*self.held.pop(handle, ()), payload]
        self.held.setdefault(handle, []).append(payload)
        return []

    def unit_done(self, handle: int) -> list[bytes]:
        """A worker finished a unit (or all its work): if it was shown, show
        the worker held longest, its held reports first. A worker that was
        not shown keeps its reports held until its turn comes, or the run
        ends: released now, they would break the shown file's line."""
        if handle != self.shown:
            return []
        self.shown = next(iter(self.held), None)
        return self.held.pop(self.shown, []) if self.shown is not None else []

    def release(self, handle: int) -> list[bytes]:
        """Everything held of a lost worker, now (crash handling must know what it ran)."""
        if handle == self.shown:
            self.shown = None
        return self.held.pop(handle, [])

    def release_all(self) -> list[bytes]:
        out = [payload for held in self.held.values() for payload in held]
        self.held.clear()
        self.shown = None
        return out
