"""Asking for a manager's position: the ping after a verdict, the card's approval section, and
holding a draft until the manager agrees.

Every step writes the database first and posts second, and reads state back from the database
rather than from the click, so any process can take the next step and a retried or duplicated
click finds the work already done.
"""

from __future__ import annotations

import logging
from datetime import datetime

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.approvals import blocks as approval_blocks
from bot.approvals import ping_blocks
from bot.approvals.rules import draft_excerpt, needs_position, reminder_days
from bot.domain.dates import add_business_days
from bot.slack import card
from bot.slack.deps import Deps, VerdictPosted
from bot.slack.effects import post_once
from bot.slack.errors import Refusal, is_transient
from bot.slack.names import MENTIONS, Naming, names_for
from storage.approval_info import ApprovalInfo, Decision
from storage.columns import utcnow
from storage.people import People
from storage.records import RecordDetail

log = logging.getLogger(__name__)


def after_verdict(client: WebClient, deps: Deps, posted: VerdictPosted) -> None:
    """Open the approval for a walk, stop-pilot or defer verdict and send the ping.

    The manager comes first, then the workspace's deal desk; with neither, the card asks the
    rep to pick a manager. Repeatable: the approval is opened once, and a routed one that has
    no ping yet (an earlier attempt failed before or while sending it) is pinged now, once.
    """
    if not needs_position(posted.outcome):
        return
    approvals = deps.store.approvals
    settings = approvals.settings(workspace_id=posted.workspace_id)
    manager = approvals.manager_of(rep_user_id=posted.rep_user_id)
    approval, _ = approvals.open(
        record_id=posted.record_id,
        approver_user_id=manager.user_id if manager else None,
        approver_channel_id=None if manager else settings.deal_desk_channel_id,
        hold_until_agreed=settings.hold_until_agreed,
        card_ts=posted.card_ts,
    )
    unsent = approval.routed and approval.ping_ts is None
    note = send_ping(client, deps, approval) if unsent else None
    refresh_card(client, deps, record_id=posted.record_id, note=note)


def send_ping(client: WebClient, deps: Deps, approval: ApprovalInfo) -> str | None:
    """Post the ping (once) and remember where it is.

    A passing failure is raised, so the job tries again later. One that will not pass (the desk
    channel without the bot, a deactivated manager) returns a note for the card, and the
    approval goes back to 'pick a manager', so the rep is never left waiting on nobody.
    """
    record = deps.store.get_record(record_id=approval.record_id)
    if record is None:
        raise LookupError(f"record {approval.record_id} vanished")
    text, blocks = ping_blocks.ping_message(
        approval,
        verdict=record.verdict,
        draft=draft_excerpt(record.draft_text),
        who=naming(client, deps.store, approval),
    )
    try:
        channel = approval.approver_channel_id or _dm(client, approval.approver_slack_id)
        posted = post_once(
            client,
            deps.store,
            key=f"ping:{approval.record_id}:{approval.approver_user_id or channel}",
            channel=channel,
            text=text,
            blocks=blocks,
        )
    except SlackApiError as error:  # the network and Slack's "not now" are retried by the job
        if is_transient(error):
            raise
        why = f"Slack said `{error.response.get('error', 'unknown_error')}`"
        log.warning("ping for record %s failed: %s", approval.record_id, why, exc_info=error)
        deps.store.approvals.unroute(record_id=approval.record_id)
        invite = " Invite @walkaway to that channel, or" if approval.approver_channel_id else ""
        return (
            f":warning: I couldn't reach {approval_blocks.approver_words(approval)} "
            f"({why}).{invite} pick your manager above and I'll ask them."
        )
    if posted is None:  # another job is sending this very ping
        return None
    now = utcnow()
    deps.store.approvals.mark_pinged(
        record_id=approval.record_id,
        channel_id=posted.channel,
        ts=posted.ts,
        at=now,
        remind_after=remind_after(deps, approval, now),
    )
    return None


def remind_after(deps: Deps, approval: ApprovalInfo, now: datetime) -> datetime:
    days = reminder_days(
        deps.store.approvals.settings(workspace_id=approval.workspace_id),
        deps.settings.walkaway_reminder_business_days,
    )
    return add_business_days(now, days, holidays=deps.settings.holidays)


def _dm(client: WebClient, user_id: str | None) -> str:
    if user_id is None:
        raise ValueError("a DM ping needs a manager")
    return str(client.conversations_open(users=user_id)["channel"]["id"])


def refresh_card(client: WebClient, deps: Deps, *, record_id: int, note: str | None = None) -> None:
    """Re-render the rep's verdict card, this approval's current state included."""
    approval = deps.store.approvals.get(record_id=record_id)
    record = deps.store.get_record(record_id=record_id)
    if approval is None or record is None or not approval.card_ts:
        return
    card.refresh_card(client, deps, record=record, ts=approval.card_ts, notice=note)


def card_section(deps: Deps, record: RecordDetail) -> list[Block]:
    """The approval's part of the verdict card (Hooks.card_sections): none before it exists."""
    approval = deps.store.approvals.get(record_id=record.id)
    return [] if approval is None else approval_blocks.card_blocks(approval)


def record_of(deps: Deps, record_id: int) -> RecordDetail:
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        raise LookupError(f"record {record_id} vanished")
    return record


def naming(client: WebClient, store: People, approval: ApprovalInfo) -> Naming:
    """How messages about this approval name people where the answerers read them: by name in
    the deal-desk channel, where a mention would ping the rep (and whoever answered) each time
    the request is posted or updated; as mentions in the manager's own DM and group DM."""
    if approval.approver_channel_id is None:
        return MENTIONS
    return names_for(
        client,
        store,
        workspace_id=approval.workspace_id,
        slack_ids=(approval.rep_slack_id, approval.decided_by, approval.discussion_by),
    )


def update_ping(
    client: WebClient, store: People, approval: ApprovalInfo, record: RecordDetail
) -> None:
    """Re-render the manager's (or desk's) message from the approval's current state."""
    if not approval.ping_channel_id or not approval.ping_ts:
        return
    text, blocks = ping_blocks.ping_message(
        approval,
        verdict=record.verdict,
        draft=draft_excerpt(record.draft_text),
        who=naming(client, store, approval),
    )
    client.chat_update(
        channel=approval.ping_channel_id, ts=approval.ping_ts, text=text, blocks=blocks
    )


def permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """Slack's link to a message, or None: a missing link costs a convenience, not the step."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError:
        return None


def check_send_allowed(deps: Deps, record_id: int) -> None:
    """Refuse `Mark as sent` while a held draft lacks the manager's Agree.

    The refusal is plain text: the draft buttons' handler escapes whatever it shows.
    """
    approval = deps.store.approvals.get(record_id=record_id)
    if approval is None or not approval.hold_until_agreed:
        return
    decision = approval.decision
    if decision is Decision.AGREE:
        return
    who = "the deal desk" if approval.approver_channel_id else "your manager"
    if not approval.routed:
        raise Refusal(
            "This draft is on hold until your manager agrees, and nobody has been asked yet: "
            "pick your manager on the verdict card first."
        )
    if decision is None and approval.discussing:
        raise Refusal(
            f"This draft is on hold until {who} agrees. They asked to talk it over first, which "
            "is not an answer yet; once they agree, Mark as sent unlocks."
        )
    if decision is None:
        raise Refusal(
            f"This draft is on hold until {who} agrees. They have been asked; I'll tell you in "
            "this thread when they answer."
        )
    again = " Once you've talked it through, run the check again for a fresh verdict and answer."
    wanted = approval.override_outcome.label if approval.override_outcome else "another outcome"
    raise Refusal(
        f"This draft stays unsent: {who} overrode the verdict and wants {wanted} instead.{again}"
    )
