"""The weekly digest for managers: a timed sweep that claims each (manager, ISO week) once, and
the durable job that sends it, step by step.

The sweep (a `TimedTask`, run by every `walkaway serve` every ten minutes and by cron's `walkaway
tick`) reads the workspaces that turned the digest on, finds each manager (anyone a rep names as
theirs) whose weekday and hour have come in their own zone (bot/domain/digest_time.py), claims
(manager, week) in `digest_sends` (the first process to insert it wins) and queues one job per
claim. A claim whose process died before queueing is queued again by a later sweep under the
same job key.

The job records each step in the claim's row, so a re-run (a Slack call that failed, a worker
that died) carries on from where it stopped and never sends a part twice:

1. the digest message, through bot/slack/effects.py `post_once` under `digest:<manager>:<week>`
   (a post whose answer was lost is looked up by its metadata before posting again);
2. the chart (bot/insight/chart.py, PNG in memory), uploaded to the same DM with slack_sdk's
   `files_upload_v2` (files.getUploadURLExternal, the upload, files.completeUploadExternal).
   The upload's start is recorded first; a re-run that finds a start and no file id looks in
   the DM for a file of that name shared since, before uploading again;
3. done (`sent_at`).

A manager none of whose reps are left (all moved to another manager since the claim) gets no
digest: the row is ended 'no-reps'. A manager who left the workspace, or whose DM Slack will not
open, is ended 'undeliverable'. A workspace that turned the digest off before the job ran is
ended 'off'. A passing Slack failure raises RetryLater: the queue tries again with a delay.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.domain.digest_time import digest_due
from bot.domain.nudge_time import local_today
from bot.insight.chart import chart_png
from bot.insight.digest_blocks import digest_message
from bot.slack.deps import Deps
from bot.slack.effects import post_once
from bot.slack.errors import RetryLater, is_transient
from bot.slack.scheduler import TimedTask
from bot.slack.tokens import NotInstalled, client_for_workspace
from bot.slack.uploads import shared_file_id, shared_message
from storage.columns import utcnow
from storage.digest_info import DigestClaim, DigestInfo, DigestManager
from storage.jobs import new_key
from storage.repository import Store

log = logging.getLogger(__name__)

SEND_DIGEST = "insight.digest"
REQUEUE_AFTER = timedelta(minutes=2)
"""A claim this old with no job queued belongs to a sweep that died in between."""
LOOKUPS_PER_SWEEP = 50
"""users.info calls a sweep may make for managers whose zone it has never asked (rate limits)."""
GONE = frozenset({"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot"})


def sweep(client: WebClient, store: Store, now: datetime) -> int:
    """Claim and queue every digest due at `now`; returns how many this call claimed."""
    stranded = store.digest.unqueued(claimed_before=now - REQUEUE_AFTER)
    if stranded:
        _queue(store, stranded, now)
    lookups = LOOKUPS_PER_SWEEP
    due: list[DigestClaim] = []
    for workspace_id, settings in store.digest.enabled_workspaces():
        for manager in store.digest.managers(workspace_id=workspace_id):
            tz = manager.tz
            if not manager.profile_known and lookups > 0:
                lookups -= 1
                tz = _learn_zone(
                    client_for_workspace(client, store, workspace_id), store, manager, now
                )
            if manager.deactivated:
                continue
            moment = digest_due(now, tz, settings)
            if moment is not None:
                due.append(
                    DigestClaim(manager.user_id, moment.week, workspace_id, new_key(), moment.at)
                )
    won = store.digest.claim(claims=due, at=now)
    _queue(store, won, now)
    return len(won)


def _queue(store: Store, claims: list[DigestClaim], now: datetime) -> None:
    store.jobs.put_many(
        kind=SEND_DIGEST,
        jobs=[
            (c.job_key, {"manager": c.manager_user_id, "week": c.week, "team_id": team})
            for c in claims
            # the team names the workspace's token in OAuth mode (bot/slack/tokens.py)
            for team in [store.team_id_of(workspace_id=c.workspace_id)]
        ],
    )
    store.digest.mark_queued(claims=claims, at=now)


def _learn_zone(
    client: WebClient, store: Store, manager: DigestManager, now: datetime
) -> str | None:
    """Ask users.info for the manager's zone once; UTC meanwhile if Slack cannot say."""
    try:
        user: dict[str, Any] = client.users_info(user=manager.slack_user_id)["user"]
    except (SlackApiError, OSError, NotInstalled) as error:
        log.warning("no zone for %s yet (%s); UTC meanwhile", manager.slack_user_id, error)
        return None
    tz = user.get("tz") if isinstance(user.get("tz"), str) else None
    store.remember_profile(
        user_id=manager.user_id, tz=tz, deactivated=user.get("deleted") is True, at=now
    )
    return tz


TASK = TimedTask("digest(s)", sweep)
"""The sweep as timed work, for bot/app.py."""


# -- the job that sends one digest -------------------------------------------------------------


def send_digest(store: Store, client: WebClient, payload: dict[str, Any]) -> None:
    """Send (manager, week)'s digest, continuing from the last step recorded."""
    try:
        manager_user_id, week = int(payload["manager"]), str(payload["week"])
    except (KeyError, TypeError, ValueError):
        log.error("digest job with a payload we did not write: %r", payload)
        return
    info = store.digest.get(manager_user_id=manager_user_id, week=week)
    if info is None or info.sent_at is not None or info.ended is not None:
        return
    try:
        _send(store, client, info)
    except SlackApiError as error:
        if is_transient(error):
            raise RetryLater(error) from error
        if error.response.get("error") in GONE:
            log.warning("digest %s/%s cannot reach the manager: %s", manager_user_id, week, error)
            _end(store, info, "undeliverable")
            return
        raise
    except (OSError, SlackRequestError) as error:
        # SlackRequestError: the upload URL refused the bytes; a retry asks for a new URL.
        raise RetryLater(error) from error


def _end(store: Store, info: DigestInfo, why: str) -> None:
    store.digest.mark(manager_user_id=info.manager_user_id, week=info.week, ended=why)


def _send(store: Store, client: WebClient, info: DigestInfo) -> None:
    manager, week = info.manager_user_id, info.week
    if info.ts is None and not store.digest.settings(workspace_id=info.workspace_id).enabled:
        _end(store, info, "off")
        return
    profile = store.profile(user_id=manager)
    if profile is not None and profile.deactivated:
        _end(store, info, "undeliverable")
        return
    tz = profile.tz if profile is not None else None
    start, end = info.due_at - timedelta(days=7), info.due_at
    today = local_today(end, tz)
    lists = store.digest.lists(
        workspace_id=info.workspace_id, manager_user_id=manager, end=end, today=today
    )
    if lists.reps == 0 and info.ts is None:
        log.info("digest %s/%s: the manager has no reps any more; none sent", manager, week)
        _end(store, info, "no-reps")
        return
    channel = info.channel_id
    if channel is None:
        slack_id = store.slack_id_of(user_id=manager)
        channel = str(client.conversations_open(users=slack_id)["channel"]["id"])
    if info.ts is None:
        team = store.insight.team_rep_ids(workspace_id=info.workspace_id, manager_user_id=manager)
        numbers = store.insight.numbers(
            workspace_id=info.workspace_id, rep_ids=team, since=start, until=end
        )
        text, blocks = digest_message(lists, numbers, end=end, today=today, chart_follows=True)
        posted = post_once(
            client, store, key=f"digest:{manager}:{week}", channel=channel, text=text, blocks=blocks
        )
        if posted is None:
            raise RetryLater(
                RuntimeError(f"digest {manager}/{week} is being posted by another job")
            )
        store.digest.mark(
            manager_user_id=manager, week=week, channel_id=posted.channel, ts=posted.ts
        )
        channel = posted.channel
    if info.chart_file_id is None:
        _upload_chart(store, client, info, channel, lists.weeks)
    store.digest.mark(manager_user_id=manager, week=week, sent_at=utcnow())


def chart_filename(info: DigestInfo) -> str:
    return f"walkaway-digest-{info.week}.png"


def _upload_chart(
    store: Store, client: WebClient, info: DigestInfo, channel: str, weeks: Any
) -> None:
    manager, week = info.manager_user_id, info.week
    name = chart_filename(info)
    if info.chart_started_at is not None:
        # the week's chart has a name of its own: the whole name is the suffix looked for
        shared = shared_message(client, channel=channel, suffix=name, since=info.chart_started_at)
        found = shared_file_id(shared, name) if shared is not None else None
        if found is not None:
            store.digest.mark(manager_user_id=manager, week=week, chart_file_id=found)
            return
    store.digest.mark(manager_user_id=manager, week=week, chart_started_at=utcnow())
    done = client.files_upload_v2(
        channel=channel,
        file=chart_png(weeks),
        filename=name,
        title="Verdicts per week, the last 12 weeks",
        initial_comment="The last 12 weeks of verdicts, comebacks marked ▼.",
    )
    file = done.get("file") or {}
    files = done.get("files") or [file]
    file_id = str(files[0].get("id") or "") if files else ""
    store.digest.mark(manager_user_id=manager, week=week, chart_file_id=file_id or "-")


def register(app: App, deps: Deps) -> None:
    """Define the job that sends a digest (the sweep queues it)."""
    store = deps.store

    def run(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        send_digest(store, client, body)

    deps.jobs.define(SEND_DIGEST, run)
