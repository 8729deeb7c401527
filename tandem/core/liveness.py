"""Which process runs a long job, and whether it still lives: a job records `identity()` when
it starts; another process asks `dead(identity, last_beat, stall)` before taking it over."""

import os
import socket
from datetime import timedelta

from django.utils import timezone


def _started(pid: int) -> str:
    """The process's start time in clock ticks since boot ("" when unknown): with the pid it
    names one process, even after the pid is reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read().decode(errors="replace")
    except OSError:
        return ""
    return stat.rsplit(")", 1)[-1].split()[19]


def identity(pid: int | None = None) -> str:
    """This process (or `pid` on this machine): "host:pid:start"."""
    pid = os.getpid() if pid is None else pid
    return f"{socket.gethostname()}:{pid}:{_started(pid)}"


def _alive_here(pid: int, started: str) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not started or _started(pid) == started


def dead(runner: str, last_beat, stall_seconds: int) -> bool:
    """On this machine: the process is gone. Elsewhere: no heartbeat for `stall_seconds`."""
    host, _, rest = (runner or "").partition(":")
    pid, _, started = rest.partition(":")
    if host == socket.gethostname() and pid.isdigit():
        return not _alive_here(int(pid), started)
    if last_beat is None:
        return True
    return timezone.now() - last_beat > timedelta(seconds=stall_seconds)
