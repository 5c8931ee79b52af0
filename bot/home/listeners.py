"""The App Home tab, published afresh each time the person opens it."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.domain.model import Actor
from bot.home.view import home_view
from bot.slack.deps import Deps
from bot.slack.jobs import deferred


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "home.publish")
    def publish(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        user = body["event"]["user"]
        actor = Actor(team_id=str(body.get("team_id")), user_id=user)
        client.views_publish(user_id=user, view=home_view(deps, actor))

    @app.event("app_home_opened")
    def home_opened(body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            publish.later(body)
