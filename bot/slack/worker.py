"""Workers: threads that take jobs from the database queue and run them.

`walkaway serve` starts them in child processes (WALKAWAY_WORKER_PROCESSES, default 1; the
processes are bot/app.py's), so the process answering Slack spends its CPU on acks, and at a
lower scheduling priority than that process: when the machine is busy, Slack's 3-second
deadline is met first and the work catches up after. `walkaway worker` runs them alone, to add
workers on other hosts; with 0 processes they run as threads inside `serve` (and so they do in
the tests).

Idle workers look at the queue every `poll_seconds` with a plain read; in the process that
queued a job they are woken at once instead.
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from slack_sdk import WebClient

from bot.slack.jobs import Jobs
from storage.columns import utcnow
from storage.jobs import QueuedJob

log = logging.getLogger(__name__)

POLL_SECONDS = 0.05
STALE_AFTER = timedelta(minutes=5)
"""A claim this old belongs to a worker that died: the job is run again. Well above any job's
running time (a few Web API calls, each retried at most twice on HTTP 429)."""
MAX_ATTEMPTS = 3


class Worker:
    def __init__(
        self,
        jobs: Jobs,
        client: WebClient,
        *,
        threads: int,
        poll_seconds: float = POLL_SECONDS,
        stale_after: timedelta = STALE_AFTER,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        if threads < 1:
            raise ValueError("a worker needs at least one thread")
        self._jobs = jobs
        self._client = client
        self._threads_wanted = threads
        self._poll = poll_seconds
        self._stale_after = stale_after
        self._max_attempts = max_attempts
        self._name = f"{socket.gethostname()}:{os.getpid()}"
        self._signal = threading.Condition()
        self._generation = 0
        self._in_flight = 0
        self._finished: list[int] = []
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

    def wait_idle(self, timeout: float = 10.0) -> None:
        """Return once the queue is empty (every job done, not only taken); for tests and stops."""
        deadline = time.monotonic() + timeout
        while self._jobs.queue.waiting():
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
                    and not self._stopping.is_set()
                ):
                    self._signal.wait()
                stopping = self._stopping.is_set()
                if stopping and self._in_flight and not self._finished:
                    self._signal.wait()  # let the jobs in hand finish before the last clear
                    continue
                seen = self._generation
                finished, self._finished = self._finished, []
                free = 0 if stopping else self._threads_wanted - self._in_flight
            try:
                taken = self._jobs.queue.exchange(
                    worker=self._name,
                    stale_before=utcnow() - self._stale_after,
                    finished=finished,
                    limit=free,
                )
            except Exception:  # the database is away; try again after a pause
                log.exception("could not take a job")
                with self._signal:
                    self._finished[:0] = finished
                self._stopping.wait(1.0)
                continue
            if stopping:
                with self._signal:
                    if not self._in_flight and not self._finished:
                        break
                continue
            with self._signal:
                self._in_flight += len(taken)
                if not taken and self._generation == seen and not self._finished:
                    self._signal.wait(self._poll)
            for job in taken:
                self._inbox.put(job)
        for _ in range(self._threads_wanted):
            self._inbox.put(None)

    def _run_jobs(self) -> None:
        while (job := self._inbox.get()) is not None:
            self._run(job)
            with self._signal:
                self._in_flight -= 1
                self._finished.append(job.id)
                self._generation += 1
                self._signal.notify_all()

    def _run(self, job: QueuedJob) -> None:
        try:
            if job.attempts > self._max_attempts:
                log.error("giving up job %s (%s) after %s attempts", job.id, job.kind, job.attempts)
            else:
                self._jobs.run(job, self._client)
        except Exception:  # work reports its own errors to the person; this is a last resort
            log.exception("job %s (%s) failed", job.id, job.kind)
