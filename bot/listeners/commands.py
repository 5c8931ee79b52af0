"""`/walkaway …`: the command is acked and stored as a job; a worker does the rest.

Only a sub-command answering with a modal runs inline (after the ack), for its trigger_id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import command as command_blocks
from bot.blocks.text import escape, truncate, unescape
from bot.ids import COMMAND
from bot.listeners import approvals, search
from bot.listeners.errors import after_ack, deferred, queue_after_ack
from bot.slack_flow import MAX_DEAL_NAME, Deps, actor_from, ask_again, open_thread, post_next

Handler = Callable[[str, dict[str, Any], WebClient, Respond, Deps], None]


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "commands.walkaway")
    def run(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command_text(body)
        sub, rest = subcommand_of(text)
        if not text:
            _list_unfinished(body, deps, respond)
        elif sub is not None:
            sub(rest.strip(), body, client, respond, deps)
        else:
            _start(deal_name_of(text), body, client, respond, deps)

    @app.command(COMMAND)
    def walkaway(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        text = command_text(body)
        sub, rest = subcommand_of(text)
        if sub in OPENS_MODAL:  # a trigger_id lasts 3 s: no queue in between
            ack()
            with after_ack(body, client, respond):
                sub(rest.strip(), body, client, respond, deps)
            return
        opening = None
        if text and sub is None:
            opening = (
                f"Opening the walk-away check for *{escape(deal_name_of(text))}* in a DM with me…"
            )
        queue_after_ack(ack, run, body, client, respond, text=opening)


def deal_name_of(text: str) -> str:
    return truncate(" ".join(text.strip('"“”').split()), MAX_DEAL_NAME)


def subcommand_of(text: str) -> tuple[Handler | None, str]:
    """The sub-command a text asks for, or None when it names a deal.

    Deals get names like "Help desk renewal" or "Settings migration", so a word only counts as
    a sub-command in the shape that sub-command takes; a quoted text is always a deal name.
    """
    word, _, rest = text.partition(" ")
    word, rest = word.casefold(), rest.strip()
    sub = SUBCOMMANDS.get(word)
    if sub is None or text.startswith(('"', "“")):
        return None, rest
    if word in ("help", "settings") and rest:
        return None, rest
    if word == "manager" and len(rest.split()) > 1 and not rest.startswith(("<@", "@")):
        return None, rest
    return sub, rest


def command_text(body: dict[str, Any]) -> str:
    """The command's text as typed: should_escape sends &, <, > as entities; mentions stay
    as <@U…|name> tokens for the sub-commands that read them."""
    return unescape(str(body.get("text") or "")).strip()


def _help(rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    text, blocks = command_blocks.help_message()
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _list_unfinished(body: dict[str, Any], deps: Deps, respond: Respond) -> None:
    actor = actor_from(body)
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    sessions = store.list_open_sessions(workspace_id=workspace_id, rep_user_id=rep_id)
    answered = {
        s.id: len(store.current_answers(session_id=s.id))
        for s in sessions[: command_blocks.MAX_LISTED]
    }
    text, blocks = command_blocks.resume_list(sessions, answered)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _start(
    deal: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    actor = actor_from(body)
    progress = deps.service.start(actor, deal)
    resumed = progress.session.channel_id is not None
    progress = open_thread(client, deps, progress, user_id=actor.user_id)
    if resumed:
        answered = len(progress.conversation.answers)
        respond(
            text=f"Picking up *{escape(deal)}* where you left off ({answered} answer(s) saved): "
            "the next question is in our DM thread.",
            response_type="ephemeral",
        )
        ask_again(client, deps, progress)
    else:
        post_next(client, deps, progress)


SUBCOMMANDS: dict[str, Handler] = {
    "help": _help,
    "manager": approvals.manager_command,
    "settings": approvals.settings_command,
    "search": search.search_command,
}
"""Words after /walkaway that are commands rather than a deal name; later surfaces add theirs."""

OPENS_MODAL: frozenset[Handler] = frozenset({approvals.settings_command})
"""Sub-commands that answer with a modal, so they run inline instead of as a job."""
