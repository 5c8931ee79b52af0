"""Keeping the rep's DM thread in step with the check as stored.

Each function here makes Slack show what the database says, and can run any number of times:
the opening, each question and the verdict card are posted once under a key naming them
(bot/slack/effects.py `post_once`), and updates are the same however often they are made. So a
job put back after a failure, a re-run after a crash, a click on an old message or Resume all
repair the thread by calling the same steps: whatever is missing is posted, nothing twice.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.domain.checklist import Question
from bot.domain.model import AnswerValue
from bot.qualification import draft_blocks as verdict_blocks
from bot.qualification import question_blocks as convo_blocks
from bot.qualification.service import Progress, Qualifications
from bot.qualification.signature import rep_signature
from bot.slack import card
from bot.slack.card import card_key
from bot.slack.deps import Deps, VerdictPosted
from bot.slack.effects import owner, post_once
from bot.slack.errors import is_transient
from storage.records import RecordDetail, SessionInfo, SessionStatus

log = logging.getLogger(__name__)


def service(deps: Deps) -> Qualifications:
    """The check's use cases over this app's store and checklist (cheap: it holds no state)."""
    return Qualifications(store=deps.store, checklist=deps.checklist)


def question_key(session: SessionInfo) -> str:
    """The question on show at this revision of the answers is posted once."""
    return f"question:{session.id}:{session.revision}"


def post_next(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Post the waiting question in the thread (once), or finish when none is left.

    In a re-check it shows the earlier check's answer, with *Still true* to give it again.
    """
    session = progress.session
    assert session.channel_id and session.thread_ts, "a Slack session always has a thread"
    question = progress.next_question
    if question is None:
        finish(client, deps, progress)
        return
    text, blocks = convo_blocks.question_message(
        question,
        session_id=session.id,
        steps=progress.conversation.progress(),
        deal_name=session.deal_name,
        before=answered_before(deps, session.id, question.id),
        last_time=deps.store.earlier_answers(session_id=session.id).get(question.id),
    )
    posted = post_once(
        client,
        deps.store,
        key=question_key(session),
        channel=session.channel_id,
        thread_ts=session.thread_ts,
        text=text,
        blocks=blocks,
        prompt_of=session.id,
    )
    if posted is not None and not posted.new and posted.ts != session.prompt_ts:
        deps.store.set_prompt(session_id=session.id, prompt_ts=posted.ts)  # posted by a run before


class ThreadBusy(RuntimeError):
    """Another job is opening this session's thread right now (it asks the first question)."""


def open_thread(client: WebClient, deps: Deps, progress: Progress, *, user_id: str) -> Progress:
    """Give a new session its DM thread; a resumed one keeps the thread it already has."""
    session = progress.session
    if session.channel_id and session.thread_ts:
        return progress
    channel = str(client.conversations_open(users=user_id)["channel"]["id"])
    text, blocks = convo_blocks.thread_opening(session.deal_name, session_id=session.id)
    opening = post_once(
        client,
        deps.store,
        key=f"opening:{session.id}",
        channel=channel,
        text=text,
        blocks=blocks,
        thread_of=session.id,
    )
    if opening is None:
        raise ThreadBusy(f"the thread of session {session.id} is being opened elsewhere")
    if not opening.new:  # posted by a run before, which may have died before storing it here
        deps.store.set_session_thread(
            session_id=session.id, channel_id=opening.channel, thread_ts=opening.ts
        )
    refreshed = service(deps).progress(session.id)
    assert refreshed is not None
    return refreshed


def answered_before(deps: Deps, session_id: int, question_id: str) -> AnswerValue | None:
    """The answer this question had until it was taken back (None: never answered, or live)."""
    history = deps.store.answer_history(session_id=session_id)
    mine = [a for a in history if a.question_id == question_id]
    if not mine or mine[-1].superseded_at is None:
        return None
    return mine[-1].value


def show_answered(
    client: WebClient,
    deps: Deps,
    progress: Progress,
    *,
    channel: str,
    ts: str,
    question_id: str,
    by_user: str,
) -> None:
    """Turn the question message into its transcript line, if that answer is still live.

    It names who answered only when that was not the rep whose check it is.
    """
    value: AnswerValue | None = progress.conversation.answers.get(question_id)
    if value is None:  # taken back since: the next question says what is waiting
        return
    step = list(progress.conversation.answers).index(question_id) + 1
    question = progress.checklist.question(question_id)
    session = progress.session
    answerer = deps.store.find_user(workspace_id=session.workspace_id, slack_user_id=by_user)
    text, blocks = convo_blocks.answered_message(
        question,
        step=step,
        value=value,
        note=progress.notes.get(question_id),
        by_user=None if answerer == session.rep_user_id else by_user,
    )
    update_old(client, channel=channel, ts=ts, text=text, blocks=blocks)


def strike_taken_back(client: WebClient, deps: Deps, progress: Progress, *, why: str) -> None:
    """Back or Start over just took answers away: strike each in the message it was given on.

    The answers taken are the ones superseded last, together; those given in the form have
    no message of their own and are left to the form's transcript. Repeatable (updates).
    """
    session = progress.session
    if not session.channel_id:
        return
    history = deps.store.answer_history(session_id=session.id)
    last = max((a.superseded_at for a in history if a.superseded_at), default=None)
    if last is None:
        return
    taken = [a for a in history if a.superseded_at == last]
    for step, answer in enumerate(taken, start=len(progress.conversation.answers) + 1):
        if answer.message_ts is None or answer.question_id not in progress.checklist.by_id:
            continue
        text, blocks = convo_blocks.replaced_message(
            progress.checklist.question(answer.question_id),
            step=step,
            value=answer.value,
            note=answer.note,
            why=why,
        )
        update_old(
            client, channel=session.channel_id, ts=answer.message_ts, text=text, blocks=blocks
        )


def retire(
    client: WebClient, *, channel: str, ts: str, question: Question, step: int, why: str
) -> None:
    """Take the buttons off a question message that no longer waits for an answer."""
    text, blocks = convo_blocks.superseded_message(question, step=step, why=why)
    update_old(client, channel=channel, ts=ts, text=text, blocks=blocks)


def update_old(client: WebClient, *, channel: str, ts: str, text: str, blocks: list[Block]) -> None:
    """Update an earlier message; if it is gone (the rep deleted it), the thread goes on without.

    A passing failure is raised, so the job is tried again; anything else is only logged, since
    the message that matters now is the next one.
    """
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning("could not update message %s: %s", ts, error.response.get("error"))


def ask_again(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Resume: ask the waiting question afresh at the foot of the thread, retiring the old copy.

    A new revision is taken under the claim of the old question message, so a click on it
    racing this loses cleanly. When it was already answered (or resumed) elsewhere, the
    current question is only made sure of: posting what is missing is the whole repair.
    """
    session = progress.session
    question = progress.next_question
    if question is None:
        finish(client, deps, progress)
        return
    old = session.prompt_ts
    claim = deps.store.ask_anew(
        session_id=session.id, claim_key=turn_key(session.id, old) if old else None, owner=owner()
    )
    if claim.ours:
        if old and session.channel_id:
            retire(
                client,
                channel=session.channel_id,
                ts=old,
                question=question,
                step=progress.conversation.progress().step,
                why="Asked again further down.",
            )
        progress = service(deps).progress(session.id) or progress
    post_next(client, deps, progress)


def turn_key(session_id: int, ts: str) -> str:
    """The turn a question message offers: taken once, by an answer, Back or Resume on it."""
    return f"turn:{session_id}:{ts}"


def finish(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Store the verdict, then post the card and, when there is one, the buyer draft.

    Safe to repeat: the record is stored once and each message posted once. Other capabilities
    act on the posted card through `Hooks.after_verdict` (approvals asks the manager for a
    position there), each of them idempotent too.
    """
    session = progress.session
    assert session.channel_id and session.thread_ts
    signature = None
    if session.status != SessionStatus.COMPLETE:  # drafted now: signed as Slack knows the rep
        signature = rep_signature(client, deps.store.slack_id_of(user_id=session.rep_user_id))
    finished = service(deps).finish(session.id, signature=signature)
    record = deps.store.get_record(record_id=finished.record_id)
    assert record is not None, "finish stores the record it returns"
    show_verdict(client, deps, record, channel=session.channel_id, thread_ts=session.thread_ts)
    card_post = deps.store.post_info(key=card_key(record.id))
    if card_post is None or card_post.ts is None:
        return  # another job is posting it, and will carry on from there
    event = VerdictPosted(
        record_id=record.id,
        workspace_id=session.workspace_id,
        rep_user_id=session.rep_user_id,
        outcome=record.verdict.outcome,
        card_ts=card_post.ts,
    )
    for react in deps.hooks.after_verdict:
        react(client, deps, event)


def show_verdict(
    client: WebClient, deps: Deps, record: RecordDetail, *, channel: str, thread_ts: str
) -> None:
    """Post the verdict card and the draft in the thread, each once."""
    text, blocks = card.full_card(deps, record)
    post_once(
        client,
        deps.store,
        key=card_key(record.id),
        channel=channel,
        thread_ts=thread_ts,
        text=text,
        blocks=blocks,
    )
    if record.sent_text or record.draft_text:
        text, blocks = verdict_blocks.draft_card(record)
        post_once(
            client,
            deps.store,
            key=draft_key(record.id),
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
        )


def draft_key(record_id: int) -> str:
    """The one message that asks who the draft is for, then shows it."""
    return f"draft:{record_id}"


def redraw_draft(
    client: WebClient, deps: Deps, *, record_id: int, channel: str, ts: str, redraft: bool
) -> None:
    """Make the draft message show the record as stored; `redraft` writes it afresh first
    (a new recipient), signed as the rep's Slack profile says. Repeatable: a re-run writes the
    same drafts and makes the same update."""
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        return
    if redraft and record.sent_at is None:
        signature = rep_signature(client, record.rep_slack_user_id)
        draft = service(deps).redraft(record, signature=signature)
        if draft is not None:
            deps.store.replace_drafts(
                record_id=record.id, subject=draft.subject, email=draft.email, short=draft.short
            )
        record = deps.store.get_record(record_id=record_id) or record
    text, blocks = verdict_blocks.draft_card(record)
    update_old(client, channel=channel, ts=ts, text=text, blocks=blocks)
