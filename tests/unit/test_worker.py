"""Workers run each queued job once, survive bad jobs, and leave unstarted work for the next one.

A real JobQueue on a SQLite file in tmp_path, with test kinds of work that record their calls;
the Web API client is never reached (no work here calls it).
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack.jobs import Jobs, response_url_of
from bot.slack.neighbours import machine
from bot.slack.worker import Worker
from storage import Store
from storage.jobs import QueuedJob

UNREACHABLE_API = "http://127.0.0.1:9/api/"


@dataclass
class Calls:
    """What the test kinds of work were given, in the order they ran."""

    bodies: list[dict[str, Any]] = field(default_factory=list)
    response_urls: list[str | None] = field(default_factory=list)
    threads: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, body: dict[str, Any], respond: Respond) -> None:
        with self.lock:
            self.bodies.append(body)
            self.response_urls.append(respond.response_url)
            self.threads.add(threading.current_thread().name)

    def ns(self) -> list[int]:
        with self.lock:
            return [int(body["n"]) for body in self.bodies]


@dataclass
class Rig:
    url: str
    store: Store
    jobs: Jobs
    calls: Calls
    client: WebClient
    workers: list[Worker] = field(default_factory=list)
    started: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def worker(self, *, threads: int = 2, **options: Any) -> Worker:
        worker = Worker(self.jobs, self.client, threads=threads, **options)
        self.workers.append(worker)
        return worker


def define_kinds(
    jobs: Jobs, calls: Calls, started: threading.Event, release: threading.Event
) -> None:

    def record(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        calls.record(body, respond)

    def boom(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        calls.record(body, respond)
        raise RuntimeError("the work broke")

    def slow(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        started.set()
        assert release.wait(10), "the test never released the slow job"
        calls.record(body, respond)

    jobs.define("test.record", record)
    jobs.define("test.boom", boom)
    jobs.define("test.slow", slow)


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    store = Store.open(url)
    calls = Calls()
    rig = Rig(
        url=url,
        store=store,
        jobs=Jobs(store.jobs),
        calls=calls,
        client=WebClient(token="xoxb-unit", base_url=UNREACHABLE_API),
    )
    define_kinds(rig.jobs, calls, rig.started, rig.release)
    yield rig
    rig.release.set()
    for worker in rig.workers:
        worker.stop(timeout=5)
    store.close()


def body(n: int, **extra: Any) -> dict[str, Any]:
    return {"n": n, "user_id": "U0REP", "team_id": "T1", **extra}


def test_every_queued_job_runs_once_and_wait_idle_returns_when_all_are_done(rig: Rig) -> None:
    worker = rig.worker(threads=3).start()

    for n in range(30):
        rig.jobs.later("test.record", body(n, response_url=f"https://hooks.slack.com/c/{n}"))
    worker.wait_idle(timeout=10)

    assert sorted(rig.calls.ns()) == list(range(30)), "each job exactly once, none left out"
    assert rig.store.jobs.waiting() == 0
    by_n = dict(zip(rig.calls.ns(), rig.calls.response_urls, strict=True))
    assert by_n[7] == "https://hooks.slack.com/c/7", "respond is bound to the body's URL"
    assert all(name.startswith("walkaway-worker-") for name in rig.calls.threads)


def test_jobs_queued_before_the_worker_started_are_run_when_it_starts(rig: Rig) -> None:
    for n in range(3):
        rig.jobs.later("test.record", body(n))
    assert rig.store.jobs.waiting() == 3

    rig.worker(threads=1).start().wait_idle(timeout=5)

    assert rig.calls.ns() == [0, 1, 2], "one thread runs them oldest first"


def test_wait_idle_gives_up_when_jobs_stay_queued(rig: Rig) -> None:
    rig.jobs.later("test.record", body(1))
    idle = rig.worker()  # never started

    with pytest.raises(TimeoutError):
        idle.wait_idle(timeout=0.1)
    assert rig.calls.ns() == []


def test_an_unknown_kind_is_dropped_and_deleted_while_known_ones_run(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.jobs.later("test.record", body(1))
    rig.store.jobs.put(kind="retired.kind", payload=body(2))  # queued by an older build
    rig.jobs.later("test.record", body(3))

    with caplog.at_level(logging.ERROR, logger="bot.slack.jobs"):
        rig.worker(threads=1).start().wait_idle(timeout=5)

    assert rig.calls.ns() == [1, 3]
    assert rig.store.jobs.waiting() == 0, "the unknown job is not left to be retried forever"
    assert any("unknown kind 'retired.kind'" in r.getMessage() for r in caplog.records)


def test_queuing_a_kind_nobody_defined_is_refused_and_stores_nothing(rig: Rig) -> None:
    with pytest.raises(KeyError, match=r"no\.such"):
        rig.jobs.later("no.such", body(1))
    assert rig.store.jobs.waiting() == 0


def test_a_kind_cannot_be_defined_twice(rig: Rig) -> None:
    with pytest.raises(ValueError, match="defined twice"):
        rig.jobs.define("test.record", lambda body, client, respond: None)


def test_a_job_that_raises_is_logged_marked_done_and_the_worker_carries_on(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.slack.worker"):
        worker = rig.worker(threads=1).start()
        rig.jobs.later("test.boom", body(1))
        rig.jobs.later("test.record", body(2))
        worker.wait_idle(timeout=5)

    assert rig.calls.ns() == [1, 2], "ran once (not retried) and the next job still ran"
    assert rig.store.jobs.waiting() == 0
    failed = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failed) == 1 and "test.boom" in failed[0].getMessage()
    assert failed[0].exc_info is not None and "the work broke" in str(failed[0].exc_info[1])


def _claimed_by_a_dead_worker(rig: Rig, kind: str, payload: dict[str, Any]) -> QueuedJob:
    rig.store.jobs.put(kind=kind, payload=payload)
    job = rig.store.jobs.take(worker="dead-host:1:0", stale_before=datetime.now(UTC))
    assert job is not None and job.attempts == 1
    return job


def test_a_job_whose_worker_died_is_run_again_once_its_claim_is_stale(rig: Rig) -> None:
    _claimed_by_a_dead_worker(rig, "test.record", body(1))

    rig.worker(threads=1, stale_after=timedelta(0)).start().wait_idle(timeout=5)

    assert rig.calls.ns() == [1]
    assert rig.store.jobs.waiting() == 0


def test_a_job_held_by_a_dead_worker_of_this_machine_is_taken_over_at_once(rig: Rig) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    rig.store.jobs.put(kind="test.record", payload=body(1))
    held = rig.store.jobs.take(worker=f"{machine()}:{ended.pid}:0", stale_before=datetime.now(UTC))
    assert held is not None

    # The default stale limit would keep it waiting 15 s; its process is gone, so no wait.
    rig.worker(threads=1).start().wait_idle(timeout=3)

    assert rig.calls.ns() == [1]


def test_a_fresh_claim_is_left_to_its_worker(rig: Rig) -> None:
    _claimed_by_a_dead_worker(rig, "test.record", body(1))
    worker = rig.worker(threads=1).start()  # the default stale limit: minutes

    with pytest.raises(TimeoutError):
        worker.wait_idle(timeout=0.3)
    assert rig.calls.ns() == []


def test_a_job_claimed_more_than_max_attempts_times_is_given_up_without_running(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    _claimed_by_a_dead_worker(rig, "test.record", body(1))

    with caplog.at_level(logging.ERROR, logger="bot.slack.worker"):
        rig.worker(threads=1, stale_after=timedelta(0), max_attempts=1).start().wait_idle(5)

    assert rig.calls.ns() == [], "attempt 2 of at most 1: not run"
    assert rig.store.jobs.waiting() == 0, "and forgotten, so it cannot loop forever"
    assert any("giving up" in r.getMessage() for r in caplog.records)


def count_looks(rig: Rig, monkeypatch: pytest.MonkeyPatch) -> threading.Semaphore:
    """Released each time a worker has looked at the queue."""
    looked = threading.Semaphore(0)
    exchange = rig.store.jobs.exchange

    def counted_exchange(**kwargs: Any) -> list[QueuedJob]:
        taken = exchange(**kwargs)
        looked.release()
        return taken

    monkeypatch.setattr(rig.store.jobs, "exchange", counted_exchange)
    return looked


def test_wake_makes_an_idle_worker_take_a_job_another_process_queued(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked = count_looks(rig, monkeypatch)
    worker = rig.worker(threads=1, poll_seconds=60).start()
    assert looked.acquire(timeout=5), "the worker looked once, found nothing, and now waits"

    other = Store.open(rig.url, migrate=False)  # another process on the same database
    try:
        elsewhere = Jobs(other.jobs)
        define_kinds(elsewhere, Calls(), threading.Event(), threading.Event())
        elsewhere.later("test.record", body(1))  # wakes nobody here: other process
    finally:
        other.close()
    assert not looked.acquire(timeout=0.3), "an idle worker does not look before its poll"
    assert rig.calls.ns() == []

    worker.wake()

    worker.wait_idle(timeout=5)
    assert rig.calls.ns() == [1]


def test_an_idle_worker_polls_for_jobs_other_processes_queued(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked = count_looks(rig, monkeypatch)
    worker = rig.worker(threads=1, poll_seconds=0.05).start()
    assert looked.acquire(timeout=5)

    other = Store.open(rig.url, migrate=False)
    try:
        other.jobs.put(kind="test.record", payload=body(1))
    finally:
        other.close()

    worker.wait_idle(timeout=5)
    assert rig.calls.ns() == [1]


def test_a_job_queued_in_this_process_wakes_its_idle_worker_at_once(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    looked = count_looks(rig, monkeypatch)
    worker = rig.worker(threads=1, poll_seconds=60).start()
    assert looked.acquire(timeout=5), "idle, and would not look again for a minute"

    rig.jobs.later("test.record", body(1))

    worker.wait_idle(timeout=5)
    assert rig.calls.ns() == [1]


def test_stop_finishes_the_job_in_hand_and_leaves_queued_ones(rig: Rig) -> None:
    worker = rig.worker(threads=1).start()
    rig.jobs.later("test.slow", body(1))
    assert rig.started.wait(5), "the slow job started"
    rig.jobs.later("test.record", body(2))
    rig.jobs.later("test.record", body(3))

    worker.stop(timeout=0.1)  # asks to stop; the slow job is still running
    rig.release.set()
    worker.stop(timeout=5)

    assert rig.calls.ns() == [1], "the job in hand finished; no new one was taken"
    assert rig.store.jobs.waiting() == 2

    rig.worker(threads=1).start().wait_idle(timeout=5)  # the next worker does the rest
    assert rig.calls.ns() == [1, 2, 3]


def test_a_worker_survives_the_database_failing_to_hand_out_a_job(
    rig: Rig, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    exchange = rig.store.jobs.exchange
    failures = iter([OSError("database went away")])

    def flaky_exchange(**kwargs: Any) -> list[QueuedJob]:
        for error in failures:
            raise error
        return exchange(**kwargs)

    monkeypatch.setattr(rig.store.jobs, "exchange", flaky_exchange)
    rig.jobs.later("test.record", body(1))

    with caplog.at_level(logging.ERROR, logger="bot.slack.worker"):
        rig.worker(threads=1).start().wait_idle(timeout=5)

    assert rig.calls.ns() == [1]
    assert any("could not take a job" in r.getMessage() for r in caplog.records)


def test_a_worker_needs_a_thread(rig: Rig) -> None:
    with pytest.raises(ValueError):
        Worker(rig.jobs, rig.client, threads=0)


@pytest.mark.parametrize(
    ("given", "url"),
    [
        ({"response_url": "https://hooks.slack.com/c/1"}, "https://hooks.slack.com/c/1"),
        (
            {"response_urls": [{"response_url": "https://hooks.slack.com/v/1"}]},
            "https://hooks.slack.com/v/1",
        ),
        ({"response_urls": []}, None),
        ({"response_urls": ["not a dict"]}, None),
        ({"event": {"type": "app_home_opened"}}, None),
    ],
)
def test_respond_points_where_bolt_would_point_it(given: dict[str, Any], url: str | None) -> None:
    assert response_url_of(given) == url
