"""The qualification flow shared by every front end: the console and the Slack app.

It rebuilds the conversation from storage at every step, so nothing lives in process memory:
any process sharing the database can take the next answer. It has no Slack import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.checklist import Checklist, Question
from bot.domain.conversation import Conversation
from bot.domain.drafts import Draft, Recipient, Signature, write_draft
from bot.domain.model import Actor, AnswerValue, Verdict
from bot.domain.verdict import decide
from storage.records import RecordDetail, SessionInfo
from storage.repository import Store


@dataclass(frozen=True)
class Progress:
    session: SessionInfo
    conversation: Conversation
    notes: dict[str, str]

    @property
    def checklist(self) -> Checklist:
        return self.conversation.checklist

    @property
    def next_question(self) -> Question | None:
        return self.conversation.next_question()


@dataclass(frozen=True)
class Finished:
    record_id: int
    verdict: Verdict
    draft: str | None
    """The email; `full` has the subject and the short note too."""
    full: Draft | None = None


def checklist_from_snapshot(snapshot: dict[str, Any]) -> Checklist:
    """The checklist exactly as a session was started with, even after the file was edited."""
    return Checklist.model_validate({k: v for k, v in snapshot.items() if k != "hash"})


class Qualifications:
    """Start, answer, go back, restart and finish a qualification against the store."""

    def __init__(
        self,
        *,
        store: Store,
        checklist: Checklist,
        today: Callable[[], date] = date.today,
    ) -> None:
        self._store = store
        self._checklist = checklist
        self._today = today

    @property
    def store(self) -> Store:
        return self._store

    def user_id(self, actor: Actor) -> int:
        workspace_id = self._store.ensure_workspace(team_id=actor.team_id)
        return self._store.ensure_user(
            workspace_id=workspace_id,
            slack_user_id=actor.user_id,
            display_name=actor.display_name,
        )

    def start(self, actor: Actor, deal_name: str) -> Progress:
        """Open a qualification, or resume the rep's unfinished one for the same deal."""
        workspace_id = self._store.ensure_workspace(team_id=actor.team_id)
        rep_id = self._store.ensure_user(
            workspace_id=workspace_id,
            slack_user_id=actor.user_id,
            display_name=actor.display_name,
        )
        session = self._store.open_session(
            workspace_id=workspace_id,
            rep_user_id=rep_id,
            deal_name=deal_name,
            checklist_hash=self._checklist.content_hash,
            checklist_snapshot=self._checklist.snapshot(),
        )
        return self._progress(session)

    def progress(self, session_id: int) -> Progress | None:
        state = self._store.session_state(session_id=session_id)
        if state is None:
            return None
        session, answers, notes = state
        return self._progress(session, answers=answers, notes=notes)

    def answer(
        self,
        session_id: int,
        *,
        actor: Actor,
        question_id: str,
        raw: object,
        note: str | None = None,
        claim_key: str | None = None,
        owner: str | None = None,
        current: Progress | None = None,
        message_ts: str | None = None,
    ) -> Progress | None:
        """Validate, then store before anything else is shown (raises InvalidAnswer).

        With a claim key (the Slack question message), returns None when that turn was
        already taken by another click, retry or process: nothing is recorded twice, so a
        caller that has just loaded and checked the session may pass it as `current`.
        """
        current = current or self._require(session_id)
        answered = current.conversation.answer(question_id, raw)
        recorded = self._store.record_answer(
            session_id=session_id,
            question_id=question_id,
            value=answered.value,
            answered_by_user_id=self.user_id(actor),
            question_text=current.checklist.question(question_id).text,
            note=note.strip() if note and note.strip() else None,
            drop=answered.dropped,
            claim_key=claim_key,
            owner=owner,
            message_ts=message_ts,
        )
        return self._require(session_id) if recorded else None

    def back(self, session_id: int) -> Progress:
        self._store.retract_last_answer(session_id=session_id)
        return self._require(session_id)

    def restart(self, session_id: int) -> Progress:
        self._store.restart_session(session_id=session_id)
        return self._require(session_id)

    def verdict(self, progress: Progress) -> Verdict:
        return decide(
            progress.conversation.answers, today=self._today(), checklist=progress.checklist
        )

    def finish(
        self,
        session_id: int,
        *,
        rep_name: str | None = None,
        signature: Signature | None = None,
        recipient: Recipient | None = None,
    ) -> Finished:
        """Decide, draft and store the record; safe to call twice (the record is reused).

        The draft is addressed to `recipient`, else to whom the deal's last check was for;
        when nobody is known the record's draft waits for the rep to say (or skip saying).
        """
        current = self._require(session_id)
        verdict = self.verdict(current)
        recipient = recipient or self.recipient_of(current.session.deal_id)
        draft = write_draft(
            verdict,
            deal_name=current.session.deal_name,
            answers=current.conversation.answers,
            recipient=recipient,
            signature=signature or Signature.of(rep_name),
        )
        record_id = self._store.complete_session(
            session_id=session_id,
            verdict=verdict,
            draft_text=draft.email if draft else None,
            subject=draft.subject if draft else None,
            draft_short=draft.short if draft else None,
            addressed=draft is None or recipient.known,
        )
        return Finished(
            record_id=record_id, verdict=verdict, draft=draft.email if draft else None, full=draft
        )

    def recipient_of(self, deal_id: int) -> Recipient:
        """Who the deal's buyer messages were last for (empty when never said)."""
        organisation, contact = self._store.deal_recipient(deal_id=deal_id)
        return Recipient.of(organisation, contact)

    def redraft(self, record: RecordDetail, *, signature: Signature | None) -> Draft | None:
        """The record's drafts written afresh for the deal's recipient as now stored."""
        answers = self._store.current_answers(session_id=record.session_id)
        return write_draft(
            record.verdict,
            deal_name=record.deal_name,
            answers=answers,
            recipient=Recipient.of(record.organisation, record.contact),
            signature=signature,
        )

    def _require(self, session_id: int) -> Progress:
        progress = self.progress(session_id)
        if progress is None:
            raise LookupError(f"qualification {session_id} does not exist")
        return progress

    def _progress(
        self,
        session: SessionInfo,
        *,
        answers: dict[str, AnswerValue] | None = None,
        notes: dict[str, str] | None = None,
    ) -> Progress:
        checklist = self._checklist
        if session.checklist_hash != checklist.content_hash:  # the file changed since it began
            snapshot = session.checklist_snapshot
            if snapshot is None:
                snapshot = self._store.session_snapshot(session_id=session.id)
            checklist = checklist_from_snapshot(snapshot)
        if answers is None or notes is None:
            state = self._store.session_state(session_id=session.id)
            answers, notes = (state[1], state[2]) if state else ({}, {})
        return Progress(
            session=session,
            conversation=Conversation.resume(checklist, answers),
            notes=notes,
        )
