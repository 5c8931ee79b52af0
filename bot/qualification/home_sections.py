"""The check's sections of App Home: *Start a check*, what to resume, the rep's latest
verdicts, and the help; and the small modal *Start a check* opens (bot/qualification/home_start.py
handles both)."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    InputBlock,
    MarkdownTextObject,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.labels import status_label
from bot.domain.model import Actor
from bot.qualification.command_blocks import HELP, MAX_LISTED, resume_list
from bot.qualification.steps import MAX_DEAL_NAME
from bot.slack.dates import slack_day
from bot.slack.deps import Deps
from bot.slack.ids import Action, Field
from bot.slack.ids import Block as BlockId
from bot.slack.ids import View as ViewId
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn

MAX_RECORDS = 20


def start_section(deps: Deps, actor: Actor) -> list[Block]:
    """The first thing on Home: a check starts here as well as with `/walkaway <deal>`."""
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text="Not sure a deal is worth more of your time? A few questions in our DM "
                "give you a verdict, what would change it, and a message for the buyer."
            )
        ),
        ActionsBlock(
            block_id=BlockId.HOME_START,
            elements=[
                ButtonElement(
                    text="Start a check",
                    action_id=Action.HOME_START_CHECK,
                    value="start",
                    style="primary",
                )
            ],
        ),
    ]


START_HINT = (
    "The name you know it by, e.g. Acme renewal. The same name later picks up where you left off."
)


def start_modal(
    *, initial: str | None = None, hint: str = START_HINT, private_metadata: str | None = None
) -> View:
    """Asks the deal's name; its submission starts the check as `/walkaway <deal>` does.

    The *Check this deal* shortcut (bot/qualification/shortcut.py) opens the same modal with
    the name taken from a message (`initial`, raw text: a field's value is not parsed), its own
    hint, and the message in `private_metadata`, which the submission hands on to the job.
    """
    return View(
        type="modal",
        callback_id=ViewId.START_CHECK,
        title=plain_text("Start a check", LIMITS.MODAL_TITLE),
        submit=plain_text("Start", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        private_metadata=private_metadata,
        blocks=[
            InputBlock(
                block_id=BlockId.DEAL_INPUT,
                label=plain_text("Which deal?", 2000),
                hint=plain_text(hint, 2000),
                element=PlainTextInputElement(
                    action_id=Field.DEAL,
                    max_length=MAX_DEAL_NAME,
                    initial_value=initial or None,
                    placeholder=plain_text("Deal name", 150),
                ),
            )
        ],
    )


def started_modal(deal: str) -> View:
    """What the modal turns into once the check is on its way: where to find it."""
    return View(
        type="modal",
        title=plain_text("Start a check", LIMITS.MODAL_TITLE),
        close=plain_text("Done", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f":speech_balloon: Opening the check of *{safe_mrkdwn(deal, 200)}*: "
                    "the first question is in our DM, in the *Messages* tab."
                )
            )
        ],
    )


def unfinished(deps: Deps, actor: Actor) -> list[Block]:
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    sessions = store.list_open_sessions(workspace_id=workspace_id, rep_user_id=rep_id)
    if not sessions:
        return []  # *Start a check* is right above: no need to say how to start one
    answered = {s.id: len(store.current_answers(session_id=s.id)) for s in sessions[:MAX_LISTED]}
    _, blocks = resume_list(sessions, answered)
    return blocks


def latest_verdicts(deps: Deps, actor: Actor) -> list[Block]:
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    records = store.list_records(workspace_id=workspace_id, limit=MAX_RECORDS, rep_user_id=rep_id)
    if not records:
        return []  # a first visit (or a manager who never ran a check) sees no empty list
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="*Your latest verdicts*"))]
    for record in records[:MAX_RECORDS]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{safe_mrkdwn(record.deal_name, 200)}* · {record.outcome.label} · "
                    f"{status_label(record.status)} · {slack_day(record.created_at)}\n"
                    f"{safe_mrkdwn(record.record_line, 2000)}"
                )
            )
        )
    return blocks


def help_section(deps: Deps, actor: Actor) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=HELP))]
