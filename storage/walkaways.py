"""Walk-away records: the verdict stored with its draft, what was sent, the status history, and
finding records again (the search itself is storage/search/)."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy import select, update
from sqlalchemy.orm import undefer

from bot.domain.model import Verdict
from bot.domain.pathback import first_recheck
from storage import queries as q
from storage import search
from storage.base import Repo
from storage.columns import utcnow
from storage.conditions import add_for_record
from storage.errors import InvalidValueError
from storage.models import (
    Deal,
    IdempotencyKey,
    QualificationSession,
    RecordStatusChange,
    User,
    VerdictRow,
    WalkawayRecord,
)
from storage.pathback import recheck_days_in
from storage.records import (
    RecordDetail,
    RecordStatus,
    RecordSummary,
    SessionStatus,
)

_QS = QualificationSession


class Records(Repo):
    def complete_session(
        self,
        *,
        session_id: int,
        verdict: Verdict,
        draft_text: str | None,
        subject: str | None = None,
        draft_short: str | None = None,
        addressed: bool = True,
    ) -> int:
        """Store the verdict and open a walk-away record, atomically; returns the record id.

        `addressed=False` leaves the draft waiting for the rep to say who it is for
        (`address_record`). Calling it again for a completed session returns the same record
        and writes nothing, so a retried 'Finish' cannot produce a second record.
        """
        with self._write() as s:
            row = q.session_row(s, session_id, lock=True)
            if row.status == SessionStatus.COMPLETE:
                return s.scalars(
                    select(WalkawayRecord.id).where(WalkawayRecord.session_id == session_id)
                ).one()
            q.require_open(row)
            now = utcnow()
            recheck_on = first_recheck(
                verdict.outcome,
                verdict.recheck_on,
                made_on=now.date(),
                default_days=recheck_days_in(s, row.workspace_id),
            )
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
                recheck_on=recheck_on,
                draft_text=draft_text,
                draft_short=draft_short,
                subject=subject,
                addressed_at=now if addressed else None,
                created_at=now,
                updated_at=now,
            )
            s.add(record)
            s.flush()
            add_for_record(s, record.id, verdict.conditions)
            s.add(
                RecordStatusChange(
                    record_id=record.id,
                    workspace_id=record.workspace_id,
                    rep_user_id=record.rep_user_id,
                    status=RecordStatus.OPEN,
                    changed_by_user_id=row.rep_user_id,
                    changed_at=now,
                )
            )
            row.status, row.completed_at, row.updated_at = SessionStatus.COMPLETE, now, now
            search.refresh(s, record.id)
            return record.id

    def record_id_of_session(self, *, session_id: int) -> int | None:
        """The record a finished check produced (None while it is open)."""
        with self._reads() as s:
            return s.scalar(
                select(WalkawayRecord.id).where(WalkawayRecord.session_id == session_id)
            )

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
            session = s.get_one(_QS, record.session_id, options=[undefer(_QS.checklist_snapshot)])
            verdict = s.get_one(VerdictRow, record.verdict_id)
            deal = s.get_one(Deal, record.deal_id)
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
                subject=record.subject,
                draft_short=record.draft_short,
                draft_length=record.draft_length or "email",
                addressed_at=record.addressed_at,
                organisation=deal.buyer_organisation,
                contact=deal.buyer_contact,
            )

    def mark_sent(
        self, *, record_id: int, text: str, by_user_id: int, owner: str | None = None
    ) -> bool:
        """Keep the message as actually sent, which may differ from the draft the bot wrote.

        True for the one call that marked the record, False for every call after it (a double
        click, a retry, another process). The check and the write are one conditional UPDATE:
        a claim committed apart from the write would, after a crash between the two, leave a
        draft that says "already marked as sent" when it never was. Raises NotFoundError for
        an unknown record. With an `owner` (the job marking it), the winner's claim
        `sent:<record>` commits with the write, so that job's re-run knows it was the one.
        """
        now = utcnow()
        with self._write() as s:
            marked = s.scalar(
                update(WalkawayRecord)
                .where(WalkawayRecord.id == record_id, WalkawayRecord.sent_at.is_(None))
                .values(sent_text=text, sent_at=now, sent_by_user_id=by_user_id, updated_at=now)
                .returning(WalkawayRecord.id)
            )
            if marked is None:
                q.record_row(s, record_id)  # NotFoundError unless it exists, already sent
                return False
            if owner is not None:
                s.add(IdempotencyKey(key=f"sent:{record_id}", owner=owner, created_at=now))
            search.refresh(s, record_id)
            return True

    def update_draft(self, *, record_id: int, text: str, length: str = "email") -> None:
        """Keep the rep's edited draft (the email, or the short note)."""
        with self._write() as s:
            record = q.record_row(s, record_id, lock=True)
            if length == "short":
                record.draft_short = text
            else:
                record.draft_text = text
            record.updated_at = utcnow()
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
                    workspace_id=record.workspace_id,
                    rep_user_id=record.rep_user_id,
                    status=new_status,
                    note=note,
                    changed_by_user_id=by_user_id,
                    changed_at=now,
                )
            )
            record.status, record.updated_at = new_status, now
            search.refresh(s, record_id)  # status notes are searchable ("what happened since")

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
