"""The App Home tab, refreshed each time the rep opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.blocks.home import MAX_RECORDS, home_view
from bot.listeners.errors import deferred
from bot.slack_flow import Deps


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "home.publish")
    def publish(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        user = body["event"]["user"]
        store = deps.store
        workspace_id = store.ensure_workspace(team_id=str(body.get("team_id")))
        rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=user)
        sessions = store.list_open_sessions(workspace_id=workspace_id, rep_user_id=rep_id)
        answered = {s.id: len(store.current_answers(session_id=s.id)) for s in sessions[:15]}
        records = store.list_records(
            workspace_id=workspace_id, limit=MAX_RECORDS, rep_user_id=rep_id
        )
        client.views_publish(user_id=user, view=home_view(sessions, answered, records))

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            publish.later(body)
