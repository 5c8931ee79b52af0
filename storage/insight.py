"""Team numbers (issue 13): one query layer for every surface that shows them.

`store.insight.numbers(...)` computes, for a workspace, a set of reps (a manager's team, or one
rep) and a period [since, until), what a team can act on. Two kinds of figure, on purpose:

* about the period's checks: checks started (sessions begun in the period), checks finished
  (records created in it), their verdict mix and most frequent signals, the managers' final
  positions on those records (agree or override; Discuss is not a position), what overrides
  overrode to, the median days from the check's start to the position, and how many of those
  records were re-checks of an earlier record;
* about what happened in the period to any of their records, however old: comebacks (a record
  marked re-engaged in the period, counted once per record) and wins after a walk (a record
  whose verdict was not *proceed* marked won in the period); and re-checks due: open records
  whose re-check date is on or before the period's last day (overdue included).

Every figure reads an index on (workspace or rep, time): the cost follows the records of the
people and period asked about, not the records kept.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.orm import Session

from bot.domain.model import Outcome
from storage.base import StorePart
from storage.models import (
    Approval,
    Deal,
    QualificationSession,
    RecordStatusChange,
    RecordTag,
    User,
    WalkawayRecord,
)
from storage.recheck_models import Recheck
from storage.records import RecordStatus

TOP_SIGNALS = 5
NAMED = 5
"""Comebacks and wins named, newest first (the counts are whole)."""
_WR = WalkawayRecord
_QS = QualificationSession
_OUTCOMES = tuple(o.value for o in Outcome)
_POSITIONS = ("agree", "override")
_Named = tuple[int, str, str, str | None, str, datetime]


@dataclass(frozen=True)
class NamedRecord:
    """A record a surface names: a comeback or a win after a walk."""

    record_id: int
    deal_name: str
    rep_slack_id: str
    rep_name: str | None
    outcome: Outcome
    """The record's own verdict (what the team walked from)."""
    at: datetime
    """When it came back (or was won)."""


@dataclass(frozen=True)
class Numbers:
    """What a team can act on, for `rep_ids` (None: the whole workspace) over [since, until)."""

    workspace_id: int
    rep_ids: tuple[int, ...] | None
    since: datetime
    until: datetime
    checks_started: int
    """Qualification sessions begun in the period (finished or not)."""
    checks_finished: int
    """Records created in the period: checks that reached a verdict."""
    verdict_mix: tuple[tuple[Outcome, int], ...]
    """Every outcome, in Outcome's order, with the count of the period's records (zeros kept)."""
    top_signals: tuple[tuple[str, int], ...]
    """Up to TOP_SIGNALS signal ids (record tags, outcomes left out) on the period's records,
    most frequent first, ties by id; each counted once per record."""
    positions: int
    """Final manager positions (agree or override) on the period's records."""
    overrides: int
    overridden_to: tuple[tuple[Outcome, int], ...]
    """What the overrides asked for instead, most frequent first (ties in Outcome's order)."""
    median_days_to_position: float | None
    """Median days from the check's start to its position, over those positions; None: none."""
    rechecks_done: int
    """The period's records that re-check an earlier record."""
    rechecks_due: int
    """Open records whose re-check date is on or before the period's last day (overdue too)."""
    comebacks: int
    """Records marked re-engaged in the period (each once, however old the record)."""
    comeback_records: tuple[NamedRecord, ...]
    """The latest NAMED of them, newest first."""
    wins_after_walk: int
    """Records with a verdict other than proceed marked won in the period."""
    win_records: tuple[NamedRecord, ...]

    @property
    def override_share(self) -> float | None:
        """Overrides / positions, 0..1; None when no position was given."""
        return self.overrides / self.positions if self.positions else None

    @property
    def is_empty(self) -> bool:
        """Nothing at all to show: no check, no comeback, no win, nothing due."""
        return not (
            self.checks_started
            or self.checks_finished
            or self.comebacks
            or self.wins_after_walk
            or self.rechecks_due
        )


class Insight(StorePart):
    """`store.insight`: the numbers every insight surface shows (App Home, the digest)."""

    def team_rep_ids(self, *, workspace_id: int, manager_user_id: int) -> list[int]:
        """The people who name this person as their manager in this workspace, by id."""
        query = (
            select(User.id)
            .where(User.workspace_id == workspace_id, User.manager_user_id == manager_user_id)
            .order_by(User.id)
        )
        with self._reads() as s:
            return list(s.scalars(query))

    def numbers(
        self,
        *,
        workspace_id: int,
        rep_ids: Sequence[int] | None,
        since: datetime,
        until: datetime,
    ) -> Numbers:
        """The numbers of these reps (None: everyone in the workspace) over [since, until).

        An empty `rep_ids` (a manager with no reps) gives all zeros without a query.
        """
        reps = None if rep_ids is None else tuple(sorted(set(rep_ids)))
        if reps is not None and not reps:
            return _zero(workspace_id, reps, since, until)
        with self._reads() as s:
            return _numbers(s, workspace_id, reps, since, until)


def _zero(
    workspace_id: int, reps: tuple[int, ...] | None, since: datetime, until: datetime
) -> Numbers:
    return Numbers(
        workspace_id=workspace_id,
        rep_ids=reps,
        since=since,
        until=until,
        checks_started=0,
        checks_finished=0,
        verdict_mix=tuple((o, 0) for o in Outcome),
        top_signals=(),
        positions=0,
        overrides=0,
        overridden_to=(),
        median_days_to_position=None,
        rechecks_done=0,
        rechecks_due=0,
        comebacks=0,
        comeback_records=(),
        wins_after_walk=0,
        win_records=(),
    )


def _records(
    workspace_id: int, reps: tuple[int, ...] | None, since: datetime, until: datetime
) -> Select[int]:
    """The ids of the period's records of these reps."""
    query = select(_WR.id).where(
        _WR.workspace_id == workspace_id, _WR.created_at >= since, _WR.created_at < until
    )
    if reps is not None:
        query = query.where(_WR.rep_user_id.in_(reps))
    return query


def _numbers(
    s: Session, workspace_id: int, reps: tuple[int, ...] | None, since: datetime, until: datetime
) -> Numbers:
    started = select(func.count()).where(
        _QS.workspace_id == workspace_id, _QS.started_at >= since, _QS.started_at < until
    )
    if reps is not None:
        started = started.where(_QS.rep_user_id.in_(reps))
    period = _records(workspace_id, reps, since, until).subquery()
    mix_query = (
        select(_WR.outcome, func.count()).join(period, period.c.id == _WR.id).group_by(_WR.outcome)
    )
    mix = {str(outcome): int(n) for outcome, n in s.execute(mix_query)}
    signal_query = (
        select(RecordTag.tag, func.count(distinct(RecordTag.record_id)))
        .join(period, period.c.id == RecordTag.record_id)
        .where(RecordTag.tag.not_in(_OUTCOMES))
        .group_by(RecordTag.tag)
    )
    signals = sorted(
        ((str(tag), int(n)) for tag, n in s.execute(signal_query)), key=lambda t: (-t[1], t[0])
    )
    position_query = (
        select(Approval.decision, Approval.override_outcome, Approval.decided_at, _QS.started_at)
        .join(period, period.c.id == Approval.record_id)
        .join(_WR, _WR.id == Approval.record_id)
        .join(_QS, _QS.id == _WR.session_id)
        .where(Approval.decision.in_(_POSITIONS), Approval.decided_at.is_not(None))
    )
    positions = 0
    overridden: dict[Outcome, int] = {}
    days: list[float] = []
    for decision, override, decided_at, started_at in s.execute(position_query):
        positions += 1
        if decision == "override" and override in _OUTCOMES:
            overridden[Outcome(override)] = overridden.get(Outcome(override), 0) + 1
        if decided_at is not None:
            days.append(max(decided_at - started_at, timedelta()) / timedelta(days=1))
    order = list(Outcome)
    rechecks_done = s.scalar(
        select(func.count())
        .select_from(_WR)
        .join(period, period.c.id == _WR.id)
        .join(Recheck, Recheck.session_id == _WR.session_id)
    )
    due = select(func.count()).where(
        _WR.workspace_id == workspace_id,
        _WR.status == RecordStatus.OPEN.value,
        _WR.recheck_on.is_not(None),
        _WR.recheck_on < (until.date() + timedelta(days=1) if until.time() else until.date()),
    )
    if reps is not None:
        due = due.where(_WR.rep_user_id.in_(reps))
    comebacks, comeback_records = _changed(
        s, workspace_id, reps, since, until, RecordStatus.RE_ENGAGED, walks_only=False
    )
    wins, win_records = _changed(
        s, workspace_id, reps, since, until, RecordStatus.WON, walks_only=True
    )
    return Numbers(
        workspace_id=workspace_id,
        rep_ids=reps,
        since=since,
        until=until,
        checks_started=int(s.scalar(started) or 0),
        checks_finished=sum(mix.values()),
        verdict_mix=tuple((o, mix.get(o.value, 0)) for o in Outcome),
        top_signals=tuple(signals[:TOP_SIGNALS]),
        positions=positions,
        overrides=sum(overridden.values()),
        overridden_to=tuple(sorted(overridden.items(), key=lambda t: (-t[1], order.index(t[0])))),
        median_days_to_position=statistics.median(days) if days else None,
        rechecks_done=int(rechecks_done or 0),
        rechecks_due=int(s.scalar(due) or 0),
        comebacks=comebacks,
        comeback_records=comeback_records,
        wins_after_walk=wins,
        win_records=win_records,
    )


def _changed(
    s: Session,
    workspace_id: int,
    reps: tuple[int, ...] | None,
    since: datetime,
    until: datetime,
    status: RecordStatus,
    *,
    walks_only: bool,
) -> tuple[int, tuple[NamedRecord, ...]]:
    """Records (of these reps) changed to `status` in the period: how many, and the latest."""
    first = (
        select(RecordStatusChange.record_id, func.max(RecordStatusChange.changed_at).label("at"))
        .join(_WR, _WR.id == RecordStatusChange.record_id)
        .where(
            RecordStatusChange.status == status.value,
            RecordStatusChange.changed_at >= since,
            RecordStatusChange.changed_at < until,
            _WR.workspace_id == workspace_id,
        )
        .group_by(RecordStatusChange.record_id)
    )
    if reps is not None:
        first = first.where(_WR.rep_user_id.in_(reps))
    if walks_only:
        first = first.where(_WR.outcome != Outcome.PROCEED.value)
    changed = first.subquery()
    total = int(s.scalar(select(func.count()).select_from(changed)) or 0)
    if not total:
        return 0, ()
    named = (
        select(_WR.id, Deal.name, User.slack_user_id, User.display_name, _WR.outcome, changed.c.at)
        .join(changed, changed.c.record_id == _WR.id)
        .join(Deal, Deal.id == _WR.deal_id)
        .join(User, User.id == _WR.rep_user_id)
        .order_by(changed.c.at.desc(), _WR.id.desc())
        .limit(NAMED)
    )
    return total, tuple(
        NamedRecord(rid, deal, slack, name, Outcome(outcome), at)
        for rid, deal, slack, name, outcome, at in cast(list[_Named], s.execute(named).all())
    )
