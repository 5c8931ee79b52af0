"""The export's query: a workspace's records of a period, in batches (`walkaway report`).

Sales ops pull every record of a quarter into a CRM, so a workspace may hand back hundreds of
thousands: the records come in batches by keyset (created_at, id), and each batch's manager
positions, tags, comebacks and re-check links arrive in one query apiece, never one per record.
Conditions come from `store.conditions.for_records`, which already batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Outcome
from storage.base import Repo
from storage.models import (
    Approval,
    Deal,
    RecordStatusChange,
    RecordTag,
    User,
    WalkawayRecord,
    Workspace,
)
from storage.recheck_models import Recheck
from storage.records import RecordStatus

BATCH = 500
"""Records per query: small enough to stream, large enough that round trips do not dominate."""

_WR = WalkawayRecord
_OUTCOMES = frozenset(o.value for o in Outcome)
"""The verdict's tags end with its outcome (bot/domain/verdict.py); the export lists signals."""


@dataclass(frozen=True)
class ReportRecord:
    """One record as the export shows it: plain values, no ORM row."""

    id: int
    deal_name: str
    rep_slack_id: str
    rep_name: str | None
    created_at: datetime
    outcome: Outcome
    status: RecordStatus
    recheck_on: date | None
    signals: tuple[str, ...] = ()
    """Fired signal ids and the earlier failure mode, sorted (the outcome tag left out)."""
    decision: str | None = None
    """The manager's position: 'agree' or 'override' (None: none given yet)."""
    decided_by: str | None = None
    """Slack id of whoever gave the position."""
    decided_at: datetime | None = None
    override_outcome: str | None = None
    reengaged_at: datetime | None = None
    """The first time the record came back (its status history), None if it never did."""
    rechecks_record: int | None = None
    """The earlier record this one re-checks (None: a first check)."""
    rechecked_by: tuple[int, ...] = ()
    """Later records that re-check this one, oldest first."""


_Position = tuple[str | None, str | None, datetime | None, str | None]
"""decision, decided by (Slack id), decided at, override outcome."""


class Reports(Repo):
    def workspace_of_team(self, *, team_id: str) -> int | None:
        """The stored workspace for a Slack team id, without creating one (None: never seen)."""
        with self._reads() as s:
            return s.scalar(select(Workspace.id).where(Workspace.team_id == team_id))

    def report_records(
        self,
        *,
        workspace_id: int,
        since: datetime | None = None,
        until: datetime | None = None,
        rep_user_ids: Sequence[int] | None = None,
        batch: int = BATCH,
    ) -> Iterator[list[ReportRecord]]:
        """The workspace's records created in [since, until), oldest first, `batch` at a time.

        `rep_user_ids` narrows it to those reps (a manager's team; an empty list finds nothing).
        Each batch is read in its own short session, so a long export holds no transaction.
        """
        if rep_user_ids is not None and not rep_user_ids:
            return
        after: tuple[datetime, int] | None = None
        while True:
            with self._reads() as s:
                found = _page(s, workspace_id, since, until, rep_user_ids, after, batch)
                if not found:
                    return
                ids = [r.id for r in found]
                tags = _tags(s, ids)
                positions = _positions(s, ids)
                comebacks = _comebacks(s, ids)
                later = _rechecked_by(s, ids)
            yield [
                _with(r, tags.get(r.id, ()), positions.get(r.id), comebacks.get(r.id), later)
                for r in found
            ]
            if len(found) < batch:
                return
            after = (found[-1].created_at, found[-1].id)


def _page(
    s: Session,
    workspace_id: int,
    since: datetime | None,
    until: datetime | None,
    reps: Sequence[int] | None,
    after: tuple[datetime, int] | None,
    batch: int,
) -> list[ReportRecord]:
    query = (
        select(_WR, Deal.name, User.slack_user_id, User.display_name, Recheck.previous_record_id)
        .join(Deal, Deal.id == _WR.deal_id)
        .join(User, User.id == _WR.rep_user_id)
        .outerjoin(Recheck, Recheck.session_id == _WR.session_id)
        .where(_WR.workspace_id == workspace_id)
        .order_by(_WR.created_at, _WR.id)
        .limit(batch)
    )
    if since is not None:
        query = query.where(_WR.created_at >= since)
    if until is not None:
        query = query.where(_WR.created_at < until)
    if reps is not None:
        query = query.where(_WR.rep_user_id.in_(list(reps)))
    if after is not None:
        at, record_id = after
        query = query.where(
            or_(_WR.created_at > at, and_(_WR.created_at == at, _WR.id > record_id))
        )
    return [
        ReportRecord(
            id=row.id,
            deal_name=deal,
            rep_slack_id=slack_id,
            rep_name=name,
            created_at=row.created_at,
            outcome=Outcome(row.outcome),
            status=RecordStatus(row.status),
            recheck_on=row.recheck_on,
            rechecks_record=previous,
        )
        for row, deal, slack_id, name, previous in s.execute(query)
    ]


def _tags(s: Session, ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Signals from the indexed tags table (its primary key), in id order."""
    found: dict[int, list[str]] = {}
    query = select(RecordTag.record_id, RecordTag.tag).where(RecordTag.record_id.in_(ids))
    for record_id, tag in s.execute(query.order_by(RecordTag.record_id, RecordTag.tag)):
        if tag not in _OUTCOMES:
            found.setdefault(record_id, []).append(tag)
    return {record_id: tuple(tags) for record_id, tags in found.items()}


def _positions(s: Session, ids: list[int]) -> dict[int, _Position]:
    decider = aliased(User)
    query = (
        select(
            Approval.record_id,
            Approval.decision,
            decider.slack_user_id,
            Approval.decided_at,
            Approval.override_outcome,
        )
        .outerjoin(decider, decider.id == Approval.decided_by_user_id)
        .where(
            Approval.record_id.in_(ids),
            Approval.decision.in_(("agree", "override")),
            Approval.decided_at.is_not(None),
        )
    )
    return {
        record_id: (decision, by, at, override)
        for record_id, decision, by, at, override in s.execute(query)
    }


def _comebacks(s: Session, ids: list[int]) -> dict[int, datetime]:
    query = (
        select(RecordStatusChange.record_id, func.min(RecordStatusChange.changed_at))
        .where(
            RecordStatusChange.record_id.in_(ids),
            RecordStatusChange.status == RecordStatus.RE_ENGAGED.value,
        )
        .group_by(RecordStatusChange.record_id)
    )
    return {record_id: at for record_id, at in s.execute(query)}


def _rechecked_by(s: Session, ids: list[int]) -> dict[int, tuple[int, ...]]:
    query = (
        select(Recheck.previous_record_id, _WR.id)
        .join(_WR, _WR.session_id == Recheck.session_id)
        .where(Recheck.previous_record_id.in_(ids))
        .order_by(Recheck.previous_record_id, _WR.created_at, _WR.id)
    )
    found: dict[int, list[int]] = {}
    for previous, record_id in s.execute(query):
        found.setdefault(previous, []).append(record_id)
    return {previous: tuple(later) for previous, later in found.items()}


def _with(
    record: ReportRecord,
    signals: tuple[str, ...],
    position: _Position | None,
    reengaged_at: datetime | None,
    later: dict[int, tuple[int, ...]],
) -> ReportRecord:
    decision, by, at, override = position or (None, None, None, None)
    return replace(
        record,
        signals=signals,
        decision=decision,
        decided_by=by,
        decided_at=at,
        override_outcome=override,
        reengaged_at=reengaged_at,
        rechecked_by=later.get(record.id, ()),
    )
