"""The path back's record-level writes (`store.pathback`): the workspace's default re-check
interval, a record's re-check date, *They came back*, and a rep's deals to find one by name.

Like the rest of the Store, each change is a conditional UPDATE (the rule in its WHERE clause),
so a double click or a retry from another process changes a record once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.domain.pathback import DEFAULT_RECHECK_DAYS, check_recheck_days
from storage import search
from storage.approval_info import rowcount
from storage.base import StorePart
from storage.columns import utcnow
from storage.errors import InvalidValueError, NotFoundError
from storage.models import Deal, RecordStatusChange, WalkawayRecord, Workspace
from storage.records import RecordStatus

SETTINGS_KEY = "pathback"
"""Our key in workspaces.settings (approvals keep theirs beside it)."""
NOTE_LIMIT = 2000


def recheck_days_in(s: Session, workspace_id: int) -> int:
    """The workspace's re-check interval for walks, stop-pilots and redirects, in days."""
    blob = s.scalar(select(Workspace.settings).where(Workspace.id == workspace_id)) or {}
    mine = blob.get(SETTINGS_KEY) if isinstance(blob, dict) else None
    days = mine.get("recheck_days") if isinstance(mine, dict) else None
    if isinstance(days, int) and not isinstance(days, bool):
        try:
            return check_recheck_days(days)
        except ValueError:
            pass  # a hand-edited blob out of range reads as the default
    return DEFAULT_RECHECK_DAYS


@dataclass(frozen=True)
class DealRecord:
    """A rep's latest record of one deal."""

    deal_name: str
    record_id: int
    status: RecordStatus


class PathBack(StorePart):
    """Reached as `store.pathback`; shares the Store's session factories and their locking."""

    # -- the workspace's default -------------------------------------------------------------

    def recheck_days(self, *, workspace_id: int) -> int:
        with self._reads() as s:
            return recheck_days_in(s, workspace_id)

    def save_recheck_days(self, *, workspace_id: int, days: int) -> None:
        """Replace our key only, under a row lock, so another feature's settings survive."""
        try:
            check_recheck_days(days)
        except ValueError as problem:
            raise InvalidValueError(str(problem)) from None
        with self._write() as s:
            row = s.scalar(select(Workspace).where(Workspace.id == workspace_id).with_for_update())
            if row is None:
                raise NotFoundError(f"no workspace {workspace_id}")
            row.settings = {**(row.settings or {}), SETTINGS_KEY: {"recheck_days": days}}

    # -- one record ----------------------------------------------------------------------------

    def set_recheck_on(self, *, record_id: int, day: date | None) -> bool:
        """The record's next look (None: never); True when it changed."""
        with self._write() as s:
            current = s.scalar(
                select(WalkawayRecord.recheck_on)
                .where(WalkawayRecord.id == record_id)
                .with_for_update()
            )
            if current is None and s.get(WalkawayRecord, record_id) is None:
                raise NotFoundError(f"no record {record_id}")
            if current == day:
                return False
            statement = (
                update(WalkawayRecord)
                .where(WalkawayRecord.id == record_id)
                .values(recheck_on=day, updated_at=utcnow())
            )
            return rowcount(s, statement) > 0

    def came_back(
        self, *, record_id: int, note: str | None, by_user_id: int, now: datetime | None = None
    ) -> bool:
        """The buyer returned: the record becomes re-engaged, with who and the note in its
        status history. False (nothing written) when it already is re-engaged."""
        moment = now or utcnow()
        with self._write() as s:
            changed = s.execute(
                update(WalkawayRecord)
                .where(
                    WalkawayRecord.id == record_id,
                    WalkawayRecord.status != RecordStatus.RE_ENGAGED.value,
                )
                .values(status=RecordStatus.RE_ENGAGED.value, updated_at=moment)
                .returning(WalkawayRecord.workspace_id, WalkawayRecord.rep_user_id)
            ).one_or_none()
            if changed is None:
                if s.get(WalkawayRecord, record_id) is None:
                    raise NotFoundError(f"no record {record_id}")
                return False
            s.add(
                RecordStatusChange(
                    record_id=record_id,
                    workspace_id=changed.workspace_id,
                    rep_user_id=changed.rep_user_id,
                    status=RecordStatus.RE_ENGAGED.value,
                    note=(note or "").strip()[:NOTE_LIMIT] or None,
                    changed_by_user_id=by_user_id,
                    changed_at=moment,
                )
            )
            search.refresh(s, record_id)  # the note is searchable, as every status note is
            return True

    def deals_of_rep(self, *, workspace_id: int, rep_user_id: int) -> list[DealRecord]:
        """The rep's latest record of each deal in this workspace, newest first."""
        latest = (
            select(func.max(WalkawayRecord.id))
            .where(
                WalkawayRecord.workspace_id == workspace_id,
                WalkawayRecord.rep_user_id == rep_user_id,
            )
            .group_by(WalkawayRecord.deal_id)
        )
        query = (
            select(Deal.name, WalkawayRecord.id, WalkawayRecord.status)
            .join(Deal, Deal.id == WalkawayRecord.deal_id)
            .where(WalkawayRecord.id.in_(latest))
            .order_by(WalkawayRecord.id.desc())
        )
        with self._reads() as s:
            return [
                DealRecord(deal_name=name, record_id=rid, status=RecordStatus(status))
                for name, rid, status in s.execute(query)
            ]
