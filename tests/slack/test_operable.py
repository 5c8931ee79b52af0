"""Operating the app: /healthz, /readyz and /metrics beside /slack/events, as `serve` runs them.

The app is served exactly as in the Slack journeys (waitress, the verifying handler, the real
wiring and a worker), wrapped in bot/slack/ops.py's `Operable` as `walkaway serve` wraps it.
Requests are signed as Slack signs them; the fake Web API fails the calls a test names.
"""

from __future__ import annotations

import io
import json
import logging
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.slack.logs import JsonFormatter
from bot.slack.ops import Operable
from storage.columns import utcnow
from storage.repository import Store
from tests.slack import world as world_module
from tests.slack.fake_slack import FakeSlack
from tests.slack.server import serve_bolt
from tests.slack.world import World, sqlite_url


class Served:
    """The world, and where its probes and /metrics answer."""

    def __init__(self, world: World, base_url: str) -> None:
        self.world = world
        self.base_url = base_url

    def get(self, path: str) -> tuple[int, str, str]:
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=10) as reply:
                kind = reply.headers.get("Content-Type", "")
                return reply.status, kind, reply.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, error.headers.get("Content-Type", ""), error.read().decode()

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        status, kind, text = self.get("/metrics")
        assert status == 200 and kind.startswith("text/plain"), (status, kind)
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
        }


@pytest.fixture
def served(fake: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    url = sqlite_url(tmp_path)
    probes = Store.open(url)  # the probes' own Store, as `serve`'s is beside its workers'
    where: dict[str, str] = {}

    def wrapped(edge: Any) -> Operable:
        return Operable(
            edge, store=probes, stale_after=timedelta(seconds=15), max_job_age=timedelta(minutes=5)
        )

    def serve(app: Any, **options: Any) -> Any:
        return _remember(serve_bolt(app, wrap=wrapped, **options), where)

    monkeypatch.setattr(world_module, "serve_bolt", serve)
    try:
        with World.serving(fake, url) as world:
            yield Served(world, where["url"])
            world.settle()
    finally:
        probes.close()


class _remember:  # noqa: N801  (a context manager standing in for serve_bolt's)
    def __init__(self, inner: Any, where: dict[str, str]) -> None:
        self._inner = inner
        self._where = where

    def __enter__(self) -> str:
        url: str = self._inner.__enter__()
        self._where["url"] = url
        return url

    def __exit__(self, *exc: Any) -> Any:
        return self._inner.__exit__(*exc)


def value(
    metrics: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return metrics.get((name, tuple(sorted(labels.items()))), 0.0)


def test_healthz_and_readyz_answer_for_a_running_app(served: Served) -> None:
    assert served.get("/healthz") == (200, "text/plain; charset=utf-8", "ok\n")
    status, _, body = served.get("/readyz")
    assert (status, body) == (200, "ready\n")
    # The Slack endpoint is still the app's: a GET there is not a probe.
    assert served.get("/slack/events")[0] == 404


def test_metrics_count_requests_acks_and_the_failed_slack_call_by_method_and_error(
    served: Served,
) -> None:
    world = served.world
    before = served.metrics()
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    world.settle()
    world.fake.fail_next("chat.postMessage", error="invalid_blocks")  # the next question's post
    world.click(question, value="pilot")
    world.settle()
    assert [t for t in world.ephemeral_texts() if "reference" in t], "the rep was told"

    after = served.metrics()
    grew = {
        key: after[key] - before.get(key, 0.0)
        for key in after
        if after[key] != before.get(key, 0.0)
    }
    assert value(grew, "walkaway_requests_total", kind="command", status="200") == 1
    assert value(grew, "walkaway_requests_total", kind="block_actions", status="200") == 1
    assert value(grew, "walkaway_ack_seconds_count", kind="command") == 1
    assert value(grew, "walkaway_ack_seconds_count", kind="block_actions") == 1
    # Every ack was under a second (and Slack's 3 s): the 1 s bucket holds both.
    assert value(grew, "walkaway_ack_seconds_bucket", kind="command", le="1.0") == 1
    errors = {
        dict(labels)["error"]: count
        for (name, labels), count in grew.items()
        if name == "walkaway_slack_api_errors_total"
        and dict(labels)["method"] == "chat.postMessage"
    }
    assert errors == {"invalid_blocks": 1}
    assert value(grew, "walkaway_jobs_finished_total", kind="actions.answer", outcome="done")
    # The queue, read from the database at the scrape: nothing left waiting.
    assert value(after, "walkaway_database_up") == 1
    queued = [
        v for (n, _), v in after.items() if n in ("walkaway_jobs_queued", "walkaway_jobs_running")
    ]
    assert sum(queued) == 0
    assert value(after, "walkaway_oldest_job_age_seconds") == 0


def test_an_unverified_request_is_counted_as_refused(served: Served) -> None:
    before = served.metrics()
    reply = served.world.slack.command(text="Acme", bad_signature=True)
    assert reply.status == 401
    after = served.metrics()
    key = ("walkaway_requests_total", (("kind", "unverified"), ("status", "401")))
    assert after[key] - before.get(key, 0.0) == 1


def test_json_log_lines_carry_the_reference_team_kind_and_duration(served: Served) -> None:
    world = served.world
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        world.start("Acme renewal")
        question = world.current_question("deal.stage")
        world.settle()
        world.fake.fail_next("chat.postMessage", error="invalid_blocks")
        world.click(question, value="pilot")
        world.settle()
    finally:
        root.removeHandler(handler)
        root.setLevel(level)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]  # each line is one object
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    (apology,) = [t for t in world.ephemeral_texts() if "reference" in t]
    ref = re.search(r"reference ([0-9a-f]{8})", apology)
    assert ref is not None
    (failure,) = [line for line in lines if line.get("ref") == ref.group(1)]
    assert failure["level"] == "ERROR" and failure["team"] == "T1"
    assert failure["kind"] == "actions.answer"
    assert "invalid_blocks" in failure["traceback"]
    answered = [line for line in lines if line["message"].startswith("answered block_actions")]
    assert answered and answered[0]["team"] == "T1" and answered[0]["status"] == 200
    assert answered[0]["kind"] == "block_actions" and answered[0]["duration_ms"] > 0
    jobs = [line for line in lines if line.get("job") and "duration_ms" in line]
    assert {line["kind"] for line in jobs} >= {"actions.answer"}
    assert all(line["team"] == "T1" for line in jobs)


def test_readyz_is_503_while_the_oldest_queued_job_waits_too_long(tmp_path: Path) -> None:
    store = Store.open(sqlite_url(tmp_path))
    try:
        store.jobs.put_many(kind="test.waiting", jobs=[("k" * 32, {"team_id": "T1"})])
        now = [utcnow()]  # the job was queued just before
        probes = Operable(
            _not_found,
            store=store,
            stale_after=timedelta(seconds=15),
            max_job_age=timedelta(minutes=5),
            clock=lambda: now[0],
        )
        assert call(probes, "/readyz") == (200, "ready\n")
        now[0] += timedelta(minutes=6)
        status, body = call(probes, "/readyz")
        assert status == 503
        assert re.fullmatch(
            r"not ready: the oldest queued job has waited 36\d s for a worker \(limit 300 s\)\n",
            body,
        ), body
        gauges = call(probes, "/metrics")[1]
        assert 'walkaway_jobs_queued{kind="test.waiting"} 1.0' in gauges
        assert re.search(r"^walkaway_oldest_job_age_seconds 36\d", gauges, re.M), gauges
        # A worker takes it: it runs, and waits no more.
        assert store.jobs.take(worker="w1", stale_before=now[0], now=now[0]) is not None
        assert call(probes, "/readyz") == (200, "ready\n")
        assert 'walkaway_jobs_running{kind="test.waiting"} 1.0' in call(probes, "/metrics")[1]
    finally:
        store.close()


def test_readyz_is_503_when_the_database_is_behind_the_code(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    store = Store.open(url)
    try:
        with store._engine.begin() as connection:  # an older version's schema, as it would be
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = '0013'")
        probes = Operable(
            _not_found, store=store, stale_after=timedelta(seconds=15), max_job_age=None
        )
        status, body = call(probes, "/readyz")
        assert status == 503
        assert "slack.db is at 0013; this version of the app needs" in body, body
        assert call(probes, "/healthz") == (200, "ok\n")  # the process itself is fine
    finally:
        store.close()


def test_readyz_and_metrics_say_a_database_that_is_down_is_down_without_a_traceback() -> None:
    from storage.db import make_engine

    down = Store(make_engine("postgresql://walkaway@127.0.0.1:1/walkaway"))  # nothing listens
    try:
        probes = Operable(
            _not_found, store=down, stale_after=timedelta(seconds=15), max_job_age=None
        )
        assert call(probes, "/readyz") == (
            503,
            "not ready: the database does not answer (OperationalError)\n",
        )
        assert call(probes, "/healthz") == (200, "ok\n")
        status, page = call(probes, "/metrics")
        assert status == 200 and "walkaway_database_up 0.0" in page
        assert "Traceback" not in page
    finally:
        down.close()


def test_readyz_answers_503_in_time_when_the_database_hangs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    store = Store.open(sqlite_url(tmp_path))
    released = threading.Event()
    monkeypatch.setattr(store.ops, "ping", lambda: released.wait(10))
    try:
        probes = Operable(
            _not_found,
            store=store,
            stale_after=timedelta(seconds=15),
            max_job_age=None,
            probe_timeout=0.05,
        )
        assert call(probes, "/readyz") == (
            503,
            "not ready: the database did not answer within 0.05 s\n",
        )
        assert call(probes, "/readyz") == (
            503,
            "not ready: an earlier check is still waiting for the database\n",
        )
    finally:
        released.set()
        store.close()


def _not_found(environ: Any, start_response: Any) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not here"]


def call(app: Any, path: str) -> tuple[int, str]:
    """One GET through the WSGI app, as waitress would make it."""
    from wsgiref.util import setup_testing_defaults

    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    setup_testing_defaults(environ)
    answered: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        answered["status"] = status

    body = b"".join(app(environ, start_response))
    return int(answered["status"].split()[0]), body.decode("utf-8")
