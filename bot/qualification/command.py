"""What `/walkaway` means to the check itself: a deal name starts (or resumes) its check, the
bare command lists unfinished checks, and `help` explains everything.

bot/slack/command.py routes the text here; these run in a worker, after the ack.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.qualification import command_blocks
from bot.qualification.steps import MAX_DEAL_NAME, ask_again, open_thread, post_next, service
from bot.slack.deps import Deps, Subcommand, actor_from
from bot.slack.text import escape, truncate


def deal_name_of(text: str) -> str:
    return truncate(" ".join(text.strip('"“”').split()), MAX_DEAL_NAME)


def opening(text: str) -> str:
    """The ack for `/walkaway <deal>`: shown at once, before any work is done."""
    return f"Opening the walk-away check for *{escape(deal_name_of(text))}* in a DM with me…"


def start(text: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """`/walkaway <deal>`: open the DM thread and ask, or pick up where the rep left off."""
    deal = deal_name_of(text)
    actor = actor_from(body)
    progress = service(deps).start(actor, deal)
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


def list_unfinished(
    text: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """`/walkaway` alone: the rep's unfinished checks, each with Resume."""
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


def _help(rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    text, blocks = command_blocks.help_message()
    respond(text=text, blocks=blocks, response_type="ephemeral")


HELP = Subcommand("help", _help, takes=lambda rest: not rest)
"""`/walkaway help`; "help desk renewal" is a deal."""

SUBCOMMANDS = (HELP,)
