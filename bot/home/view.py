"""The App Home tab: a header, then each capability's section, divided.

What goes on it is the wiring's choice (Hooks.home_sections in bot/app.py): the check offers
the rep's unfinished checks, latest verdicts and the help; later capabilities add theirs.
"""

from __future__ import annotations

from slack_sdk.models.blocks import Block, DividerBlock, HeaderBlock
from slack_sdk.models.views import View

from bot.domain.model import Actor
from bot.slack.deps import Deps

MAX_HOME_BLOCKS = 100
"""Slack's limit for a Home tab view."""


def home_view(deps: Deps, actor: Actor) -> View:
    blocks: list[Block] = [HeaderBlock(text="Walk-away advisor")]
    for n, section in enumerate(deps.hooks.home_sections):
        part = section(deps, actor)
        if part:
            blocks += [DividerBlock(), *part] if n else part
    return View(type="home", blocks=blocks[:MAX_HOME_BLOCKS])
