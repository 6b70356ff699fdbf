"""What the zygote becomes once the first workers are forked (run as a script).

The zygote is a copy of the controller's heap (pytest, plugins, conftests:
about 25 MB of the run's memory on a 20,000-test suite, most of it private
once the controller and workers write to their own copies). After the first
workers exist it is needed only as their parent: a process's children can
be reaped, and their wait status read, by it alone. So it execs this script
in a bare interpreter (``python -I -S``, a few MB), keeping its pid, its
children, its parent-death signal, its ignored SIGINT and the socket to
the controller. Replacement workers are then spawned by the controller.

Protocol on the socket (SOCK_SEQPACKET, as before the exec): it sends
``{"exit": pid, "status": s}`` for every child that ends; EOF from the
controller means: kill the children still alive, reap them, exit.

Standard library only: ``-S`` leaves site-packages off ``sys.path``. The
zygote itself uses the helpers below for the same watching and reaping.
"""

import json
import os
import select
import signal
import socket
import sys


def watch_children() -> tuple[int, int]:
    """A pipe the SIGCHLD handler writes to (read end, write end), so that a
    select() on it wakes when a child ends."""
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    return wake_read, wake_write


def wait_for_message(sock: socket.socket, wake_read: int) -> bool:
    """Block until a child ends or the socket is readable; True for the latter."""
    try:
        readable, _, _ = select.select([sock.fileno(), wake_read], [], [])
    except InterruptedError:
        return False
    if wake_read in readable:
        os.read(wake_read, 512)
    return sock.fileno() in readable


def report_exits(sock: socket.socket, children: set[int]) -> None:
    """Reap every child that has ended and send its raw wait status."""
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            children.clear()
            return
        if pid == 0:
            return
        children.discard(pid)
        try:
            sock.send(json.dumps({"exit": pid, "status": status}).encode())
        except OSError:
            pass


def kill_children(children: set[int]) -> None:
    """SIGKILL every child still alive, then reap them all."""
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass


def _receive(sock: socket.socket) -> bytes:
    """A message from the controller; b"" once it has closed its end (a
    reset connection included: the controller may die with data unread)."""
    try:
        return sock.recv(1 << 16)
    except OSError:
        return b""


def main(fd: int, children: set[int]) -> None:
    sock = socket.socket(fileno=fd)
    wake_read, _ = watch_children()
    try:
        while True:
            report_exits(sock, children)
            if wait_for_message(sock, wake_read) and not _receive(sock):
                break  # the controller is gone or done
    finally:
        kill_children(children)
    os._exit(0)


if __name__ == "__main__":
    main(int(sys.argv[1]), {int(pid) for pid in sys.argv[2:]})
