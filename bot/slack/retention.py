"""The retention purge, as timed work: claims and a job's own post records, after N days.

Every tick of the one scheduler (`walkaway serve` every ten minutes, `walkaway tick` from cron)
deletes what is older than WALKAWAY_RETENTION_DAYS (30): what may go, and why the rest stays, is
in storage/ops.py. Several processes purging at once only delete the same rows twice over, each
in its own short batches; nothing is claimed because nothing is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.slack.metrics import PURGED
from bot.slack.scheduler import TimedTask
from storage.repository import Store

log = logging.getLogger(__name__)

RETENTION_DAYS = 30


def purge_task(days: int = RETENTION_DAYS) -> TimedTask:
    def run(_client: WebClient, store: Store, now: datetime) -> int:
        purged = store.ops.purge(before=now - timedelta(days=days))
        PURGED.labels(table="idempotency_keys").inc(purged.claims)
        PURGED.labels(table="slack_posts").inc(purged.posts)
        if purged.claims or purged.posts:
            log.info(
                "purged %s claim(s) and %s job post record(s) older than %s days",
                purged.claims,
                purged.posts,
                days,
            )
        return purged.claims + purged.posts

    return TimedTask(name="old row(s) purged", run=run, sends=False)
