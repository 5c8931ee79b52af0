"""The one scheduler counts what timed tasks send, and runs the purge without calling it a send."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from slack_sdk import WebClient

from bot.app import timed_tasks
from bot.config import Settings
from bot.slack.metrics import PROCESS
from bot.slack.retention import purge_task
from bot.slack.scheduler import Scheduler, TimedTask
from storage.columns import utcnow
from storage.repository import Store
from tests.slack.world import sqlite_url


def sample(name: str, **labels: str) -> float:
    return PROCESS.get_sample_value(name, labels) or 0.0


def test_sends_and_failures_are_counted_by_task_and_the_purge_is_not_a_send(
    tmp_path: Path,
) -> None:
    store = Store.open(sqlite_url(tmp_path))
    assert store.claim_once(key="turn:1:1.1", owner="f" * 32)

    def broken(_client: WebClient, _store: Store, _now: datetime) -> int:
        raise RuntimeError("Slack away")

    tasks = [
        TimedTask(name="test thing(s)", run=lambda _c, _s, _n: 2),
        TimedTask(name="test broken", run=broken),
        purge_task(days=30),
    ]
    sent_before = sample("walkaway_scheduled_sends_total", task="test thing(s)")
    failed_before = sample("walkaway_scheduled_task_failures_total", task="test broken")
    purged_before = sample("walkaway_purged_rows_total", table="idempotency_keys")
    try:
        ticker = Scheduler(WebClient(token="xoxb-unused"), store, tasks)
        later = datetime.fromisoformat(
            "2099-01-01T09:00:00+00:00"
        )  # the claim is long past 30 days
        assert ticker.tick(later) == {"test thing(s)": 2}  # what `walkaway tick` prints
    finally:
        store.close()
    assert sample("walkaway_scheduled_sends_total", task="test thing(s)") - sent_before == 2
    assert sample("walkaway_scheduled_task_failures_total", task="test broken") - failed_before == 1
    assert sample("walkaway_purged_rows_total", table="idempotency_keys") - purged_before == 1


def test_the_apps_purge_keeps_claims_for_the_configured_retention(tmp_path: Path) -> None:
    settings = Settings(walkaway_retention_days=3)
    tasks = timed_tasks(settings)
    (purge,) = [task for task in tasks if not task.sends]  # the reminders and nudges send
    assert len(tasks) >= 3
    store = Store.open(sqlite_url(tmp_path))
    try:
        assert store.claim_once(key="turn:2:2.2", owner="e" * 32)
        made = utcnow()
        client = WebClient(token="xoxb-unused")
        assert purge.run(client, store, made + timedelta(days=2, hours=23)) == 0
        assert store.claim_owner(key="turn:2:2.2") == "e" * 32
        assert purge.run(client, store, made + timedelta(days=3, minutes=1)) == 1
        assert store.claim_owner(key="turn:2:2.2") is None
    finally:
        store.close()
