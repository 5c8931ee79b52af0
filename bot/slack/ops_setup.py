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

from bot.slack.logs import configure_logging

__all__ = ["configure_logging", "share_metrics"]

METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"


def share_metrics() -> str:
    """Make this process and the worker processes it starts count into one directory, so that
    its /metrics adds up all their counters (prometheus_client's multiprocess mode).

    An operator's own PROMETHEUS_MULTIPROC_DIR is used as it is (empty it before each start, as
    prometheus_client asks); otherwise a fresh temporary one, removed when the process ends.
    Workers inherit it through the environment. Returns the directory.
    """
    given = os.environ.get(METRICS_DIR)
    if given:
        os.makedirs(given, exist_ok=True)
        return given
    made = tempfile.mkdtemp(prefix="walkaway-metrics-")
    os.environ[METRICS_DIR] = made
    atexit.register(shutil.rmtree, made, ignore_errors=True)
    return made
