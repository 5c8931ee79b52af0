"""Reminders, once per stage: a request nobody answered, then a discussion with no position.

Run by the scheduler (bot/slack/scheduler.py) from `walkaway serve` and `walkaway tick`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approvals import blocks as approval_blocks
from bot.approvals import discussion_blocks
from bot.approvals.ping import naming, permalink, update_ping
from bot.slack.effects import post_once
from bot.slack.errors import describe
from bot.slack.scheduler import TimedTask
from bot.slack.tokens import NotInstalled, client_for
from storage.approval_info import ApprovalInfo
from storage.repository import Store

log = logging.getLogger(__name__)


def send_due_reminders(client: WebClient, store: Store, *, now: datetime) -> int:
    """Remind once per stage whose time has come; returns how many were sent now.

    A request nobody answered is reminded under the request. A discussion with no position
    yet is a different situation (someone looked), so it gets its own single nudge, counted
    from the Discuss, in the discussion itself where both sides see it. Each reminder is posted
    once under a key naming its stage (bot/slack/effects.py), then marked sent: several
    processes or overlapping cron runs never send one twice, and one that failed (Slack away,
    a process killed mid-way) is simply due again at the next run, never lost.
    """
    sent = 0
    for approval in store.approvals.due_reminders(now=now):
        try:
            own = client_for(client, approval.team_id)  # the workspace's own token
            fresh = (
                _remind_discussion(own, store, approval)
                if approval.discussing
                else _remind_request(own, store, approval)
            )
        except (SlackApiError, OSError, NotInstalled) as error:
            log.warning(
                "reminder for record %s failed (%s); it is due again at the next run",
                approval.record_id,
                describe(error),
            )
            continue
        if fresh is None:  # another process is sending this one right now
            continue
        store.approvals.mark_reminded(record_id=approval.record_id, at=now)
        sent += fresh
    return sent


def _remind_request(client: WebClient, store: Store, approval: ApprovalInfo) -> int | None:
    assert approval.ping_channel_id and approval.ping_ts
    text, blocks = approval_blocks.reminder_message(approval, naming(client, store, approval))
    posted = post_once(
        client,
        store,
        key=f"reminder:{approval.record_id}:request",
        channel=approval.ping_channel_id,
        thread_ts=approval.ping_ts,
        reply_broadcast=True,
        text=text,
        blocks=blocks,
    )
    return None if posted is None else int(posted.new)


def _remind_discussion(client: WebClient, store: Store, approval: ApprovalInfo) -> int | None:
    """Nudge a discussion that has not reached a position, where the two talk.

    The manager's message is re-rendered first (best effort), so its Agree and Override
    buttons are there to press: a ping answered with Discuss before migration 0005 lost them.
    """
    assert approval.ping_channel_id and approval.ping_ts
    record = store.get_record(record_id=approval.record_id)
    if record is not None:
        try:
            update_ping(client, store, approval, record)
        except SlackApiError as error:  # best effort: the nudge itself matters more
            log.warning(
                "could not refresh ping %s: %s", approval.ping_ts, error.response.get("error")
            )
    channel = approval.discussion_channel_id or approval.ping_channel_id
    in_thread = channel == approval.ping_channel_id
    request = None if in_thread else permalink(client, approval.ping_channel_id, approval.ping_ts)
    text, blocks = discussion_blocks.discussion_reminder(
        approval, request_link=request, who=naming(client, store, approval)
    )
    posted = post_once(
        client,
        store,
        key=f"reminder:{approval.record_id}:discussion",
        channel=channel,
        text=text,
        blocks=blocks,
        thread_ts=approval.ping_ts if in_thread else None,
        reply_broadcast=True if in_thread else None,
    )
    return None if posted is None else int(posted.new)


REMINDERS = TimedTask(
    "reminder(s)", lambda client, store, now: send_due_reminders(client, store, now=now)
)
"""Listed among the app's timed work in bot/app.py."""
