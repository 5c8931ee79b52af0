"""Who may answer a request for a position: the rep's manager, or a member of the deal desk."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.model import Actor
from bot.slack.deps import Deps
from bot.slack.errors import Refusal
from storage.approval_info import ApprovalInfo

log = logging.getLogger(__name__)


log = logging.getLogger(__name__)


class ApprovalRefusal(Refusal):
    """A refusal that may be shown in a modal, where Slack prints mrkdwn and mentions raw."""

    def __init__(self, text: str, *, plain: str | None = None) -> None:
        super().__init__(text)
        self.plain = plain or text.replace("*", "")


def in_workspace(deps: Deps, *, actor: Actor, record_id: int) -> ApprovalInfo:
    approval = deps.store.approvals.get(record_id=record_id)
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    if approval is None or approval.workspace_id != workspace_id:
        raise ApprovalRefusal("I can't find that walk-away record in this workspace.")
    return approval


def authorize(client: WebClient, deps: Deps, *, actor: Actor, record_id: int) -> ApprovalInfo:
    """Only the rep's manager, or a member of the deal-desk channel the ping went to."""
    approval = in_workspace(deps, actor=actor, record_id=record_id)
    if actor.user_id == approval.rep_slack_id:
        raise ApprovalRefusal(
            "This is your own verdict: it needs your manager's position, not yours."
        )
    if approval.approver_slack_id:
        if actor.user_id != approval.approver_slack_id:
            raise ApprovalRefusal(
                f"Only <@{approval.approver_slack_id}>, <@{approval.rep_slack_id}>'s manager, "
                "can answer this. Nothing was changed.",
                plain="Only the rep's manager can answer this. Nothing was changed.",
            )
    elif approval.approver_channel_id:
        if not _is_member(client, approval.approver_channel_id, actor.user_id):
            raise ApprovalRefusal(
                f"Only members of the deal desk (<#{approval.approver_channel_id}>) can answer "
                "this. Nothing was changed.",
                plain="Only members of the deal-desk channel can answer this. Nothing was changed.",
            )
    else:
        raise ApprovalRefusal("Nobody has been asked for a position on this verdict yet.")
    return approval


def _is_member(client: WebClient, channel: str, user_id: str) -> bool:
    cursor: str | None = None
    try:
        while True:
            page = client.conversations_members(channel=channel, cursor=cursor, limit=200)
            if user_id in (page.get("members") or []):
                return True
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                return False
    except SlackApiError as error:
        log.warning("members of %s unreadable: %s", channel, error.response.get("error"))
        raise ApprovalRefusal(
            f"I couldn't check who is in <#{channel}>, so I can't take this answer yet.",
            plain="I couldn't check the deal-desk channel's members, so I can't take this yet.",
        ) from None
