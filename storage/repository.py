"""The Store: the one door between the app and its database.

Each public method opens its own short Session and commits before returning, because Bolt runs
listeners on worker threads and a rep's answer must be durable before the next question is
asked. Methods take keyword arguments only and return frozen records, never ORM rows, so nothing
outside this module can lazy-load, hold a transaction open, or write by accident.

Writes lock what they change (the session or record row on PostgreSQL, the whole file via
BEGIN IMMEDIATE on SQLite), so a Slack retry or a double click racing through a second process
queues behind the first instead of interleaving with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.domain.model import AnswerValue, Verdict
from storage import db, search
from storage import queries as q
from storage.approvals import Approvals
from storage.columns import utcnow
from storage.errors import InvalidValueError
from storage.jobs import JobQueue
from storage.models import (
    Answer,
    Deal,
    IdempotencyKey,
    QualificationSession,
    RecordStatusChange,
    User,
    VerdictRow,
    WalkawayRecord,
    Workspace,
)
from storage.records import (
    AnswerInfo,
    RecordDetail,
    RecordStatus,
    RecordSummary,
    SessionInfo,
    SessionStatus,
)

_QS = QualificationSession
MAX_CLAIM_KEY = 255


class Store:
    def __init__(self, engine: Engine, *, jobs_engine: Engine | None = None) -> None:
        self._engine = engine
        self._jobs_engine = jobs_engine
        self._reads, self._writes = _sessions(engine)
        self.approvals = Approvals(reads=self._reads, writes=self._writes)
        """Managers, approval settings and managers' positions on records."""
        job_reads, job_writes = (
            _sessions(jobs_engine) if jobs_engine else (self._reads, self._writes)
        )
        self.jobs = JobQueue(reads=job_reads, writes=job_writes)
        """Work acknowledged to Slack and waiting for a worker (bot/worker.py)."""

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        engines = [db.make_engine(url)]
        jobs_url = db.jobs_database_url(url)
        if jobs_url is not None:
            engines.append(db.make_engine(jobs_url))
        if migrate:
            for engine in engines:
                db.migrate(engine)
        return cls(engines[0], jobs_engine=engines[1] if len(engines) > 1 else None)

    def close(self) -> None:
        """Release pooled connections (tests and CLI commands that open many stores)."""
        self.jobs.close()
        self._engine.dispose()
        if self._jobs_engine is not None:
            self._jobs_engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._writes.begin() as session:
            yield session

    # -- workspaces and people ------------------------------------------------------------

    def ensure_workspace(self, *, team_id: str, name: str | None = None) -> int:
        query = select(Workspace).where(Workspace.team_id == team_id)
        if name is None:
            # Every Slack request asks for its workspace; reading first keeps the write lock
            # (one per SQLite file) for requests that really change something.
            with self._reads() as s:
                found = s.scalar(query.with_only_columns(Workspace.id))
            if found is not None:
                return found
        with self._write() as s:
            row = s.scalar(query) or q.insert_or_get(
                s, Workspace(team_id=team_id, name=name), query
            )
            if name is not None and row.name != name:
                row.name = name
            return row.id

    def ensure_user(
        self, *, workspace_id: int, slack_user_id: str, display_name: str | None = None
    ) -> int:
        query = select(User).where(
            User.workspace_id == workspace_id, User.slack_user_id == slack_user_id
        )
        if display_name is None:
            with self._reads() as s:
                found = s.scalar(query.with_only_columns(User.id))
            if found is not None:
                return found
        with self._write() as s:
            new = User(
                workspace_id=workspace_id, slack_user_id=slack_user_id, display_name=display_name
            )
            row = s.scalar(query) or q.insert_or_get(s, new, query)
            if display_name is not None and row.display_name != display_name:
                row.display_name = display_name
            return row.id

    # -- qualification sessions -----------------------------------------------------------

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
            return q.session_info(row, deal.name, resumed=resumed)

    def get_session(self, *, session_id: int) -> SessionInfo | None:
        with self._reads() as s:
            found = s.execute(q.sessions_with_deal().where(_QS.id == session_id)).first()
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

    # -- answers --------------------------------------------------------------------------

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
    ) -> bool:
        """Store an answer, superseding the previous one and any in `drop` that no longer apply.

        With `claim_key`, the claim and the answer commit together: False (and nothing
        written) when another click, retry or process already took that key, so an answer is
        never recorded twice and never lost behind a claim that did not finish.
        """
        q.check_value(value)
        try:
            with self._write() as s:
                row = q.session_row(s, session_id, lock=True)
                q.require_open(row)
                if claim_key is not None:
                    s.add(IdempotencyKey(key=_checked_key(claim_key), created_at=utcnow()))
                    s.flush()
                self._add_answer(
                    s,
                    row,
                    question_id=question_id,
                    value=value,
                    note=note,
                    drop=drop,
                    answered_by_user_id=answered_by_user_id,
                    question_text=question_text,
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
    ) -> None:
        now = utcnow()
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
            return last.question_id

    def restart_session(self, *, session_id: int) -> None:
        with self._write() as s:
            row = q.session_row(s, session_id, lock=True)
            q.require_open(row)
            now = utcnow()
            q.supersede(s, session_id, now)
            row.updated_at = now

    # -- verdicts and records -------------------------------------------------------------

    def complete_session(self, *, session_id: int, verdict: Verdict, draft_text: str | None) -> int:
        """Store the verdict and open a walk-away record, atomically; returns the record id.

        Calling it again for a completed session returns the same record and writes nothing,
        so a retried 'Finish' cannot produce a second record.
        """
        with self._write() as s:
            row = q.session_row(s, session_id, lock=True)
            if row.status == SessionStatus.COMPLETE:
                return s.scalars(
                    select(WalkawayRecord.id).where(WalkawayRecord.session_id == session_id)
                ).one()
            q.require_open(row)
            now = utcnow()
            verdict_row = VerdictRow(
                session_id=session_id,
                outcome=verdict.outcome.value,
                data=verdict.to_dict(),
                recheck_on=verdict.recheck_on,
                record_line=verdict.record_line,
                created_at=now,
            )
            s.add(verdict_row)
            s.flush()
            record = WalkawayRecord(
                workspace_id=row.workspace_id,
                session_id=session_id,
                verdict_id=verdict_row.id,
                deal_id=row.deal_id,
                rep_user_id=row.rep_user_id,
                outcome=verdict.outcome.value,
                status=RecordStatus.OPEN,
                recheck_on=verdict.recheck_on,
                draft_text=draft_text,
                created_at=now,
                updated_at=now,
            )
            s.add(record)
            s.flush()
            s.add(
                RecordStatusChange(
                    record_id=record.id,
                    status=RecordStatus.OPEN,
                    changed_by_user_id=row.rep_user_id,
                    changed_at=now,
                )
            )
            row.status, row.completed_at, row.updated_at = SessionStatus.COMPLETE, now, now
            search.refresh(s, record.id)
            return record.id

    def list_records(
        self, *, workspace_id: int, limit: int = 50, rep_user_id: int | None = None
    ) -> list[RecordSummary]:
        """Newest first; one rep's only when rep_user_id is given (their Home tab)."""
        query = q.records().where(WalkawayRecord.workspace_id == workspace_id)
        if rep_user_id is not None:
            query = query.where(WalkawayRecord.rep_user_id == rep_user_id)
        query = query.order_by(WalkawayRecord.created_at.desc(), WalkawayRecord.id.desc()).limit(
            limit
        )
        with self._reads() as s:
            return [q.summary(*found) for found in s.execute(query)]

    def get_record(self, *, record_id: int, workspace_id: int | None = None) -> RecordDetail | None:
        """Everything about one record; with workspace_id, another workspace's record is None."""
        query = q.records().where(WalkawayRecord.id == record_id)
        if workspace_id is not None:
            query = query.where(WalkawayRecord.workspace_id == workspace_id)
        with self._reads() as s:
            found = s.execute(query).first()
            if found is None:
                return None
            record = found[0]
            session = s.get_one(_QS, record.session_id)
            verdict = s.get_one(VerdictRow, record.verdict_id)
            sender = s.get(User, record.sent_by_user_id) if record.sent_by_user_id else None
            answers = q.answer_history(s, session.id)
            summary = q.summary(*found)
            return RecordDetail(
                **{f.name: getattr(summary, f.name) for f in fields(summary)},
                workspace_id=record.workspace_id,
                session_id=session.id,
                verdict=Verdict.from_dict(verdict.data),
                answers=tuple(answers),
                notes={a.question_id: a.note for a in answers if a.note and not a.superseded_at},
                checklist_hash=session.checklist_hash,
                checklist_snapshot=session.checklist_snapshot,
                draft_text=record.draft_text,
                sent_text=record.sent_text,
                sent_at=record.sent_at,
                sent_by=sender.slack_user_id if sender else None,
                status_history=tuple(q.status_history(s, record.id)),
                channel_id=session.channel_id,
                thread_ts=session.thread_ts,
                updated_at=record.updated_at,
            )

    def mark_sent(self, *, record_id: int, text: str, by_user_id: int) -> None:
        """Keep the message as actually sent, which may differ from the draft the bot wrote."""
        with self._write() as s:
            record = q.record_row(s, record_id)
            now = utcnow()
            record.sent_text, record.sent_at, record.sent_by_user_id = text, now, by_user_id
            record.updated_at = now
            search.refresh(s, record_id)

    def update_draft(self, *, record_id: int, text: str) -> None:
        """Keep the rep's edited draft; the bot's original stays in the verdict's history."""
        with self._write() as s:
            record = q.record_row(s, record_id, lock=True)
            record.draft_text, record.updated_at = text, utcnow()
            search.refresh(s, record_id)

    def set_status(
        self, *, record_id: int, status: RecordStatus | str, note: str | None, by_user_id: int
    ) -> None:
        try:
            new_status = RecordStatus(status)
        except ValueError:
            allowed = ", ".join(RecordStatus)
            raise InvalidValueError(f"unknown status {status!r} (use {allowed})") from None
        with self._write() as s:
            record = q.record_row(s, record_id, lock=True)
            now = utcnow()
            s.add(
                RecordStatusChange(
                    record_id=record_id,
                    status=new_status,
                    note=note,
                    changed_by_user_id=by_user_id,
                    changed_at=now,
                )
            )
            record.status, record.updated_at = new_status, now
            search.refresh(s, record_id)  # status notes are searchable ("what happened since")

    # -- search ---------------------------------------------------------------------------

    def search_records(
        self,
        *,
        workspace_id: int,
        criteria: search.SearchCriteria,
        page: int = 0,
        page_size: int = search.PAGE_SIZE,
    ) -> search.SearchPage:
        """One page of this workspace's matching records, most relevant first (storage.search)."""
        with self._reads() as s:
            return search.search(
                s, workspace_id=workspace_id, criteria=criteria, page=page, page_size=page_size
            )

    def search_hit(self, *, record_id: int, workspace_id: int) -> search.SearchHit | None:
        """One record as search shows it; None for an unknown id or another workspace's."""
        with self._reads() as s:
            found = search.hits(s, workspace_id=workspace_id, record_ids=[record_id])
            return found[0] if found else None

    def find_users_by_name(self, *, workspace_id: int, name: str) -> list[str]:
        """Slack ids of this workspace's people known by that display name (any case)."""
        query = select(User.slack_user_id).where(
            User.workspace_id == workspace_id,
            func.lower(User.display_name) == name.strip().lower(),
        )
        with self._reads() as s:
            return list(s.scalars(query.order_by(User.id).limit(10)))

    # -- idempotency ----------------------------------------------------------------------

    def claim_once(self, *, key: str) -> bool:
        """True for the first claim of `key` in any process, False for every repeat."""
        try:
            with self._write() as s:
                s.add(IdempotencyKey(key=_checked_key(key), created_at=utcnow()))
        except IntegrityError:
            return False
        return True


def _sessions(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """Read and write session factories; SQLite writers take the file lock up front."""
    writer = engine
    if engine.dialect.name == "sqlite":
        writer = engine.execution_options(**{db.SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return sessionmaker(engine, expire_on_commit=False), sessionmaker(
        writer, expire_on_commit=False
    )


def _checked_key(key: str) -> str:
    if not 0 < len(key) <= MAX_CLAIM_KEY:
        raise InvalidValueError(f"claim keys must be 1-{MAX_CLAIM_KEY} characters")
    return key
