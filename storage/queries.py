"""Query and conversion helpers for the Store: each takes an open Session and never commits.

Kept apart from repository.py so the Store reads as the list of things the app may do, and
these as how each is done.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, inspect, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.model import Outcome
from storage.errors import InvalidValueError, NotFoundError, SessionNotOpenError
from storage.models import (
    Answer,
    Deal,
    QualificationSession,
    RecordStatusChange,
    User,
    VerdictRow,
    WalkawayRecord,
)
from storage.records import (
    AnswerInfo,
    RecordStatus,
    RecordSummary,
    SessionInfo,
    SessionStatus,
    StatusChangeInfo,
)

_Row = TypeVar("_Row")
_QS = QualificationSession


def name_key(name: str) -> str:
    """The identity of a deal name: 'Acme  Corp ' and 'acme corp' are the same deal."""
    return " ".join(name.split()).casefold()


def insert_or_get(s: Session, row: _Row, query: Select[_Row]) -> _Row:
    """Insert `row`, or, if a concurrent writer won a unique constraint, return theirs."""
    try:
        with s.begin_nested():
            s.add(row)
    except IntegrityError:
        existing = s.scalars(query).one_or_none()
        if existing is None:  # not a lost race: a foreign key or other rule was broken
            raise
        return existing
    return row


def check_value(value: object) -> None:
    # bool is an int to Python but would come back as JSON true; NaN is not valid JSON.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValueError(f"an answer is text or a number, not {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValueError(f"an answer must be a finite number, not {value}")


def session_row(s: Session, session_id: int, *, lock: bool = False) -> QualificationSession:
    query = select(_QS).where(_QS.id == session_id)
    row = s.scalar(query.with_for_update() if lock else query)
    if row is None:
        raise NotFoundError(f"no qualification session {session_id}")
    return row


def require_open(row: QualificationSession) -> None:
    if row.status != SessionStatus.OPEN:
        raise SessionNotOpenError(row.id, row.status)


def record_row(s: Session, record_id: int, *, lock: bool = False) -> WalkawayRecord:
    query = select(WalkawayRecord).where(WalkawayRecord.id == record_id)
    record = s.scalar(query.with_for_update() if lock else query)
    if record is None:
        raise NotFoundError(f"no walk-away record {record_id}")
    return record


def current(session_id: int) -> tuple[Any, ...]:
    return (Answer.session_id == session_id, Answer.superseded_at.is_(None))


def supersede(
    s: Session, session_id: int, now: datetime, *, question_ids: Sequence[str] | None = None
) -> None:
    query = update(Answer).where(*current(session_id)).values(superseded_at=now)
    if question_ids is not None:
        query = query.where(Answer.question_id.in_(set(question_ids)))
    s.execute(query)


def sessions_with_deal() -> Select[QualificationSession, str]:
    return select(_QS, Deal.name).join(Deal, Deal.id == _QS.deal_id)


def session_info(
    row: QualificationSession, deal_name: str, *, resumed: bool = False
) -> SessionInfo:
    return SessionInfo(
        id=row.id,
        workspace_id=row.workspace_id,
        deal_id=row.deal_id,
        deal_name=deal_name,
        rep_user_id=row.rep_user_id,
        status=SessionStatus(row.status),
        checklist_hash=row.checklist_hash,
        checklist_snapshot=(
            None if "checklist_snapshot" in inspect(row).unloaded else row.checklist_snapshot
        ),
        channel_id=row.channel_id,
        thread_ts=row.thread_ts,
        started_at=row.started_at,
        updated_at=row.updated_at,
        prompt_ts=row.prompt_ts,
        resumed=resumed,
        revision=row.revision,
    )


def answer_history(s: Session, session_id: int) -> list[AnswerInfo]:
    query = (
        select(Answer, User.slack_user_id)
        .join(User, User.id == Answer.answered_by_user_id)
        .where(Answer.session_id == session_id)
        .order_by(Answer.id)
    )
    return [
        AnswerInfo(
            question_id=a.question_id,
            value=a.value,
            note=a.note,
            answered_by=slack_id,
            answered_at=a.answered_at,
            question_text=a.question_text,
            superseded_at=a.superseded_at,
            message_ts=a.message_ts,
        )
        for a, slack_id in s.execute(query)
    ]


def status_history(s: Session, record_id: int) -> list[StatusChangeInfo]:
    query = (
        select(RecordStatusChange, User.slack_user_id)
        .outerjoin(User, User.id == RecordStatusChange.changed_by_user_id)
        .where(RecordStatusChange.record_id == record_id)
        .order_by(RecordStatusChange.id)
    )
    return [
        StatusChangeInfo(
            status=RecordStatus(c.status), note=c.note, changed_by=who, changed_at=c.changed_at
        )
        for c, who in s.execute(query)
    ]


def records() -> Select[WalkawayRecord, str, str, str]:
    return (
        select(WalkawayRecord, Deal.name, User.slack_user_id, VerdictRow.record_line)
        .join(Deal, Deal.id == WalkawayRecord.deal_id)
        .join(User, User.id == WalkawayRecord.rep_user_id)
        .join(VerdictRow, VerdictRow.id == WalkawayRecord.verdict_id)
    )


def summary(record: WalkawayRecord, deal_name: str, rep: str, record_line: str) -> RecordSummary:
    return RecordSummary(
        id=record.id,
        deal_name=deal_name,
        rep_slack_user_id=rep,
        outcome=Outcome(record.outcome),
        status=RecordStatus(record.status),
        created_at=record.created_at,
        recheck_on=record.recheck_on,
        record_line=record_line,
    )
