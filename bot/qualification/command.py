"""What `/walkaway` means to the check itself: a deal name starts (or resumes) its check, the
bare command lists unfinished checks, and `help` explains everything.

bot/slack/command.py routes the text here; these run in a worker, after the ack.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.model import Actor
from bot.qualification import command_blocks, context
from bot.qualification.steps import MAX_DEAL_NAME
from bot.qualification.thread import ask_again, finish, open_thread, post_next, service
from bot.slack.deps import Deps, Subcommand, actor_from
from bot.slack.effects import owner
from bot.slack.errors import is_transient
from bot.slack.text import escape, truncate
from storage.records import SessionInfo, SessionStatus


def deal_name_of(text: str) -> str:
    return truncate(" ".join(text.strip('"“”').split()), MAX_DEAL_NAME)


def opening(text: str) -> str:
    """The ack for `/walkaway <deal>`: shown at once, before any work is done."""
    return f"Opening the walk-away check for *{escape(deal_name_of(text))}* in a DM with me…"


def start(text: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps) -> None:
    """`/walkaway <deal>`: open the DM thread and ask, or pick up where the rep left off.

    A deal whose latest check is finished shows that verdict again, with a button to check it
    afresh, rather than an empty new check.
    """
    deal = deal_name_of(text)
    actor = actor_from(body)
    latest = _latest(deps, actor, deal)
    if latest is not None and latest.status == SessionStatus.COMPLETE:
        show_last_verdict(client, deps, respond, latest, source=context.message_of(body))
        return
    begin(client, deps, respond, actor=actor, deal=deal)


def begin(client: WebClient, deps: Deps, respond: Respond, *, actor: Actor, deal: str) -> None:
    """Start (or resume) the check of `deal` in the DM thread: repeatable within one job.

    Whether the check was new or resumed is decided once and noted with a claim under the
    running job, so its re-run (after Slack failed mid-way) takes the same path: it neither
    tells the rep "picking up where you left off" about the check it just opened nor asks the
    question twice.
    """
    progress = service(deps).start(actor, deal)
    resumed_now = "resumed" if progress.session.channel_id is not None else "new"
    me = owner()
    if me is not None:
        _, noted = deps.store.claim(key=f"start:{me}", owner=me, note=resumed_now)
        resumed_now = noted or resumed_now
    progress = open_thread(client, deps, progress, user_id=actor.user_id)
    if resumed_now == "resumed":
        answered = len(progress.conversation.answers)
        respond(
            text=f"Picking up *{escape(deal)}* where you left off ({answered} answer(s) saved): "
            "the next question is in our DM thread.",
            response_type="ephemeral",
        )
        ask_again(client, deps, progress)
    else:
        post_next(client, deps, progress)


def show_last_verdict(
    client: WebClient,
    deps: Deps,
    respond: Respond,
    session: SessionInfo,
    *,
    source: tuple[str, str] | None = None,
) -> None:
    """The finished check's verdict, privately, with *Start a new check*; and in its thread,
    the card and draft if they never made it there. `source`: the message *Check this deal*
    was run on, which the new check will keep."""
    record_id = deps.store.record_id_of_session(session_id=session.id)
    record = deps.store.get_record(record_id=record_id) if record_id is not None else None
    if record is None:
        return
    progress = service(deps).progress(session.id)
    if progress is not None and session.channel_id and session.thread_ts:
        finish(client, deps, progress)
    link = None
    if record.channel_id and record.thread_ts:
        link = permalink_of(client, record.channel_id, record.thread_ts)
    text, blocks = command_blocks.last_verdict(record, thread_link=link, source=source)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def permalink_of(client: WebClient, channel: str, ts: str) -> str | None:
    """A link to the thread; without one the reply still says where to look."""
    try:
        return str(client.chat_getPermalink(channel=channel, message_ts=ts)["permalink"])
    except SlackApiError as error:
        if is_transient(error):
            raise
        return None


def _latest(deps: Deps, actor: Actor, deal: str) -> SessionInfo | None:
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    rep_id = deps.user_id(actor)
    return deps.store.latest_session(workspace_id=workspace_id, rep_user_id=rep_id, deal_name=deal)


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
