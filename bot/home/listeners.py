"""The App Home tab: published when the person opens it, and again when what it shows changes.

Publishing is a job (PUBLISH) either way. Opening the tab queues it from the event; a check
that finishes (`after_verdict`) or a position given (`Hooks.home_changed`, called by approvals)
queues it for each person whose Home shows that thing, so a rep who finishes a check and a
manager who answers from Home see the tab as it now is without leaving it. views.publish
replaces the whole view, so a re-run or a second job for the same person does no harm.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.domain.model import Actor
from bot.home.view import home_view
from bot.slack.deps import Deps, VerdictPosted, homes_changed
from bot.slack.jobs import deferred

PUBLISH = "home.publish"


def register(app: App, deps: Deps) -> None:
    @deferred(deps, PUBLISH)
    def publish(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        user = body["event"]["user"]
        actor = Actor(team_id=str(body.get("team_id")), user_id=user)
        client.views_publish(user_id=user, view=home_view(deps, actor))

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            publish.later(body)


def refresh_later(deps: Deps, team_id: str, user_id: str) -> None:
    """Queue a fresh Home for this person (a `home_changed` hook, wired in bot/app.py)."""
    deps.jobs.later(PUBLISH, {"team_id": team_id, "event": {"user": user_id, "tab": "home"}})


def after_verdict(client: WebClient, deps: Deps, posted: VerdictPosted) -> None:
    """A check finished: the rep's Home loses it from the unfinished and gains the verdict;
    the manager asked for a position (after approvals' own hook) gains it to answer."""
    team_id = deps.store.team_id_of(workspace_id=posted.workspace_id)
    record = deps.store.get_record(record_id=posted.record_id)
    if team_id is None or record is None:
        return
    approval = deps.store.approvals.get(record_id=posted.record_id)
    approver = approval.approver_slack_id if approval is not None else None
    homes_changed(deps, team_id=team_id, users=[record.rep_slack_user_id, approver])
