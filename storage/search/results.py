"""What a search asks (SearchCriteria) and returns (SearchPage of SearchHit), and the one query
that loads hits with their rep, manager and position."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Select,
    select,
)
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Outcome
from bot.domain.search_query import STOP_WORDS
from storage.approval_info import Decision
from storage.models import (
    Approval,
    Deal,
    QualificationSession,
    User,
    VerdictRow,
    WalkawayRecord,
)
from storage.records import RecordStatus

_R = WalkawayRecord


@dataclass(frozen=True)
class SearchCriteria:
    """Words (all must match) and filters (any value of one kind, every kind given)."""

    words: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    rep_slack_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    """Inclusive, in UTC days."""

    def terms(self) -> list[str]:
        """The words worth searching: stop words match nearly everything and are dropped."""
        terms = [w.casefold() for w in self.words if any(ch.isalnum() for ch in w)]
        return [t for t in dict.fromkeys(terms) if t not in STOP_WORDS]


@dataclass(frozen=True)
class ManagerDecision:
    decision: str
    """A final position: agree or override (storage.models.Approval)."""
    decided_by: str | None
    decided_at: datetime | None
    override_outcome: Outcome | None
    reason: str | None


@dataclass(frozen=True)
class ManagerDiscussion:
    """A Discuss with no final position after it yet (storage.approvals.ApprovalInfo.discussing)."""

    started_by: str | None
    """Slack user id of whoever clicked Discuss first."""
    started_at: datetime


@dataclass(frozen=True)
class SearchHit:
    """One record as a search result shows it."""

    id: int
    deal_name: str
    rep_slack_user_id: str
    rep_manager_slack_id: str | None
    """The rep's manager now: with the rep, the only person who may change the status."""
    outcome: Outcome
    status: RecordStatus
    created_at: datetime
    recheck_on: date | None
    record_line: str
    reasons: tuple[str, ...]
    conditions: tuple[str, ...]
    decision: ManagerDecision | None
    """None until a manager has taken a final position (no approval asked for, still pending,
    or under discussion)."""
    channel_id: str | None
    thread_ts: str | None
    """The qualification thread, for a permalink."""
    discussion: ManagerDiscussion | None = None
    """Set while the approval is under discussion: a Discuss, and no final position yet."""


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    page: int
    page_size: int
    total: int
    """Matches counted, at most WINDOW."""
    capped: bool
    """More than WINDOW records matched; only the newest WINDOW were ranked (unless ranked_all)."""
    ranked_all: bool = False
    """Every match was ranked, however many (PostgreSQL); only the count stopped (at pg.COUNT)."""

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


_Rep = aliased(User, name="rep")
_Manager = aliased(User, name="manager")
_Decider = aliased(User, name="decider")
_Discusser = aliased(User, name="discusser")
_QS = QualificationSession
_FINAL = frozenset(decision.value for decision in Decision)
"""Final positions; a row holding 'discuss' was written before migration 0005 (see
storage.approvals.LEGACY_DISCUSS) and reads as an open discussion, as it does there."""


def _hits_query() -> Select[Any]:
    return (
        select(
            _R,
            Deal.name,
            _Rep.slack_user_id,
            _Manager.slack_user_id,
            VerdictRow.record_line,
            VerdictRow.data,
            _QS.channel_id,
            _QS.thread_ts,
            Approval.decision,
            _Decider.slack_user_id,
            Approval.decided_at,
            Approval.override_outcome,
            Approval.reason,
            _Discusser.slack_user_id,
            Approval.discussion_started_at,
        )
        .join(Deal, Deal.id == _R.deal_id)
        .join(_Rep, _Rep.id == _R.rep_user_id)
        .outerjoin(_Manager, _Manager.id == _Rep.manager_user_id)
        .join(VerdictRow, VerdictRow.id == _R.verdict_id)
        .join(_QS, _QS.id == _R.session_id)
        .outerjoin(Approval, Approval.record_id == _R.id)
        .outerjoin(_Decider, _Decider.id == Approval.decided_by_user_id)
        .outerjoin(_Discusser, _Discusser.id == Approval.discussion_by_user_id)
    )


def hits(s: Session, *, workspace_id: int, record_ids: Sequence[int]) -> list[SearchHit]:
    """The records, in the order given, that belong to this workspace (others are dropped)."""
    if not record_ids:
        return []
    # The workspace is checked on the rows, not in SQL: given `workspace_id = ?`, SQLite's
    # planner (without statistics) would walk a whole workspace's index instead of five ids.
    query = _hits_query().where(_R.id.in_(record_ids))
    found = {
        row[0].id: _hit(row) for row in s.execute(query) if row[0].workspace_id == workspace_id
    }
    return [found[i] for i in record_ids if i in found]


def _position(
    decision: str | None,
    by: str | None,
    at: datetime | None,
    override: str | None,
    why: str | None,
    talker: str | None,
    talked_at: datetime | None,
) -> tuple[ManagerDecision | None, ManagerDiscussion | None]:
    """The approval's final position, or else its open discussion; neither while pending."""
    if decision is not None and decision in _FINAL:
        final = ManagerDecision(
            decision=decision,
            decided_by=by,
            decided_at=at,
            override_outcome=Outcome(override) if override else None,
            reason=why,
        )
        return final, None
    if decision is not None:  # a legacy Discuss: who clicked it and when were stored as decided
        talker, talked_at = talker or by, talked_at or at
    if talked_at is None:
        return None, None
    return None, ManagerDiscussion(started_by=talker, started_at=talked_at)


def _hit(row: Any) -> SearchHit:
    (record, deal, rep, manager, line, data, channel, thread, *approval) = row
    decision, discussion = _position(*approval)
    return SearchHit(
        id=record.id,
        deal_name=deal,
        rep_slack_user_id=rep,
        rep_manager_slack_id=manager,
        outcome=Outcome(record.outcome),
        status=RecordStatus(record.status),
        created_at=record.created_at,
        recheck_on=record.recheck_on,
        record_line=line,
        reasons=tuple(r["text"] for r in data.get("reasons", ())),
        conditions=tuple(c["text"] for c in data.get("conditions", ())),
        decision=decision,
        channel_id=channel,
        thread_ts=thread,
        discussion=discussion,
    )
