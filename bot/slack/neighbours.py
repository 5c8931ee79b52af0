"""Which workers of this machine are dead, so their claims need not wait to go stale.

A claim's heartbeat tells a dead worker on any host from a live one, but only after STALE_AFTER
(three missed beats, so a paused process is not taken for dead). On the same machine there is
a surer and faster test: the worker's process is gone. A worker therefore names itself
`machine:pid:token`, where the machine is the host name and the pid namespace (containers on
one host share a host name only by accident, but never a pid namespace), and the token tells a
later process that reused the pid from the one that died.

A pid found alive may belong to another program that reused it: that claim is left to go stale
as before. Nothing is released on a guess.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterable
from pathlib import Path


def machine() -> str:
    """This host and pid namespace, as worker names carry it (no ':' in it)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid").removeprefix("pid:[").removesuffix("]")
    except OSError:  # no /proc (not Linux): the host name alone
        namespace = "-"
    return f"{socket.gethostname().replace(':', '-')}/{namespace}"


def worker_name() -> str:
    """A new worker's name: this machine, this process, and a token of its own."""
    return f"{machine()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def dead_neighbours(names: Iterable[str], *, here: str | None = None) -> list[str]:
    """The names among `names` of workers on this machine whose process has ended."""
    here = here or machine()
    dead: list[str] = []
    for name in names:
        where, _, rest = name.partition(":")
        pid, _, _token = rest.partition(":")
        if where != here or not pid.isdigit() or int(pid) == os.getpid():
            continue
        if not _alive(int(pid)):
            dead.append(name)
    return dead


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, ended and not yet reaped by its parent, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive, and not ours to judge
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    state = stat.rpartition(")")[2].split()[:1]
    return state not in (["Z"], ["X"])
