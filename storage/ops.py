"""Operations: what the probes and /metrics read, and the retention purge (`store.ops`).

* `ping` and `schema_problems` answer /readyz: can each database be reached, and is it at the
  migration head this code was built with (on SQLite the job queue's own file too).
* `queue_state` is read at every /metrics scrape, from the queue table itself, so the figures
  are right however many processes share it: jobs waiting for a worker, running, and put back
  after a failed attempt, by kind; and how long the oldest waiting job has waited.
* `purge` deletes what only a re-run could still need, once no re-run can come: claims
  (idempotency_keys) and the post records a job keeps of its own replies
  (`respond:<job>:<n>`, bot/slack/effects.py), older than the retention. A job is given up
  after about a day, so a month later its claims are dead weight; a claim whose owner is still
  in the queue is kept whatever its age. Named posts (`card:42`, `question:7:12`, `ping:…`) are
  never purged: they say where a message is, which later updates and re-runs of other jobs
  read, at any age. Nudge rows are the once-per-date rule of re-check nudges and stay too.
  It deletes in batches of `PURGE_BATCH` rows, each its own short transaction, oldest first,
  so it never holds a lock for long.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ColumnElement, Engine, and_, case, delete, func, literal, or_, select, text
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from storage import db
from storage.columns import UTCDateTime
from storage.models import IdempotencyKey, Job, SlackPost
from storage.ops_models import CLAIMS_BY_AGE, POSTS_BY_AGE

PURGE_BATCH = 500
INDEXES = (CLAIMS_BY_AGE, POSTS_BY_AGE)


@dataclass(frozen=True)
class KindCounts:
    kind: str
    queued: int
    """Waiting for a worker now (never claimed, or its claim went stale)."""
    running: int
    """Claimed by a worker that keeps its claim fresh."""
    failed: int
    """Put back after a failed attempt, waiting out its delay before the next."""


@dataclass(frozen=True)
class QueueState:
    kinds: tuple[KindCounts, ...]
    oldest_waiting_since: datetime | None
    """When the longest-waiting job became claimable (its enqueue, or the end of its delay)."""
    oldest_enqueued_at: datetime | None
    """The oldest job in the queue in any state, running or waiting out a retry delay."""


@dataclass(frozen=True)
class Purged:
    claims: int
    posts: int


class Ops:
    def __init__(
        self,
        *,
        engines: Sequence[Engine],
        reads: sessionmaker[Session],
        writes: sessionmaker[Session],
        job_reads: sessionmaker[Session],
    ) -> None:
        self._engines = tuple(engines)
        self._reads = reads
        self._writes = writes
        self._job_reads = job_reads

    def ping(self) -> None:
        """Raises whatever the driver raises when a database does not answer `SELECT 1`."""
        for engine in self._engines:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))

    def schema_problems(self) -> list[str]:
        """One sentence per database not at this code's migration head (empty: all current)."""
        head = migration_heads()
        problems: list[str] = []
        for engine in self._engines:
            with engine.connect() as connection:
                current = set(MigrationContext.configure(connection).get_current_heads())
            if current != head:
                name = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
                where = f"the database {name}" if name else "the database"
                at = ", ".join(sorted(current)) or "no migration"
                problems.append(
                    f"{where} is at {at}; this version of the app needs {', '.join(sorted(head))}"
                )
        return problems

    def queue_state(self, *, now: datetime, stale_before: datetime) -> QueueState:
        """The queue as every process sees it, in two reads of the (small) jobs table."""
        running = and_(Job.claimed_at.is_not(None), Job.claimed_at >= stale_before)
        delayed = and_(~running, Job.run_after.is_not(None), Job.run_after > now)
        waiting = and_(~running, or_(Job.run_after.is_(None), Job.run_after <= now))
        since = func.coalesce(Job.run_after, Job.enqueued_at)
        with self._job_reads() as s:
            rows: Sequence[Any] = s.execute(
                select(
                    Job.kind,
                    func.count(),
                    func.sum(case((running, 1), else_=0)),
                    func.sum(case((delayed, 1), else_=0)),
                )
                .group_by(Job.kind)
                .order_by(Job.kind)
            ).all()
            oldest: Any
            oldest_waiting: Any
            oldest_waiting, oldest = s.execute(
                select(
                    func.min(case((waiting, since), else_=None), type_=UTCDateTime()),
                    func.min(Job.enqueued_at, type_=UTCDateTime()),
                )
            ).one()
        kinds = tuple(
            KindCounts(
                kind=kind,
                queued=int(total) - int(run or 0) - int(late or 0),
                running=int(run or 0),
                failed=int(late or 0),
            )
            for kind, total, run, late in rows
        )
        return QueueState(
            kinds=kinds, oldest_waiting_since=oldest_waiting, oldest_enqueued_at=oldest
        )

    def purge(self, *, before: datetime, batch: int = PURGE_BATCH) -> Purged:
        """Delete claims and job-scoped post records older than `before` (see the docstring)."""
        # A job's own post records carry its key inside theirs: `respond:<job key>:<n>`.
        own = SlackPost.key.contains(literal(":").concat(SlackPost.owner).concat(":"))
        return Purged(
            claims=self._purge(IdempotencyKey, IdempotencyKey.created_at, before, batch),
            posts=self._purge(
                SlackPost,
                SlackPost.started_at,
                before,
                batch,
                SlackPost.owner.is_not(None),
                own,
            ),
        )

    def _purge(
        self, model: Any, at: Any, before: datetime, batch: int, *where: ColumnElement[bool]
    ) -> int:
        """Delete `model`'s rows older than `before` (by `at`) in batches, oldest first, each its
        own transaction, keeping those whose job (`owner`) is still queued."""
        deleted = 0
        after: tuple[datetime, str] | None = None
        while True:
            with self._reads() as s:  # a plain read: nothing is locked while looking
                query = select(model.key, at, model.owner).where(at < before, *where)
                if after is not None:
                    query = query.where(_past(at, model.key, after))
                rows = s.execute(query.order_by(at, model.key).limit(batch)).all()
            if not rows:
                return deleted
            live = self._live_jobs({str(owner) for _, _, owner in rows if owner})
            doomed = [key for key, _, owner in rows if owner not in live]
            if doomed:
                with self._writes.begin() as s:
                    result = s.execute(delete(model).where(model.key.in_(doomed), at < before))
                    deleted += int(getattr(result, "rowcount", 0) or 0)
            if len(rows) < batch:
                return deleted
            after = (rows[-1][1], rows[-1][0])

    def _live_jobs(self, keys: set[str]) -> set[str]:
        """Those of `keys` that are jobs still in the queue (their re-runs need their claims)."""
        if not keys:
            return set()
        with self._job_reads() as s:
            return set(s.scalars(select(Job.key).where(Job.key.in_(sorted(keys)))))


def _past(
    moment: InstrumentedAttribute[datetime],
    key: InstrumentedAttribute[str],
    after: tuple[datetime, str],
) -> ColumnElement[bool]:
    """Rows ordered after `after` by (moment, key): where the previous batch stopped."""
    at, last = after
    # The plain `>=` lets the index start the range there; the OR alone would read from the top.
    return and_(moment >= at, or_(moment > at, key > last))


@cache
def migration_heads() -> frozenset[str]:
    """The head revision(s) this code's migrations end at (read once: it cannot change)."""
    script = ScriptDirectory.from_config(db.alembic_config())
    return frozenset(script.get_heads())
