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
from bot.approvals.ping import permalink, update_ping
from bot.slack.scheduler import TimedTask
from storage.approval_info import ApprovalInfo
from storage.repository import Store

log = logging.getLogger(__name__)


def send_due_reminders(client: WebClient, store: Store, *, now: datetime) -> int:
    """Remind once per stage whose time has come; returns how many were sent.

    A request nobody answered is reminded under the request. A discussion with no position
    yet is a different situation (someone looked), so it gets its own single nudge, counted
    from the Discuss, in the discussion itself where both sides see it. Each reminder is
    claimed in the database before it is posted, so several processes (or cron runs that
    overlap) never send one twice. A reminder Slack refused is released for the next run
    rather than lost.
    """
    sent = 0
    for approval in store.approvals.claim_due_reminders(now=now):
        if not approval.ping_channel_id or not approval.ping_ts:
            continue
        try:
            if approval.discussing:
                _remind_discussion(client, store, approval)
            else:
                text, blocks = approval_blocks.reminder_message(approval)
                client.chat_postMessage(
                    channel=approval.ping_channel_id,
                    thread_ts=approval.ping_ts,
                    reply_broadcast=True,
                    text=text,
                    blocks=blocks,
                )
        except SlackApiError as error:
            log.warning(
                "reminder for record %s failed: %s",
                approval.record_id,
                error.response.get("error"),
            )
            store.approvals.release_reminder(record_id=approval.record_id)
            continue
        sent += 1
    return sent


def _remind_discussion(client: WebClient, store: Store, approval: ApprovalInfo) -> None:
    """Nudge a discussion that has not reached a position, where the two talk.

    The manager's message is re-rendered first (best effort), so its Agree and Override
    buttons are there to press: a ping answered with Discuss before migration 0005 lost them.
    """
    assert approval.ping_channel_id and approval.ping_ts
    record = store.get_record(record_id=approval.record_id)
    if record is not None:
        try:
            update_ping(client, approval, record)
        except SlackApiError as error:
            log.warning(
                "could not refresh ping %s: %s", approval.ping_ts, error.response.get("error")
            )
    channel = approval.discussion_channel_id or approval.ping_channel_id
    in_thread = channel == approval.ping_channel_id
    request = None if in_thread else permalink(client, approval.ping_channel_id, approval.ping_ts)
    text, blocks = discussion_blocks.discussion_reminder(approval, request_link=request)
    client.chat_postMessage(
        channel=channel,
        text=text,
        blocks=blocks,
        thread_ts=approval.ping_ts if in_thread else None,
        reply_broadcast=True if in_thread else None,
    )


REMINDERS = TimedTask(
    "reminder(s)", lambda client, store, now: send_due_reminders(client, store, now=now)
)
"""Listed among the app's timed work in bot/app.py."""
