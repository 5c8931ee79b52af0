"""The check's Slack-side steps: posting a question, taking an answer, moving the thread on,
finishing with the verdict card.

Its listeners (buttons, submissions, typed replies, the command) stay short by calling these;
every step reads state from the database and writes it back before posting, so any process can
take the next click.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.checklist import Question
from bot.domain.model import Actor, AnswerValue
from bot.qualification import draft_blocks as verdict_blocks
from bot.qualification import question_blocks as convo_blocks
from bot.qualification.service import Progress, Qualifications
from bot.slack import card
from bot.slack.deps import Deps, VerdictPosted
from bot.slack.errors import Duplicate, Refusal
from storage.records import RecordDetail

log = logging.getLogger(__name__)

MAX_DEAL_NAME = 200


def service(deps: Deps) -> Qualifications:
    """The check's use cases over this app's store and checklist (cheap: it holds no state)."""
    return Qualifications(store=deps.store, checklist=deps.checklist)


def post_next(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Post the next question in the thread, or the verdict and draft when none is left."""
    session = progress.session
    assert session.channel_id and session.thread_ts, "a Slack session always has a thread"
    question = progress.next_question
    if question is None:
        finish(client, deps, progress)
        return
    step, total = progress.conversation.progress()
    text, blocks = convo_blocks.question_message(
        question, session_id=session.id, step=step + 1, total=total, deal_name=session.deal_name
    )
    posted = client.chat_postMessage(
        channel=session.channel_id, thread_ts=session.thread_ts, text=text, blocks=blocks
    )
    deps.store.set_prompt(session_id=session.id, prompt_ts=str(posted["ts"]))


def ask_again(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Resume: ask the waiting question at the foot of the thread, retiring the old copy.

    The old question message is retired only if its turn is still free (claimed here, so a
    click on it racing this loses cleanly); when it was already answered, the next question
    was never posted (a failure mid-way), and posting it now is the whole repair.
    """
    session = progress.session
    question = progress.next_question
    old = session.prompt_ts
    if old and question is not None and deps.store.claim_once(key=turn_key(session.id, old)):
        assert session.channel_id
        step, _ = progress.conversation.progress()
        text, blocks = convo_blocks.superseded_message(
            question, step=step + 1, why="Asked again further down."
        )
        try:
            client.chat_update(channel=session.channel_id, ts=old, text=text, blocks=blocks)
        except SlackApiError as error:  # e.g. the rep deleted it; the new copy is what matters
            log.warning("could not retire question %s: %s", old, error.response.get("error"))
    post_next(client, deps, progress)


def open_thread(client: WebClient, deps: Deps, progress: Progress, *, user_id: str) -> Progress:
    """Give a new session its DM thread; a resumed one keeps the thread it already has."""
    session = progress.session
    if session.channel_id and session.thread_ts:
        return progress
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    text, blocks = convo_blocks.thread_opening(session.deal_name)
    opening = client.chat_postMessage(channel=channel, text=text, blocks=blocks)
    deps.store.set_session_thread(
        session_id=session.id, channel_id=channel, thread_ts=str(opening["ts"])
    )
    refreshed = service(deps).progress(session.id)
    assert refreshed is not None
    return refreshed


def show_answered(
    client: WebClient,
    progress: Progress,
    *,
    channel: str,
    ts: str,
    question_id: str,
    step: int,
    value: AnswerValue,
    note: str | None,
    by_user: str,
) -> None:
    """Turn the question message into its transcript line."""
    question = progress.checklist.question(question_id)
    text, blocks = convo_blocks.answered_message(
        question, step=step, value=value, note=note, by_user=by_user
    )
    client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)


def finish(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Store the verdict, then post the card and, when there is one, the buyer draft.

    Other capabilities act on the posted card through `Hooks.after_verdict` (approvals asks
    the manager for a position there).
    """
    session = progress.session
    assert session.channel_id and session.thread_ts
    finished = service(deps).finish(session.id)
    record = deps.store.get_record(record_id=finished.record_id)
    assert record is not None, "finish stores the record it returns"
    text, blocks = card.full_card(deps, record)
    posted = client.chat_postMessage(
        channel=session.channel_id, thread_ts=session.thread_ts, text=text, blocks=blocks
    )
    if finished.draft:
        text, blocks = verdict_blocks.draft_message(
            record_id=finished.record_id, draft=finished.draft
        )
        client.chat_postMessage(
            channel=session.channel_id, thread_ts=session.thread_ts, text=text, blocks=blocks
        )
    event = VerdictPosted(
        record_id=finished.record_id,
        workspace_id=session.workspace_id,
        rep_user_id=session.rep_user_id,
        outcome=finished.verdict.outcome,
        card_ts=str(posted["ts"]),
    )
    for react in deps.hooks.after_verdict:
        react(client, deps, event)


ALREADY_ANSWERED = (
    "That question is already answered. Use *Back* on the current question to change it."
)


def take_answer(
    client: WebClient,
    deps: Deps,
    *,
    actor: Actor,
    session_id: int,
    question_id: str,
    raw: object | Callable[[Question], object],
    note: str | None,
    channel: str,
    ts: str,
    before_posting: Callable[[], object] | None = None,
) -> None:
    """Validate, store, mark the message answered, then post what comes next.

    `raw` is the answer, or what finds it in the question once the question is known to be
    the one waiting (a menu option names the answer by its position among the values).

    The turn is claimed in the database under the question message's ts, so a double click, a
    Slack retry or a second process never records the answer twice or posts a question twice.
    Raises InvalidAnswer (bad value), Refusal (not yours / not current) or Duplicate.
    """
    progress = current_for(deps, actor=actor, session_id=session_id)
    question = progress.next_question
    if question is None or question.id != question_id:
        raise Refusal(ALREADY_ANSWERED)
    if callable(raw):
        raw = raw(question)
    answered = progress.conversation.answer(question_id, raw)
    step = len(progress.conversation.answers) + 1
    updated = service(deps).answer(
        session_id,
        actor=actor,
        question_id=question_id,
        raw=answered.value,
        note=note,
        claim_key=turn_key(session_id, ts),
        current=progress,
    )
    if updated is None:
        raise Duplicate
    if before_posting is not None:
        before_posting()
    show_answered(
        client,
        updated,
        channel=channel,
        ts=ts,
        question_id=question_id,
        step=step,
        value=answered.value,
        note=updated.notes.get(question_id),
        by_user=actor.user_id,
    )
    post_next(client, deps, updated)


def turn_key(session_id: int, ts: str) -> str:
    return f"turn:{session_id}:{ts}"


def current_for(deps: Deps, *, actor: Actor, session_id: int) -> Progress:
    """The session, checked to belong to this rep and to still be open."""
    progress = service(deps).progress(session_id)
    if progress is None:
        raise Refusal("I can't find that walk-away check any more.")
    if progress.session.rep_user_id != service(deps).user_id(actor):
        raise Refusal("Only the rep who started this walk-away check can answer it.")
    if progress.session.status != "open":
        raise Refusal("This walk-away check is finished; its verdict is further down the thread.")
    return progress


def go_back(
    client: WebClient,
    deps: Deps,
    *,
    actor: Actor,
    session_id: int,
    question_id: str | None,
    channel: str,
    ts: str,
    restart: bool,
) -> None:
    """Back (or Start over): retire the clicked question message, then ask again.

    The clicked message must hold the question still waiting for an answer (its id rides on
    the button; `prompt_ts` only for buttons from before it did, since it is written just
    after the message is posted and a quick click can beat it). The message's turn is then
    claimed, so Back and an answer on the same message, or two Backs, cannot both happen.
    """
    progress = current_for(deps, actor=actor, session_id=session_id)
    question = progress.next_question
    current = question.id if question is not None else None
    moved_on = (
        question_id != current
        if question_id is not None
        else progress.session.prompt_ts not in (None, ts)
    )
    if moved_on:
        raise Refusal("That question has moved on; use the buttons on the latest question.")
    if not deps.store.claim_once(key=turn_key(session_id, ts)):
        raise Duplicate
    updated = service(deps).restart(session_id) if restart else service(deps).back(session_id)
    if question is not None:
        step, _ = progress.conversation.progress()
        why = "Started over." if restart else "Went back to change the previous answer."
        text, blocks = convo_blocks.superseded_message(question, step=step + 1, why=why)
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    post_next(client, deps, updated)


def record_for(deps: Deps, *, actor: Actor, record_id: int) -> RecordDetail:
    """A record of this workspace that this person may act on (its rep)."""
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    record = deps.store.get_record(record_id=record_id, workspace_id=workspace_id)
    if record is None:
        raise Refusal("I can't find that walk-away record in this workspace.")
    if record.rep_slack_user_id != actor.user_id:
        raise Refusal("Only the rep who owns this record can change its draft.")
    return record
