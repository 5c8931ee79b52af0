"""Qualification sessions and their answers: the check as it is being answered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.model import AnswerValue
from storage import queries as q
from storage.base import Claim, Repo, take_claim
from storage.columns import utcnow
from storage.errors import InvalidValueError, NotFoundError
from storage.models import (
    Answer,
    Deal,
    QualificationSession,
)
from storage.records import (
    AnswerInfo,
    SessionInfo,
    SessionStatus,
)

_QS = QualificationSession


class Qualifications(Repo):
    def open_session(
        self,
        *,
        workspace_id: int,
        rep_user_id: int,
        deal_name: str,
        checklist_hash: str,
        checklist_snapshot: Mapping[str, Any],
    ) -> SessionInfo:
        """Resume this rep's open session for the deal, or start one (creating the deal).

        A resumed session keeps the checklist it was started with; the caller compares
        `checklist_hash` to decide whether to carry on or restart against the new wording.
        """
        key = q.name_key(deal_name)
        if not key:
            raise InvalidValueError("a deal needs a name")
        deal_query = select(Deal).where(Deal.workspace_id == workspace_id, Deal.name_key == key)
        with self._write() as s:
            new_deal = Deal(
                workspace_id=workspace_id, name=" ".join(deal_name.split()), name_key=key
            )
            deal = s.scalar(deal_query) or q.insert_or_get(s, new_deal, deal_query)
            open_query = select(_QS).where(
                _QS.deal_id == deal.id,
                _QS.rep_user_id == rep_user_id,
                _QS.status == SessionStatus.OPEN,
            )
            row = s.scalar(open_query)
            resumed = row is not None
            if row is None:
                now = utcnow()
                new = _QS(
                    workspace_id=workspace_id,
                    deal_id=deal.id,
                    rep_user_id=rep_user_id,
                    status=SessionStatus.OPEN,
                    checklist_hash=checklist_hash,
                    checklist_snapshot=dict(checklist_snapshot),
                    started_at=now,
                    updated_at=now,
                )
                row = q.insert_or_get(s, new, open_query)
                resumed = row is not new
            if resumed:
                row.checklist_snapshot  # noqa: B018 (loads the deferred wording the caller compares)
            return q.session_info(row, deal.name, resumed=resumed)

    def session_snapshot(self, *, session_id: int) -> dict[str, Any]:
        """The checklist a session began with (its rows are read without it: see the model)."""
        with self._reads() as s:
            snapshot = s.scalar(select(_QS.checklist_snapshot).where(_QS.id == session_id))
        if snapshot is None:
            raise NotFoundError(f"no qualification session {session_id}")
        return dict(snapshot)

    def get_session(self, *, session_id: int) -> SessionInfo | None:
        with self._reads() as s:
            found = s.execute(q.sessions_with_deal().where(_QS.id == session_id)).first()
            return q.session_info(found[0], found[1]) if found else None

    def latest_session(
        self, *, workspace_id: int, rep_user_id: int, deal_name: str
    ) -> SessionInfo | None:
        """This rep's newest check of the deal, open or finished (None: never checked)."""
        query = (
            q.sessions_with_deal()
            .where(
                _QS.workspace_id == workspace_id,
                _QS.rep_user_id == rep_user_id,
                Deal.name_key == q.name_key(deal_name),
                _QS.status != SessionStatus.ABANDONED,
            )
            .order_by(_QS.started_at.desc(), _QS.id.desc())
            .limit(1)
        )
        with self._reads() as s:
            found = s.execute(query).first()
            return q.session_info(found[0], found[1]) if found else None

    def list_open_sessions(self, *, workspace_id: int, rep_user_id: int) -> list[SessionInfo]:
        """Newest first, so 'carry on where you left off' offers the latest deal on top."""
        query = (
            q.sessions_with_deal()
            .where(
                _QS.workspace_id == workspace_id,
                _QS.rep_user_id == rep_user_id,
                _QS.status == SessionStatus.OPEN,
            )
            .order_by(_QS.started_at.desc(), _QS.id.desc())
        )
        with self._reads() as s:
            return [q.session_info(row, deal_name) for row, deal_name in s.execute(query)]

    def set_session_thread(self, *, session_id: int, channel_id: str, thread_ts: str) -> None:
        with self._write() as s:
            row = q.session_row(s, session_id)
            row.channel_id, row.thread_ts = channel_id, thread_ts

    def set_prompt(self, *, session_id: int, prompt_ts: str) -> None:
        """Remember which message holds the open question, for typed replies and Back."""
        with self._write() as s:
            q.session_row(s, session_id).prompt_ts = prompt_ts

    def find_session_by_thread(self, *, channel_id: str, thread_ts: str) -> SessionInfo | None:
        query = q.sessions_with_deal().where(
            _QS.channel_id == channel_id, _QS.thread_ts == thread_ts
        )
        with self._reads() as s:
            found = s.execute(query.order_by(_QS.id.desc()).limit(1)).first()
            return q.session_info(found[0], found[1]) if found else None

    def abandon_session(self, *, session_id: int) -> None:
        """Idempotent for an abandoned session; a completed one keeps its verdict and refuses."""
        with self._write() as s:
            row = q.session_row(s, session_id, lock=True)  # never overwrite a racing completion
            if row.status == SessionStatus.ABANDONED:
                return
            q.require_open(row)
            row.status, row.updated_at = SessionStatus.ABANDONED, utcnow()

    def current_answers(self, *, session_id: int) -> dict[str, AnswerValue]:
        """The live answers, in the order they were given."""
        query = select(Answer.question_id, Answer.value).where(*q.current(session_id))
        with self._reads() as s:
            return {qid: value for qid, value in s.execute(query.order_by(Answer.id))}

    def current_notes(self, *, session_id: int) -> dict[str, str]:
        query = select(Answer.question_id, Answer.note).where(
            *q.current(session_id), Answer.note.is_not(None)
        )
        with self._reads() as s:
            return {qid: note for qid, note in s.execute(query.order_by(Answer.id)) if note}

    def session_state(
        self, *, session_id: int
    ) -> tuple[SessionInfo, dict[str, AnswerValue], dict[str, str]] | None:
        """The session with its live answers and notes, read in one transaction: one snapshot,
        and one read where three made up a tenth of a worker's statements (every click asks
        for it two or three times)."""
        with self._reads() as s:
            found = s.execute(q.sessions_with_deal().where(_QS.id == session_id)).first()
            if found is None:
                return None
            rows = s.execute(
                select(Answer.question_id, Answer.value, Answer.note)
                .where(*q.current(session_id))
                .order_by(Answer.id)
            ).all()
            session = q.session_info(found[0], found[1])
        answers = {qid: value for qid, value, _ in rows}
        notes = {qid: note for qid, _, note in rows if note}
        return session, answers, notes

    def answer_history(self, *, session_id: int) -> list[AnswerInfo]:
        """Every answer ever given, superseded ones included, oldest first."""
        with self._reads() as s:
            return q.answer_history(s, session_id)

    def record_answer(
        self,
        *,
        session_id: int,
        question_id: str,
        value: AnswerValue,
        answered_by_user_id: int,
        question_text: str,
        note: str | None = None,
        drop: Sequence[str] = (),
        claim_key: str | None = None,
        owner: str | None = None,
        message_ts: str | None = None,
    ) -> bool:
        """Store an answer, superseding the previous one and any in `drop` that no longer apply.

        With `claim_key`, the claim and the answer commit together: False (and nothing
        written) when another click, retry or process already took that key, so an answer is
        never recorded twice and never lost behind a claim that did not finish. True also when
        `owner` took it before: that earlier attempt of the same job stored this very answer.
        """
        q.check_value(value)
        try:
            with self._write() as s:
                row = q.session_row(s, session_id, lock=True)
                if claim_key is not None:
                    claim = take_claim(s, claim_key, owner)
                    if claim is not Claim.NEW:
                        return claim is Claim.MINE
                q.require_open(row)
                self._add_answer(
                    s,
                    row,
                    question_id=question_id,
                    value=value,
                    note=note,
                    drop=drop,
                    answered_by_user_id=answered_by_user_id,
                    question_text=question_text,
                    message_ts=message_ts,
                )
        except IntegrityError:
            if claim_key is None:
                raise
            return False
        return True

    @staticmethod
    def _add_answer(
        s: Session,
        row: QualificationSession,
        *,
        question_id: str,
        value: AnswerValue,
        answered_by_user_id: int,
        question_text: str,
        note: str | None,
        drop: Sequence[str],
        message_ts: str | None = None,
    ) -> None:
        now = utcnow()
        row.revision += 1
        q.supersede(s, row.id, now, question_ids=[question_id, *drop])
        s.add(
            Answer(
                session_id=row.id,
                question_id=question_id,
                value=value,
                note=note,
                answered_by_user_id=answered_by_user_id,
                answered_at=now,
                question_text=question_text,
                message_ts=message_ts,
            )
        )
        row.updated_at = now

    def retract_last_answer(self, *, session_id: int) -> str | None:
        """'Back': supersede the latest live answer and return its question id (None if none)."""
        with self._write() as s:
            row = q.session_row(s, session_id, lock=True)
            q.require_open(row)
            last = s.scalar(
                select(Answer).where(*q.current(session_id)).order_by(Answer.id.desc()).limit(1)
            )
            if last is None:
                return None
            now = utcnow()
            last.superseded_at = row.updated_at = now
            row.revision += 1
            return last.question_id

    def restart_session(self, *, session_id: int) -> None:
        with self._write() as s:
            row = q.session_row(s, session_id, lock=True)
            q.require_open(row)
            now = utcnow()
            q.supersede(s, session_id, now)
            row.updated_at = now
            row.revision += 1

    def step_back(
        self, *, session_id: int, restart: bool, claim_key: str, owner: str | None
    ) -> Claim:
        """Back (or Start over) under the claim of the message clicked, in one transaction.

        NEW: done now; MINE: this job did it on an earlier attempt; TAKEN: another click did.
        """
        try:
            with self._write() as s:
                row = q.session_row(s, session_id, lock=True)
                claim = take_claim(s, claim_key, owner)
                if claim is not Claim.NEW:
                    return claim
                q.require_open(row)
                now = utcnow()
                if restart:
                    q.supersede(s, session_id, now)
                else:
                    last = s.scalar(
                        select(Answer)
                        .where(*q.current(session_id))
                        .order_by(Answer.id.desc())
                        .limit(1)
                    )
                    if last is not None:
                        last.superseded_at = now
                row.updated_at = now
                row.revision += 1
                return claim
        except IntegrityError:
            return Claim.TAKEN

    def ask_anew(self, *, session_id: int, claim_key: str | None, owner: str | None) -> Claim:
        """Resume: a new revision, so the waiting question is posted afresh at the thread's foot.

        Claimed under the old question message (when there is one), so a Resume racing an
        answer on that message, or a second Resume, does not also move the thread on.
        """
        try:
            with self._write() as s:
                row = q.session_row(s, session_id, lock=True)
                claim = take_claim(s, claim_key, owner) if claim_key else Claim.NEW
                if claim is Claim.NEW:
                    q.require_open(row)
                    row.revision += 1
                return claim
        except IntegrityError:
            return Claim.TAKEN
