"""Prometheus metrics (prometheus_client), served at /metrics in HTTP mode (bot/slack/ops.py).

Two kinds, counted two ways:

* **Per process, counted as they happen**: requests and ack latency by kind (the HTTP edge),
  Slack Web API errors by method and error code (`SlackCallObserver`, the first of the Web API
  client's retry handlers, so it sees every attempt, the ones slack_sdk then retries included),
  scheduled sends by task, and jobs finished by kind and outcome (the worker). `walkaway serve`
  shares a prometheus_client multiprocess directory with the worker processes it starts
  (bot/slack/ops_setup.py), so its /metrics adds up the workers' counts too, where the Web API
  calls mostly happen. A process elsewhere (`walkaway worker` on another host) is not scraped.
* **Read from the database at each scrape** (`QueueCollector`): jobs queued, running and
  failed (put back, waiting to retry) by kind, and how long the oldest job has waited for a
  worker. The queue is shared, so any process answers these the same, and right.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack.logs import team_of
from storage.columns import utcnow
from storage.repository import Store

log = logging.getLogger("walkaway")

# No `_created` series beside every counter: Prometheus needs none.
disable_created_metrics()  # type: ignore[no-untyped-call]
PROCESS = CollectorRegistry(auto_describe=True)
"""This process's counters (in multiprocess mode their values live in the shared directory)."""

REQUESTS = Counter(
    "walkaway_requests",
    "Slack requests answered over HTTP, by kind and HTTP status",
    ["kind", "status"],
    registry=PROCESS,
)
ACK_SECONDS = Histogram(
    "walkaway_ack_seconds",
    "Time from a Slack request's arrival to its answer (the ack), by kind",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0),
    registry=PROCESS,
)
SLACK_API_ERRORS = Counter(
    "walkaway_slack_api_errors",
    "Failed Web API attempts (each retry counts), by method and Slack error code, http_<status>, "
    "timeout or connection",
    ["method", "error"],
    registry=PROCESS,
)
SCHEDULED_SENDS = Counter(
    "walkaway_scheduled_sends",
    "Messages timed tasks sent (reminders, nudges), by task",
    ["task"],
    registry=PROCESS,
)
SCHEDULED_FAILURES = Counter(
    "walkaway_scheduled_task_failures",
    "Timed task runs that failed (tried again at the next tick), by task",
    ["task"],
    registry=PROCESS,
)
PURGED = Counter(
    "walkaway_purged_rows",
    "Rows deleted by the retention purge, by table",
    ["table"],
    registry=PROCESS,
)
JOBS_FINISHED = Counter(
    "walkaway_jobs_finished",
    "Job attempts ended, by kind and outcome (done, retry, given_up, error)",
    ["kind", "outcome"],
    registry=PROCESS,
)
JOB_SECONDS = Histogram(
    "walkaway_job_seconds",
    "Time one job attempt took, by kind",
    ["kind"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=PROCESS,
)

_LABEL = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def label(value: object, *, fallback: str = "other") -> str:
    """A bounded label value: anything unexpected becomes `fallback` rather than a new series."""
    return value if isinstance(value, str) and _LABEL.fullmatch(value) else fallback


def request_kind(body: Mapping[str, Any]) -> str:
    """`command`, `block_actions`, `view_submission`, `event:app_home_opened`, … of a body."""
    if body.get("command"):
        return "command"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event")
        return "event:" + label((event or {}).get("type") if isinstance(event, dict) else None)
    return label(kind)


def observe_request(
    *, kind: str, status: int, seconds: float, body: Mapping[str, Any] | None = None
) -> None:
    """One answered request: counted, timed, and logged with its team, kind and duration."""
    REQUESTS.labels(kind=kind, status=str(status)).inc()
    ACK_SECONDS.labels(kind=kind).observe(seconds)
    duration_ms = round(seconds * 1000, 1)
    log.info(
        "answered %s with %s in %.1f ms",
        kind,
        status,
        duration_ms,
        extra={
            "kind": kind,
            "team": team_of(body) if body else None,
            "status": status,
            "duration_ms": duration_ms,
        },
    )


def observe_job(kind: str, outcome: str, seconds: float) -> None:
    JOBS_FINISHED.labels(kind=label(kind), outcome=outcome).inc()
    JOB_SECONDS.labels(kind=label(kind)).observe(seconds)


def scheduled(task: str, sent: int | None) -> None:
    """A timed task's tick: how many it sent, or None when it failed."""
    if sent is None:
        SCHEDULED_FAILURES.labels(task=task).inc()
    elif sent:
        SCHEDULED_SENDS.labels(task=task).inc(sent)


class SlackCallObserver(RetryHandler):
    """Counts each failed Web API attempt; never asks for a retry (the handlers after it do).

    slack_sdk shows every attempt's outcome to its retry handlers in turn (a 200 answer with
    `ok: false`, an HTTP error, a network error or timeout), so being first sees them all.
    """

    def __init__(self) -> None:
        super().__init__(max_retry_count=0)

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        try:
            code = error_code(response, error)
            if code is not None:
                SLACK_API_ERRORS.labels(method=method_of(request.url), error=code).inc()
        except Exception:  # counting must never break a call
            log.debug("could not count a Web API error", exc_info=True)
        return False


def method_of(url: str) -> str:
    return label(url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1])


def error_code(response: HttpResponse | None, error: Exception | None) -> str | None:
    """What went wrong with one attempt (None: it worked)."""
    if response is None:
        if error is None:
            return None
        if isinstance(error, TimeoutError | socket.timeout) or "timed out" in str(error):
            return "timeout"
        return "connection"
    body = response.body if isinstance(response.body, dict) else _parsed(response.data)
    if response.status_code >= 400:
        return label(body.get("error"), fallback=f"http_{response.status_code}")
    if body.get("ok") is False:
        return label(body.get("error"), fallback="unknown_error")
    return None


def _parsed(data: bytes | None) -> dict[str, Any]:
    """An HTTP error's body, which slack_sdk hands over unparsed: Slack's JSON, if it is."""
    try:
        parsed = json.loads(data or b"")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


class QueueCollector(Collector):
    """Gauges read from the job queue at scrape time, so every process reports the same."""

    def __init__(
        self,
        store: Store,
        *,
        stale_after: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._store = store
        self._stale_after = stale_after
        self._clock = clock

    def describe(self) -> Iterable[Any]:
        return []  # described by collecting, which needs the database: not at registration

    def collect(self) -> Iterable[Any]:
        up = GaugeMetricFamily(
            "walkaway_database_up", "1 when the job queue could be read for this scrape"
        )
        now = self._clock()
        try:
            state = self._store.ops.queue_state(now=now, stale_before=now - self._stale_after)
        except Exception as problem:
            log.warning("metrics: could not read the job queue: %s", type(problem).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        families = {
            "queued": GaugeMetricFamily(
                "walkaway_jobs_queued", "Jobs waiting for a worker, by kind", labels=["kind"]
            ),
            "running": GaugeMetricFamily(
                "walkaway_jobs_running", "Jobs a live worker is running, by kind", labels=["kind"]
            ),
            "failed": GaugeMetricFamily(
                "walkaway_jobs_failed",
                "Jobs put back after a failed attempt, waiting out their delay, by kind",
                labels=["kind"],
            ),
        }
        for counts in state.kinds:
            for name, family in families.items():
                family.add_metric([label(counts.kind)], getattr(counts, name))
        yield from families.values()
        waited = GaugeMetricFamily(
            "walkaway_oldest_job_age_seconds",
            "How long the job waiting longest for a worker has waited (0: none waits)",
        )
        since = state.oldest_waiting_since
        waited.add_metric([], max(0.0, (now - since).total_seconds()) if since else 0.0)
        yield waited
        oldest = GaugeMetricFamily(
            "walkaway_oldest_unfinished_job_age_seconds",
            "Age of the oldest job in the queue, running or waiting to retry included",
        )
        first = state.oldest_enqueued_at
        oldest.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
        yield oldest


def exposition(queue: CollectorRegistry) -> bytes:
    """The /metrics page: this process's counters (or every process's, in multiprocess mode)
    and the queue's gauges."""
    shared = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if shared:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=shared)  # type: ignore[no-untyped-call]
        counters = generate_latest(registry)
    else:
        counters = generate_latest(PROCESS)
    return counters + generate_latest(queue)
