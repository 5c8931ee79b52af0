"""Named post-ack work: a listener acks, stores a job, and returns; a worker does the rest.

Bolt acknowledges a request only once a listener thread is free to call ack(), so a listener
that also did its work after the ack held that thread, and under load new requests waited
behind old work (issue 3's benchmark: p99 ack 388 ms). Here the work is a job in the database
(storage/jobs.py), so the ack costs one small insert, and the work still happens if the
process that acked dies: another process's worker takes it.

Each listener module defines its work next to the listener that queues it, with
`@deferred(deps, kind)` (or `jobs.define(kind, work)`); `work(body, client, respond)` gets the
Slack body the listener saw, a Web API client, and a `respond` bound to the body's
response_url, as a listener would.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from slack_bolt import Respond
from slack_sdk import WebClient
from sqlalchemy.exc import SQLAlchemyError

from bot.slack.effects import DurableRespond, running_job
from bot.slack.errors import STALE_BUTTON, RetryLater, report, tell
from bot.slack.tokens import NotInstalled, client_for_body
from storage.jobs import JobQueue, QueuedJob
from storage.posts import Posts

log = logging.getLogger(__name__)

Work = Callable[[dict[str, Any], WebClient, Respond], None]


@dataclass(frozen=True)
class Deferred:
    """A defined kind of work; `later(body)` queues one run of it."""

    kind: str
    jobs: Jobs

    def later(self, body: dict[str, Any]) -> None:
        self.jobs.later(self.kind, body)

    def first(self, body: dict[str, Any], next: Callable[[], None]) -> None:
        """Listener middleware: store the job, then let the listener ack.

        Bolt runs a listener's middleware on the request thread before the listener itself, so
        with `@app.action(..., middleware=[job.first])` the job is in the database before the
        ack leaves: a process killed right after acking loses nothing. A job that cannot be
        stored raises here, the request is not acknowledged, and the person is told (app.error).
        """
        self.later(body)
        next()


class Jobs:
    """The kinds of work this app defers, and the queue they wait in."""

    def __init__(self, queue: JobQueue, *, posts: Posts | None = None) -> None:
        self.queue = queue
        self._posts = posts
        """Where replies through a response_url are recorded, once per job (bot/slack/effects)."""
        self._work: dict[str, Work] = {}
        self._wakers: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        queue.on_stored(self._wake)  # a job moved from this process's intake to the queue

    def define(self, kind: str, work: Work) -> Deferred:
        if kind in self._work:
            raise ValueError(f"job kind {kind!r} is defined twice")
        self._work[kind] = work
        return Deferred(kind=kind, jobs=self)

    def later(self, kind: str, body: dict[str, Any]) -> None:
        """Store the job (durable on return), then nudge this process's idle workers."""
        if kind not in self._work:
            raise KeyError(f"no job kind {kind!r}")
        self.queue.put(kind=kind, payload=body)
        self._wake()

    def _wake(self) -> None:
        with self._lock:
            wakers = list(self._wakers)
        for wake in wakers:
            wake()

    def on_queued(self, wake: Callable[[], None]) -> None:
        """Call `wake` after each job this process queues (workers elsewhere poll instead)."""
        with self._lock:
            self._wakers.append(wake)

    def run(self, job: QueuedJob, client: WebClient) -> None:
        """Do one job's work; a kind this build does not know is logged and dropped.

        Raises RetryLater (bot/slack/errors.py) when the attempt failed for a passing reason.
        """
        work = self._work.get(job.kind)
        if work is None:
            log.error("dropping job %s of unknown kind %r", job.id, job.kind)
            return
        own = self._client_for(job, client)
        if own is None:
            return
        with running_job(job.key):
            work(job.payload, own, self._respond_for(job))

    def give_up(self, job: QueuedJob, client: WebClient, error: BaseException) -> None:
        """Tell whoever acted that this will not happen after all (logged with a reference)."""
        own = self._client_for(job, client)
        if own is None:
            return
        with running_job(job.key):
            report(error, body=job.payload, client=own, respond=self._respond_for(job))

    def _client_for(self, job: QueuedJob, client: WebClient) -> WebClient | None:
        """The job's workspace's client (bot/slack/tokens.py); None, logged, when the workspace
        has no installation any more: its work is dropped, never done with another's token."""
        try:
            return client_for_body(client, job.payload)
        except NotInstalled as gone:
            log.warning("dropping job %s (%s): %s", job.id, job.kind, gone)
            return None
        except SQLAlchemyError as away:  # the installation store could not be read: not now
            raise RetryLater(away) from away

    def _respond_for(self, job: QueuedJob) -> Respond:
        return DurableRespond(response_url=response_url_of(job.payload), store=self._posts)


def response_url_of(body: dict[str, Any]) -> str | None:
    """Where Bolt would point `respond`: a command's or click's URL, or a modal's first one."""
    url = body.get("response_url")
    if isinstance(url, str):
        return url
    urls = body.get("response_urls")
    if isinstance(urls, list) and urls and isinstance(urls[0], dict):
        first = urls[0].get("response_url")
        return first if isinstance(first, str) else None
    return None


Step = Callable[[dict[str, Any], WebClient, Respond], None]


class HasJobs(Protocol):
    @property
    def jobs(self) -> Jobs: ...


def deferred(deps: HasJobs, kind: str, *, stale: str = STALE_BUTTON) -> Callable[[Step], Deferred]:
    """Define `step(body, client, respond)` as job `kind`, for a listener to queue after its ack.

    A worker runs it inside `tell`, so it answers the person exactly as it would have inline.
    """

    def define(step: Step) -> Deferred:
        def work(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            tell(
                body,
                client,
                respond,
                lambda: step(body, client, respond),
                stale=stale,
                retrying=True,
            )

        return deps.jobs.define(kind, work)

    return define
