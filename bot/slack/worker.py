"""Workers: threads that take jobs from the database queue and run them.

`walkaway serve` starts them in child processes (WALKAWAY_WORKER_PROCESSES, default 1; the
processes are bot/app.py's, and serve restarts one that dies), so the process answering Slack
spends its CPU on acks, and at a lower scheduling priority than that process: when the machine
is busy, Slack's 3-second deadline is met first and the work catches up after. `walkaway worker`
runs them alone, to add workers on other hosts; with 0 processes they run as threads inside
`serve` (and so they do in the tests).

Idle workers look at the queue every `poll_seconds` with a plain read; in the process that
queued a job they are woken at once instead. While jobs run, the worker refreshes its claims
every HEARTBEAT, so a worker that dies leaves claims that go stale within STALE_AFTER and are
taken over. A dead worker of this machine need not be waited for: a worker names itself by
machine and pid, and on starting and every HEARTBEAT it releases the claims of workers here
whose process is gone (bot/slack/neighbours.py), so a replaced worker's job carries on within
seconds. Only workers on other hosts are waited out.

A job whose attempt failed for a passing reason (RetryLater) is put back with a delay that
grows from a second to an hour (`retry_delay`); after MAX_ATTEMPTS it is given up on, and the
person who acted is told.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from slack_sdk import WebClient

from bot.slack.errors import RetryLater
from bot.slack.jobs import Jobs
from bot.slack.logs import log_context, team_of
from bot.slack.metrics import observe_job
from bot.slack.neighbours import dead_neighbours, worker_name
from storage.columns import utcnow
from storage.jobs import QueuedJob

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
HEARTBEAT = timedelta(seconds=5)
STALE_AFTER = timedelta(seconds=15)
"""A claim not refreshed for this long belongs to a worker that died: the job is run again.
Three missed heartbeats, so a busy database or a paused process is not taken for dead."""
MAX_ATTEMPTS = 25
"""Claims of one job (failures and crashed runs alike) before it is given up on: with
retry_delay's growth, about a day of trying."""
FIRST_DELAY = 1.0
LONGEST_DELAY = 3600.0


def retry_delay(failures: int, *, jitter: float = 0.2) -> timedelta:
    """After the nth failure: 1 s, 2 s, 4 s … about a minute after the 7th, an hour from the
    13th on; give or take a fifth, so jobs failed together by one outage do not all come back in
    the same second. A worker dying mid-job is not a failure of the job: it does not count."""
    base = min(LONGEST_DELAY, FIRST_DELAY * 2 ** max(0, failures - 1))
    return timedelta(seconds=base * (1 + random.uniform(-jitter, jitter)))


class Worker:
    def __init__(
        self,
        jobs: Jobs,
        client: WebClient,
        *,
        threads: int,
        poll_seconds: float = POLL_SECONDS,
        stale_after: timedelta = STALE_AFTER,
        heartbeat: timedelta = HEARTBEAT,
        max_attempts: int = MAX_ATTEMPTS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if threads < 1:
            raise ValueError("a worker needs at least one thread")
        self._jobs = jobs
        self._client = client
        self._threads_wanted = threads
        self._poll = poll_seconds
        self._stale_after = stale_after
        self._heartbeat = heartbeat
        self._max_attempts = max_attempts
        self._clock = clock
        self._name = worker_name()
        self._signal = threading.Condition()
        self._generation = 0
        self._in_flight = 0
        self._running: set[int] = set()
        self._finished: list[int] = []
        self._put_back: list[tuple[int, datetime, str]] = []
        self._last_beat = time.monotonic()
        self._last_look: float | None = None
        self._inbox: queue.SimpleQueue[QueuedJob | None] = queue.SimpleQueue()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        jobs.on_queued(self.wake)

    def start(self) -> Worker:
        """One thread deals jobs out (claiming and clearing them in batches), the rest run them."""
        self._spawn(self._deal, "walkaway-worker-dealer")
        for n in range(self._threads_wanted):
            self._spawn(self._run_jobs, f"walkaway-worker-{n}")
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def wake(self) -> None:
        with self._signal:
            self._generation += 1
            self._signal.notify_all()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the jobs in hand and stop; jobs still queued wait for the next worker."""
        self._stopping.set()
        self.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def wait_idle(
        self, timeout: float = 10.0, *, skip_ahead: Callable[[datetime], None] | None = None
    ) -> None:
        """Return once the queue is empty (every job done, not only taken); for tests and stops.

        With `skip_ahead` (tests, whose clock it moves), a job put back to be retried later is
        brought forward instead of waited for: its delay passes without anyone sleeping.
        """
        deadline = time.monotonic() + timeout
        while self._jobs.queue.waiting():
            if skip_ahead is not None and (due := self._jobs.queue.next_retry()) is not None:
                skip_ahead(due)
                self.wake()
            if time.monotonic() > deadline:
                raise TimeoutError(f"jobs still queued after {timeout} s")
            time.sleep(0.005)

    def _deal(self) -> None:
        """Clear finished jobs and claim as many as there are idle runners, in one transaction."""
        while True:
            with self._signal:
                while (
                    self._in_flight >= self._threads_wanted
                    and not self._finished
                    and not self._put_back
                    and not self._stopping.is_set()
                    and not self._beat_due()
                ):
                    self._signal.wait(self._heartbeat.total_seconds())
                stopping = self._stopping.is_set()
                if stopping and self._in_flight and not self._finished and not self._put_back:
                    self._signal.wait(self._heartbeat.total_seconds())  # let jobs in hand finish
                    self._beat()
                    continue
                seen = self._generation
                finished, self._finished = self._finished, []
                put_back, self._put_back = self._put_back, []
                free = 0 if stopping else self._threads_wanted - self._in_flight
            try:
                for job_id, at, error in put_back:
                    self._jobs.queue.retry(job_id=job_id, worker=self._name, at=at, error=error)
                put_back = []
                self._beat()
                self._release_dead_neighbours()
                now = self._clock()
                taken = self._jobs.queue.exchange(
                    worker=self._name,
                    stale_before=now - self._stale_after,
                    finished=finished,
                    limit=free,
                    now=now,
                )
            except Exception:  # the database is away; try again after a pause
                log.exception("could not take a job")
                with self._signal:
                    self._finished[:0] = finished
                    self._put_back[:0] = put_back
                self._stopping.wait(1.0)
                continue
            if stopping:
                with self._signal:
                    if not self._in_flight and not self._finished:
                        break
                continue
            with self._signal:
                self._in_flight += len(taken)
                self._running.update(job.id for job in taken)
                if not taken and self._generation == seen and not self._finished:
                    self._signal.wait(self._poll)
            for job in taken:
                self._inbox.put(job)
        for _ in range(self._threads_wanted):
            self._inbox.put(None)

    def _beat_due(self) -> bool:
        return bool(self._running) and (
            time.monotonic() - self._last_beat >= self._heartbeat.total_seconds()
        )

    def _beat(self) -> None:
        """Refresh the claims on the jobs running here, at most once per HEARTBEAT."""
        with self._signal:
            if not self._beat_due():
                return
            running = sorted(self._running)
            self._last_beat = time.monotonic()
        try:
            self._jobs.queue.heartbeat(worker=self._name, job_ids=running, now=self._clock())
        except Exception:  # a missed beat or two is what STALE_AFTER allows for
            log.warning("could not refresh the claims on jobs %s", running, exc_info=True)

    def _release_dead_neighbours(self) -> None:
        """Free the claims of this machine's dead workers: on start, then once per HEARTBEAT."""
        now = time.monotonic()
        if self._last_look is not None and now - self._last_look < self._heartbeat.total_seconds():
            return
        self._last_look = now
        try:
            for name in dead_neighbours(self._jobs.queue.claimants()):
                released = self._jobs.queue.release(worker=name)
                if released:
                    log.warning("took over %s job(s) from %s, a worker that died", released, name)
        except Exception:  # the stale limit still catches them
            log.warning("could not look for dead workers' claims", exc_info=True)

    def _run_jobs(self) -> None:
        while (job := self._inbox.get()) is not None:
            retry_at, error = self._run(job)
            with self._signal:
                self._in_flight -= 1
                self._running.discard(job.id)
                if retry_at is None:
                    self._finished.append(job.id)
                else:
                    self._put_back.append((job.id, retry_at, error))
                self._generation += 1
                self._signal.notify_all()

    def _run(self, job: QueuedJob) -> tuple[datetime | None, str]:
        """Run one job, counted, timed and logged with its team and kind (bot/slack/logs.py)."""
        started = time.perf_counter()
        with log_context(team=team_of(job.payload), kind=job.kind, job=job.id):
            retry_at, error, outcome = self._attempt(job)
            seconds = time.perf_counter() - started
            observe_job(job.kind, outcome, seconds)
            log.info(
                "job %s (%s) %s in %.0f ms",
                job.id,
                job.kind,
                outcome,
                seconds * 1000,
                extra={"duration_ms": round(seconds * 1000, 1)},
            )
        return retry_at, error

    def _attempt(self, job: QueuedJob) -> tuple[datetime | None, str, str]:
        """Run one job; returns when to try it again (None: it is finished), why, and how it
        ended (done, retry, given_up, error)."""
        outcome = "done"
        try:
            if job.attempts > self._max_attempts:
                log.error(
                    "giving up job %s (%s) after %s attempts; last error: %s",
                    job.id,
                    job.kind,
                    job.attempts,
                    job.last_error,
                )
                self._jobs.give_up(job, self._client, RuntimeError(job.last_error or "gave up"))
                outcome = "given_up"
            else:
                self._jobs.run(job, self._client)
        except RetryLater as failure:
            delay = retry_delay(job.failures + 1)
            log.warning(
                "job %s (%s) attempt %s failed (%s); trying again in %.0f s",
                job.id,
                job.kind,
                job.attempts,
                failure,
                delay.total_seconds(),
            )
            return self._clock() + delay, str(failure), "retry"
        except Exception:  # work reports its own errors to the person; this is a last resort
            log.exception("job %s (%s) failed", job.id, job.kind)
            outcome = "error"
        return None, "", outcome
