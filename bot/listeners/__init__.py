"""One module per Slack surface; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, approvals, commands, events, home, search, views
from bot.slack_flow import Deps


def register_all(app: App, deps: Deps) -> None:
    for surface in (commands, actions, views, events, home, approvals, search):
        surface.register(app, deps)
