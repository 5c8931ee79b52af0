"""Discuss: a conversation the rep and the manager can both see, which is not a position."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approvals import blocks as approval_blocks
from bot.approvals import discussion_blocks
from bot.approvals.access import ApprovalRefusal, authorize
from bot.approvals.ping import (
    naming,
    permalink,
    record_of,
    refresh_card,
    remind_after,
    update_ping,
)
from bot.domain.model import Actor, Verdict
from bot.slack.deps import Deps
from bot.slack.effects import owner, post_once
from bot.slack.errors import is_transient
from bot.slack.names import Naming
from storage.approval_info import ApprovalInfo
from storage.approvals import discussing_key
from storage.columns import utcnow

log = logging.getLogger(__name__)


def discuss(client: WebClient, deps: Deps, *, actor: Actor, record_id: int) -> None:
    """The Discuss button: a request to talk before taking a position, not a position.

    The first Discuss marks the approval as under discussion (who, when) in the database, then
    opens a conversation the rep and the manager can both see, posts the context there, leaves
    Agree and Override on the manager's message and tells the rep where to talk. A later
    Discuss (a stale copy of the message, a second desk member) only points to the existing
    discussion; after a final answer it shows that answer.
    """
    approval = authorize(client, deps, actor=actor, record_id=record_id)
    me = owner()
    if me is not None and deps.store.claim_owner(key=discussing_key(record_id)) == me:
        _open_discussion(client, deps, approval)  # this job started it; an attempt failed
        return
    if approval.decision is None and not approval.discussing:
        now = utcnow()
        started = deps.store.approvals.start_discussion(
            record_id=record_id,
            by_user_id=deps.user_id(actor),
            at=now,
            remind_after=remind_after(deps, approval, now),
            owner=me,
        )
        if started.won:
            _open_discussion(client, deps, started.approval)
            return
        approval = started.approval
    if approval.decision is not None:
        raise ApprovalRefusal(
            approval_blocks.already_decided(approval),
            plain=approval_blocks.already_decided_plain(approval),
        )
    raise ApprovalRefusal(approval_blocks.already_discussing(approval))


def _open_discussion(client: WebClient, deps: Deps, approval: ApprovalInfo) -> None:
    """Set up the discussion the database says was just started, then tell both sides.

    Repeatable: each message is posted once, and the group DM opens to the same conversation.
    """
    record = record_of(deps, approval.record_id)
    no_group = _post_opener(
        client, deps, approval, verdict=record.verdict, has_draft=bool(record.draft_text)
    )
    current = deps.store.approvals.get(record_id=approval.record_id) or approval
    update_ping(client, deps.store, current, record)
    if current.decision is not None:  # an answer raced in while the talk was being set up
        close_discussion(client, deps, current)
    elif current.rep_channel_id and current.rep_thread_ts:
        text, blocks = discussion_blocks.discussion_notice(current, no_group=no_group)
        post_once(
            client,
            deps.store,
            key=f"discuss-notice:{approval.record_id}",
            channel=current.rep_channel_id,
            thread_ts=current.rep_thread_ts,
            text=text,
            blocks=blocks,
        )
    refresh_card(client, deps, record_id=approval.record_id)


def _post_opener(
    client: WebClient, deps: Deps, approval: ApprovalInfo, *, verdict: Verdict, has_draft: bool
) -> str | None:
    """Post the discussion's first message and remember where it is; returns Slack's error
    when a group DM was wanted and could not be had (the caller tells the rep so).

    A DM ping lives in the bot's DM with the manager, which the rep cannot open, so the talk
    goes to a group DM of the two (mpim:write). A deal-desk ping is in a public channel: its
    thread serves, and the rep is sent the link. If the group DM fails (a workspace that has
    not granted mpim:write yet, a deactivated rep), the thread on the manager's ping takes its
    place and both are told plainly; its link is kept from the rep, who could not open it.
    """
    ping_channel, ping_ts = approval.ping_channel_id, approval.ping_ts
    no_group: str | None = None
    if approval.approver_slack_id:
        request = permalink(client, ping_channel, ping_ts) if ping_channel and ping_ts else None
        text, blocks = discussion_blocks.discuss_opener(
            approval, verdict=verdict, request_link=request, has_draft=has_draft
        )
        try:
            users = f"{approval.rep_slack_id},{approval.approver_slack_id}"
            group = str(client.conversations_open(users=users)["channel"]["id"])
            posted = post_once(
                client,
                deps.store,
                key=f"discuss:{approval.record_id}",
                channel=group,
                text=text,
                blocks=blocks,
            )
        except SlackApiError as error:
            if is_transient(error):
                raise
            no_group = str(error.response.get("error", "unknown_error"))
            log.warning("group DM for record %s failed: %s", approval.record_id, no_group)
        else:
            if posted is not None:
                deps.store.approvals.set_discussion_place(
                    record_id=approval.record_id,
                    channel_id=group,
                    link=permalink(client, group, posted.ts),
                )
            return None
    if not ping_channel or not ping_ts:
        return no_group
    text, blocks = discussion_blocks.discuss_opener(
        approval,
        verdict=verdict,
        no_group=no_group,
        who=naming(client, deps.store, approval),
        has_draft=has_draft,
    )
    try:
        in_thread = post_once(
            client,
            deps.store,
            key=f"discuss-thread:{approval.record_id}",
            channel=ping_channel,
            thread_ts=ping_ts,
            text=text,
            blocks=blocks,
        )
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning(
            "discussion thread for record %s failed: %s",
            approval.record_id,
            error.response.get("error"),
        )
        return no_group or str(error.response.get("error", "unknown_error"))
    visible_to_rep = approval.approver_channel_id is not None
    deps.store.approvals.set_discussion_place(
        record_id=approval.record_id,
        channel_id=ping_channel,
        link=permalink(client, ping_channel, in_thread.ts)
        if visible_to_rep and in_thread is not None
        else None,
    )
    return no_group


def close_discussion(client: WebClient, deps: Deps, approval: ApprovalInfo) -> None:
    """End the talk on the answer, where both sides talked (the group DM or the desk thread).

    The answer is stored and the rep hears of it in their own thread anyway, so a closing
    Slack will not take (the bot left the group DM) is only logged. A fallback thread on the
    manager's DM is skipped, as the manager just answered there. Both the answer and a Discuss
    that raced it may get here; the message is posted once.
    """
    channel = approval.discussion_channel_id
    if channel is None or approval.decision is None:
        return
    in_thread = approval.discussion_in_thread
    if in_thread and approval.approver_channel_id is None:
        return
    who = naming(client, deps.store, approval)
    _show_answer_in_opener(client, deps, approval, who)
    text, blocks = discussion_blocks.discussion_closed(approval, who)
    try:
        post_once(
            client,
            deps.store,
            key=f"discussion-closed:{approval.record_id}",
            channel=channel,
            text=text,
            blocks=blocks,
            thread_ts=approval.ping_ts if in_thread else None,
        )
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning(
            "closing the discussion of record %s failed: %s",
            approval.record_id,
            error.response.get("error"),
        )


OPENER_KEYS = ("discuss:{}", "discuss-thread:{}")
"""Where _post_opener posted the discussion's first message: the group DM, or a thread."""


def _show_answer_in_opener(
    client: WebClient, deps: Deps, approval: ApprovalInfo, who: Naming
) -> None:
    """Put the answer in place of the opener's buttons, wherever the answer was given: the
    ping and the discussion show the same state. Best effort, like the closing message."""
    record = deps.store.get_record(record_id=approval.record_id)
    for key in OPENER_KEYS:
        opener = deps.store.post_info(key=key.format(approval.record_id))
        if record is None or opener is None or not opener.ts or not opener.channel_id:
            continue
        text, blocks = discussion_blocks.discuss_opener(
            approval, verdict=record.verdict, who=who, has_draft=bool(record.draft_text)
        )
        try:
            client.chat_update(channel=opener.channel_id, ts=opener.ts, text=text, blocks=blocks)
        except SlackApiError as error:
            if is_transient(error):
                raise
            log.warning(
                "the opener of record %s's discussion kept its buttons: %s",
                approval.record_id,
                error.response.get("error"),
            )
