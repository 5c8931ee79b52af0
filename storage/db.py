"""Engines and migrations: the only place that knows SQLite and PostgreSQL differ.

The app's default is one SQLite file shared by worker threads; scale-out is PostgreSQL behind
many processes. Both must survive several processes starting at once against a fresh database,
so `migrate` serialises itself with a database-level lock instead of hoping for the best.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    InterfaceError,
    NoSuchModuleError,
    OperationalError,
)
from sqlalchemy.pool import StaticPool

from storage.errors import DatabaseUrlError

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
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        detail = f" ({exc})" if isinstance(exc, ValueError) else ""
        raise DatabaseUrlError(f"not a database URL{detail}; {_URL_SHAPES}") from exc
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
    """An engine for `url`; DatabaseUrlError when its kind, driver or folder cannot be had.

    Nothing connects yet: an unreachable server or an unopenable file shows up in `migrate`.
    """
    parsed = normalize_url(url)
    try:
        return _make_engine(parsed)
    except NoSuchModuleError as exc:
        raise DatabaseUrlError(
            f"unknown kind of database {parsed.drivername!r}; {_URL_SHAPES}"
        ) from exc
    except ImportError as exc:
        raise DatabaseUrlError(f"the {parsed.drivername} driver is not installed ({exc})") from exc
    except OSError as exc:
        raise DatabaseUrlError(
            f"cannot make the database file's folder {exc.filename}: {exc.strerror}"
        ) from exc


POOL_SIZE = 64
"""Connections an engine keeps: at least as many as threads may use it at once (a worker
process's WALKAWAY_WORKER_THREADS, at most 64, bot/config.py; serve's 32 listener threads), so no
thread waits for another's connection. SQLAlchemy's default, 5 and 10 more, made a worker of 32
threads queue for connections. They are opened only when used at once, so a quiet process holds
few; on PostgreSQL mind max_connections across processes."""
POOL_OVERFLOW = 8


def _make_engine(parsed: URL) -> Engine:
    if parsed.get_backend_name() != "sqlite":
        return create_engine(
            parsed, pool_pre_ping=True, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW
        )
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
        **({} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW}),
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

    Being the first to connect, it is where an unusable database shows: any failure to connect,
    and the failures of the upgrade that come from the database rather than from a migration
    (locked, read-only, a user who may not create tables, a schema from another version), are
    raised as DatabaseUrlError. A migration's own bug stays a traceback.
    """
    try:
        connection = engine.connect()
    except DBAPIError as exc:
        raise DatabaseUrlError(_driver_says(exc)) from exc
    with connection:
        try:
            hold_migration_lock(connection)
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            connection.commit()
        except DBAPIError as exc:
            if not _database_refused(exc):
                raise
            raise DatabaseUrlError(_driver_says(exc)) from exc
        except CommandError as exc:  # e.g. a revision in alembic_version that we do not have
            raise DatabaseUrlError(
                f"its schema is not one this version of the app knows ({_one_line(str(exc))})"
            ) from exc


_URL_SHAPES = "write it like sqlite:///walkaway.db or postgresql://user@host:5432/walkaway"
_INSUFFICIENT_PRIVILEGE = "42501"


def _database_refused(exc: DBAPIError) -> bool:
    """The database, not the migration's SQL, said no."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return getattr(exc.orig, "sqlstate", None) == _INSUFFICIENT_PRIVILEGE


def _driver_says(exc: DBAPIError) -> str:
    """The driver's own message, without SQLAlchemy's wrapping and link: its first line.

    The lines after it are hints and the SQL quoted back ("LINE 2: CREATE TABLE …"), which
    add nothing an operator needs to fix the setting.
    """
    message = str(exc.orig) if exc.orig is not None else str(exc)
    lines = [line for line in message.splitlines() if line.strip()]
    return _one_line(lines[0]) if lines else type(exc.orig).__name__


def _one_line(message: str) -> str:
    return " ".join(message.split())


def mask_url(url: str) -> str:
    """`url` as typed, with any password replaced by ***, even when it cannot be parsed.

    Works on the raw text rather than on SQLAlchemy's parse, because a password holding an
    unescaped '@' parses as part of the host, which would then be shown: everything from the
    first ':' after the user name up to the last '@' is masked.
    """
    pattern = _USERINFO_AFTER_SCHEME if "://" in url else _USERINFO_ALONE
    return pattern.sub(r"\g<head>***@", url, count=1)


_USERINFO_AFTER_SCHEME = re.compile(r"^(?P<head>[^/]*?://[^:/@]*:)(?P<secret>.*)@", re.DOTALL)
_USERINFO_ALONE = re.compile(r"^(?P<head>[^:/@]*:)(?P<secret>.*)@", re.DOTALL)


def explain(url: str, problem: DatabaseUrlError) -> str:
    """`'<url, password masked>': <reason>` on one line, with no part of the password in it.

    The reason comes from a driver, which may quote the host or user it was given; when the
    password held an '@', part of it may sit in those, so every piece of it is masked too.
    """
    reason = _one_line(str(problem))
    for secret in sorted(_secrets(url), key=len, reverse=True):
        reason = reason.replace(secret, "***")
    return f"{mask_url(url)!r}: {reason}"


def _secrets(url: str) -> set[str]:
    found: set[str] = set()
    pattern = _USERINFO_AFTER_SCHEME if "://" in url else _USERINFO_ALONE
    if match := pattern.match(url):
        raw = match.group("secret")
        found.update([raw, *raw.split("@")])
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        password = None
    if password:
        found.add(str(password))
    return {secret for secret in found if len(secret) > 1}
