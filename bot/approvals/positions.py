"""Final positions (Agree, Override): the first one wins, and everyone is told."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from bot.approvals import blocks as approval_blocks
from bot.approvals import modals as approval_modals
from bot.approvals import ping_blocks
from bot.approvals.access import ApprovalRefusal, authorize, in_workspace
from bot.approvals.discussion import close_discussion
from bot.approvals.payloads import OverrideMeta
from bot.approvals.ping import refresh_card, update_ping
from bot.approvals.rules import OverrideInput
from bot.domain.model import Actor
from bot.slack.deps import Deps, homes_changed
from bot.slack.effects import owner, post_once
from storage.approval_info import ApprovalInfo, Decision
from storage.approvals import decided_key

log = logging.getLogger(__name__)


def open_override(
    client: WebClient, deps: Deps, *, actor: Actor, record_id: int, trigger_id: str
) -> None:
    approval = authorize(client, deps, actor=actor, record_id=record_id)
    if approval.decision is not None:
        raise ApprovalRefusal(approval_blocks.already_decided(approval))
    view = approval_modals.override_modal(approval, meta=OverrideMeta(record=record_id))
    client.views_open(trigger_id=trigger_id, view=view)


def open_draft(
    client: WebClient, deps: Deps, *, actor: Actor, record_id: int, trigger_id: str
) -> None:
    """Read the draft: the whole text as it stands now, for anyone in the record's workspace
    (search shows drafts to the whole team too); the ping and the discussion show its start."""
    approval = in_workspace(deps, actor=actor, record_id=record_id)
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        raise ApprovalRefusal("I can't find that walk-away record in this workspace.")
    client.views_open(trigger_id=trigger_id, view=ping_blocks.draft_modal(approval, record))


def record_decision(
    client: WebClient,
    deps: Deps,
    *,
    actor: Actor,
    record_id: int,
    decision: Decision,
    override: OverrideInput | None = None,
) -> ApprovalInfo:
    """Store a final answer (Agree or Override) if it is the first; raises ApprovalRefusal
    (with who and when) if not. A discussion in progress does not block it."""
    approval = authorize(client, deps, actor=actor, record_id=record_id)
    if approval.decision is None:
        result = deps.store.approvals.decide(
            record_id=record_id,
            decision=decision,
            by_user_id=deps.user_id(actor),
            override_outcome=override.outcome if override else None,
            reason=override.reason if override else None,
            owner=owner(),
        )
        if result.won:
            return result.approval
        approval = result.approval
    raise ApprovalRefusal(
        approval_blocks.already_decided(approval),
        plain=approval_blocks.already_decided_plain(approval),
    )


def agree(client: WebClient, deps: Deps, *, actor: Actor, record_id: int) -> None:
    """The Agree button: store it if it is the first final answer, then tell everyone.

    This job's own re-run (the answer was stored, telling everyone failed) goes straight on to
    telling, rather than finding the answer taken and refusing its own manager.
    """
    me = owner()
    if me is not None and deps.store.claim_owner(key=decided_key(record_id)) == me:
        stored = deps.store.approvals.get(record_id=record_id)
        if stored is not None:
            announce(client, deps, stored)
            return
    approval = record_decision(
        client, deps, actor=actor, record_id=record_id, decision=Decision.AGREE
    )
    announce(client, deps, approval)


def announce(client: WebClient, deps: Deps, approval: ApprovalInfo) -> None:
    """After a final answer is stored: update the ping, close the discussion if there was one,
    tell the rep, refresh their card. Repeatable: the rep's notice is posted once."""
    record = deps.store.get_record(record_id=approval.record_id)
    if record is None:
        return
    update_ping(client, deps.store, approval, record)
    close_discussion(client, deps, approval)
    if approval.rep_channel_id and approval.rep_thread_ts:
        text, blocks = approval_blocks.rep_notice(approval)
        post_once(
            client,
            deps.store,
            key=f"position:{approval.record_id}",
            channel=approval.rep_channel_id,
            thread_ts=approval.rep_thread_ts,
            text=text,
            blocks=blocks,
        )
    refresh_card(client, deps, record_id=approval.record_id)
    homes_changed(
        deps,
        team_id=approval.team_id,
        users=[approval.approver_slack_id, approval.decided_by, approval.rep_slack_id],
    )
