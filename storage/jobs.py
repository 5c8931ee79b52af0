"""The job queue: post-ack work kept in the database until a worker has done it.

Slack wants an answer within 3 s, and the work after an ack (database writes, Web API calls)
can take longer under load. A listener therefore only stores a job and acks; workers, in this
process or others, take jobs from here. Because the queue is a table, a job survives the process
that accepted it, and any process sharing the database can run it.

On a SQLite file, a process's acks write to its own intake first (storage/intake.py), from which
the rows are moved here in batches: the ack then never waits for the shared file. Otherwise
two things keep storing a job cheap when many requests arrive at once:

* **Group commit.** Listener threads hand their rows to one writer thread, which inserts
  everything waiting in one transaction and then releases them all. Under load that is one lock
  and one commit for dozens of acks instead of one each; alone, a row waits for its own commit.
  (Each listener inserting on its own measured far worse: with SQLite's write lock, and with
  Python's GIL handing a lock-holding thread's time to others, inserts queued behind each other.)
* **Its own SQLite file.** SQLite lets one writer at a time into a file, and the workers write
  answers and records all the time; acks waiting for that lock took up to 1.3 s in the
  benchmark. With SQLite the queue therefore lives in a second file beside the database
  (storage.db.jobs_database_url); on PostgreSQL, whose writers lock rows, not the database, it
  is a table like any other.

Claims are one short write transaction: `FOR UPDATE SKIP LOCKED` on PostgreSQL, so workers in
many processes never wait on each other's rows; BEGIN IMMEDIATE on SQLite (the Store's writer),
which serialises claimers on the file lock. Both look first with a plain read, so idle workers
polling an empty queue never take the write lock.

A claim is kept fresh by its worker's heartbeat (`heartbeat`), so a claim that stops being
refreshed belongs to a worker that died, and another takes the job within seconds. A job whose
attempt failed for a passing reason (Slack rate limits, a network blip) is put back with a
delay (`retry`) rather than finished: nothing acknowledged to a person is dropped.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from storage.columns import utcnow
from storage.intake import Intake, recover_orphans
from storage.models import Job

log = logging.getLogger(__name__)

MAX_KIND = 64
PUT_TIMEOUT = 10.0
"""Longest a listener waits for its job to be stored (SQLite's own busy timeout is 5 s)."""


@dataclass(frozen=True)
class QueuedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    """Claims so far, this one included: above 1, an earlier attempt failed or its worker died."""
    enqueued_at: datetime
    key: str
    """Stable across re-runs: what this job's claims and posts are recorded under."""
    last_error: str | None = None
    failures: int = 0
    """Earlier attempts that failed and were put back (what the next delay grows with)."""


class JobQueue:
    def __init__(
        self,
        *,
        reads: sessionmaker[Session],
        writes: sessionmaker[Session],
        intake_dir: Path | None = None,
    ) -> None:
        self._reads = reads
        self._writes = writes
        self._writer = _GroupCommit(writes)
        self._stored: list[Callable[[], None]] = []
        self._intake_dir = intake_dir
        self._intake = (
            Intake(intake_dir, self._store_moved, moved=self._notify)
            if intake_dir is not None
            else None
        )
        """On a SQLite file, acks write here first (storage/intake.py)."""

    def put(self, *, kind: str, payload: dict[str, Any]) -> None:
        """Store a job; once this returns, the work survives this process."""
        if not 0 < len(kind) <= MAX_KIND:
            raise ValueError(f"job kinds are 1-{MAX_KIND} characters")
        row = {"kind": kind, "payload": payload, "enqueued_at": utcnow(), "key": new_key()}
        if self._intake is not None:
            self._intake.put(row)
        else:
            self._writer.insert(row)

    def put_many(self, *, kind: str, jobs: Sequence[tuple[str, dict[str, Any]]]) -> int:
        """Store many jobs of one kind, each under its given key, straight into the queue.

        For timed work (the nudge sweep queues thousands at once): one transaction, not one
        commit each. A key the queue holds already is skipped: queued again, a waiting job is
        still one job. Returns how many were new.
        """
        if not 0 < len(kind) <= MAX_KIND:
            raise ValueError(f"job kinds are 1-{MAX_KIND} characters")
        if not jobs:
            return 0
        now = utcnow()
        blank = {"kind": kind, "enqueued_at": now, "attempts": 0, "failures": 0}
        rows = [{**blank, "payload": payload, "key": key} for key, payload in jobs]
        with self._writes.begin() as s:
            dialect = s.get_bind().dialect.name
            insert_of = pg_insert if dialect == "postgresql" else sqlite_insert
            # executemany with RETURNING: SQLAlchemy batches it into multi-row INSERTs
            # ("insertmanyvalues") from one cached statement; a key already there returns nothing.
            table = cast(Table, Job.__table__)
            statement = insert_of(table).on_conflict_do_nothing(index_elements=["key"])
            added = len(s.execute(statement.returning(table.c.id), rows).all())
        self._notify()
        return added

    def on_stored(self, callback: Callable[[], None]) -> None:
        """Call `callback` when jobs this process put reach the queue from its intake."""
        self._stored.append(callback)

    def recover_orphans(self) -> int:
        """Move jobs left in the intakes of processes that died into the queue (at start-up)."""
        if self._intake_dir is None:
            return 0
        moved = recover_orphans(self._intake_dir, self._store_moved)
        if moved:
            self._notify()
        return moved

    def _store_moved(self, rows: list[dict[str, Any]]) -> None:
        """Rows from an intake, each once: a key the queue already has is a move repeated."""
        statement = sqlite_insert(Job).on_conflict_do_nothing(index_elements=["key"])
        with self._writes.begin() as s:
            s.execute(statement, [{**row, "attempts": 0, "failures": 0} for row in rows])

    def _notify(self) -> None:
        for callback in list(self._stored):
            callback()

    def take(
        self, *, worker: str, stale_before: datetime, now: datetime | None = None
    ) -> QueuedJob | None:
        """Claim the oldest job nobody holds (or whose holder claimed it before `stale_before`)."""
        taken = self.exchange(worker=worker, stale_before=stale_before, limit=1, now=now)
        return taken[0] if taken else None

    def exchange(
        self,
        *,
        worker: str,
        stale_before: datetime,
        finished: Sequence[int] = (),
        limit: int = 1,
        now: datetime | None = None,
    ) -> list[QueuedJob]:
        """Forget the `finished` jobs and claim up to `limit` more, oldest first, in one go.

        One transaction for both, so a worker touches the queue's write lock about once per
        handful of jobs rather than twice per job: on SQLite that lock is also the one the acks'
        inserts wait for. A job put back with a delay is claimable from its `run_after` on.
        """
        if self._intake is not None and limit > 0:
            self._intake.flush()  # what this process acked is claimable at once
        now = now or utcnow()
        claimable = select(Job.id).where(_claimable(stale_before, now)).order_by(Job.id).limit(1)
        if not finished:
            if limit < 1:
                return []
            with self._reads() as s:
                if s.scalar(claimable) is None:
                    return []
        with self._writes.begin() as s:
            if finished:
                s.execute(delete(Job).where(Job.id.in_(list(finished))))
            if limit < 1:
                return []
            jobs = list(
                s.scalars(
                    select(Job)
                    .where(_claimable(stale_before, now))
                    .order_by(Job.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            )
            for job in jobs:
                job.claimed_at = now
                job.claimed_by = worker[:128]
                job.attempts += 1
            return [
                QueuedJob(
                    id=job.id,
                    kind=job.kind,
                    payload=job.payload,
                    attempts=job.attempts,
                    enqueued_at=job.enqueued_at,
                    key=job.key or f"job{job.id}",
                    last_error=job.last_error,
                    failures=job.failures,
                )
                for job in jobs
            ]

    def done(self, *, job_id: int) -> None:
        """The job ran (or was given up on): forget it."""
        self.exchange(worker="", stale_before=utcnow(), finished=[job_id], limit=0)

    def retry(self, *, job_id: int, worker: str, at: datetime, error: str) -> None:
        """Put a job back, to be claimed again from `at`: its attempt failed for a passing reason.

        Only the worker holding the claim may: one whose claim went stale (and was taken over)
        leaves the job to its new holder.
        """
        with self._writes.begin() as s:
            s.execute(
                update(Job)
                .where(Job.id == job_id, Job.claimed_by == worker[:128])
                .values(
                    claimed_at=None,
                    claimed_by=None,
                    run_after=at,
                    last_error=error[:200],
                    failures=Job.failures + 1,
                )
            )

    def heartbeat(self, *, worker: str, job_ids: Sequence[int], now: datetime | None = None) -> int:
        """Refresh this worker's claims on the jobs it is running; returns how many it holds."""
        if not job_ids:
            return 0
        with self._writes.begin() as s:
            result = s.execute(
                update(Job)
                .where(Job.id.in_(list(job_ids)), Job.claimed_by == worker[:128])
                .values(claimed_at=now or utcnow())
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def claimants(self) -> set[str]:
        """The workers holding claims now (as they named themselves when claiming)."""
        with self._reads() as s:
            return set(
                s.scalars(
                    select(Job.claimed_by)
                    .where(Job.claimed_at.is_not(None), Job.claimed_by.is_not(None))
                    .distinct()
                )
            )

    def release(self, *, worker: str) -> int:
        """Make the jobs `worker` holds claimable now: it is known to be dead.

        Not a failure of those jobs (their delay does not grow); the next claim counts as
        another attempt, as a stale claim's takeover does. Returns how many were released.
        """
        with self._writes.begin() as s:
            result = s.execute(
                update(Job)
                .where(Job.claimed_by == worker[:128], Job.claimed_at.is_not(None))
                .values(claimed_at=None, claimed_by=None)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def waiting(self) -> int:
        """Jobs not yet done: running, waiting to be retried, and still in this process's intake."""
        if self._intake is None:
            return self._queued()
        # With no move under way, so a row being moved is counted once: read the other way
        # round a move in between looked like an empty queue, and in this order it counted twice.
        with self._intake.moving():
            return self._intake.pending() + self._queued()

    def _queued(self) -> int:
        with self._reads() as s:
            return int(s.scalar(select(func.count()).select_from(Job)) or 0)

    def next_retry(self) -> datetime | None:
        """When the earliest job put back with a delay becomes claimable (None: none waits)."""
        with self._reads() as s:
            return s.scalar(
                select(func.min(Job.run_after)).where(
                    Job.claimed_at.is_(None), Job.run_after.is_not(None)
                )
            )

    def close(self) -> None:
        if self._intake is not None:
            self._intake.close()
        self._writer.close()


def new_key() -> str:
    return uuid.uuid4().hex


def _claimable(stale_before: datetime, now: datetime) -> ColumnElement[bool]:
    return and_(
        or_(Job.claimed_at.is_(None), Job.claimed_at < stale_before),
        or_(Job.run_after.is_(None), Job.run_after <= now),
    )


@dataclass
class _Waiting:
    row: dict[str, Any]
    stored: threading.Event
    error: BaseException | None = None


class _GroupCommit:
    """One thread inserting every row handed to it since its last commit, in one transaction."""

    def __init__(self, writes: sessionmaker[Session]) -> None:
        self._writes = writes
        self._changed = threading.Condition()
        self._waiting: list[_Waiting] = []
        self._thread: threading.Thread | None = None
        self._closed = False

    def insert(self, row: dict[str, Any]) -> None:
        entry = _Waiting(row=row, stored=threading.Event())
        with self._changed:
            if self._closed:
                raise RuntimeError("the job queue is closed")
            if self._thread is None:  # started on first use: stores that never queue need none
                self._thread = threading.Thread(
                    target=self._run, name="walkaway-job-writer", daemon=True
                )
                self._thread.start()
            self._waiting.append(entry)
            self._changed.notify()
        if not entry.stored.wait(PUT_TIMEOUT) and not self._withdraw_or_wait(entry):
            raise TimeoutError(f"the job was not stored within {PUT_TIMEOUT:g} s")
        if entry.error is not None:
            raise entry.error

    def _withdraw_or_wait(self, entry: _Waiting) -> bool:
        """After a timeout: True once the row's transaction has ended, False if it never will.

        A caller that raises must not have its job run later (its listener does not ack; the
        person is told to try again), so a row the writer has not taken yet is withdrawn; one
        already in the writer's transaction gets the outcome of that transaction, for up to
        PUT_TIMEOUT more.
        """
        with self._changed:
            queued = any(waiting is entry for waiting in self._waiting)
            if queued:
                self._waiting = [waiting for waiting in self._waiting if waiting is not entry]
                return False
        if entry.stored.wait(PUT_TIMEOUT):
            return True
        log.error("a job's insert is still running after %g s: it may yet be stored", PUT_TIMEOUT)
        return False

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(PUT_TIMEOUT)

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                batch, self._waiting = self._waiting, []
            if not batch:
                return  # closed, and nothing left to store
            self._store(batch)

    def _store(self, batch: list[_Waiting]) -> None:
        try:
            with self._writes.begin() as s:
                s.execute(
                    insert(Job), [{**entry.row, "attempts": 0, "failures": 0} for entry in batch]
                )
        except Exception as error:  # every listener in the batch raises it: none acks
            log.exception("could not store %d job(s)", len(batch))
            for entry in batch:
                entry.error = error
        for entry in batch:
            entry.stored.set()
