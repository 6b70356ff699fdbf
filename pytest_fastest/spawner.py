"""Workers started as fresh interpreters (``--fastest-start=spawn``).

The fallback for when a fork of the controller's pre-configuration state
is not wanted (a plugin or a C library that does not survive fork, a
platform without fork): each worker is ``python -m pytest`` with the
controller's own arguments, run from the same directory with the same
environment, so it reads the same ini files and ``PYTEST_ADDOPTS`` and
loads the same plugins. One environment variable tells it that it is a
worker, which inherited socket is its channel, and its spec (the same spec
the zygote gives a forked worker). It costs an interpreter start, a pytest
import and plugin loading per worker, which a fork avoids.

Spawned workers are the controller's own children: it reaps them and
reads their wait status itself (``poll_exits``), where forked workers'
statuses come from the zygote. This class has the zygote handle's
interface, so the controller does not know which kind it drives.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from typing import Any

from .zygote import WorkerStart, set_parent_death_signal

# Set only in the environment of a spawned worker, and removed from it at once:
# a test that runs pytest in a subprocess must not become a worker too.
SPAWN_ENV = "PYTEST_FASTEST_SPAWNED_WORKER"


class Spawner:
    """Starts workers as subprocesses and reaps them."""

    def __init__(self, args: list[str], directory: str) -> None:
        self.args = args
        self.directory = directory
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.alive = True
        self.pid = -1  # no zygote process; the controller's children are the workers

    def spawn(self, spec: dict[str, Any]) -> tuple[socket.socket, int]:
        """Start one worker; returns (controller's end of its channel, pid)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            fd = theirs.fileno()
            env = dict(os.environ)
            env[SPAWN_ENV] = json.dumps({"fd": fd, "parent": os.getpid(), "spec": spec})
            # fork+exec in one step (subprocess uses vfork where it can), never
            # a plain fork: the controller already runs threads (the dispatcher).
            proc = subprocess.Popen(
                [sys.executable, "-m", "pytest", *self.args],
                cwd=self.directory,
                env=env,
                stdin=subprocess.DEVNULL,
                pass_fds=(fd,),
            )
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        self.children[proc.pid] = proc
        return ours, proc.pid

    def poll_exits(self) -> list[tuple[int, int]]:
        """Worker exits since the last call: (pid, raw wait status)."""
        exits = []
        for pid, proc in list(self.children.items()):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                del self.children[pid]
                continue
            if done:
                # Reaped here for the raw status (a signal's number included);
                # tell the Popen object, or it would wait for the pid again.
                proc.returncode = os.waitstatus_to_exitcode(status)
                del self.children[pid]
                exits.append((pid, status))
        return exits

    def close(self) -> None:
        """Kill any worker still alive and reap every one."""
        for proc in self.children.values():
            proc.kill()
        for proc in self.children.values():
            proc.wait()
        self.children.clear()
        self.alive = False


def start_from_environment() -> WorkerStart | None:
    """In a spawned worker: its channel and spec (and the variable removed)."""
    raw = os.environ.pop(SPAWN_ENV, None)
    if raw is None:
        return None
    message = json.loads(raw)
    # As a forked worker: die with the controller; Ctrl-C is the controller's to handle.
    set_parent_death_signal()
    if os.getppid() != message["parent"]:
        os._exit(1)  # the controller died before the line above took effect
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    fd = int(message["fd"])
    os.set_inheritable(fd, False)
    return WorkerStart(fd, message["spec"])
