"""The Store: the one door between the app and its database.

Its methods come from one module per aggregate: people.py (workspaces, people, claims),
qualifications.py (sessions and answers), walkaways.py (records), recipients.py (who a
draft is for), posts.py (messages posted once), nudges.py (re-check nudges, due lists),
rechecks.py (a re-check's link to the record it looks at again, and a deal's history),
report.py (the export's records of a period, in batches), and, as
attributes, approvals.py (`store.approvals`), conditions.py (`store.conditions`), pathback.py
(`store.pathback`) and jobs.py (`store.jobs`); search is storage/search/.
Methods take keyword arguments only and return frozen records, never ORM rows, so nothing
outside storage can lazy-load, hold a transaction open, or write by accident; how writes lock
is in storage/base.py.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from storage import db
from storage.approvals import Approvals
from storage.base import sessions
from storage.conditions import Conditions
from storage.digest import Digests
from storage.errors import DatabaseUrlError
from storage.insight import Insight
from storage.jobs import JobQueue
from storage.nudges import Nudges
from storage.pathback import PathBack
from storage.people import People
from storage.posts import Posts
from storage.qualifications import Qualifications
from storage.rechecks import Rechecks
from storage.recipients import Recipients
from storage.report import Reports
from storage.walkaways import Records


class Store(People, Qualifications, Records, Posts, Recipients, Nudges, Rechecks, Reports):
    """Every aggregate's repository over one database (and, on SQLite, the jobs file)."""

    def __init__(self, engine: Engine, *, jobs_engine: Engine | None = None) -> None:
        self._engine = engine
        self._jobs_engine = jobs_engine
        self._reads, self._writes = sessions(engine)
        self._ids = {}
        self.approvals = Approvals(reads=self._reads, writes=self._writes)
        """Managers, approval settings and managers' positions on records."""
        self.conditions = Conditions(reads=self._reads, writes=self._writes)
        """Each record's re-engagement conditions, as items to tick (storage/conditions.py)."""
        self.pathback = PathBack(reads=self._reads, writes=self._writes)
        """Re-check dates and their default, They came back, a rep's deals (storage/pathback.py)."""
        self.digest = Digests(reads=self._reads, writes=self._writes)
        """The weekly digest: its setting, its once-a-week claims, its lists (storage/digest.py)."""
        self.insight = Insight(reads=self._reads, writes=self._writes)
        """Team numbers for App Home and the digest (storage/insight.py)."""
        job_reads, job_writes = (
            sessions(jobs_engine) if jobs_engine else (self._reads, self._writes)
        )
        intake_dir = _file_directory(jobs_engine) if jobs_engine is not None else None
        self.jobs = JobQueue(reads=job_reads, writes=job_writes, intake_dir=intake_dir)
        """Work acknowledged to Slack and waiting for a worker (bot/slack/worker.py)."""

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        """Engines for `url` (and its jobs file), migrated to head unless told not to.

        A URL that cannot be used (malformed, unknown kind, unreachable, refused, a file that
        cannot be opened) raises DatabaseUrlError with the reason, before any work is done.
        """
        engine = db.make_engine(url)
        jobs_engine: Engine | None = None
        try:
            if migrate:
                db.migrate(engine)
            jobs_url = db.jobs_database_url(url)
            if jobs_url is not None:
                jobs_engine = _jobs_engine(jobs_url, migrate=migrate)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine, jobs_engine=jobs_engine)

    def close(self) -> None:
        """Release pooled connections (tests and CLI commands that open many stores)."""
        self.jobs.close()
        self._engine.dispose()
        if self._jobs_engine is not None:
            self._jobs_engine.dispose()


def _jobs_engine(url: str, *, migrate: bool) -> Engine:
    """The SQLite job queue's own file; its failures name it, as the setting names the other."""
    try:
        engine = db.make_engine(url)
        try:
            if migrate:
                db.migrate(engine)
        except BaseException:
            engine.dispose()
            raise
    except DatabaseUrlError as problem:
        raise DatabaseUrlError(
            f"its job queue file {db.normalize_url(url).database}: {problem}"
        ) from problem
    return engine


def _file_directory(engine: Engine) -> Path | None:
    """Where a SQLite file lives: its process intakes go beside it (storage/intake.py)."""
    database = engine.url.database
    return Path(database).resolve().parent if database and database != ":memory:" else None
