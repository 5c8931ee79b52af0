"""A process's own intake of acknowledged jobs, written before each ack, moved to the queue after.

An ack must not leave before its job is durable, or a process killed between the two loses what
a person did; yet on SQLite, writing the shared queue on the ack's thread made every ack wait for
the workers' hold on that file, and for Python's other threads to hand back the interpreter
between the statements of a transaction (storing first cost a third of the ack throughput in
tests/bench/ack_latency.py). So each process first appends the job to a SQLite file of its own:
one autocommit INSERT on a file no other process writes (WAL, so a kill -9 of the process loses
nothing the INSERT returned from). A mover thread then carries the rows into the shared queue in
batches and deletes them here. The queue ignores a job key it already has, so a move repeated
after a crash stores nothing twice; a process that finds the intake of a process that died
(`recover_orphans`, at start-up) moves its rows too.

Only file-backed SQLite uses an intake: PostgreSQL takes concurrent inserts without a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PREFIX = "walkaway-intake-"
MOVE_EVERY = 0.02
"""Seconds between the mover's looks. A put does not wake it: under load, one move then carries
a batch of acks, instead of one transaction (and a thread switch) per ack."""
BATCH = 500

Row = dict[str, Any]
Store = Callable[[list[Row]], None]
"""Writes rows into the shared queue, ignoring keys it already holds."""


class Intake:
    def __init__(self, directory: Path, store: Store, *, moved: Callable[[], None]) -> None:
        self._path = directory / f"{PREFIX}{os.getpid()}.db"
        self._store = store
        self._moved = moved
        self._lock = threading.Lock()
        self._moving = threading.Lock()
        """One move at a time (the mover thread and a worker's flush): two moves reading the same
        rows would store them twice, and a job done and deleted in between would then run again,
        since the queue can only ignore a key it still holds."""
        self._connection: sqlite3.Connection | None = None
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._mover: threading.Thread | None = None
        self._dirty = False
        """Put since the last move: a cheap "anything to move?" without reading the file."""

    def put(self, row: Row) -> None:
        """Durable when this returns: the one write on the ack's path."""
        with self._lock:
            if self._closed.is_set():
                raise RuntimeError("the job intake is closed")
            connection = self._open()
            connection.execute(
                "INSERT INTO intake (key, kind, payload, enqueued_at) VALUES (?, ?, ?, ?)",
                (
                    row["key"],
                    row["kind"],
                    json.dumps(row["payload"]),
                    row["enqueued_at"].isoformat(),
                ),
            )
            self._dirty = True
            if self._mover is None:
                self._mover = threading.Thread(
                    target=self._run, name="walkaway-job-mover", daemon=True
                )
                self._mover.start()

    def flush(self) -> None:
        """Move what this process put into the queue now (a local worker about to claim)."""
        if self._dirty and self._move_all():
            self._moved()

    def moving(self) -> threading.Lock:
        """Held, no move is under way: what `pending` and the queue say then add up."""
        return self._moving

    def pending(self) -> int:
        with self._lock:
            if self._connection is None:
                return 0
            return int(self._connection.execute("SELECT count(*) FROM intake").fetchone()[0])

    def close(self) -> None:
        """Move what is left, then remove the file (an empty intake is no longer needed)."""
        self._closed.set()
        self._wake.set()
        if self._mover is not None:
            self._mover.join(30)
        try:
            self._move_all()
        except Exception:  # the rows stay in the file; the next process moves them
            log.exception("could not move the last jobs into the queue")
        with self._lock:
            if self._connection is None:
                return
            left = self._connection.execute("SELECT count(*) FROM intake").fetchone()[0]
            self._connection.close()
            self._connection = None
        if not left:
            _remove(self._path)

    def _open(self) -> sqlite3.Connection:
        if self._connection is None:
            self._connection = _connect(self._path)
        return self._connection

    def _run(self) -> None:
        while True:
            self._wake.wait(MOVE_EVERY)
            self._wake.clear()
            try:
                moved = self._move_all() if self._dirty else 0
            except Exception:  # the queue is away: the rows wait here, durable, for the next try
                log.exception("could not move jobs into the queue")
                self._closed.wait(1.0)
                moved = 0
            if moved:
                self._moved()
            if self._closed.is_set():
                return

    def _move_all(self) -> int:
        """Carry waiting rows into the queue, then forget them here; returns how many moved.

        Only reading and deleting hold the puts' lock, never the queue's write: a put (an ack)
        never waits for the shared file; another move does. Rows put meanwhile have larger ids
        and stay for the next round.
        """
        with self._moving:
            moved = 0
            while True:
                with self._lock:
                    if self._connection is None:
                        return moved
                    rows = list(_rows(self._connection, BATCH))
                    if not rows:
                        self._dirty = False
                        return moved
                self._store([row for _, row in rows])
                with self._lock:
                    assert self._connection is not None
                    self._connection.execute("DELETE FROM intake WHERE id <= ?", (rows[-1][0],))
                moved += len(rows)
                if len(rows) < BATCH:
                    return moved


def recover_orphans(directory: Path, store: Store) -> int:
    """Move the jobs of intakes whose process has died into the queue; returns how many."""
    moved = 0
    for path in sorted(directory.glob(f"{PREFIX}*.db")):
        pid = path.stem.removeprefix(PREFIX)
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        try:
            with _exclusive(path) as mine:
                if not mine:  # another process starting at the same moment is moving it
                    continue
                connection = _connect(path)
                rows = [row for _, row in _rows(connection, None)]
                if rows:
                    store(rows)
                    moved += len(rows)
                connection.close()
                _remove(path)
        except sqlite3.Error:
            log.exception("could not read the intake %s of a process that died", path)
            continue
        if rows:
            log.warning("moved %d job(s) left by process %s into the queue", len(rows), pid)
    return moved


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[bool]:
    """An exclusive lock on `path`'s own lock file, or False at once if another process has it."""
    with open(path.with_suffix(".lock"), "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            with contextlib.suppress(FileNotFoundError):
                path.with_suffix(".lock").unlink()


def _connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE IF NOT EXISTS intake (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "key TEXT NOT NULL, kind TEXT NOT NULL, payload TEXT NOT NULL, enqueued_at TEXT NOT NULL)"
    )
    return connection


def _rows(connection: sqlite3.Connection, limit: int | None) -> Iterator[tuple[int, Row]]:
    query = "SELECT id, key, kind, payload, enqueued_at FROM intake ORDER BY id"
    if limit is not None:
        query += f" LIMIT {int(limit)}"
    for row_id, key, kind, payload, enqueued_at in connection.execute(query).fetchall():
        yield (
            row_id,
            {
                "key": key,
                "kind": kind,
                "payload": json.loads(payload),
                "enqueued_at": datetime.fromisoformat(enqueued_at),
            },
        )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            leftover.unlink()
