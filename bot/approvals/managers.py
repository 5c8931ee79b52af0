"""Who a rep's manager is: `/walkaway manager`, and the picker on a verdict card."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.approvals.access import in_workspace
from bot.approvals.ping import refresh_card, send_ping
from bot.approvals.rules import (
    SLACKBOT,
    BadMention,
    parse_mention,
)
from bot.domain.model import Actor
from bot.slack.deps import Deps
from bot.slack.errors import Refusal

log = logging.getLogger(__name__)


def check_manager(client: WebClient, *, rep: str, candidate: str) -> None:
    """A manager is another, active, human member of the workspace."""
    if candidate == rep:
        raise Refusal(
            "You can't be your own manager here: pick the person who signs off your deals."
        )
    if candidate == SLACKBOT:
        raise Refusal("Slackbot can't take a position on a deal: pick a person.")
    try:
        user: dict[str, Any] = client.users_info(user=candidate)["user"]
    except SlackApiError as error:
        if error.response.get("error") in ("user_not_found", "user_not_visible"):
            raise Refusal("I can't find that person in this workspace.") from None
        raise
    if user.get("is_bot") or user.get("is_app_user"):
        raise Refusal(f"<@{candidate}> is an app, not a person: pick your manager.")
    if user.get("deleted"):
        raise Refusal(f"<@{candidate}> has been deactivated: pick someone active.")


def set_manager(client: WebClient, deps: Deps, *, actor: Actor, text: str) -> str:
    """`/walkaway manager …`: show, set or clear the rep's manager; returns the reply."""
    approvals = deps.store.approvals
    rep_id = deps.user_id(actor)
    words = text.strip()
    if not words:
        current = approvals.manager_of(rep_user_id=rep_id)
        if current is None:
            return (
                "You have no manager set, so walk, stop-pilot and defer verdicts go to the "
                "deal desk (if your workspace has one). Set one with `/walkaway manager @name`."
            )
        return (
            f"Your manager for walk-away decisions is <@{current.slack_user_id}>. Change it "
            "with `/walkaway manager @name`, or `/walkaway manager none` to clear it."
        )
    if words.casefold() in ("none", "clear", "remove"):
        approvals.set_manager(rep_user_id=rep_id, manager_user_id=None)
        return "Cleared. Your walk-away verdicts will go to the deal desk, if there is one."
    try:
        candidate = parse_mention(words)
    except BadMention as problem:
        raise Refusal(str(problem)) from None
    check_manager(client, rep=actor.user_id, candidate=candidate)
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    manager_id = deps.store.ensure_user(workspace_id=workspace_id, slack_user_id=candidate)
    approvals.set_manager(rep_user_id=rep_id, manager_user_id=manager_id)
    held = approvals.settings(workspace_id=workspace_id).hold_until_agreed
    after = (
        " Your draft waits for their Agree before you can mark it as sent."
        if held
        else " You can send the draft meanwhile; their position is recorded for the team."
    )
    return (
        f"Done: <@{candidate}> is your manager. I'll ask them for a position on your walk, "
        f"stop-pilot and defer verdicts.{after}"
    )


def pick_manager(
    client: WebClient, deps: Deps, *, actor: Actor, record_id: int, picked: str
) -> str:
    """The user select on a verdict card: save the manager, then send them the ping."""
    approvals = deps.store.approvals
    approval = in_workspace(deps, actor=actor, record_id=record_id)
    if actor.user_id != approval.rep_slack_id:
        raise Refusal("Only the rep who owns this verdict can pick their manager.")
    check_manager(client, rep=actor.user_id, candidate=picked)
    manager_id = deps.store.ensure_user(workspace_id=approval.workspace_id, slack_user_id=picked)
    approvals.set_manager(rep_user_id=approval.rep_user_id, manager_user_id=manager_id)
    if not approvals.route(record_id=record_id, approver_user_id=manager_id):
        routed = approvals.get(record_id=record_id)
        unsent = routed is not None and routed.approver_user_id == manager_id and not routed.ping_ts
        if routed is None or not unsent:  # unsent: this very pick, whose ping failed before
            refresh_card(client, deps, record_id=record_id)
            return "This verdict has already gone to someone for a position; see the card."
    routed = approvals.get(record_id=record_id)
    assert routed is not None
    note = send_ping(client, deps, routed)
    refresh_card(client, deps, record_id=record_id, note=note)
    if note is not None:
        return f"I saved <@{picked}> as your manager, but couldn't message them."
    return f"Saved <@{picked}> as your manager and asked for their position."
