"""The job queue keeps acknowledged work until a worker has done it, on SQLite and PostgreSQL.

Every test gets a database of its own (Store.open migrates it, and with SQLite its sibling jobs
file), because the queue's answers (the oldest job, how many wait) are about the whole table.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError

import storage.jobs
from storage import Store
from storage.base import sessions
from storage.columns import utcnow
from storage.db import jobs_database_url, make_engine, migrate, normalize_url
from storage.intake import Intake, _connect, recover_orphans
from storage.jobs import MAX_KIND, JobQueue, QueuedJob
from tests.slack.signed import button_click

LONG_AGO = timedelta(minutes=5)


def _a_while_ago() -> datetime:
    """A stale limit no fresh claim is older than (the worker's default is five minutes)."""
    return datetime.now(UTC) - LONG_AGO


def command_body(n: int = 0, *, text: str = "Acme renewal") -> dict[str, Any]:
    """A slash command as Bolt parses Slack's form post: every field a string."""
    return {
        "token": "verification-token-unused",
        "team_id": "T1",
        "team_domain": "fake-workspace",
        "channel_id": "C1",
        "channel_name": "deals",
        "user_id": "U0REP",
        "user_name": "rep",
        "command": "/walkaway",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": f"https://hooks.slack.com/commands/T1/{n}/abc",
        "trigger_id": f"{n}.1700000000.0123456789abcdef",
        "n": str(n),
    }


def click_body() -> dict[str, Any]:
    """A block_actions body: nested objects and lists, booleans, None, non-ASCII text."""
    body = button_click(
        "U0REP",
        "T1",
        "DU0REP",
        "1700000000.000100",
        "answer",
        json.dumps({"session": 42, "question": "deal.stage", "value": "renewal"}),
        "deal.stage|3",
        message_text="Où en est l\u2019affaire ? \u201cAcme\u201d & <Globex> 🚀",
        message_blocks=[
            {
                "type": "section",
                "block_id": "q",
                "text": {"type": "mrkdwn", "text": "*Stage?* naïve café — 100 %"},
            }
        ],
        response_url="https://hooks.slack.com/actions/T1/1/xyz",
    )
    body["state"] = {
        "values": {"note_input": {"note": {"type": "plain_text_input", "value": None}}}
    }
    return body


@pytest.fixture
def url(fresh_url: Callable[[], str]) -> str:
    return fresh_url()


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    """A Store on a new database (overrides conftest's shared one: the queue is table-wide)."""
    opened = Store.open(url)
    yield opened
    opened.close()


@pytest.fixture
def queue(store: Store) -> JobQueue:
    return store.jobs


@pytest.fixture
def group_commit(url: str, store: Store) -> Iterator[JobQueue]:
    """The queue written straight through its group-commit writer, as on PostgreSQL: on a SQLite
    file the Store's own queue takes acks into a process intake first (tests below)."""
    engine = make_engine(jobs_database_url(url) or url)
    reads, writes = sessions(engine)
    direct = JobQueue(reads=reads, writes=writes)
    yield direct
    direct.close()
    engine.dispose()


def take(queue: JobQueue, *, worker: str = "w1", stale_before: datetime | None = None) -> QueuedJob:
    job = queue.take(worker=worker, stale_before=stale_before or _a_while_ago())
    assert job is not None, "expected a job to take"
    return job


# -- put, take, done --------------------------------------------------------------------------


def test_a_stored_slack_body_comes_back_intact_and_is_claimed_once(queue: JobQueue) -> None:
    body = click_body()
    before = datetime.now(UTC)

    queue.put(kind="actions.answer", payload=body)

    assert queue.waiting() == 1
    job = take(queue)
    assert job.kind == "actions.answer"
    assert job.payload == body
    assert job.attempts == 1
    assert job.enqueued_at.tzinfo is not None
    assert before - timedelta(seconds=1) <= job.enqueued_at <= datetime.now(UTC)
    assert queue.take(worker="w2", stale_before=_a_while_ago()) is None, "claimed: not again"
    assert queue.waiting() == 1, "a running job still counts as waiting"

    queue.done(job_id=job.id)

    assert queue.waiting() == 0
    assert queue.take(worker="w2", stale_before=_a_while_ago()) is None


def test_an_empty_queue_has_nothing_to_take(queue: JobQueue) -> None:
    assert queue.waiting() == 0
    assert queue.take(worker="w1", stale_before=_a_while_ago()) is None


def test_jobs_are_taken_oldest_first(queue: JobQueue) -> None:
    for n in range(5):
        queue.put(kind="commands.walkaway", payload=command_body(n))

    taken = [take(queue) for _ in range(5)]

    assert [job.payload["n"] for job in taken] == ["0", "1", "2", "3", "4"]
    assert [job.id for job in taken] == sorted(job.id for job in taken)
    assert queue.take(worker="w1", stale_before=_a_while_ago()) is None
    for job in taken:
        queue.done(job_id=job.id)
    assert queue.waiting() == 0


def test_done_forgets_only_the_job_it_names(queue: JobQueue) -> None:
    queue.put(kind="commands.walkaway", payload=command_body(1))
    queue.put(kind="commands.walkaway", payload=command_body(2))
    first = take(queue)

    queue.done(job_id=first.id)

    assert queue.waiting() == 1
    assert take(queue).payload["n"] == "2"


def test_exchange_forgets_finished_jobs_and_claims_up_to_its_limit_in_one_go(
    queue: JobQueue,
) -> None:
    for n in range(5):
        queue.put(kind="commands.walkaway", payload=command_body(n))
    first = queue.exchange(worker="w1", stale_before=_a_while_ago(), limit=3)
    assert [job.payload["n"] for job in first] == ["0", "1", "2"]

    second = queue.exchange(
        worker="w1", stale_before=_a_while_ago(), finished=[first[0].id, first[1].id], limit=3
    )

    assert [job.payload["n"] for job in second] == ["3", "4"], "only two were left to claim"
    assert queue.waiting() == 3, "the two finished are gone; one old and two new are held"
    cleared = queue.exchange(
        worker="w1",
        stale_before=_a_while_ago(),
        finished=[first[2].id, *(job.id for job in second)],
        limit=0,
    )
    assert cleared == []
    assert queue.waiting() == 0


def test_a_claim_older_than_the_stale_limit_is_taken_again(queue: JobQueue) -> None:
    queue.put(kind="commands.walkaway", payload=command_body(7))
    first = take(queue, worker="died")
    assert queue.take(worker="w2", stale_before=_a_while_ago()) is None, "claim is fresh"

    # Everything claimed before a moment just past counts as stale: the holder died.
    again = take(queue, worker="w2", stale_before=datetime.now(UTC) + timedelta(seconds=1))

    assert (again.id, again.attempts, again.payload) == (first.id, 2, first.payload)
    assert queue.take(worker="w3", stale_before=_a_while_ago()) is None, "re-claimed: fresh"
    third = take(queue, worker="w3", stale_before=datetime.now(UTC) + timedelta(seconds=1))
    assert third.attempts == 3
    queue.done(job_id=third.id)
    assert queue.waiting() == 0


def test_a_stale_claim_does_not_jump_ahead_of_older_jobs(queue: JobQueue) -> None:
    queue.put(kind="k", payload={"n": 1})
    queue.put(kind="k", payload={"n": 2})
    one = take(queue, worker="died")
    future = datetime.now(UTC) + timedelta(seconds=1)

    assert take(queue, stale_before=future).id == one.id, "the oldest, claimed or stale"
    assert take(queue, stale_before=_a_while_ago()).payload == {"n": 2}


# -- concurrency --------------------------------------------------------------------------------


def test_concurrent_takers_never_get_the_same_job(url: str, store: Store) -> None:
    """Two "processes" (Stores) with two threads each drain 50 jobs: each exactly once."""
    for n in range(50):
        store.jobs.put(kind="commands.walkaway", payload=command_body(n))
    other = Store.open(url, migrate=False)
    queues = [store.jobs, store.jobs, other.jobs, other.jobs]
    barrier = threading.Barrier(len(queues), timeout=30)
    taken: list[list[QueuedJob]] = [[] for _ in queues]
    errors: list[BaseException] = []

    def drain(n: int) -> None:
        try:
            barrier.wait()
            while (job := queues[n].take(worker=f"w{n}", stale_before=_a_while_ago())) is not None:
                taken[n].append(job)
                queues[n].done(job_id=job.id)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=drain, args=(n,)) for n in range(len(queues))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        other.close()

    assert errors == []
    everything = [job for jobs in taken for job in jobs]
    assert len(everything) == 50
    assert len({job.id for job in everything}) == 50, "a job was handed to two takers"
    assert sorted(int(job.payload["n"]) for job in everything) == list(range(50))
    assert all(job.attempts == 1 for job in everything)
    assert store.jobs.waiting() == 0


def test_many_threads_putting_at_once_all_get_stored(queue: JobQueue) -> None:
    barrier = threading.Barrier(40, timeout=30)
    errors: list[BaseException] = []

    def put(n: int) -> None:
        try:
            barrier.wait()
            queue.put(kind="commands.walkaway", payload=command_body(n))
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=put, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert queue.waiting() == 40, "put returned, so the job must be stored"
    payloads = [take(queue).payload for _ in range(40)]
    assert sorted(int(p["n"]) for p in payloads) == list(range(40))


class _JobsLock:
    """Another connection holding the lock that inserting into `jobs` needs, as a busy writer
    would: SQLite's file write lock, PostgreSQL's SHARE lock on the table."""

    def __init__(self, url: str) -> None:
        self._url = normalize_url(url)
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Engine | None = None
        self._pg: Connection | None = None

    def __enter__(self) -> _JobsLock:
        if self._url.get_backend_name() == "sqlite":
            self._sqlite = sqlite3.connect(str(self._url.database), isolation_level=None)
            self._sqlite.execute("BEGIN IMMEDIATE")
        else:
            self._engine = make_engine(self._url.render_as_string(hide_password=False))
            self._pg = self._engine.connect()
            self._pg.execute(text("LOCK TABLE jobs IN SHARE MODE"))
        return self

    def __exit__(self, *_: object) -> None:
        if self._sqlite is not None:
            self._sqlite.execute("COMMIT")
            self._sqlite.close()
        if self._pg is not None:
            self._pg.rollback()
            self._pg.close()
        if self._engine is not None:
            self._engine.dispose()


def _queue_in_one_database(url: str) -> tuple[Store, list[int]]:
    """A Store whose queue shares its engine, and a count of that engine's commits."""
    engine = make_engine(url)
    migrate(engine)
    commits: list[int] = [0]

    @event.listens_for(engine, "commit")
    def _count(_conn: Connection) -> None:
        commits[0] += 1

    return Store(engine), commits


def _put_from_threads(
    queue: JobQueue, payloads: list[dict[str, Any]], *, kind: str = "commands.walkaway"
) -> tuple[list[threading.Thread], list[BaseException | None]]:
    """Start one thread per payload calling put; return once every one of them has called it.

    The results list holds, per payload, the exception its put raised (None: it returned)."""
    results: list[BaseException | None] = [None] * len(payloads)
    entered = threading.Semaphore(0)

    def put(n: int) -> None:
        entered.release()
        try:
            queue.put(kind=kind, payload=payloads[n])
        except BaseException as error:  # the test inspects who failed
            results[n] = error

    threads = [threading.Thread(target=put, args=(n,)) for n in range(len(payloads))]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert entered.acquire(timeout=10)
    return threads, results


def test_puts_waiting_for_a_busy_database_are_stored_together(
    fresh_url: Callable[[], str],
) -> None:
    """Group commit: rows that pile up while the writer waits go in one transaction."""
    url = fresh_url()
    store, commits = _queue_in_one_database(url)
    try:
        store.jobs.put(kind="warm.up", payload={})  # the writer thread is running
        commits[0] = 0
        with _JobsLock(url):
            threads, results = _put_from_threads(store.jobs, [command_body(n) for n in range(20)])
            time.sleep(0.3)  # every caller is now waiting for the writer, which waits for us
            assert store.jobs.waiting() == 1, "nothing is stored while the lock is held"
        for thread in threads:
            thread.join(15)

        assert results == [None] * 20
        assert store.jobs.waiting() == 21
        assert commits[0] <= 3, f"20 rows took {commits[0]} commits: no group commit"
    finally:
        store.close()


def test_a_failed_insert_fails_every_caller_in_its_transaction_and_stores_none_of_them(
    fresh_url: Callable[[], str],
) -> None:
    """One row the database cannot take fails its whole batch: no caller may ack a job that
    was not stored, and no row of a failed transaction survives it."""
    url = fresh_url()
    store, _commits = _queue_in_one_database(url)
    bad = {**command_body(99), "at": datetime.now(UTC)}  # not JSON: the insert fails
    try:
        store.jobs.put(kind="warm.up", payload={})
        with _JobsLock(url):
            opener, opened = _put_from_threads(store.jobs, [command_body(-1)])
            time.sleep(0.1)  # the writer has taken the opener's row and waits for the lock
            threads, results = _put_from_threads(
                store.jobs, [*(command_body(n) for n in range(10)), bad]
            )
            time.sleep(0.3)
        for thread in [*opener, *threads]:
            thread.join(15)

        assert isinstance(results[-1], Exception), "the caller with the bad row must hear of it"
        failed = [n for n, error in enumerate(results[:-1]) if error is not None]
        assert failed, "good rows sharing the failed transaction failed with it"
        assert all(type(results[n]) is type(results[-1]) for n in failed)
        stored = []
        while (job := store.jobs.take(worker="w", stale_before=_a_while_ago())) is not None:
            stored.append(job.payload.get("n"))
        succeeded = [str(n) for n, error in enumerate(results[:-1]) if error is None]
        expected = (["-1"] if opened == [None] else []) + succeeded
        assert sorted(n for n in stored if n is not None) == sorted(expected), (
            "exactly the callers whose put returned have their job stored"
        )
        assert "99" not in stored
    finally:
        store.close()


def test_a_put_that_gave_up_waiting_is_never_stored_later(
    url: str, group_commit: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A caller that raised does not ack, and the person is told to try again: its job must
    not turn up afterwards. One already in the writer's transaction gets that outcome."""
    monkeypatch.setattr(storage.jobs, "PUT_TIMEOUT", 0.6)
    group_commit.put(kind="warm.up", payload={})
    with _JobsLock(jobs_database_url(url) or url):
        in_flight, in_flight_result = _put_from_threads(group_commit, [command_body(1)])
        time.sleep(0.2)  # the writer has taken job 1 and waits for the lock
        queued, queued_result = _put_from_threads(group_commit, [command_body(2)])
        for thread in queued:
            thread.join(5)
        assert isinstance(queued_result[0], TimeoutError)
    for thread in in_flight:
        thread.join(5)

    assert in_flight_result == [None], "its transaction committed in time: stored, no error"
    time.sleep(0.2)  # the writer would have stored job 2 by now
    assert group_commit.waiting() == 2
    take(group_commit)  # warm.up
    assert take(group_commit).payload == command_body(1)


def test_a_database_error_reaches_every_caller(url: str, group_commit: JobQueue) -> None:
    group_commit.put(kind="warm.up", payload={})
    engine = make_engine(jobs_database_url(url) or url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE jobs"))  # an operator's mistake, a broken restore
    finally:
        engine.dispose()

    threads, results = _put_from_threads(group_commit, [command_body(n) for n in range(10)])
    for thread in threads:
        thread.join(15)

    assert all(isinstance(error, DBAPIError) for error in results), results


def test_the_queue_keeps_working_after_a_failed_insert(queue: JobQueue) -> None:
    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises, it must raise
        queue.put(kind="commands.walkaway", payload={"not json": {1, 2, 3}})

    queue.put(kind="commands.walkaway", payload=command_body(1))

    assert queue.waiting() == 1
    assert take(queue).payload == command_body(1)


@pytest.mark.parametrize("kind", ["", "k" * (MAX_KIND + 1)])
def test_kinds_outside_the_column_limit_are_refused_before_storing(
    queue: JobQueue, kind: str
) -> None:
    with pytest.raises(ValueError, match="job kinds"):
        queue.put(kind=kind, payload=command_body())
    assert queue.waiting() == 0


def test_a_kind_at_the_column_limit_is_stored(queue: JobQueue) -> None:
    queue.put(kind="k" * MAX_KIND, payload={})
    assert take(queue).kind == "k" * MAX_KIND


def test_put_after_close_raises_and_stores_nothing(queue: JobQueue) -> None:
    queue.put(kind="commands.walkaway", payload=command_body(1))

    queue.close()

    with pytest.raises(RuntimeError, match="closed"):
        queue.put(kind="commands.walkaway", payload=command_body(2))
    assert queue.waiting() == 1
    assert take(queue).payload["n"] == "1", "claims and reads still work after close"


def test_close_before_any_put_is_fine(queue: JobQueue) -> None:
    queue.close()
    queue.close()
    with pytest.raises(RuntimeError):
        queue.put(kind="k", payload={})


# -- where the queue lives --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "sibling"),
    [
        ("sqlite:///walkaway.db", "sqlite:///walkaway-jobs.db"),
        ("sqlite:///data/app.sqlite3", "sqlite:///data/app-jobs.sqlite3"),
        ("sqlite:////var/lib/walkaway/walkaway.db", "sqlite:////var/lib/walkaway/walkaway-jobs.db"),
        ("sqlite:///./v1.2/walkaway", "sqlite:///v1.2/walkaway-jobs"),
        ("sqlite:///walkaway.db?timeout=10", "sqlite:///walkaway-jobs.db?timeout=10"),
    ],
)
def test_a_sqlite_file_keeps_its_queue_in_a_sibling_file(url: str, sibling: str) -> None:
    assert jobs_database_url(url) == sibling


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite:///file:walkaway.db?mode=rwc&uri=true",
        "postgresql://postgres@127.0.0.1:5432/test",
        "postgres://u:p@db.example:5432/walkaway",
        "postgresql+psycopg://u:p@db.example/walkaway",
    ],
)
def test_memory_uri_and_postgresql_databases_keep_the_queue_inside(url: str) -> None:
    assert jobs_database_url(url) is None


def test_store_open_puts_a_sqlite_files_queue_beside_it(tmp_path: Path) -> None:
    main = tmp_path / "data" / "walkaway.db"
    sibling = tmp_path / "data" / "walkaway-jobs.db"
    store = Store.open(f"sqlite:///{main}")
    try:
        assert sibling.exists(), "Store.open creates and migrates the jobs file"
        store.jobs.put(kind="commands.walkaway", payload=command_body(5))
    finally:
        store.close()

    def jobs_in(path: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(path) as conn:
            return conn.execute("SELECT kind, payload FROM jobs").fetchall()

    assert jobs_in(main) == [], "the main file's jobs table stays empty"
    [(kind, payload)] = jobs_in(sibling)
    assert kind == "commands.walkaway" and json.loads(payload) == command_body(5)


def test_a_queue_in_a_sibling_file_is_shared_by_every_store_on_the_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    acking, working = Store.open(url), Store.open(url)
    try:
        acking.jobs.put(kind="commands.walkaway", payload=command_body(3))
        acking.close()  # the process that acked is gone

        job = take(working.jobs)
        assert job.payload == command_body(3)
    finally:
        working.close()


def test_an_in_memory_store_has_a_working_queue_of_its_own() -> None:
    store = Store.open("sqlite://")
    try:
        store.jobs.put(kind="commands.walkaway", payload=command_body(1))
        assert take(store.jobs).payload == command_body(1)
    finally:
        store.close()


# -- the process intake (SQLite files) --------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'walkaway.db'}")
    yield opened
    opened.close()


def _intakes(directory: Path) -> list[Path]:
    return sorted(directory.glob("walkaway-intake-*.db"))


def test_an_ack_writes_only_this_processes_intake_and_the_job_reaches_the_queue(
    sqlite_store: Store, tmp_path: Path
) -> None:
    with _JobsLock(f"sqlite:///{tmp_path / 'walkaway-jobs.db'}"):  # the shared file is busy
        started = time.monotonic()
        sqlite_store.jobs.put(kind="commands.walkaway", payload=command_body(1))
        assert time.monotonic() - started < 0.5, "the put did not wait for the queue's file"
        assert _intakes(tmp_path), "it is in this process's intake"
        assert sqlite_store.jobs.waiting() == 1, "waiting counts what the intake holds"
    job = take(sqlite_store.jobs)
    assert job.payload == command_body(1)
    assert sqlite_store.jobs.waiting() == 1, "claimed, not done: still waiting"


def _stranded(directory: Path, pid: int, key: str, payload: dict[str, Any]) -> Path:
    """The intake a process killed before its mover ran leaves behind (one acked job)."""
    path = directory / f"walkaway-intake-{pid}.db"
    connection = _connect(path)
    connection.execute(
        "INSERT INTO intake (key, kind, payload, enqueued_at) VALUES (?, ?, ?, ?)",
        (key, "actions.answer", json.dumps(payload), datetime.now(UTC).isoformat()),
    )
    connection.close()
    return path


def test_the_intake_of_a_process_that_died_is_moved_into_the_queue_once(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'walkaway.db'}")
    try:
        dead = _stranded(tmp_path, 999_999_999, "k" * 32, command_body(2))  # no such process

        assert store.jobs.recover_orphans() == 1
        assert not dead.exists(), "the dead process's intake is gone once moved"
        job = take(store.jobs)
        assert (job.kind, job.key, job.payload) == ("actions.answer", "k" * 32, command_body(2))

        _stranded(tmp_path, 999_999_998, "k" * 32, command_body(2))  # a move repeated
        assert store.jobs.recover_orphans() == 1, "read and moved..."
        assert store.jobs.waiting() == 1, "...but the same key is not queued twice"
    finally:
        store.close()


def test_a_live_processes_intake_is_left_to_it(tmp_path: Path) -> None:
    import os

    parent = os.getppid()  # alive, and not this process
    mine = _stranded(tmp_path, parent, "p" * 32, command_body(3))
    store = Store.open(f"sqlite:///{tmp_path / 'walkaway.db'}")
    try:
        assert store.jobs.recover_orphans() == 0
        assert mine.exists()
    finally:
        store.close()


def test_closing_moves_what_is_left_and_removes_the_intake(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'walkaway.db'}")
    for n in range(5):
        store.jobs.put(kind="commands.walkaway", payload=command_body(n))
    store.close()

    assert _intakes(tmp_path) == []
    reopened = Store.open(f"sqlite:///{tmp_path / 'walkaway.db'}")
    try:
        assert reopened.jobs.waiting() == 5
    finally:
        reopened.close()


def test_two_moves_at_once_store_each_row_once(tmp_path: Path) -> None:
    """A worker's flush while the mover is mid-move waits for it instead of moving the same rows.

    Moved twice, a row whose job had been run and deleted in between would be queued again
    (the queue only ignores a key it still holds), and its job would run twice.
    """
    stores: list[list[str]] = []
    inside, second, release = threading.Event(), threading.Event(), threading.Event()

    def store_rows(rows: list[dict[str, Any]]) -> None:
        stores.append([row["key"] for row in rows])
        if inside.is_set():
            second.set()  # a second move got to the queue while the first was still in it
            return
        inside.set()
        assert release.wait(10)

    intake = Intake(tmp_path, store_rows, moved=lambda: None)
    for n in range(3):
        intake.put(
            {"key": f"k{n}", "kind": "commands.walkaway", "payload": {}, "enqueued_at": utcnow()}
        )
    first = threading.Thread(target=intake.flush)
    first.start()
    assert inside.wait(10), "a move began"
    other = threading.Thread(target=intake.flush)
    other.start()
    overlapped = second.wait(0.5)  # bounded: with the fix the second move never gets here
    release.set()
    first.join(10)
    other.join(10)
    intake.close()

    assert not overlapped, f"two moves stored the same rows: {stores}"
    assert sorted(key for keys in stores for key in keys) == ["k0", "k1", "k2"]


def test_an_orphan_intake_another_process_is_moving_is_left_to_it(tmp_path: Path) -> None:
    import fcntl

    dead = _stranded(tmp_path, 999_999_997, "o" * 32, command_body(4))
    with open(dead.with_suffix(".lock"), "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # as a process starting at the same moment would
        assert recover_orphans(tmp_path, lambda rows: pytest.fail("moved twice")) == 0
    assert dead.exists(), "left for the process moving it"
