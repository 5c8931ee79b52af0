"""Engines and migrations: the only place that knows SQLite and PostgreSQL differ.

The app's default is one SQLite file shared by worker threads; scale-out is PostgreSQL behind
many processes. Both must survive several processes starting at once against a fresh database,
so `migrate` serialises itself with a database-level lock instead of hoping for the best.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_BEGIN_OPTION = "sqlite_begin"
"""Execution option naming the BEGIN flavour; "IMMEDIATE" takes the write lock up front."""

_HOLDS_WRITERS = "walkaway_holds_writer_lock"

_MIGRATION_LOCK_ID = 0x57A1_4A1  # any constant shared by every process migrating this database


def normalize_url(url: str) -> URL:
    """Accepts the URLs hosting providers hand out and pins PostgreSQL to psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_in_memory(url: str) -> bool:
    """An in-memory SQLite database exists only inside the process that opened it."""
    parsed = normalize_url(url)
    return parsed.get_backend_name() == "sqlite" and (parsed.database or "") in ("", ":memory:")


def jobs_database_url(url: str) -> str | None:
    """Where the job queue lives when it must not share the database file, else None.

    A SQLite file has one writer at a time, and the workers write to the database constantly,
    so with the queue in the same file every ack would wait for their writes (storage/jobs.py).
    `walkaway.db` keeps its queue in `walkaway-jobs.db` beside it: a database of the same
    schema (the same migrations run on it) of which only the `jobs` table is used. PostgreSQL
    and in-memory SQLite keep the queue in the database itself.
    """
    parsed = normalize_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or is_in_memory(url):
        return None
    if database.startswith("file:"):  # a URI filename: options we cannot safely rewrite
        return None
    path = Path(database)
    sibling = path.with_name(f"{path.stem}-jobs{path.suffix}")
    return parsed.set(database=str(sibling)).render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed,
        # Listeners run on Bolt's worker threads; the pool hands each thread its own connection.
        connect_args={"check_same_thread": False},
        # An in-memory database lives and dies with its connection, so all threads share one.
        poolclass=StaticPool if in_memory else None,
    )
    _take_over_sqlite_transactions(engine)
    return engine


def _take_over_sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.

    Python's sqlite3 (before 3.12's autocommit flag) starts transactions lazily and never for
    DDL or SAVEPOINT, which breaks transactional migrations and nested rollbacks. This is the
    recipe from SQLAlchemy's SQLite docs, plus BEGIN IMMEDIATE on request so a writer takes the
    lock before reading instead of failing to upgrade it later under WAL.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        _enable_wal(cursor)
        # Under WAL, NORMAL still makes every commit durable against a crash of the process
        # (only a power cut can lose the last commits), and spares an fsync per transaction.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    # Threads of one process queue for the write lock here, in order, instead of in SQLite's
    # busy handler, which polls with growing sleeps (1, 2, 5, 10 … ms): with several workers
    # writing, those sleeps left the lock idle while threads waited (bot/worker.py's profile).
    # It is let go when the connection goes back to the pool, after its COMMIT: let go any
    # earlier, the next thread would reach BEGIN IMMEDIATE first and sleep in the handler.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        if mode == "IMMEDIATE" and not conn.info.get(_HOLDS_WRITERS):
            if not writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):  # as SQLite would
                raise sqlite3.OperationalError("database is locked (by this process's writers)")
            conn.info[_HOLDS_WRITERS] = True
        conn.exec_driver_sql(f"BEGIN {mode}".strip())

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_WRITERS, False):
            writers.release()


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    """Switch to WAL, retrying: on a fresh file the switch can report "locked" at once.

    SQLite does not run the busy handler for every lock this needs, so several processes
    opening a new database together would otherwise fail at random on their first connect.
    WAL is stored in the file, so after the first success this is a quick no-op.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def alembic_config(url: str | None = None) -> Config:
    """An Alembic config built in code, so migrations run from an installed package in any cwd."""
    config = Config()
    # ConfigParser interpolates '%', which may appear in a path or a password.
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def hold_migration_lock(connection: Connection) -> None:
    """Wait until no other process is migrating, then hold that lock until this transaction ends.

    PostgreSQL gets a transaction-scoped advisory lock; SQLite gets BEGIN IMMEDIATE, its write
    lock. Call it before the connection's transaction has begun.
    """
    if connection.in_transaction():
        raise RuntimeError("take the migration lock before the transaction begins")
    if connection.dialect.name == "sqlite":
        connection.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        connection.execute(text("SELECT 1"))  # autobegin runs BEGIN IMMEDIATE, which waits
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})


def migrate(engine: Engine) -> None:
    """Upgrade to head in one transaction, holding a lock that makes concurrent callers queue.

    The second process to arrive waits for the first to commit, then finds the database at head
    and does nothing, instead of racing it to CREATE TABLE.
    """
    with engine.connect() as connection:
        hold_migration_lock(connection)
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
