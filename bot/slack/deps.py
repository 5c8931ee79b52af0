"""What every listener and step is handed, and the hooks that let capabilities meet.

A capability never imports another (tests/test_architecture.py). Where one must react to
another's moment, the one that owns the moment offers a hook here and the other registers on it
while the app is wired: approvals asks for a manager's position `after_verdict`, holds a draft
in `before_send` and adds its section to the verdict card through `card_sections`; App Home is
assembled from `home_sections`. Each hook is a plain list, run in registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block

from bot.config import Settings
from bot.domain.checklist import Checklist
from bot.domain.model import Actor, Outcome
from bot.slack.jobs import Jobs
from storage.records import RecordDetail
from storage.repository import Store


@dataclass(frozen=True)
class VerdictPosted:
    """A verdict card that has just been posted in the rep's thread."""

    record_id: int
    workspace_id: int
    rep_user_id: int
    outcome: Outcome
    card_ts: str


AfterVerdict = Callable[[WebClient, "Deps", VerdictPosted], None]
SendCheck = Callable[["Deps", int], None]
"""Raises Refusal (bot.slack.errors) to keep record `int`'s draft from being marked as sent."""
CardSection = Callable[["Deps", RecordDetail], list[Block]]
DetailsSection = Callable[["Deps", Actor, RecordDetail], list[Block]]
"""Blocks in a record's *Details* modal for the person reading it (their buttons may differ)."""
HomeSection = Callable[["Deps", Actor], list[Block]]
HomeChanged = Callable[["Deps", str, str], None]
"""Something a person's App Home shows has changed (team id, Slack user id): republish it."""


@dataclass(frozen=True)
class SettingsPart:
    """A capability's inputs in the one settings modal an admin opens with `/walkaway settings`
    (approvals owns the modal; bot/approvals/listeners.py runs these)."""

    blocks: Callable[[Deps, int], list[Block]]
    """Its input blocks, for the workspace (stored id), showing the current values."""
    check: Callable[[Mapping[str, Any]], dict[str, str]]
    """Problems in the submitted view.state.values, by block_id (empty: fine)."""
    save: Callable[[Deps, int, Mapping[str, Any]], None]
    summary: Callable[[Deps, int], str]
    """Its part of the line sent to the admin after saving."""


@dataclass
class Hooks:
    after_verdict: list[AfterVerdict] = field(default_factory=list)
    before_send: list[SendCheck] = field(default_factory=list)
    card_sections: list[CardSection] = field(default_factory=list)
    """Blocks under the verdict card, each capability's own (bot/slack/card.py)."""
    details_sections: list[DetailsSection] = field(default_factory=list)
    """Blocks in a record's *Details*, after the verdict and the manager (bot/search/details.py)."""
    home_sections: list[HomeSection] = field(default_factory=list)
    """App Home, top to bottom (bot/home/)."""
    home_changed: list[HomeChanged] = field(default_factory=list)
    """Told when a check finishes or a position is given, for the people whose Home shows it."""
    settings_parts: list[SettingsPart] = field(default_factory=list)
    """Other capabilities' inputs in the workspace settings modal (`/walkaway settings`)."""
    lists_conditions: bool = False
    """A capability shows the verdict's conditions as items of its own (the path back's, to
    tick) in its card and Details sections: the card and Details then leave out their own
    bullet list of the same sentences, so each is stated once."""


Handler = Callable[[str, dict[str, Any], WebClient, Respond, "Deps"], None]
"""A `/walkaway` route: the text after its word, the command body, a client, respond, deps."""


@dataclass(frozen=True)
class Subcommand:
    """A word after `/walkaway` that is a command rather than the start of a deal name.

    Deals get names like "Help desk renewal" or "Settings migration", so a word only counts as
    its sub-command when the rest of the text fits: `takes(rest)` says whether it does.
    """

    word: str
    run: Handler
    takes: Callable[[str], bool] = lambda rest: True
    opens_modal: bool = False
    """Answers with a modal, so it runs before the ack's 3 s trigger_id expires: no queue."""


@dataclass(frozen=True)
class Routes:
    """Everything `/walkaway` can mean (bot/slack/command.py routes the text)."""

    subcommands: Mapping[str, Subcommand]
    deal: Handler
    """`/walkaway <deal name>`: start or resume the check of that deal."""
    unfinished: Handler
    """`/walkaway` alone."""
    opening: Callable[[str], str]
    """The words the command is acked with when it names a deal."""


@dataclass(frozen=True)
class Deps:
    """Everything a listener needs, wired once in bot.app.wire."""

    settings: Settings
    store: Store
    checklist: Checklist
    jobs: Jobs
    """Where listeners leave the work after their ack (bot/slack/jobs.py)."""
    routes: Routes
    hooks: Hooks = field(default_factory=Hooks)

    def user_id(self, actor: Actor) -> int:
        """The stored id of the person acting, created on their first visit."""
        workspace_id = self.store.ensure_workspace(team_id=actor.team_id)
        return self.store.ensure_user(
            workspace_id=workspace_id,
            slack_user_id=actor.user_id,
            display_name=actor.display_name,
        )


def homes_changed(deps: Deps, *, team_id: str, users: Iterable[str | None]) -> None:
    """Tell the home_changed hooks that these people's App Home is out of date (each once)."""
    for user in dict.fromkeys(u for u in users if u):
        for changed in deps.hooks.home_changed:
            changed(deps, team_id, user)


def actor_from(body: Mapping[str, object]) -> Actor:
    """Who clicked or typed, from any payload shape Slack sends."""
    user = body.get("user")
    team = body.get("team")
    user_id = user.get("id") if isinstance(user, dict) else body.get("user_id")
    team_id = team.get("id") if isinstance(team, dict) else body.get("team_id")
    if not isinstance(user_id, str) or not isinstance(team_id, str):
        raise ValueError("payload without a user or team")
    return Actor(team_id=team_id, user_id=user_id)
