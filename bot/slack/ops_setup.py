"""Start-up of a serving process's operable parts: the log format, and the metrics directory.

Imports no prometheus_client on purpose: its multiprocess mode is chosen when it is first
imported, from PROMETHEUS_MULTIPROC_DIR, so `share_metrics` must run before anything imports
bot/slack/metrics.py (bot.app does).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

from bot.slack.logs import configure_logging

__all__ = ["configure_logging", "share_metrics"]

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
PREFIX = "walkaway-metrics-"


def share_metrics() -> str:
    """Make this process and the worker processes it starts count into one directory, so that
    its /metrics adds up all their counters (prometheus_client's multiprocess mode).

    An operator's own PROMETHEUS_MULTIPROC_DIR is used as it is (empty it before each start, as
    prometheus_client asks); otherwise `walkaway-metrics-<pid>` in the temporary directory,
    removed at a normal exit, and by the next `serve` on this machine when this one was killed
    (SIGTERM ends `serve` without exit handlers). Workers inherit it through the environment.
    Returns the directory.
    """
    given = os.environ.get(METRICS_DIR)
    if given:
        os.makedirs(given, exist_ok=True)
        return given
    base = Path(tempfile.gettempdir())
    for left in base.glob(f"{PREFIX}*"):
        pid = left.name.removeprefix(PREFIX)
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(left, ignore_errors=True)
    made = base / f"{PREFIX}{os.getpid()}"
    shutil.rmtree(made, ignore_errors=True)  # a dead process's, whose pid this one reuses
    made.mkdir(mode=0o700)
    os.environ[METRICS_DIR] = str(made)
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return str(made)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True
