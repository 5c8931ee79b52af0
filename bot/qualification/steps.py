"""Taking turns in the check: an answer, Back, Start over, each once per question message.

Every turn is claimed in the database under the question message it was taken on (`turn_key`),
in the same transaction as the change it makes, and under the running job's key. So a double
click, a Slack retry or a second process never records an answer twice, and the job's own
re-run (after Slack failed or its worker died) recognises its claim and carries on: it shows
the answer and moves the thread on (bot/qualification/thread.py) instead of taking itself for a
duplicate or doing nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.domain.checklist import Question
from bot.domain.model import Actor
from bot.qualification.service import Progress
from bot.qualification.thread import (
    finish,
    post_next,
    retire,
    service,
    show_answered,
    strike_taken_back,
    turn_key,
)
from bot.slack.deps import Deps
from bot.slack.effects import owner
from bot.slack.errors import Duplicate, Refusal, RetryLater
from storage.base import Claim
from storage.records import RecordDetail, SessionStatus

MAX_DEAL_NAME = 200

ALREADY_ANSWERED = (
    "That question is already answered. Use *Back* on the current question to change it."
)
FINISHED = "This walk-away check is finished; its verdict is further down the thread."


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
    then: Callable[[], object] | None = None,
    repair: Callable[[Progress], object] | None = None,
) -> None:
    """Validate and store the answer, then show it and post what comes next.

    `raw` is the answer, or what finds it in the question once the question is known to be
    the one waiting (a menu option names the answer by its position among the values).

    Raises InvalidAnswer (bad value), Refusal (not yours / not current) or Duplicate. `then`,
    when given, replaces showing and moving on (a modal closes first and queues that part), and
    `repair` replaces mending a thread that misses a step (done at once by default).
    """
    if _mine(deps, turn_key(session_id, ts)):  # an earlier attempt of this job stored it
        carry_on(
            client,
            deps,
            session_id=session_id,
            question_id=question_id,
            channel=channel,
            ts=ts,
            by_user=actor.user_id,
        )
        return
    mend = repair or (lambda progress: mend_thread(client, deps, progress))
    progress = current_for(client, deps, actor=actor, session_id=session_id, repair=mend)
    question = progress.next_question
    if question is None or question.id != question_id:
        mend(progress)  # the waiting question, if it was never posted
        raise Refusal(ALREADY_ANSWERED)
    if callable(raw):
        raw = raw(question)
    answered = progress.conversation.answer(question_id, raw)
    updated = service(deps).answer(
        session_id,
        actor=actor,
        question_id=question_id,
        raw=answered.value,
        note=note,
        claim_key=turn_key(session_id, ts),
        owner=owner(),
        current=progress,
        message_ts=ts,
    )
    if updated is None:
        again = _asked_again(deps, session_id, question_id, ts)
        if again is None:
            raise Duplicate
        # A Resume retired the copy clicked, with this question still waiting: the click
        # answers the copy asked again, so what the rep chose is not lost to the race.
        take_answer(
            client,
            deps,
            actor=actor,
            session_id=session_id,
            question_id=question_id,
            raw=answered.value,
            note=note,
            channel=channel,
            ts=again,
            then=then,
            repair=repair,
        )
        return
    if then is not None:
        then()
        return
    carry_on(
        client,
        deps,
        session_id=session_id,
        question_id=question_id,
        channel=channel,
        ts=ts,
        by_user=actor.user_id,
        progress=updated,
    )


def _asked_again(deps: Deps, session_id: int, question_id: str, ts: str) -> str | None:
    """The ts of the copy asked again, when the turn on `ts` went to a Resume (not to an
    answer or Back: the question is still the one waiting); None when it was really taken.
    While the new copy is not posted yet the job waits for it (RetryLater)."""
    progress = service(deps).progress(session_id)
    if progress is None or progress.next_question is None:
        return None
    if progress.next_question.id != question_id:
        return None
    prompt = progress.session.prompt_ts
    if not prompt or prompt == ts:
        raise RetryLater(RuntimeError(f"question {question_id} is being asked again"))
    return prompt


def carry_on(
    client: WebClient,
    deps: Deps,
    *,
    session_id: int,
    question_id: str,
    channel: str,
    ts: str,
    by_user: str,
    progress: Progress | None = None,
) -> None:
    """After an answer is stored: its message shows it, and the thread moves on (repeatable).

    `progress` is the session as the answer left it, when the caller has just read it (saves
    reading it again on every click); a re-run reads it afresh."""
    progress = progress or service(deps).progress(session_id)
    if progress is None:
        return
    show_answered(
        client, deps, progress, channel=channel, ts=ts, question_id=question_id, by_user=by_user
    )
    post_next(client, deps, progress)


def mend_thread(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Post whatever step the thread misses: the waiting question, or the verdict."""
    if progress.session.status == SessionStatus.COMPLETE:
        finish(client, deps, progress)
    elif progress.session.status == SessionStatus.OPEN:
        post_next(client, deps, progress)


def current_for(
    client: WebClient,
    deps: Deps,
    *,
    actor: Actor,
    session_id: int,
    repair: Callable[[Progress], object] | None = None,
) -> Progress:
    """The session, checked to belong to this rep and to still be open.

    A finished one gets its verdict shown first if it never was (a failure mid-way; `repair`,
    by default at once), so the refusal's "further down the thread" is true.
    """
    progress = service(deps).progress(session_id)
    if progress is None:
        raise Refusal("I can't find that walk-away check any more.")
    if progress.session.rep_user_id != deps.user_id(actor):
        raise Refusal("Only the rep who started this walk-away check can answer it.")
    if progress.session.status == SessionStatus.COMPLETE:
        (repair or (lambda done: finish(client, deps, done)))(progress)
        raise Refusal(FINISHED)
    if progress.session.status != SessionStatus.OPEN:
        raise Refusal(
            "This walk-away check is finished: it was closed without a verdict. Start a new one "
            "with `/walkaway <deal>`."
        )
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
    after the message is posted and a quick click can beat it). The step back is taken under
    the message's turn, so Back and an answer on the same message, or two Backs, cannot both
    happen, and a re-run of this job finds its own claim and finishes what it began.
    """
    why = "Started over." if restart else "Went back to change the previous answer."
    struck = "Taken back: started over." if restart else "Changed: asked again below."
    key = turn_key(session_id, ts)
    if _mine(deps, key):
        progress = service(deps).progress(session_id)
        if progress is not None and question_id is not None:
            shown = progress.checklist.question(question_id)
            retire(
                client,
                channel=channel,
                ts=ts,
                question=shown,
                step=_step_of(progress, question_id),
                why=why,
            )
            strike_taken_back(client, deps, progress, why=struck)
            post_next(client, deps, progress)
        return
    progress = current_for(client, deps, actor=actor, session_id=session_id)
    question = progress.next_question
    current = question.id if question is not None else None
    moved_on = (
        question_id != current
        if question_id is not None
        else progress.session.prompt_ts not in (None, ts)
    )
    if moved_on:
        raise Refusal("That question has moved on; use the buttons on the latest question.")
    claim = deps.store.step_back(
        session_id=session_id, restart=restart, claim_key=key, owner=owner()
    )
    if claim is Claim.TAKEN:
        raise Duplicate
    if question is not None:
        step = progress.conversation.progress().step
        retire(client, channel=channel, ts=ts, question=question, step=step, why=why)
    updated = service(deps).progress(session_id)
    assert updated is not None
    strike_taken_back(client, deps, updated, why=struck)
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


def _mine(deps: Deps, key: str) -> bool:
    """Did the running job itself take this claim, on an earlier attempt?"""
    me = owner()
    return me is not None and deps.store.claim_owner(key=key) == me


def _step_of(progress: Progress, question_id: str) -> int:
    """The number the question had when it was on show (its place among the live answers)."""
    answered = list(progress.conversation.answers)
    return answered.index(question_id) + 1 if question_id in answered else len(answered) + 1
