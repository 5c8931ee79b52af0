"""Fixtures every test gets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.slack.ops_setup import METRICS_DIR


@pytest.fixture(autouse=True)
def _metrics_counted_in_this_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`walkaway serve` run in-process sets PROMETHEUS_MULTIPROC_DIR for its worker processes
    (bot/slack/ops_setup.py) and, as a real server would, never unsets it: without this, every
    later test's /metrics would read that directory instead of its own process's counters."""
    monkeypatch.setenv(METRICS_DIR, "")
    monkeypatch.delenv(METRICS_DIR)
    yield
