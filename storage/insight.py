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
from datetime import datetime, time, timedelta
from functools import cache
from typing import Any, cast

from sqlalchemy import Date, Select, and_, bindparam, distinct, func, select
from sqlalchemy.orm import Session

from bot.domain.model import Outcome
from storage import insight_models  # noqa: F401  (the indexes these queries read)
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
_CHANGES = (RecordStatus.RE_ENGAGED.value, RecordStatus.WON.value)


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

    def asked_for_positions(self, *, approver_user_id: int) -> bool:
        """Whether this person was ever asked for a position (a manager, or one once)."""
        query = select(Approval.id).where(Approval.approver_user_id == approver_user_id).limit(1)
        with self._reads() as s:
            return s.scalar(query) is not None

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


@dataclass(frozen=True)
class _Statements:
    """The numbers' statements, built once per shape (a list of reps, or the whole workspace)
    with bound parameters: building a select costs SQLAlchemy more than running these does."""

    counts: Select[int, int]
    """Checks started in the period; open records due by its last day."""
    mix: Select[*tuple[int, ...]]
    """The period's records, how many are re-checks, then the records of each outcome (one row)."""
    signals: Select[str, int]
    positions: Select[str | None, str | None, datetime | None, datetime]
    changes: Select[int, str, datetime]
    """Comebacks and wins in the period: record, status, the latest change."""
    outcomes: Select[int, str]
    named: Select[int, str, str, str | None, str]


def _in_scope(table: Any, with_reps: bool) -> Any:
    where = table.workspace_id == bindparam("workspace")
    if with_reps:
        where = and_(where, table.rep_user_id.in_(bindparam("reps", expanding=True)))
    return where


@cache
def _statements(with_reps: bool) -> _Statements:
    in_period = and_(
        _in_scope(_WR, with_reps),
        _WR.created_at >= bindparam("since", type_=_WR.created_at.type),
        _WR.created_at < bindparam("until", type_=_WR.created_at.type),
    )
    started = select(func.count()).where(
        _in_scope(_QS, with_reps),
        _QS.started_at >= bindparam("since", type_=_QS.started_at.type),
        _QS.started_at < bindparam("until", type_=_QS.started_at.type),
    )
    # For a list of reps, the reps alone (each user belongs to one workspace): with the
    # workspace's term too, SQLite (no statistics: the app runs no ANALYZE) reads every record
    # of each rep by (workspace, rep) instead of the reps' open re-checks by (rep, status,
    # recheck_on): 733 ms against 4 ms for a 50-rep team at 1,000,000 records.
    scope = (
        _WR.rep_user_id.in_(bindparam("reps", expanding=True))
        if with_reps
        else _WR.workspace_id == bindparam("workspace")
    )
    due = select(func.count()).where(
        scope,
        _WR.status == RecordStatus.OPEN.value,
        _WR.recheck_on.is_not(None),
        _WR.recheck_on < bindparam("due_before", type_=Date()),
    )
    period = select(_WR.id).where(in_period).subquery()
    changed_at = func.max(RecordStatusChange.changed_at)
    return _Statements(
        counts=select(started.scalar_subquery(), due.scalar_subquery()),
        # One row of filtered counts, not GROUP BY outcome: SQLite (no statistics) would read
        # the whole workspace's records by (workspace, outcome, created) to get them grouped
        # for free, instead of the team's by (workspace, rep, created): 100 ms against 6 for
        # a 10-rep team at 1,000,000 records.
        mix=select(
            func.count(),
            func.count(Recheck.session_id),
            *(func.count().filter(_WR.outcome == o) for o in _OUTCOMES),
        )
        .outerjoin(Recheck, Recheck.session_id == _WR.session_id)
        .where(in_period),
        signals=select(RecordTag.tag, func.count(distinct(RecordTag.record_id)))
        .join(period, period.c.id == RecordTag.record_id)
        .where(RecordTag.tag.not_in(_OUTCOMES))
        .group_by(RecordTag.tag),
        positions=select(
            Approval.decision, Approval.override_outcome, Approval.decided_at, _QS.started_at
        )
        .join(_WR, _WR.id == Approval.record_id)
        .join(_QS, _QS.id == _WR.session_id)
        .where(in_period, Approval.decision.in_(_POSITIONS), Approval.decided_at.is_not(None)),
        # Each change carries its record's workspace and rep (migration 0022): a team's are one
        # range of ix_record_status_changes_workspace_rep_status_at per rep and status, however
        # long the period and however many records the team or the workspace has.
        changes=select(RecordStatusChange.record_id, RecordStatusChange.status, changed_at)
        .where(
            _in_scope(RecordStatusChange, with_reps),
            RecordStatusChange.status.in_(_CHANGES),
            RecordStatusChange.changed_at >= bindparam("since", type_=changed_at.type),
            RecordStatusChange.changed_at < bindparam("until", type_=changed_at.type),
        )
        .group_by(RecordStatusChange.record_id, RecordStatusChange.status),
        outcomes=select(_WR.id, _WR.outcome).where(_WR.id.in_(bindparam("ids", expanding=True))),
        named=select(_WR.id, Deal.name, User.slack_user_id, User.display_name, _WR.outcome)
        .join(Deal, Deal.id == _WR.deal_id)
        .join(User, User.id == _WR.rep_user_id)
        .where(_WR.id.in_(bindparam("ids", expanding=True))),
    )


def _numbers(
    s: Session, workspace_id: int, reps: tuple[int, ...] | None, since: datetime, until: datetime
) -> Numbers:
    q = _statements(reps is not None)
    conn = s.connection()  # Core, not the ORM: Home reads these on every view
    params: dict[str, Any] = {"workspace": workspace_id, "since": since, "until": until}
    if reps is not None:
        params["reps"] = list(reps)
    last_day = until.date() if until.time() == time() else until.date() + timedelta(days=1)
    started, due = conn.execute(q.counts, {**params, "due_before": last_day}).one()
    finished, rechecks_done, *per_outcome = cast("Sequence[int]", conn.execute(q.mix, params).one())
    mix = dict(zip(_OUTCOMES, per_outcome, strict=True))
    signals = sorted(
        ((str(tag), int(n)) for tag, n in conn.execute(q.signals, params)),
        key=lambda t: (-t[1], t[0]),
    )
    positions = 0
    overridden: dict[Outcome, int] = {}
    days: list[float] = []
    for decision, override, decided_at, started_at in conn.execute(q.positions, params):
        positions += 1
        if decision == "override" and override in _OUTCOMES:
            overridden[Outcome(override)] = overridden.get(Outcome(override), 0) + 1
        if decided_at is not None:
            days.append(max(decided_at - started_at, timedelta()) / timedelta(days=1))
    comebacks: list[tuple[datetime, int]] = []
    wins: list[tuple[datetime, int]] = []
    won: list[tuple[datetime, int]] = []
    for record_id, status, at in conn.execute(q.changes, params):
        (comebacks if status == RecordStatus.RE_ENGAGED.value else won).append((at, record_id))
    if won:  # a win after a walk: the record's verdict was not proceed
        walks = {
            rid
            for rid, outcome in conn.execute(q.outcomes, {"ids": [rid for _, rid in won]})
            if outcome != Outcome.PROCEED.value
        }
        wins = [(at, rid) for at, rid in won if rid in walks]
    comebacks.sort(reverse=True)
    wins.sort(reverse=True)
    latest = {rid: at for at, rid in [*comebacks[:NAMED], *wins[:NAMED]]}
    names = {}
    if latest:
        for rid, deal, slack, name, outcome in conn.execute(q.named, {"ids": list(latest)}):
            names[rid] = NamedRecord(rid, deal, slack, name, Outcome(outcome), latest[rid])
    order = list(Outcome)
    return Numbers(
        workspace_id=workspace_id,
        rep_ids=reps,
        since=since,
        until=until,
        checks_started=int(started or 0),
        checks_finished=int(finished),
        verdict_mix=tuple((o, int(mix[o.value])) for o in Outcome),
        top_signals=tuple(signals[:TOP_SIGNALS]),
        positions=positions,
        overrides=sum(overridden.values()),
        overridden_to=tuple(sorted(overridden.items(), key=lambda t: (-t[1], order.index(t[0])))),
        median_days_to_position=statistics.median(days) if days else None,
        rechecks_done=int(rechecks_done),
        rechecks_due=int(due or 0),
        comebacks=len(comebacks),
        comeback_records=tuple(names[rid] for _, rid in comebacks[:NAMED] if rid in names),
        wins_after_walk=len(wins),
        win_records=tuple(names[rid] for _, rid in wins[:NAMED] if rid in names),
    )
