"""The weekly digest (`store.digest`): the workspace's digest setting, the claim that sends each
manager's digest once a week whichever process gets there first, its steps, and the lists only
the digest shows (positions waiting, the week's walk-aways with reasons, re-checks due,
comebacks and wins, reps with many checks and no walk or defer, twelve weeks of verdicts).

The claim is an insert of (manager, ISO week) into `digest_sends`, whose primary key lets one
process win; the job that sends it is queued after, and a claim whose job never got queued (its
process died in between) is queued again under the same job key by the next sweep.

The lists themselves are read in storage/digest_lists.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.digest_time import DigestSettings, DigestSettingsProblem
from storage.base import StorePart
from storage.columns import utcnow
from storage.digest_info import (
    DigestClaim,
    DigestInfo,
    DigestLists,
    DigestManager,
)
from storage.digest_lists import read_lists
from storage.digest_models import DigestSend
from storage.errors import NotFoundError
from storage.models import (
    User,
    Workspace,
)
from storage.nudge_models import UserProfile

SETTINGS_KEY = "digest"
"""Our key in workspaces.settings (approvals and the path back keep theirs beside it)."""


def _settings_in(blob: Any) -> DigestSettings:
    mine = blob.get(SETTINGS_KEY) if isinstance(blob, dict) else None
    if not isinstance(mine, dict):
        return DigestSettings()
    try:
        since = mine.get("since")
        return DigestSettings(
            enabled=mine.get("on") is True,
            weekday=int(mine.get("weekday", 0)),
            hour=int(mine.get("hour", 9)),
            since=datetime.fromisoformat(since) if isinstance(since, str) else None,
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

    def save_settings(
        self, *, workspace_id: int, settings: DigestSettings, at: datetime | None = None
    ) -> None:
        """Replace our key only, under a row lock, so another feature's settings survive.
        Turning it on (from off) starts owing digests from `at` (now), not from before."""
        with self._write() as s:
            row = s.scalar(select(Workspace).where(Workspace.id == workspace_id).with_for_update())
            if row is None:
                raise NotFoundError(f"no workspace {workspace_id}")
            was = _settings_in(row.settings)
            since = was.since if was.enabled else (at or utcnow())
            mine: dict[str, Any] = {
                "on": settings.enabled,
                "weekday": settings.weekday,
                "hour": settings.hour,
            }
            if settings.enabled and since is not None:
                mine["since"] = since.isoformat()
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
        with self._reads() as s:
            return read_lists(
                s, workspace_id=workspace_id, manager_user_id=manager_user_id, end=end, today=today
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
