"""Workspaces as tenants: slack_sdk's OAuth stores on the app's database, and deleting one
workspace's data whole.

The installation and state stores are slack_sdk's own (SQLAlchemyInstallationStore,
SQLAlchemyOAuthStateStore), on the tables migration 0018 made (storage/oauth_tables.py).

`delete_workspace` removes every row of a workspace: it walks the models' tables children
first, and a row belongs to the workspace when its `workspace_id` (or `team_id`) says so or
when a foreign key points at a row that belongs. So a table added
later is covered as soon as it is linked to one that is, without this module knowing it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import ColumnElement, CursorResult, Engine, Table, false, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from storage import db
from storage.base import StorePart
from storage.models import Base, WalkawayRecord, Workspace
from storage.oauth_tables import BOTS, INSTALLATIONS, STATES_TABLE

log = logging.getLogger(__name__)

_SKIPPED = frozenset({STATES_TABLE})
"""A state belongs to an install in progress, not to a workspace."""


@dataclass(frozen=True)
class WorkspaceSummary:
    """What the operator is asked to confirm before a workspace's data goes."""

    team_id: str
    name: str | None
    people: int
    records: int
    installed: bool


class Tenancy(StorePart):
    def __init__(
        self, engine: Engine, *, reads: sessionmaker[Session], writes: sessionmaker[Session]
    ) -> None:
        super().__init__(reads=reads, writes=writes)
        self._engine = engine
        self._writer = engine
        if engine.dialect.name == "sqlite":  # take the file's write lock up front, as writes do
            self._writer = engine.execution_options(**{db.SQLITE_BEGIN_OPTION: "IMMEDIATE"})

    def installation_store(self, *, client_id: str) -> SQLAlchemyInstallationStore:
        """slack_sdk's store of installations (bot tokens, refresh tokens), by client id."""
        return SQLAlchemyInstallationStore(
            client_id=client_id, engine=self._writer, logger=logging.getLogger("walkaway.oauth")
        )

    def state_store(self, *, expiration_seconds: int) -> SQLAlchemyOAuthStateStore:
        """slack_sdk's store of OAuth states: each is consumed once, and only before it expires."""
        return SQLAlchemyOAuthStateStore(
            expiration_seconds=expiration_seconds,
            engine=self._writer,
            logger=logging.getLogger("walkaway.oauth"),
        )

    def state_expired(self, *, state: str) -> bool:
        """An OAuth state slack_sdk refused is still stored: it expired (a consumed one is gone)."""
        states = Base.metadata.tables[STATES_TABLE]
        with self._reads() as s:
            return s.scalar(select(states.c.id).where(states.c.state == state).limit(1)) is not None

    def summary(self, *, team_id: str) -> WorkspaceSummary | None:
        """The workspace's name and what it holds; None when nothing of it is stored."""
        with self._reads() as s:
            workspace = s.scalars(select(Workspace).where(Workspace.team_id == team_id)).first()
            installed = s.scalar(
                select(func.count()).select_from(BOTS).where(BOTS.c.team_id == team_id)
            )
            if workspace is None and not installed:
                return None
            people = records = 0
            if workspace is not None:
                users = Base.metadata.tables["users"]
                people = (
                    s.scalar(
                        select(func.count())
                        .select_from(users)
                        .where(users.c.workspace_id == workspace.id)
                    )
                    or 0
                )
                records = (
                    s.scalar(
                        select(func.count()).where(WalkawayRecord.workspace_id == workspace.id)
                    )
                    or 0
                )
            return WorkspaceSummary(
                team_id=team_id,
                name=workspace.name if workspace is not None else None,
                people=people,
                records=records,
                installed=bool(installed),
            )

    def delete_workspace(self, *, team_id: str) -> dict[str, int]:
        """Delete every row of the workspace, its installation included, in one transaction;
        returns how many rows went, by table (tables with none left out)."""
        deleted: dict[str, int] = {}
        with self._write() as s:
            workspace_id = s.scalar(select(Workspace.id).where(Workspace.team_id == team_id))
            conditions: dict[str, ColumnElement[bool]] = {}
            for table in Base.metadata.sorted_tables:  # parents first, to build conditions
                condition = _belongs(table, team_id, workspace_id, conditions)
                if condition is not None:
                    conditions[table.name] = condition
            for table in reversed(Base.metadata.sorted_tables):  # children first, to delete
                condition = conditions.get(table.name)
                if condition is None:
                    continue
                result = cast(CursorResult[Any], s.execute(table.delete().where(condition)))
                count = result.rowcount
                if count:
                    deleted[table.name] = count
        log.warning("deleted workspace %s: %s", team_id, deleted or "nothing was stored")
        return deleted


def _belongs(
    table: Table,
    team_id: str,
    workspace_id: int | None,
    known: dict[str, ColumnElement[bool]],
) -> ColumnElement[bool] | None:
    """The rows of `table` that are the workspace's, or None when the table is not linked."""
    if table.name in _SKIPPED:
        return None
    if table.name == Workspace.__tablename__:
        return table.c.id == workspace_id if workspace_id is not None else false()
    if "team_id" in table.c and table.name in (INSTALLATIONS.name, BOTS.name):
        return table.c.team_id == team_id
    links: list[ColumnElement[bool]] = []
    for fk in table.foreign_keys:
        parent = fk.column.table
        if parent is table or parent.name not in known:
            continue
        if parent.name == Workspace.__tablename__:
            return fk.parent == workspace_id if workspace_id is not None else false()
        links.append(fk.parent.in_(select(fk.column).where(known[parent.name])))
    if "workspace_id" in table.c and workspace_id is not None:  # a column without its FK
        links.append(table.c.workspace_id == workspace_id)
    if "team_id" in table.c:
        links.append(table.c.team_id == team_id)
    return or_(*links) if links else None
