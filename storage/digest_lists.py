"""The lists only the weekly digest shows, for one manager's reps (storage/digest.py's
`Digests.lists`): positions waiting, the week's walk-aways with their reasons, re-checks due,
comebacks and wins after a walk, reps with many checks and no walk or defer in 90 days, and
twelve weeks of verdicts for the chart.

Every read starts from the reps (a team, tens of people) through the indexes that lead with the
rep: records by (workspace, rep, created_at), re-checks by (rep, status, recheck_on), so the
cost follows the team's records, not the workspace's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain.model import Outcome
from storage.digest_info import DigestLists, Line, Listed, QuietRep, WeekMix
from storage.models import Approval, Deal, RecordStatusChange, User, VerdictRow, WalkawayRecord
from storage.records import RecordStatus

SHOWN = 8
"""Lines per list; the rest are counted ("and 4 more")."""
WALKS = (Outcome.WALK, Outcome.STOP_PILOT)
"""What the digest calls the week's walk-aways."""
STEPPED_BACK = (Outcome.WALK.value, Outcome.STOP_PILOT.value, Outcome.DEFER.value)
"""A rep whose checks include none of these in 90 days is one to review the pipeline with."""
QUIET_DAYS = 90
QUIET_MIN_CHECKS = 5
CHART_WEEKS = 12
RECHECK_AHEAD = timedelta(days=7)


def read_lists(
    s: Session, *, workspace_id: int, manager_user_id: int, end: datetime, today: date
) -> DigestLists:
    """The manager's digest for the week ending at `end` (`today` is their local date)."""
    week_start = end - timedelta(days=7)
    chart_start = end - timedelta(weeks=CHART_WEEKS)
    reps = list(
        s.scalars(
            select(User.id).where(
                User.workspace_id == workspace_id,
                User.manager_user_id == manager_user_id,
            )
        )
    )
    if not reps:
        empty = Listed((), 0)
        return DigestLists(0, empty, empty, empty, (), ())
    recent = s.execute(
        select(
            WalkawayRecord.id,
            WalkawayRecord.rep_user_id,
            WalkawayRecord.outcome,
            WalkawayRecord.created_at,
        ).where(
            WalkawayRecord.workspace_id == workspace_id,
            WalkawayRecord.rep_user_id.in_(reps),
            WalkawayRecord.created_at >= end - timedelta(days=QUIET_DAYS),
            WalkawayRecord.created_at < end,
        )
    ).all()
    week = [r for r in recent if r.created_at >= week_start]
    walks = sorted(
        (r for r in week if Outcome(r.outcome) in WALKS),
        key=lambda r: (r.created_at, r.id),
        reverse=True,
    )
    comebacks = _comebacks(s, workspace_id, reps, chart_start, end)
    return DigestLists(
        reps=len(reps),
        waiting=_waiting(s, manager_user_id, reps),
        walkaways=Listed(_lines(s, [r.id for r in walks[:SHOWN]]), len(walks)),
        rechecks_due=_rechecks(s, reps, today + RECHECK_AHEAD),
        quiet_reps=_quiet(s, recent),
        weeks=_weeks(recent, comebacks, chart_start),
    )


def _lines(
    s: Session, ids: Sequence[int], *, at: dict[int, datetime] | None = None
) -> tuple[Line, ...]:
    """The records named, in the order given, with their deal, rep and reasons."""
    if not ids:
        return ()
    rows = s.execute(
        select(
            WalkawayRecord.id,
            Deal.name,
            User.slack_user_id,
            WalkawayRecord.outcome,
            WalkawayRecord.created_at,
            WalkawayRecord.recheck_on,
            VerdictRow.data,
        )
        .join(Deal, Deal.id == WalkawayRecord.deal_id)
        .join(User, User.id == WalkawayRecord.rep_user_id)
        .join(VerdictRow, VerdictRow.id == WalkawayRecord.verdict_id)
        .where(WalkawayRecord.id.in_(ids))
    )
    found: dict[int, Line] = {}
    for row in rows:
        rid = int(row[0])
        found[rid] = Line(
            rid,
            str(row[1]),
            str(row[2]),
            Outcome(str(row[3])),
            (at or {}).get(rid) or row[4],
            _reasons(row[6]),
            row[5],
        )
    return tuple(found[i] for i in ids if i in found)


def _reasons(data: Any) -> tuple[str, ...]:
    reasons = data.get("reasons") if isinstance(data, dict) else None
    if not isinstance(reasons, list):
        return ()
    return tuple(str(r["text"]) for r in reasons if isinstance(r, dict) and r.get("text"))


def _waiting(s: Session, manager_user_id: int, reps: list[int]) -> Listed:
    """Positions asked of this manager on their reps' records and not given yet."""
    where = (
        Approval.approver_user_id == manager_user_id,
        Approval.decision.is_(None),
        WalkawayRecord.rep_user_id.in_(reps),
    )
    base = select(WalkawayRecord.id, Approval.requested_at).join(
        Approval, Approval.record_id == WalkawayRecord.id
    )
    rows = s.execute(base.where(*where).order_by(Approval.requested_at).limit(SHOWN)).all()
    total = len(rows)
    if total >= SHOWN:
        counted = (
            select(func.count())
            .select_from(WalkawayRecord)
            .join(Approval, Approval.record_id == WalkawayRecord.id)
        )
        total = int(s.scalar(counted.where(*where)) or 0)
    return Listed(_lines(s, [r[0] for r in rows], at={r[0]: r[1] for r in rows}), total)


def _rechecks(s: Session, reps: list[int], through: date) -> Listed:
    """Open records due for a look by `through`, overdue first (the due lists' index)."""
    where = (
        WalkawayRecord.rep_user_id.in_(reps),
        WalkawayRecord.status == RecordStatus.OPEN.value,
        WalkawayRecord.recheck_on <= through,
    )
    ids = list(
        s.scalars(
            select(WalkawayRecord.id)
            .where(*where)
            .order_by(WalkawayRecord.recheck_on, WalkawayRecord.id)
            .limit(SHOWN)
        )
    )
    total = len(ids)
    if total >= SHOWN:
        total = int(s.scalar(select(func.count()).select_from(WalkawayRecord).where(*where)) or 0)
    return Listed(_lines(s, ids), total)


def _comebacks(
    s: Session, workspace_id: int, reps: list[int], since: datetime, end: datetime
) -> list[datetime]:
    """When each of the reps' walked-from records first came back since `since` (the chart's
    marks; the week's named comebacks are the team numbers', storage/insight.py)."""
    first = (
        select(func.min(RecordStatusChange.changed_at))
        .join(WalkawayRecord, WalkawayRecord.id == RecordStatusChange.record_id)
        .where(
            WalkawayRecord.workspace_id == workspace_id,
            WalkawayRecord.rep_user_id.in_(reps),
            WalkawayRecord.outcome != Outcome.PROCEED.value,
            RecordStatusChange.status == RecordStatus.RE_ENGAGED.value,
            RecordStatusChange.changed_at >= since,
            RecordStatusChange.changed_at < end,
        )
        .group_by(RecordStatusChange.record_id)
    )
    return [at for at in s.scalars(first) if at is not None]


def _quiet(s: Session, recent: Sequence[Any]) -> tuple[QuietRep, ...]:
    checks: Counter[int] = Counter(r.rep_user_id for r in recent)
    stepped = {r.rep_user_id for r in recent if r.outcome in STEPPED_BACK}
    quiet = [rep for rep, n in checks.most_common() if n >= QUIET_MIN_CHECKS and rep not in stepped]
    if not quiet:
        return ()
    slack = dict(s.execute(select(User.id, User.slack_user_id).where(User.id.in_(quiet))).all())
    return tuple(QuietRep(slack[rep], checks[rep]) for rep in quiet if rep in slack)


def _weeks(
    recent: Sequence[Any], comebacks: list[datetime], start: datetime
) -> tuple[WeekMix, ...]:
    """Twelve seven-day buckets ending at the digest's moment, oldest first."""
    outcomes: list[Counter[Outcome]] = [Counter() for _ in range(CHART_WEEKS)]
    marks = [0] * CHART_WEEKS
    for r in recent:
        n = (r.created_at - start) // timedelta(days=7)
        if 0 <= n < CHART_WEEKS:
            outcomes[n][Outcome(r.outcome)] += 1
    for at in comebacks:
        n = (at - start) // timedelta(days=7)
        if 0 <= n < CHART_WEEKS:
            marks[n] += 1
    return tuple(
        WeekMix((start + timedelta(weeks=n)).date(), dict(outcomes[n]), marks[n])
        for n in range(CHART_WEEKS)
    )
