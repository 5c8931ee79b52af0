"""One module per Slack surface; each exposes register(app, deps)."""

from __future__ import annotations

from slack_bolt import App

from bot.listeners import actions, commands, events, home, views
from bot.slack_flow import Deps


def register_all(app: App, deps: Deps) -> None:
    for surface in (commands, actions, views, events, home):
        surface.register(app, deps)
