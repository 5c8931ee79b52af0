"""What every part of the Store shares: its session factories, and how a write is opened.

Each public method opens its own short Session and commits before returning, because Bolt runs
listeners on worker threads and a rep's answer must be durable before the next question is
asked. Writes lock what they change (the session or record row on PostgreSQL, the whole file via
BEGIN IMMEDIATE on SQLite), so a Slack retry or a double click racing through a second process
queues behind the first instead of interleaving with it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from typing import Any, cast

from sqlalchemy import Engine, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from storage import db
from storage.columns import utcnow
from storage.errors import InvalidValueError
from storage.models import IdempotencyKey

MAX_CLAIM_KEY = 255


class Repo:
    """A part of the Store: reads through `_reads`, writes through `_write()`."""

    _reads: sessionmaker[Session]
    _writes: sessionmaker[Session]

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._writes.begin() as session:
            yield session


class StorePart(Repo):
    """A part reached as an attribute of the Store (`store.approvals`, `store.conditions`, …),
    on the Store's own session factories, so its writes lock as every other write does."""

    def __init__(self, *, reads: sessionmaker[Session], writes: sessionmaker[Session]) -> None:
        self._reads = reads
        self._writes = writes


def sessions(engine: Engine) -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    """Read and write session factories; SQLite writers take the file lock up front."""
    writer = engine
    if engine.dialect.name == "sqlite":
        writer = engine.execution_options(**{db.SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    return sessionmaker(engine, expire_on_commit=False), sessionmaker(
        writer, expire_on_commit=False
    )


def checked_key(key: str) -> str:
    if not 0 < len(key) <= MAX_CLAIM_KEY:
        raise InvalidValueError(f"claim keys must be 1-{MAX_CLAIM_KEY} characters")
    return key


class Claim(Enum):
    """What taking a claim found."""

    NEW = "new"
    """Nobody had it: the caller does the work."""
    MINE = "mine"
    """The same owner took it before: an earlier attempt of this job, which did the work."""
    TAKEN = "taken"
    """Someone else did (a double click, a Slack retry, another process)."""

    @property
    def ours(self) -> bool:
        return self is not Claim.TAKEN


def insert_if_absent(
    s: Session, model: type[Any], values: Mapping[str, Any], *, key: Sequence[str]
) -> bool:
    """INSERT … ON CONFLICT (key) DO NOTHING in the caller's transaction: True when inserted.

    One statement where a look then an insert were two, on the writes every click makes
    (claims, post intents). A concurrent insert of the same key waits for the other
    transaction and then does nothing (PostgreSQL), or cannot happen (SQLite holds the file
    lock), so the loser never sees an IntegrityError for the key.
    """
    table = cast(Table, model.__table__)
    insert_of = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert_of(table).values(dict(values)).on_conflict_do_nothing(index_elements=key)
    returned = s.execute(statement.returning(*(table.c[name] for name in key))).first()
    return returned is not None


def take_claim(s: Session, key: str, owner: str | None, note: str | None = None) -> Claim:
    """Claim `key` inside the caller's transaction (so the claim commits with the work).

    The insert comes first (one statement for the usual, new claim); only a key already
    there is read, to tell this job's earlier attempt from someone else.
    """
    values = {"key": checked_key(key), "created_at": utcnow(), "owner": owner, "note": note}
    if insert_if_absent(s, IdempotencyKey, values, key=["key"]):
        return Claim.NEW
    existing = s.get(IdempotencyKey, key)
    if existing is None:  # deleted since (the purge of old keys): nobody holds it now
        return take_claim(s, key, owner, note)
    return Claim.MINE if owner is not None and existing.owner == owner else Claim.TAKEN
