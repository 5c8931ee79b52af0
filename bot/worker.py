"""Workers: threads that take jobs from the database queue and run them.

`walkaway serve` starts them in child processes (WALKAWAY_WORKER_PROCESSES, default 1), so the
process answering Slack spends its CPU on acks, and at a lower scheduling priority than that
process: when the machine is busy, Slack's 3-second deadline is met first and the work catches
up after. `walkaway worker` runs them alone, to add workers on other hosts; with 0 processes
they run as threads inside `serve` (and so they do in the tests).

Idle workers look at the queue every `poll_seconds` with a plain read; in the process that
queued a job they are woken at once instead.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import threading
import time
from datetime import timedelta
from multiprocessing.process import BaseProcess

from slack_sdk import WebClient

from bot.config import Settings
from bot.jobs import Jobs
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
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        jobs.on_queued(self.wake)

    def start(self) -> Worker:
        for n in range(self._threads_wanted):
            thread = threading.Thread(
                target=self._loop, name=f"walkaway-worker-{n}", args=(n,), daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return self

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

    def _loop(self, n: int) -> None:
        me = f"{self._name}:{n}"
        while not self._stopping.is_set():
            with self._signal:
                seen = self._generation
            try:
                job = self._jobs.queue.take(worker=me, stale_before=utcnow() - self._stale_after)
            except Exception:  # the database is away; try again after a pause
                log.exception("could not take a job")
                self._stopping.wait(1.0)
                continue
            if job is None:
                with self._signal:
                    if self._generation == seen and not self._stopping.is_set():
                        self._signal.wait(self._poll)
                continue
            self._run(job)

    def _run(self, job: QueuedJob) -> None:
        try:
            if job.attempts > self._max_attempts:
                log.error("giving up job %s (%s) after %s attempts", job.id, job.kind, job.attempts)
            else:
                self._jobs.run(job, self._client)
        except Exception:  # work reports its own errors to the person; this is a last resort
            log.exception("job %s (%s) failed", job.id, job.kind)
        try:
            self._jobs.queue.done(job_id=job.id)
        except Exception:  # left claimed: it runs again once stale, and its claims dedupe it
            log.exception("could not mark job %s done", job.id)


# -- worker processes -----------------------------------------------------------------------

WORKER_NICENESS = 5
"""How much lower a worker process's CPU priority is than `serve`'s: a busy machine spends its
time on acks first (Slack's 3 s deadline), and the work, which has no deadline, catches up."""


def spawn_workers(settings: Settings, *, processes: int, threads: int) -> list[BaseProcess]:
    """Start worker processes that stop by themselves when the process that started them ends."""
    context = multiprocessing.get_context("spawn")  # no threads, sockets or handles inherited
    started: list[BaseProcess] = []
    for n in range(processes):
        process = context.Process(
            target=run_worker_process,
            args=(settings, threads, os.getpid()),
            name=f"walkaway-worker-{n}",
            daemon=True,
        )
        process.start()
        started.append(process)
    return started


def run_worker_process(settings: Settings, threads: int, parent_pid: int | None = None) -> None:
    """A worker process: the app's jobs, run by `threads` threads until told to stop.

    SIGTERM (or the parent's end, when a parent is given) finishes the jobs in hand first.
    """
    from bot.app import wire
    from bot.domain.checklist import load_checklist
    from storage.repository import Store

    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    store = Store.open(settings.database_url)
    wired = wire(settings, store=store, checklist=load_checklist(settings.walkaway_checklist))
    worker = wired.start_worker(threads=threads)
    try:
        while not stopping.wait(1.0):
            if parent_pid is not None and os.getppid() != parent_pid:
                break
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        store.close()
