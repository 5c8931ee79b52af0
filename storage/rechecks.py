"""Re-checks: a new qualification linked to the earlier record it looks at again, and a deal's
records read as one history.

The link is written once per session (a double click or a retried job finds it), and the
earlier record is marked re-engaged once per re-check, by a conditional update of the link in
the same transaction as the status change, so no retry adds a second history line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.model import AnswerValue, Outcome
from storage import queries as q
from storage import search
from storage.base import Repo
from storage.columns import utcnow
from storage.models import (
    Answer,
    Deal,
    QualificationSession,
    RecordStatusChange,
    User,
    WalkawayRecord,
)
from storage.recheck_models import Recheck
from storage.records import RecordStatus

_QS = QualificationSession
_WR = WalkawayRecord


@dataclass(frozen=True)
class HistoryItem:
    """One check of a deal, as a history line shows it."""

    record_id: int
    session_id: int
    rep_user_id: int
    rep_slack_user_id: str
    outcome: Outcome
    status: RecordStatus
    created_at: datetime
    previous_record_id: int | None
    """The record this check re-checked (None: a first check)."""
    channel_id: str | None
    thread_ts: str | None


class Rechecks(Repo):
    def link_recheck(
        self, *, session_id: int, previous_record_id: int, started_by_user_id: int
    ) -> int:
        """Link the session to the record it re-checks; returns the record it is linked to.

        The first link of a session stays: clicking *Re-check now* on another record while the
        check is open does not repoint it halfway through its questions.
        """
        existing = select(Recheck).where(Recheck.session_id == session_id)
        with self._write() as s:
            row = s.scalar(existing)
            if row is None:
                session = q.session_row(s, session_id)
                row = q.insert_or_get(
                    s,
                    Recheck(
                        session_id=session_id,
                        previous_record_id=previous_record_id,
                        workspace_id=session.workspace_id,
                        started_by_user_id=started_by_user_id,
                        started_at=utcnow(),
                    ),
                    existing,
                )
            return row.previous_record_id

    def recheck_of(self, *, session_id: int) -> int | None:
        """The earlier record this session re-checks (None: not a re-check)."""
        with self._reads() as s:
            return s.scalar(
                select(Recheck.previous_record_id).where(Recheck.session_id == session_id)
            )

    def earlier_answers(self, *, session_id: int) -> dict[str, AnswerValue]:
        """The live answers of the record this session re-checks ({} for a first check)."""
        query = (
            select(Answer.question_id, Answer.value)
            .join(_WR, _WR.session_id == Answer.session_id)
            .join(Recheck, Recheck.previous_record_id == _WR.id)
            .where(Recheck.session_id == session_id, Answer.superseded_at.is_(None))
            .order_by(Answer.id)
        )
        with self._reads() as s:
            return {qid: value for qid, value in s.execute(query)}

    def deal_history(self, *, record_id: int) -> list[HistoryItem]:
        """Every check of this record's deal in its workspace, oldest first, each linked to
        the record it re-checked."""
        with self._reads() as s:
            record = s.get(_WR, record_id)
            if record is None:
                return []
            return _history(s, deal_id=record.deal_id, workspace_id=record.workspace_id)

    def deal_records(self, *, workspace_id: int, deal_name: str) -> list[HistoryItem]:
        """The deal's records in this workspace, oldest first ([] for a deal never checked)."""
        with self._reads() as s:
            deal_id = s.scalar(
                select(Deal.id).where(
                    Deal.workspace_id == workspace_id, Deal.name_key == q.name_key(deal_name)
                )
            )
            return (
                [] if deal_id is None else _history(s, deal_id=deal_id, workspace_id=workspace_id)
            )

    def deal_names_of(self, *, workspace_id: int, rep_user_ids: Sequence[int]) -> list[str]:
        """The names of the deals these people have records of, for "did you mean"."""
        query = (
            select(Deal.name)
            .join(_WR, _WR.deal_id == Deal.id)
            .where(_WR.workspace_id == workspace_id, _WR.rep_user_id.in_(list(rep_user_ids)))
            .distinct()
        )
        with self._reads() as s:
            return sorted(s.scalars(query))

    def reps_managed_by(self, *, workspace_id: int, manager_user_id: int) -> list[int]:
        """The people whose manager this person is, in this workspace."""
        query = select(User.id).where(
            User.workspace_id == workspace_id, User.manager_user_id == manager_user_id
        )
        with self._reads() as s:
            return list(s.scalars(query))

    def mark_came_back(self, *, session_id: int, note: str, by_user_id: int | None) -> int | None:
        """The re-check ended in proceed: mark the earlier record re-engaged, with `note`.

        Returns the earlier record's id for the one call that marked it, None for every call
        after it (a retried job, another process) and for a session that is no re-check.
        """
        now = utcnow()
        with self._write() as s:
            previous = s.scalar(
                update(Recheck)
                .where(Recheck.session_id == session_id, Recheck.reengaged_at.is_(None))
                .values(reengaged_at=now)
                .returning(Recheck.previous_record_id)
            )
            if previous is None:
                return None
            record = q.record_row(s, previous, lock=True)
            s.add(
                RecordStatusChange(
                    record_id=previous,
                    workspace_id=record.workspace_id,
                    rep_user_id=record.rep_user_id,
                    status=RecordStatus.RE_ENGAGED,
                    note=note,
                    changed_by_user_id=by_user_id,
                    changed_at=now,
                )
            )
            record.status, record.updated_at = RecordStatus.RE_ENGAGED, now
            search.refresh(s, previous)
            return previous


def _history(s: Session, *, deal_id: int, workspace_id: int) -> list[HistoryItem]:
    query = (
        select(_WR, User.slack_user_id, Recheck.previous_record_id, _QS.channel_id, _QS.thread_ts)
        .join(User, User.id == _WR.rep_user_id)
        .join(_QS, _QS.id == _WR.session_id)
        .outerjoin(Recheck, Recheck.session_id == _WR.session_id)
        .where(_WR.deal_id == deal_id, _WR.workspace_id == workspace_id)
        .order_by(_WR.created_at, _WR.id)
    )
    return [
        HistoryItem(
            record_id=row.id,
            session_id=row.session_id,
            rep_user_id=row.rep_user_id,
            rep_slack_user_id=slack_id,
            outcome=Outcome(row.outcome),
            status=RecordStatus(row.status),
            created_at=row.created_at,
            previous_record_id=previous,
            channel_id=channel,
            thread_ts=thread,
        )
        for row, slack_id, previous, channel, thread in s.execute(query)
    ]
