"""What every part of the Store shares: its session factories, and how a write is opened.

Each public method opens its own short Session and commits before returning, because Bolt runs
listeners on worker threads and a rep's answer must be durable before the next question is
asked. Writes lock what they change (the session or record row on PostgreSQL, the whole file via
BEGIN IMMEDIATE on SQLite), so a Slack retry or a double click racing through a second process
queues behind the first instead of interleaving with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from storage import db
from storage.errors import InvalidValueError

MAX_CLAIM_KEY = 255


class Repo:
    """A part of the Store: reads through `_reads`, writes through `_write()`."""

    _reads: sessionmaker[Session]
    _writes: sessionmaker[Session]

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._writes.begin() as session:
            yield session


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
