"""Workspaces, the people in them, and claims: the first of many identical requests wins."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from storage import queries as q
from storage.base import Claim, Repo, checked_key, take_claim
from storage.models import (
    IdempotencyKey,
    User,
    WalkawayRecord,
    Workspace,
)
from storage.nudge_info import Profile
from storage.nudge_models import UserProfile
from storage.nudges import profile_of

NAMED_LIMIT = 10


class People(Repo):
    _ids: dict[tuple[str, ...], int]
    """Workspace and user ids by their Slack ids, once read: a row is never renumbered, and every
    job asks for them several times (the worker's profile counted 5 reads of them per check
    started, about a tenth of its statements). Only found ids are kept, never an absence."""

    def ensure_workspace(self, *, team_id: str, name: str | None = None) -> int:
        query = select(Workspace).where(Workspace.team_id == team_id)
        key = ("workspace", team_id)
        if name is None:
            # Every Slack request asks for its workspace; reading first keeps the write lock
            # (one per SQLite file) for requests that really change something.
            found = self._ids.get(key)
            if found is None:
                with self._reads() as s:
                    found = s.scalar(query.with_only_columns(Workspace.id))
            if found is not None:
                self._ids[key] = found
                return found
        with self._write() as s:
            row = s.scalar(query) or q.insert_or_get(
                s, Workspace(team_id=team_id, name=name), query
            )
            if name is not None and row.name != name:
                row.name = name
            self._ids[key] = row.id
            return row.id

    def ensure_user(
        self, *, workspace_id: int, slack_user_id: str, display_name: str | None = None
    ) -> int:
        query = select(User).where(
            User.workspace_id == workspace_id, User.slack_user_id == slack_user_id
        )
        key = ("user", str(workspace_id), slack_user_id)
        if display_name is None:
            found = self._ids.get(key)
            if found is None:
                with self._reads() as s:
                    found = s.scalar(query.with_only_columns(User.id))
            if found is not None:
                self._ids[key] = found
                return found
        with self._write() as s:
            new = User(
                workspace_id=workspace_id, slack_user_id=slack_user_id, display_name=display_name
            )
            row = s.scalar(query) or q.insert_or_get(s, new, query)
            if display_name is not None and row.display_name != display_name:
                row.display_name = display_name
            self._ids[key] = row.id
            return row.id

    def team_id_of(self, *, workspace_id: int) -> str | None:
        """The Slack team id of a stored workspace, for work that starts from a record."""
        with self._reads() as s:
            return s.scalar(select(Workspace.team_id).where(Workspace.id == workspace_id))

    def find_user(self, *, workspace_id: int, slack_user_id: str) -> int | None:
        """The person's id if this workspace knows them, else None; unlike ensure_user it never
        writes, so checking a stranger (whose request will be ignored) leaves no row behind."""
        key = ("user", str(workspace_id), slack_user_id)
        found = self._ids.get(key)
        if found is not None:
            return found
        query = select(User.id).where(
            User.workspace_id == workspace_id, User.slack_user_id == slack_user_id
        )
        with self._reads() as s:
            found = s.scalar(query)
        if found is not None:
            self._ids[key] = found
        return found

    def find_users_by_name(self, *, workspace_id: int, name: str) -> list[str]:
        """Slack ids of this workspace's people known by that display name (any case)."""
        query = select(User.slack_user_id).where(
            User.workspace_id == workspace_id,
            func.lower(User.display_name) == name.strip().lower(),
        )
        with self._reads() as s:
            return list(s.scalars(query.order_by(User.id).limit(10)))

    def display_names(self, *, workspace_id: int, slack_user_ids: Iterable[str]) -> dict[str, str]:
        """The names this workspace's people are known by, for those that have one: what a
        message shows instead of a mention where a mention would notify them."""
        wanted = sorted(set(slack_user_ids))
        if not wanted:
            return {}
        query = select(User.slack_user_id, User.display_name).where(
            User.workspace_id == workspace_id,
            User.slack_user_id.in_(wanted),
            User.display_name.is_not(None),
        )
        with self._reads() as s:
            return {slack_id: name for slack_id, name in s.execute(query) if name and name.strip()}

    def find_people(self, *, workspace_id: int, name: str) -> list[tuple[str, str]]:
        """(Slack id, display name) of this workspace's people a typed name may mean, forgiving:
        the whole name (any case) if anyone has it; else every name with a word starting with
        it ("dana" finds "Dana Reyes" and "ria.dana", not "Adana")."""
        typed = name.strip().lower()
        if not typed:
            return []
        lowered = func.lower(User.display_name)
        pattern = typed.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        base = select(User.slack_user_id, User.display_name).where(
            User.workspace_id == workspace_id, User.display_name.is_not(None)
        )
        with self._reads() as s:
            exact = s.execute(base.where(lowered == typed).order_by(User.id).limit(NAMED_LIMIT))
            found = [(str(i), str(n)) for i, n in exact]
            if found:
                return found
            starts = base.where(
                or_(
                    lowered.like(f"{pattern}%", escape="\\"),
                    lowered.like(f"% {pattern}%", escape="\\"),
                    lowered.like(f"%.{pattern}%", escape="\\"),
                )
            )
            rows = s.execute(starts.order_by(User.id).limit(NAMED_LIMIT))
            return [(str(i), str(n)) for i, n in rows]

    def reps_with_records(
        self, *, workspace_id: int, limit: int = 50
    ) -> list[tuple[str, str | None]]:
        """(Slack id, display name or None) of the people with walk-away records here, most
        recent first: whom a `rep:` filter can usefully name."""
        latest = func.max(WalkawayRecord.id)
        query = (
            select(User.slack_user_id, User.display_name)
            .join(WalkawayRecord, WalkawayRecord.rep_user_id == User.id)
            .where(User.workspace_id == workspace_id)
            .group_by(User.id, User.slack_user_id, User.display_name)
            .order_by(latest.desc())
            .limit(limit)
        )
        with self._reads() as s:
            return [(str(i), n) for i, n in s.execute(query)]

    def claim_once(self, *, key: str, owner: str | None = None) -> bool:
        """True for the first claim of `key` in any process, False for every repeat.

        With an `owner` (a job's key), a repeat by the same owner is True too: a job re-run
        after a failure carries on instead of taking its own earlier claim for a duplicate.
        """
        try:
            with self._write() as s:
                return take_claim(s, key, owner).ours
        except IntegrityError:
            return False

    def claim(
        self, *, key: str, owner: str | None = None, note: str | None = None
    ) -> tuple[Claim, str | None]:
        """Take `key` with a note of what was decided; a repeat gets the first claimer's note."""
        try:
            with self._write() as s:
                claim = take_claim(s, key, owner, note)
                if claim is Claim.NEW:
                    return claim, note
                found = s.get(IdempotencyKey, key)
                return claim, found.note if found is not None else None
        except IntegrityError:
            return Claim.TAKEN, None

    def claim_owner(self, *, key: str) -> str | None:
        """Who took `key` (None: nobody, or a claim taken without an owner)."""
        with self._reads() as s:
            found = s.get(IdempotencyKey, checked_key(key))
            return found.owner if found is not None else None

    def profile(self, *, user_id: int) -> Profile | None:
        """What Slack last told us of this person (zone, left or not); None: never asked."""
        with self._reads() as s:
            return profile_of(s, user_id)

    def remember_profile(
        self, *, user_id: int, tz: str | None, deactivated: bool, at: datetime
    ) -> None:
        """Keep users.info's answer on the person: their nudges come at 9:30 in this zone, and
        go to their manager once they have left."""
        with self._write() as s:
            row = s.get(UserProfile, user_id, with_for_update=True)
            if row is None:
                row = UserProfile(user_id=user_id)
                s.add(row)
            row.tz, row.deactivated, row.fetched_at = (tz or None), deactivated, at
