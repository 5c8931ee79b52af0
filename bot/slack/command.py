"""`/walkaway …`: the one slash command, routed to the capability that owns what was typed.

The command is stored as a job, then acked; a worker runs the route. Only a sub-command that
answers with a modal runs inline (after the ack), for its trigger_id. Which words are
sub-commands, and which handler takes a deal name, is the wiring's `Routes` (bot/app.py), so
this edge knows no capability.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.slack.deps import Deps, Subcommand
from bot.slack.errors import after_ack
from bot.slack.ids import COMMAND
from bot.slack.jobs import deferred
from bot.slack.text import unescape


def register(app: App, deps: Deps) -> None:
    routes = deps.routes

    @deferred(deps, "commands.walkaway")
    def run(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command_text(body)
        sub, rest = route(text, routes.subcommands)
        if not text:
            routes.unfinished("", body, client, respond, deps)
        elif sub is not None:
            sub.run(rest.strip(), body, client, respond, deps)
        else:
            routes.deal(text, body, client, respond, deps)

    def opens_modal(body: dict[str, Any]) -> Subcommand | None:
        sub, _ = route(command_text(body), routes.subcommands)
        return sub if sub is not None and sub.opens_modal else None

    def store_first(body: dict[str, Any], next: Callable[[], None]) -> None:
        """Store the command as a job before its ack (see Deferred.first), unless it opens a
        modal: a trigger_id lasts 3 s, so that one runs at once, inline."""
        if opens_modal(body) is None:
            run.later(body)
        next()

    @app.command(COMMAND, middleware=[store_first])
    def walkaway(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command_text(body)
        sub = opens_modal(body)
        if sub is not None:
            ack()
            with after_ack(body, client, respond):
                sub.run(route(text, routes.subcommands)[1].strip(), body, client, respond, deps)
            return
        deal = text and route(text, routes.subcommands)[0] is None
        if deal:
            ack(text=routes.opening(text))
        else:
            ack()


def route(text: str, subcommands: Mapping[str, Subcommand]) -> tuple[Subcommand | None, str]:
    """The sub-command a text asks for, or None when it names a deal.

    A word counts only in the shape its sub-command takes (`Subcommand.takes`); a quoted text
    is always a deal name.
    """
    word, _, rest = text.partition(" ")
    word, rest = word.casefold(), rest.strip()
    sub = subcommands.get(word)
    if sub is None or text.startswith(('"', "“")) or not sub.takes(rest):
        return None, rest
    return sub, rest


def by_word(*subcommands: Subcommand) -> dict[str, Subcommand]:
    """The routing table; two capabilities claiming one word is a wiring mistake."""
    table: dict[str, Subcommand] = {}
    for sub in subcommands:
        if sub.word in table:
            raise ValueError(f"/walkaway {sub.word} is claimed twice")
        table[sub.word] = sub
    return table


def command_text(body: dict[str, Any]) -> str:
    """The command's text as typed: should_escape sends &, <, > as entities; mentions stay
    as <@U…|name> tokens for the sub-commands that read them."""
    return unescape(str(body.get("text") or "")).strip()
