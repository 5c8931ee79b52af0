"""Re-check nudges: which records' dates have come, claiming each (record, date) once, and the
changes a nudge offers (snooze, close for good), each one conditional UPDATE.

Any number of processes sweep at once (every `walkaway serve`, cron's `walkaway tick`). The
claim is an insert of (record, date) into `nudges`, whose primary key lets one process win; the
job that posts it is queued after, and a claim whose job never got queued (its process died in
between) is queued again under the same job key by the next sweep. Clicks on a nudge change the
record only if it still is what the nudge showed (open, on that date), so a second click, an old
nudge or a second process applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import cast

from sqlalchemy import Date, Select, Table, and_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Outcome
from bot.domain.nudge_time import local_today
from storage import search
from storage.base import Repo
from storage.models import Deal, RecordStatusChange, User, WalkawayRecord
from storage.nudge_info import (
    DueRecord,
    DueWindow,
    NudgeCandidate,
    NudgeClaim,
    NudgeInfo,
    Profile,
)
from storage.nudge_models import Nudge, UserProfile
from storage.records import RecordStatus

CLAIM_BATCH = 500
"""Rows per INSERT when claiming: far under SQLite's 32,766 bound parameters."""
CLOSING = (RecordStatus.LOST, RecordStatus.CLOSED)


class Nudges(Repo):
    # -- the sweep ------------------------------------------------------------------------

    def nudge_candidates(
        self, *, since: date, through: date, limit: int = 100_000
    ) -> list[NudgeCandidate]:
        """Open records with a re-check date in [since, through] and no claimed nudge for it.

        Reads the (status, recheck_on) index as one range and looks each row's nudge up by its
        primary key: the cost follows the records due, not the records kept.
        """
        query = candidates_query(since=since, through=through, limit=limit)
        with self._reads() as s:
            return [
                NudgeCandidate(rid, wid, due, rep, tz, known is not None)  # type: ignore[arg-type]
                for rid, wid, due, rep, tz, known in s.execute(query)
            ]

    def claim_nudges(self, *, claims: Sequence[NudgeClaim], at: datetime) -> list[NudgeClaim]:
        """Insert each (record, date) unless someone has; returns the ones this call won."""
        won: list[NudgeClaim] = []
        with self._write() as s:
            insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
            table = cast(Table, Nudge.__table__)
            statement = (
                insert(table)
                .on_conflict_do_nothing(index_elements=["record_id", "due_on"])
                .returning(table.c.record_id, table.c.due_on)
            )
            rows = [
                {
                    "record_id": c.record_id,
                    "due_on": c.due_on,
                    "workspace_id": c.workspace_id,
                    "job_key": c.job_key,
                    "claimed_at": at,
                }
                for c in claims
            ]
            taken = {(r, d) for r, d in s.execute(statement, rows)} if rows else set()
            won = [c for c in claims if (c.record_id, c.due_on) in taken]
        return won

    def mark_nudges_queued(self, *, claims: Sequence[NudgeClaim], at: datetime) -> None:
        """Their jobs are queued. By date, then record ids: each UPDATE reads the primary key."""
        by_day: dict[date, list[int]] = {}
        for claim in claims:
            by_day.setdefault(claim.due_on, []).append(claim.record_id)
        with self._write() as s:
            for day, records in by_day.items():
                for start in range(0, len(records), CLAIM_BATCH):
                    s.execute(
                        update(Nudge)
                        .where(
                            Nudge.due_on == day,
                            Nudge.record_id.in_(records[start : start + CLAIM_BATCH]),
                        )
                        .values(queued_at=at)
                    )

    def unqueued_nudges(self, *, claimed_before: datetime, limit: int = 1000) -> list[NudgeClaim]:
        """Claims whose job was never queued (the claimer died in between), oldest first."""
        query = (
            select(Nudge.record_id, Nudge.due_on, Nudge.workspace_id, Nudge.job_key)
            .where(Nudge.queued_at.is_(None), Nudge.claimed_at < claimed_before)
            .order_by(Nudge.claimed_at)
            .limit(limit)
        )
        with self._reads() as s:
            return [NudgeClaim(*row) for row in s.execute(query)]

    # -- one nudge ------------------------------------------------------------------------

    def get_nudge(self, *, record_id: int, due_on: date) -> NudgeInfo | None:
        with self._reads() as s:
            row = s.get(Nudge, (record_id, due_on))
            return _info(row) if row is not None else None

    def nudge_dates(self, *, record_id: int) -> list[date]:
        """Every date this record was nudged on, newest first."""
        with self._reads() as s:
            return list(
                s.scalars(
                    select(Nudge.due_on)
                    .where(Nudge.record_id == record_id)
                    .order_by(Nudge.due_on.desc())
                    .limit(50)
                )
            )

    def nudge_posted(
        self, *, record_id: int, due_on: date, channel_id: str, ts: str, sent_to: str, at: datetime
    ) -> None:
        with self._write() as s:
            s.execute(
                update(Nudge)
                .where(Nudge.record_id == record_id, Nudge.due_on == due_on)
                .values(posted_at=at, channel_id=channel_id, ts=ts, sent_to=sent_to)
            )

    def end_nudge(self, *, record_id: int, due_on: date, why: str) -> None:
        """The nudge will not go: 'skipped' (the record moved on) or 'undeliverable'."""
        with self._write() as s:
            s.execute(
                update(Nudge)
                .where(Nudge.record_id == record_id, Nudge.due_on == due_on)
                .values(ended=why[:16])
            )

    # -- what a nudge offers --------------------------------------------------------------

    def snooze_record(
        self, *, record_id: int, from_date: date, to_date: date, by: str, at: datetime
    ) -> bool:
        """Move an open record's re-check date from `from_date`; False if it was not open on
        that date any more (a second click, another process, an older nudge)."""
        with self._write() as s:
            moved = s.execute(
                update(WalkawayRecord)
                .where(
                    WalkawayRecord.id == record_id,
                    WalkawayRecord.status == RecordStatus.OPEN.value,
                    WalkawayRecord.recheck_on == from_date,
                )
                .values(recheck_on=to_date, updated_at=at)
            )
            if _count(moved) != 1:
                return False
            s.execute(
                update(Nudge)
                .where(Nudge.record_id == record_id, Nudge.due_on == from_date)
                .values(snoozed_to=to_date, acted_by=by, acted_at=at)
            )
            search.refresh(s, record_id)
            return True

    def close_for_good(
        self,
        *,
        record_id: int,
        status: RecordStatus,
        note: str | None,
        by_user_id: int,
        by: str,
        at: datetime,
    ) -> bool:
        """Mark an open record lost or closed, with the note in its history; False if it was
        no longer open (it was closed, won or re-engaged meanwhile)."""
        if status not in CLOSING:
            raise ValueError(f"closing for good means lost or closed, not {status}")
        with self._write() as s:
            changed = s.execute(
                update(WalkawayRecord)
                .where(
                    WalkawayRecord.id == record_id,
                    WalkawayRecord.status == RecordStatus.OPEN.value,
                )
                .values(status=status.value, updated_at=at)
                .returning(WalkawayRecord.workspace_id, WalkawayRecord.rep_user_id)
            ).one_or_none()
            if changed is None:
                return False
            s.add(
                RecordStatusChange(
                    record_id=record_id,
                    workspace_id=changed.workspace_id,
                    rep_user_id=changed.rep_user_id,
                    status=status.value,
                    note=note,
                    changed_by_user_id=by_user_id,
                    changed_at=at,
                )
            )
            s.execute(
                update(Nudge).where(Nudge.record_id == record_id).values(acted_by=by, acted_at=at)
            )
            search.refresh(s, record_id)
            return True

    # -- due lists ------------------------------------------------------------------------

    def reports_of(self, *, manager_user_id: int) -> list[int]:
        """The people who name this person as their manager."""
        with self._reads() as s:
            return list(
                s.scalars(
                    select(User.id).where(User.manager_user_id == manager_user_id).order_by(User.id)
                )
            )

    def due_list(
        self,
        *,
        workspace_id: int,
        slack_user_id: str | None,
        now: datetime,
        days: int,
        limit: int,
    ) -> DueWindow:
        """What a person has to re-check: their open records (and their reports') due within
        `days` of their own today, overdue ones first; None for the whole workspace.

        One session for every step, and the ids come from the (rep, status, recheck_on) index
        alone, soonest first: only the `limit` shown are joined to their deal and rep, so a
        manager whose reps have thousands of overdue records pays for ten.
        """
        q = _due_statements()
        with self._reads() as s:
            conn = s.connection()  # Core, not the ORM: a due list is read on every Home view
            tz: str | None = None
            if slack_user_id is None:
                reps = list(conn.execute(q.everyone, {"workspace": workspace_id}).scalars())
            else:
                person = conn.execute(
                    q.person, {"workspace": workspace_id, "slack": slack_user_id}
                ).first()
                reps = [] if person is None else [person[0]]
                if person is not None:
                    tz = person[1]
                    reps += list(conn.execute(q.reports, {"manager": person[0]}).scalars())
            today = local_today(now, tz)
            through = today + timedelta(days=days)
            if not reps:
                return DueWindow(today, through, [], 0)
            where = {"reps": reps, "status": RecordStatus.OPEN.value, "through": through}
            ids = list(conn.execute(q.first, {**where, "limit": limit}).scalars())
            found = {
                rid: DueRecord(rid, name, Outcome(outcome), due, slack, created)  # type: ignore[arg-type]
                for rid, name, outcome, due, slack, created in conn.execute(q.details, {"ids": ids})
            }
            rows = [found[rid] for rid in ids if rid in found]
            total = len(rows)
            if total >= limit:
                total = int(conn.execute(q.count, where).scalar() or 0)
            return DueWindow(today, through, rows, total)


@dataclass(frozen=True)
class _DueStatements:
    everyone: Select[int]
    person: Select[int, str | None]
    reports: Select[int]
    first: Select[int]
    details: Select[int, str, str, date | None, str, datetime]
    count: Select[int]


@cache
def _due_statements() -> _DueStatements:
    """The due list's statements, built once with bound parameters: building a select costs
    SQLAlchemy more than running this one does, and Home asks for it on every view."""
    where = and_(
        WalkawayRecord.rep_user_id.in_(bindparam("reps", expanding=True)),
        WalkawayRecord.status == bindparam("status"),
        WalkawayRecord.recheck_on <= bindparam("through", type_=Date()),
    )
    rep = aliased(User)
    return _DueStatements(
        everyone=select(User.id).where(User.workspace_id == bindparam("workspace")),
        person=select(User.id, UserProfile.tz)
        .outerjoin(UserProfile, UserProfile.user_id == User.id)
        .where(
            User.workspace_id == bindparam("workspace"), User.slack_user_id == bindparam("slack")
        ),
        reports=select(User.id).where(User.manager_user_id == bindparam("manager")),
        first=select(WalkawayRecord.id)
        .where(where)
        .order_by(WalkawayRecord.recheck_on, WalkawayRecord.id)
        .limit(bindparam("limit")),
        details=select(
            WalkawayRecord.id,
            Deal.name,
            WalkawayRecord.outcome,
            WalkawayRecord.recheck_on,
            rep.slack_user_id,
            WalkawayRecord.created_at,
        )
        .join(Deal, Deal.id == WalkawayRecord.deal_id)
        .join(rep, rep.id == WalkawayRecord.rep_user_id)
        .where(WalkawayRecord.id.in_(bindparam("ids", expanding=True))),
        count=select(func.count()).select_from(WalkawayRecord).where(where),
    )


def candidates_query(
    *, since: date, through: date, limit: int
) -> Select[int, int, date | None, int, str | None, int]:
    """The sweep's read (public so the benchmark can show its plan)."""
    claimed = (
        select(Nudge.record_id)
        .where(
            Nudge.record_id == WalkawayRecord.id,
            Nudge.due_on == WalkawayRecord.recheck_on,
            Nudge.due_on >= since,  # implied, but lets the planner read only the window's claims
            Nudge.due_on <= through,
        )
        .exists()
    )
    return (
        select(
            WalkawayRecord.id,
            WalkawayRecord.workspace_id,
            WalkawayRecord.recheck_on,
            WalkawayRecord.rep_user_id,
            UserProfile.tz,
            UserProfile.user_id,
        )
        .outerjoin(UserProfile, UserProfile.user_id == WalkawayRecord.rep_user_id)
        .where(
            WalkawayRecord.status == RecordStatus.OPEN.value,
            WalkawayRecord.recheck_on >= since,
            WalkawayRecord.recheck_on <= through,
            ~claimed,
        )
        .limit(limit)
    )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _info(row: Nudge) -> NudgeInfo:
    return NudgeInfo(
        record_id=row.record_id,
        due_on=row.due_on,
        workspace_id=row.workspace_id,
        job_key=row.job_key,
        claimed_at=row.claimed_at,
        queued_at=row.queued_at,
        posted_at=row.posted_at,
        channel_id=row.channel_id,
        ts=row.ts,
        sent_to=row.sent_to,
        ended=row.ended,
        snoozed_to=row.snoozed_to,
        acted_by=row.acted_by,
        acted_at=row.acted_at,
    )


def profile_of(s: Session, user_id: int) -> Profile | None:
    row = s.get(UserProfile, user_id)
    return Profile(row.tz, row.deactivated, row.fetched_at) if row is not None else None
