"""The zygote: a fork of pytest made before configuration, that forks workers.

In ``pytest_cmdline_main`` plugins and root conftests are imported but
nothing is configured and no thread of ours exists yet. A fork taken there
(the zygote) keeps that state; each worker is a fork of the zygote, so a
worker's start-up costs a fork instead of an interpreter start, a pytest
import and plugin loading. The controller itself never forks after its own
threads (discovery pool, dispatcher) start.

Controller <-> zygote: one SOCK_SEQPACKET socket pair carrying JSON
messages. ``{"op": "spawn", ...}`` comes with the worker's end of its
protocol socket (SCM_RIGHTS); the zygote answers ``{"spawned": id, "pid":
n}``, and reports every worker that ends as ``{"exit": pid, "status": s}``
(the raw wait status): workers are the zygote's children, so only it can
reap them and tell how they died. When the controller goes away (EOF), the
zygote kills its workers and exits; with PR_SET_PDEATHSIG, zygote and
workers also die when their parent is SIGKILLed.

Once the first workers are forked, ``{"op": "retire"}`` makes the zygote
exec the bare reaper of ``_reaper.py`` (same pid, same children, same
socket and exit reports), freeing its copy of the controller's heap;
workers started after that (replacements after a crash) are spawned.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys
from typing import TYPE_CHECKING, Any

from ._reaper import kill_children, report_exits, wait_for_message, watch_children

if TYPE_CHECKING:
    from .spawner import Spawner

_MAX_MESSAGE = 1 << 16


def set_parent_death_signal() -> None:
    """Die with SIGKILL when the parent process dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


class WorkerStart:
    """What a freshly forked worker needs to configure itself."""

    def __init__(self, channel_fd: int, spec: dict[str, Any]) -> None:
        self.channel_fd = channel_fd
        self.spec = spec


class Zygote:
    """The controller's handle on its zygote process."""

    def __init__(self, pid: int, sock: socket.socket) -> None:
        self.pid = pid
        self.sock = sock
        self.exits: list[tuple[int, int]] = []
        self.alive = True
        self.fallback: Spawner | None = None  # starts workers once retired

    @classmethod
    def fork(cls) -> Zygote | WorkerStart:
        """Fork the zygote. Returns the handle in the controller; in a worker
        forked later by the zygote, returns that worker's WorkerStart."""
        controller_end, zygote_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid:
            zygote_end.close()
            return cls(pid, controller_end)
        controller_end.close()
        return _serve(zygote_end)

    # -- controller side ------------------------------------------------------

    def retire(self, spawner: Spawner) -> None:
        """Turn the zygote into a bare reaper of the workers it forked (it
        frees the copy of the controller's heap); later workers come from
        `spawner`."""
        self.fallback = spawner
        try:
            self.sock.send(json.dumps({"op": "retire"}).encode())
        except OSError:
            pass  # the zygote is gone: its workers' exits show as EOF

    def spawn(self, spec: dict[str, Any]) -> tuple[socket.socket, int]:
        """Ask for a new worker; returns (controller's end of its channel, pid)."""
        if self.fallback is not None:
            return self.fallback.spawn(spec)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(
                self.sock, [json.dumps({"op": "spawn", **spec}).encode()], [theirs.fileno()]
            )
        finally:
            theirs.close()
        while True:
            message = self._receive(block=True)
            if message is None:
                ours.close()
                raise RuntimeError("the zygote process ended unexpectedly")
            if "spawned" in message:
                return ours, int(message["pid"])

    def _receive(self, block: bool) -> dict[str, Any] | None:
        """One message; exit reports are queued in self.exits. None on EOF."""
        while True:
            if not block:
                readable, _, _ = select.select([self.sock], [], [], 0)
                if not readable:
                    return {}
            try:
                data = self.sock.recv(_MAX_MESSAGE)
            except (ConnectionResetError, OSError):
                data = b""
            if not data:
                self.alive = False
                return None
            message: dict[str, Any] = json.loads(data)
            if "exit" in message:
                # Queued for poll_exits(); keep reading for the reply asked for.
                self.exits.append((int(message["exit"]), int(message["status"])))
                continue
            return message

    def poll_exits(self) -> list[tuple[int, int]]:
        """Worker exits reported since the last call: (pid, wait status)."""
        if self.alive:
            self._receive(block=False)
        exits, self.exits = self.exits, []
        if self.fallback is not None:
            exits += self.fallback.poll_exits()
        return exits

    def close(self) -> None:
        """End the zygote (it kills any worker still alive) and reap it."""
        if self.fallback is not None:
            self.fallback.close()
        if self.pid == 0:
            return
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass
        self.pid = 0


# -- zygote side ----------------------------------------------------------------


def _serve(sock: socket.socket) -> WorkerStart:
    """The zygote's loop. Never returns in the zygote; returns in a new worker."""
    set_parent_death_signal()
    # Ctrl-C reaches the whole process group: the controller decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    wake_read, wake_write = watch_children()
    children: set[int] = set()
    status = 0
    try:
        while True:
            report_exits(sock, children)
            if not wait_for_message(sock, wake_read):
                continue
            data, fds, _, _ = socket.recv_fds(sock, _MAX_MESSAGE, 1)
            if not data:
                break
            spec = json.loads(data)
            sys.stdout.flush()
            sys.stderr.flush()
            if spec.get("op") == "retire":
                _become_reaper(sock, children)  # returns only if the exec failed
                continue
            pid = os.fork()
            if pid == 0:
                signal.set_wakeup_fd(-1)
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                os.close(wake_read)
                os.close(wake_write)
                sock.close()
                set_parent_death_signal()
                return WorkerStart(fds[0], spec)
            for fd in fds:
                os.close(fd)
            children.add(pid)
            sock.send(json.dumps({"spawned": spec.get("workerid"), "pid": pid}).encode())
    except BaseException:
        status = 1
    kill_children(children)
    os._exit(status)


def _become_reaper(sock: socket.socket, children: set[int]) -> None:
    """Exec the bare reaper (see _reaper.py), keeping pid, children and socket."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_reaper.py")
    os.set_inheritable(sock.fileno(), True)
    try:
        os.execv(
            sys.executable,
            [sys.executable, "-I", "-S", script, str(sock.fileno()), *map(str, sorted(children))],
        )
    except OSError:
        os.set_inheritable(sock.fileno(), False)  # go on serving as the zygote
