"""/healthz, /readyz and /metrics beside /slack/events, for load balancers and Prometheus.

`Operable` wraps the WSGI app `walkaway serve` runs (bot/slack/http.py's verified handler):
GET (or HEAD) on its three paths is answered here, anything else goes through unchanged.

* `/healthz`: 200 `ok` whenever the process answers HTTP. It touches nothing else, so a
  database outage does not make a load balancer kill processes that would recover with it.
* `/readyz`: 200 `ready` when every database answers, is at this code's migration head, and no
  job has waited longer than WALKAWAY_READY_MAX_JOB_AGE seconds for a worker (0: not checked);
  else 503 with one line saying what is wrong. The check runs on its own thread with a time
  limit, so a database that hangs gives a 503 within `PROBE_TIMEOUT`, never a stuck probe, and
  no failure ever becomes a traceback in the answer (details go to the log).
* `/metrics`: the Prometheus text format (bot/slack/metrics.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from bot.config import Settings
from bot.slack.metrics import QueueCollector, exposition
from storage.columns import utcnow
from storage.repository import Store

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("walkaway")

PROBE_TIMEOUT = 2.0
"""Seconds /readyz waits for the database before answering 503."""
TEXT = "text/plain; charset=utf-8"


class Operable:
    def __init__(
        self,
        inner: WSGIApplication,
        *,
        store: Store,
        stale_after: timedelta,
        max_job_age: timedelta | None,
        clock: Callable[[], datetime] = utcnow,
        probe_timeout: float = PROBE_TIMEOUT,
    ) -> None:
        self._inner = inner
        self._store = store
        self._stale_after = stale_after
        self._max_job_age = max_job_age
        self._clock = clock
        self._probe_timeout = probe_timeout
        self._probe: Future[tuple[int, str]] | None = None
        self._probe_lock = threading.Lock()
        self._queue = CollectorRegistry(auto_describe=False)
        self._queue.register(QueueCollector(store, stale_after=stale_after, clock=clock))

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or ""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD") or path not in ROUTES:
            return self._inner(environ, start_response)
        try:
            status, content_type, body = ROUTES[path](self)
        except Exception:  # never a traceback in the answer
            log.exception("%s failed", path)
            status, content_type, body = 503, TEXT, b"not ready: the check itself failed\n"
        start_response(
            f"{status} {'OK' if status == 200 else 'Service Unavailable'}",
            [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        )
        return [body]

    def healthz(self) -> tuple[int, str, bytes]:
        return 200, TEXT, b"ok\n"

    def readyz(self) -> tuple[int, str, bytes]:
        status, text = self.readiness()
        return status, TEXT, text.encode("utf-8") + b"\n"

    def metrics(self) -> tuple[int, str, bytes]:
        return 200, CONTENT_TYPE_LATEST, exposition(self._queue)

    def readiness(self) -> tuple[int, str]:
        """(200, "ready") or (503, "not ready: …"), within `probe_timeout` seconds."""
        with self._probe_lock:
            if self._probe is not None and not self._probe.done():
                return 503, "not ready: an earlier check is still waiting for the database"
            probe: Future[tuple[int, str]] = Future()
            self._probe = probe

        def run() -> None:
            try:
                probe.set_result(self._check())
            except BaseException as error:
                probe.set_exception(error)

        threading.Thread(target=run, name="walkaway-readyz", daemon=True).start()
        try:
            return probe.result(timeout=self._probe_timeout)
        except TimeoutError:
            log.warning("readyz: the database did not answer within %.1f s", self._probe_timeout)
            return 503, f"not ready: the database did not answer within {self._probe_timeout:g} s"

    def _check(self) -> tuple[int, str]:
        try:
            self._store.ops.ping()
        except Exception as error:
            log.warning("readyz: the database does not answer: %s", _first_line(error))
            return 503, f"not ready: the database does not answer ({type(error).__name__})"
        try:
            problems = self._store.ops.schema_problems()
            if self._max_job_age is not None:
                problems += self._queue_problems()
        except Exception as error:
            log.warning("readyz: check failed: %s", _first_line(error))
            return 503, f"not ready: the database could not be read ({type(error).__name__})"
        if problems:
            return 503, "not ready: " + "; ".join(problems)
        return 200, "ready"

    def _queue_problems(self) -> list[str]:
        assert self._max_job_age is not None
        now = self._clock()
        state = self._store.ops.queue_state(now=now, stale_before=now - self._stale_after)
        since = state.oldest_waiting_since
        if since is None or now - since <= self._max_job_age:
            return []
        waited = (now - since).total_seconds()
        limit = self._max_job_age.total_seconds()
        return [
            f"the oldest queued job has waited {waited:.0f} s for a worker (limit {limit:.0f} s)"
        ]


ROUTES: dict[str, Callable[[Operable], tuple[int, str, bytes]]] = {
    "/healthz": Operable.healthz,
    "/readyz": Operable.readyz,
    "/metrics": Operable.metrics,
}


def operable(inner: WSGIApplication, store: Store, settings: Settings) -> Operable:
    """`inner` with the probes and /metrics, configured from the app's settings."""
    age = settings.walkaway_ready_max_job_age
    return Operable(
        inner,
        store=store,
        stale_after=timedelta(seconds=settings.walkaway_job_stale_seconds),
        max_job_age=timedelta(seconds=age) if age else None,
    )


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    text = str(orig if orig is not None else error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"[:300]
