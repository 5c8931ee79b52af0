"""The nudge on the re-check date: a timed sweep that claims each due nudge once, and the job
that posts it to whoever can still act on it.

The sweep (a `TimedTask`, run by every `walkaway serve` every ten minutes and by cron's `walkaway
tick`) reads the open records whose date has come by one index range, keeps those whose rep has
reached 9:30 on a business day (bot/domain/nudge_time.py), claims each (record, date) in the
`nudges` table (the first process to insert it wins) and queues one durable job per claim. The
job posts through bot/slack/effects.py under the key `nudge:<record>:<date>`, so a re-run never
posts twice, and a post Slack refused for a passing reason is retried by the queue, never
dropped. A claim whose process died before queueing its job is queued again by a later sweep
under the same job key.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.nudge_time import latest_begun_day, nudge_at
from bot.pathback import nudge_blocks
from bot.slack.effects import post_once
from bot.slack.errors import RetryLater, is_transient
from bot.slack.names import MENTIONS, Naming, names_for
from bot.slack.scheduler import TimedTask
from bot.slack.tokens import NotInstalled, client_for_workspace
from storage.columns import utcnow
from storage.jobs import new_key
from storage.nudge_info import NudgeCandidate, NudgeClaim
from storage.records import RecordStatus
from storage.repository import Store

log = logging.getLogger(__name__)

POST_NUDGE = "pathback.nudge"
"""The job kind that posts one nudge (defined in bot/pathback/nudge_listeners.py)."""
LOOKBACK = timedelta(days=30)
"""Dates older than this are not nudged any more: a deployment that starts on a database of old
deferrals does not flood every rep on its first tick (the due lists still show them)."""
REQUEUE_AFTER = timedelta(minutes=2)
"""A claim this old with no job queued belongs to a sweep that died in between."""
LOOKUPS_PER_SWEEP = 50
"""users.info calls a sweep may make for reps whose zone it has never asked (rate limits)."""
GONE = frozenset({"account_inactive", "user_not_found", "user_disabled", "cannot_dm_bot"})
"""Answers meaning this person will not read a DM from us: the nudge goes to the next one."""


def sweep(client: WebClient, store: Store, *, now: datetime, holidays: Collection[date]) -> int:
    """Claim and queue every nudge due at `now`; returns how many this call claimed."""
    stranded = store.unqueued_nudges(claimed_before=now - REQUEUE_AFTER)
    if stranded:
        _queue(store, stranded, now)
    candidates = store.nudge_candidates(since=now.date() - LOOKBACK, through=latest_begun_day(now))
    zones = _zones(client, store, candidates, now)
    due = [
        NudgeClaim(c.record_id, c.due_on, c.workspace_id, new_key())
        for c in candidates
        if nudge_at(c.due_on, zones.get(c.rep_user_id, c.tz), holidays) <= now
    ]
    won = store.claim_nudges(claims=due, at=now)
    _queue(store, won, now)
    return len(won)


def _queue(store: Store, claims: list[NudgeClaim], now: datetime) -> None:
    store.jobs.put_many(
        kind=POST_NUDGE,
        jobs=[
            (
                c.job_key,
                {
                    "record": c.record_id,
                    "due_on": c.due_on.isoformat(),
                    "team_id": store.team_id_of(workspace_id=c.workspace_id),
                },
            )
            for c in claims
        ],
    )
    store.mark_nudges_queued(claims=claims, at=now)


def _zones(
    client: WebClient, store: Store, candidates: list[NudgeCandidate], now: datetime
) -> dict[int, str | None]:
    """Zones of reps Slack was never asked about, asked now (a few per sweep)."""
    unknown = {c.rep_user_id: c.workspace_id for c in candidates if not c.profile_known}
    found: dict[int, str | None] = {}
    for rep_user_id, workspace_id in list(unknown.items())[:LOOKUPS_PER_SWEEP]:
        slack_id = store.slack_id_of(user_id=rep_user_id)
        try:
            own = client_for_workspace(client, store, workspace_id)  # its workspace's token
            found[rep_user_id] = learn_profile(own, store, rep_user_id, slack_id, now).tz
        except (SlackApiError, OSError, NotInstalled) as error:
            log.warning("no zone for %s yet (%s); UTC meanwhile", slack_id, error)
    return found


class Learnt(NamedTuple):
    tz: str | None
    deactivated: bool


def learn_profile(
    client: WebClient, store: Store, user_id: int, slack_id: str, now: datetime
) -> Learnt:
    """Ask users.info for the person's zone and whether they left, and keep the answer."""
    user: dict[str, Any] = client.users_info(user=slack_id)["user"]
    tz = user.get("tz") if isinstance(user.get("tz"), str) else None
    gone = user.get("deleted") is True
    store.remember_profile(user_id=user_id, tz=tz, deactivated=gone, at=now)
    return Learnt(tz, gone)


def task(holidays: Collection[date]) -> TimedTask:
    """The sweep as timed work, for bot/app.py's TIMED_TASKS (holidays from the settings)."""
    days = frozenset(holidays)
    return TimedTask(
        "nudge(s)", lambda client, store, now: sweep(client, store, now=now, holidays=days)
    )


# -- the job that posts one nudge --------------------------------------------------------------


def post_nudge(store: Store, client: WebClient, payload: dict[str, Any]) -> None:
    """Post the nudge of (record, date) once, to the rep, else their manager, else the desk.

    A record that moved on since the claim (closed, re-engaged, re-dated, snoozed) gets no
    nudge. A passing Slack failure raises RetryLater: the queue tries again with a delay.
    """
    try:
        record_id, due_on = int(payload["record"]), date.fromisoformat(str(payload["due_on"]))
    except (KeyError, TypeError, ValueError):
        log.error("nudge job with a payload we did not write: %r", payload)
        return
    nudge = store.get_nudge(record_id=record_id, due_on=due_on)
    if nudge is None or nudge.posted_at is not None or nudge.ended is not None:
        return
    record = store.get_record(record_id=record_id)
    if record is None or record.status != RecordStatus.OPEN or record.recheck_on != due_on:
        store.end_nudge(record_id=record_id, due_on=due_on, why="skipped")
        return
    try:
        _deliver(store, client, record_id=record_id, due_on=due_on)
    except SlackApiError as error:
        if is_transient(error):
            raise RetryLater(error) from error
        raise
    except OSError as error:
        raise RetryLater(error) from error


def _deliver(store: Store, client: WebClient, *, record_id: int, due_on: date) -> None:
    record = store.get_record(record_id=record_id)
    assert record is not None
    rep_id = store.ensure_user(
        workspace_id=record.workspace_id, slack_user_id=record.rep_slack_user_id
    )
    profile = store.profile(user_id=rep_id)
    now = utcnow()
    rep_gone = profile is not None and profile.deactivated
    if not rep_gone:
        try:
            rep_gone = learn_profile(client, store, rep_id, record.rep_slack_user_id, now)[1]
        except SlackApiError as error:
            if is_transient(error):
                raise
            rep_gone = error.response.get("error") in GONE  # else try the DM and see
            if rep_gone:
                store.remember_profile(user_id=rep_id, tz=None, deactivated=True, at=now)
    manager = store.approvals.manager_of(rep_user_id=rep_id)
    desk = store.approvals.settings(workspace_id=record.workspace_id).deal_desk_channel_id
    recipients: list[tuple[str, bool]] = []  # (Slack id or channel, is a channel)
    if not rep_gone:
        recipients.append((record.rep_slack_user_id, False))
    if manager is not None:
        recipients.append((manager.slack_user_id, False))
    if desk:
        recipients.append((desk, True))
    key = f"nudge:{record_id}:{due_on.isoformat()}"
    for to, is_channel in recipients:
        naming: Naming = (
            names_for(
                client,
                store,
                workspace_id=record.workspace_id,
                slack_ids=[record.rep_slack_user_id],
            )
            if is_channel
            else MENTIONS
        )
        text, blocks = nudge_blocks.nudge_message(
            record,
            store.conditions.for_record(record_id=record.id),
            due_on=due_on,
            who=naming,
            instead_of_rep=rep_gone,
        )
        try:
            channel = (
                to if is_channel else str(client.conversations_open(users=to)["channel"]["id"])
            )
            posted = post_once(client, store, key=key, channel=channel, text=text, blocks=blocks)
        except SlackApiError as error:
            reason = error.response.get("error")
            if is_transient(error) or reason not in GONE | {"channel_not_found", "not_in_channel"}:
                raise
            log.warning("nudge %s could not reach %s (%s); trying the next", key, to, reason)
            if to == record.rep_slack_user_id:
                store.remember_profile(user_id=rep_id, tz=None, deactivated=True, at=now)
                rep_gone = True
            continue
        if posted is None:
            raise RetryLater(RuntimeError(f"nudge {key} is being posted by another job"))
        store.nudge_posted(
            record_id=record_id,
            due_on=due_on,
            channel_id=posted.channel,
            ts=posted.ts,
            sent_to=to,
            at=now,
        )
        return
    log.error("nudge %s has nobody to go to (rep gone, no manager, no deal desk)", key)
    store.end_nudge(record_id=record_id, due_on=due_on, why="undeliverable")


def work(store: Store) -> Any:
    """The job's work as bot/slack/jobs.py runs it."""

    def run(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        post_nudge(store, client, body)

    return run
