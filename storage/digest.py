"""The weekly digest (`store.digest`): the workspace's digest setting, the claim that sends each
manager's digest once a week whichever process gets there first, its steps, and the lists only
the digest shows (positions waiting, the week's walk-aways with reasons, re-checks due,
comebacks and wins, reps with many checks and no walk or defer, twelve weeks of verdicts).

The claim is an insert of (manager, ISO week) into `digest_sends`, whose primary key lets one
process win; the job that sends it is queued after, and a claim whose job never got queued (its
process died in between) is queued again under the same job key by the next sweep.

A digest reads one manager's reps (a team, tens of people), through the indexes that start with
the rep: the records of the last 90 days by (workspace, rep, created_at), re-checks by (rep,
status, recheck_on), so its cost follows the team's records, not the workspace's.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.domain.digest_time import DigestSettings, DigestSettingsProblem
from bot.domain.model import Outcome
from storage.base import StorePart
from storage.digest_info import (
    DigestClaim,
    DigestInfo,
    DigestLists,
    DigestManager,
    Line,
    Listed,
    QuietRep,
    WeekMix,
)
from storage.digest_models import DigestSend
from storage.errors import NotFoundError
from storage.models import (
    Approval,
    Deal,
    RecordStatusChange,
    User,
    VerdictRow,
    WalkawayRecord,
    Workspace,
)
from storage.nudge_models import UserProfile
from storage.records import RecordStatus

SETTINGS_KEY = "digest"
"""Our key in workspaces.settings (approvals and the path back keep theirs beside it)."""
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


def _settings_in(blob: Any) -> DigestSettings:
    mine = blob.get(SETTINGS_KEY) if isinstance(blob, dict) else None
    if not isinstance(mine, dict):
        return DigestSettings()
    try:
        return DigestSettings(
            enabled=mine.get("on") is True,
            weekday=int(mine.get("weekday", 0)),
            hour=int(mine.get("hour", 9)),
        )
    except (TypeError, ValueError, DigestSettingsProblem):
        return DigestSettings()  # a hand-edited blob out of range reads as off


class Digests(StorePart):
    """Reached as `store.digest`; shares the Store's session factories and their locking."""

    # -- the setting ---------------------------------------------------------------------------

    def settings(self, *, workspace_id: int) -> DigestSettings:
        with self._reads() as s:
            return _settings_in(
                s.scalar(select(Workspace.settings).where(Workspace.id == workspace_id))
            )

    def save_settings(self, *, workspace_id: int, settings: DigestSettings) -> None:
        """Replace our key only, under a row lock, so another feature's settings survive."""
        mine = {"on": settings.enabled, "weekday": settings.weekday, "hour": settings.hour}
        with self._write() as s:
            row = s.scalar(select(Workspace).where(Workspace.id == workspace_id).with_for_update())
            if row is None:
                raise NotFoundError(f"no workspace {workspace_id}")
            row.settings = {**(row.settings or {}), SETTINGS_KEY: mine}

    def enabled_workspaces(self) -> list[tuple[int, DigestSettings]]:
        """Workspaces that send the digest. A deployment serves a handful of workspaces, so
        their settings are read whole rather than indexed inside JSON."""
        with self._reads() as s:
            found = [(int(row[0]), _settings_in(row[1])) for row in s.execute(_WORKSPACES)]
        return [(wid, settings) for wid, settings in found if settings.enabled]

    def managers(self, *, workspace_id: int) -> list[DigestManager]:
        """Everyone someone in the workspace names as their manager, with what Slack told us."""
        named = (
            select(User.manager_user_id)
            .where(User.workspace_id == workspace_id, User.manager_user_id.is_not(None))
            .distinct()
        )
        query = (
            select(User.id, User.slack_user_id, UserProfile.tz, UserProfile.user_id)
            .add_columns(UserProfile.deactivated)
            .outerjoin(UserProfile, UserProfile.user_id == User.id)
            .where(User.id.in_(named))
            .order_by(User.id)
        )
        with self._reads() as s:
            return [
                DigestManager(int(r[0]), str(r[1]), r[2], r[3] is not None, bool(r[4]))
                for r in s.execute(query)
            ]

    # -- the claim and its steps ---------------------------------------------------------------

    def claim(self, *, claims: Sequence[DigestClaim], at: datetime) -> list[DigestClaim]:
        """Insert each (manager, week) unless someone has; returns the ones this call won."""
        if not claims:
            return []
        with self._write() as s:
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            table = cast(Table, DigestSend.__table__)
            statement = (
                insert(table)
                .on_conflict_do_nothing(index_elements=["manager_user_id", "week"])
                .returning(table.c.manager_user_id, table.c.week)
            )
            rows = [
                {
                    "manager_user_id": c.manager_user_id,
                    "week": c.week,
                    "workspace_id": c.workspace_id,
                    "job_key": c.job_key,
                    "due_at": c.due_at,
                    "claimed_at": at,
                }
                for c in claims
            ]
            taken = {(m, w) for m, w in s.execute(statement, rows)}
        return [c for c in claims if (c.manager_user_id, c.week) in taken]

    def mark_queued(self, *, claims: Sequence[DigestClaim], at: datetime) -> None:
        with self._write() as s:
            for c in claims:
                s.execute(
                    _where(update(DigestSend), c.manager_user_id, c.week).values(queued_at=at)
                )

    def unqueued(self, *, claimed_before: datetime, limit: int = 200) -> list[DigestClaim]:
        """Claims whose job was never queued (the claimer died in between), oldest first."""
        query = (
            select(
                DigestSend.manager_user_id,
                DigestSend.week,
                DigestSend.workspace_id,
                DigestSend.job_key,
                DigestSend.due_at,
            )
            .where(DigestSend.queued_at.is_(None), DigestSend.claimed_at < claimed_before)
            .order_by(DigestSend.claimed_at)
            .limit(limit)
        )
        with self._reads() as s:
            return [DigestClaim(*row) for row in s.execute(query)]

    def get(self, *, manager_user_id: int, week: str) -> DigestInfo | None:
        with self._reads() as s:
            row = s.get(DigestSend, (manager_user_id, week))
            return _info(row) if row is not None else None

    def mark(self, *, manager_user_id: int, week: str, **values: Any) -> None:
        """Record a step: `channel_id`/`ts` (posted), `chart_started_at`, `chart_file_id`,
        `sent_at`, `ended`."""
        allowed = {"channel_id", "ts", "chart_started_at", "chart_file_id", "sent_at", "ended"}
        if not values or set(values) - allowed:
            raise ValueError(f"not a digest step: {sorted(set(values) - allowed)}")
        with self._write() as s:
            s.execute(_where(update(DigestSend), manager_user_id, week).values(**values))

    # -- what the digest shows -----------------------------------------------------------------

    def lists(
        self, *, workspace_id: int, manager_user_id: int, end: datetime, today: date
    ) -> DigestLists:
        """The manager's digest for the week ending at `end` (`today` is their local date)."""
        week_start = end - timedelta(days=7)
        chart_start = end - timedelta(weeks=CHART_WEEKS)
        with self._reads() as s:
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
                return DigestLists(0, empty, empty, {}, empty, empty, empty, (), ())
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
            changes = _changes(s, reps, chart_start, end)
            return DigestLists(
                reps=len(reps),
                waiting=_waiting(s, manager_user_id, reps),
                walkaways=Listed(_lines(s, [r.id for r in walks[:SHOWN]]), len(walks)),
                other_verdicts=dict(
                    Counter(
                        Outcome(r.outcome) for r in week if Outcome(r.outcome) not in WALKS
                    ).most_common()
                ),
                rechecks_due=_rechecks(s, reps, today + RECHECK_AHEAD),
                comebacks=_changed(s, changes, RecordStatus.RE_ENGAGED, week_start),
                wins=_changed(s, changes, RecordStatus.WON, week_start),
                quiet_reps=_quiet(s, recent),
                weeks=_weeks(recent, changes, chart_start),
            )


_WORKSPACES = select(Workspace.id, Workspace.settings)


def _where(statement: Any, manager_user_id: int, week: str) -> Any:
    return statement.where(DigestSend.manager_user_id == manager_user_id, DigestSend.week == week)


def _info(row: DigestSend) -> DigestInfo:
    return DigestInfo(
        manager_user_id=row.manager_user_id,
        week=row.week,
        workspace_id=row.workspace_id,
        job_key=row.job_key,
        due_at=row.due_at,
        queued_at=row.queued_at,
        channel_id=row.channel_id,
        ts=row.ts,
        chart_started_at=row.chart_started_at,
        chart_file_id=row.chart_file_id,
        sent_at=row.sent_at,
        ended=row.ended,
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


def _changes(
    s: Session, reps: list[int], since: datetime, end: datetime
) -> list[tuple[int, str, datetime, str]]:
    """(record, status, when, outcome) of comebacks and wins on the reps' records since `since`."""
    rows = s.execute(
        select(
            RecordStatusChange.record_id,
            RecordStatusChange.status,
            RecordStatusChange.changed_at,
            WalkawayRecord.outcome,
        )
        .join(WalkawayRecord, WalkawayRecord.id == RecordStatusChange.record_id)
        .where(
            WalkawayRecord.rep_user_id.in_(reps),
            RecordStatusChange.status.in_((RecordStatus.RE_ENGAGED.value, RecordStatus.WON.value)),
            RecordStatusChange.changed_at >= since,
            RecordStatusChange.changed_at < end,
        )
    )
    return [(r, st, at, o) for r, st, at, o in rows if o != Outcome.PROCEED.value]


def _changed(
    s: Session,
    changes: list[tuple[int, str, datetime, str]],
    status: RecordStatus,
    since: datetime,
) -> Listed:
    """Records that first reached `status` in the week (a record counts once), newest first."""
    first: dict[int, datetime] = {}
    for record, st, at, _ in changes:
        if st == status.value and (record not in first or at < first[record]):
            first[record] = at
    week = sorted((r for r, at in first.items() if at >= since), key=lambda r: first[r])
    week.reverse()
    return Listed(_lines(s, week[:SHOWN], at=first), len(week))


def _quiet(s: Session, recent: Sequence[Any]) -> tuple[QuietRep, ...]:
    checks: Counter[int] = Counter(r.rep_user_id for r in recent)
    stepped = {r.rep_user_id for r in recent if r.outcome in STEPPED_BACK}
    quiet = [rep for rep, n in checks.most_common() if n >= QUIET_MIN_CHECKS and rep not in stepped]
    if not quiet:
        return ()
    slack = dict(s.execute(select(User.id, User.slack_user_id).where(User.id.in_(quiet))).all())
    return tuple(QuietRep(slack[rep], checks[rep]) for rep in quiet if rep in slack)


def _weeks(
    recent: Sequence[Any], changes: list[tuple[int, str, datetime, str]], start: datetime
) -> tuple[WeekMix, ...]:
    """Twelve seven-day buckets ending at the digest's moment, oldest first."""
    outcomes: list[Counter[Outcome]] = [Counter() for _ in range(CHART_WEEKS)]
    comebacks = [0] * CHART_WEEKS
    for r in recent:
        n = (r.created_at - start) // timedelta(days=7)
        if 0 <= n < CHART_WEEKS:
            outcomes[n][Outcome(r.outcome)] += 1
    for _, status, at, _ in changes:
        n = (at - start) // timedelta(days=7)
        if status == RecordStatus.RE_ENGAGED.value and 0 <= n < CHART_WEEKS:
            comebacks[n] += 1
    return tuple(
        WeekMix((start + timedelta(weeks=n)).date(), dict(outcomes[n]), comebacks[n])
        for n in range(CHART_WEEKS)
    )
