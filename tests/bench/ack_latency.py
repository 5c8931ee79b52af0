"""Ack latency and throughput of the real app in HTTP mode, side by side with a bare Bolt app.

Run from the repository root:

    .venv/bin/python -m tests.bench.ack_latency [--requests 2000] [--clients 20] [--json]

Slack gives an app 3 s to acknowledge a request. Issue 3's targets: p99 ack under 100 ms, and the
app's throughput at least 60% of a bare Bolt app's that only acks, measured in the same run.

What one run does
-----------------
1. Starts the fake Slack Web API (``tests.slack.fake_slack.FakeSlack``) on 127.0.0.1.
2. Starts two servers the way ``walkaway serve`` serves HTTP mode: waitress with
   ``bot.cli.WAITRESS_THREADS`` threads in front of slack_bolt's WSGI ``SlackRequestHandler``
   (``tests.slack.server.serve_bolt``), on 127.0.0.1 and an ephemeral port, logging at INFO as
   ``serve`` does (to a file in the run's temp dir):

   * **app** -- ``bot.app.wire`` as ``serve`` calls it (listener pool from
     ``bot.cli.listener_pool``, worker processes from ``bot.app.spawn_workers``), on a fresh
     SQLite file (the default backend, its job queue in the sibling file) in a temp dir,
     ``Settings`` pointed at the fake through ``slack_api_url``. ``serve``'s reminder thread,
     which looks at the database every few minutes, is left out: it handles no request;
   * **bare** -- a Bolt ``App`` with the same client, signing secret, options and listener pool
     whose only listeners (``/walkaway`` and every button) call ``ack()``: Bolt's own cost.

3. Setup, not measured: opens one qualification per click to be sent, by posting
   ``/walkaway <deal>`` to the app, waits until the fake has recorded every first question, and
   builds the ``block_actions`` payloads from those recorded messages
   (``tests.slack.signed.button_click``, with the message's blocks included as Slack sends them).
4. For each target (bare first, then app): a warm-up, then the measured burst. Both targets get
   the very same signed requests: a seeded shuffle of ``/walkaway <new deal>`` (the app acks,
   then opens a DM thread: database writes, ``conversations.open``, two ``chat.postMessage``) and
   clicks answering the first question of a session made in setup (the app acks, then stores the
   answer, ``chat.update``s the question and posts the next one). ``--clients`` closed-loop
   clients, each a thread with its own keep-alive ``http.client`` connection, take the next
   request as soon as their previous one is answered. Ack latency is measured per request from
   just before the request is written (it is signed just before that) until the response body
   has been read. After the app's burst the script also waits until the fake has recorded every
   follow-up call the burst caused, which gives the rate at which the app really finishes work,
   not only acks it.
5. Stops everything: waitress is closed, Bolt's listener pool is shut down with ``wait=True`` so
   work queued after an ack finishes, the store is closed, every process is joined.

Traffic goes to 127.0.0.1 only. The run is bounded by ``--requests`` and a hard ``--time-limit``
(default 600 s for the whole run; what was measured by then is still printed, marked as stopped).
Other options: ``--rate R`` sends open loop at R requests/s (as Slack does: it never waits for an
earlier answer) instead of closed loop; ``--api-latency-ms`` makes the fake answer after a delay,
like the real Web API's round trip (100 ms is what Slack's takes); ``--backend postgres`` runs the
app on a PostgreSQL database made for the run and dropped after it (``--postgres-url`` names the
server); ``--worker-processes`` / ``--worker-threads`` replace the app's defaults; ``--pin``;
``--keep`` keeps the databases and server logs;
``--json`` prints the report as JSON. The exit code is 1 when the run stopped early or a process
did not end cleanly, whatever the figures.

What the rep feels
------------------
After the app's burst the report also gives, per kind, how long each rep waited from sending the
request to seeing what follows it in Slack: for a click the next message of that session's thread
(the next question), for a command the first question of its new thread, as p50 / p99 / max and
how many never arrived (tests/bench/ack_followup.py says how each is matched). Issue 14's target:
at 20 clicks/s offered (``--rate 20``), p99 click to next question under 1 s with the fake
answering after 100 ms; and on PostgreSQL with two worker processes (``--backend postgres
--worker-processes 2``, closed loop) at least 100 requests/s fully handled.

Reading the figures
-------------------
Closed loop, each client has one request in flight, so latency ~= clients / throughput (Little's
law): with 20 clients a p99 under 100 ms needs roughly 250 requests/s or more. The app's listeners
store each request as a job and ack; its worker process (started as ``serve`` starts it, from
``WALKAWAY_WORKER_PROCESSES`` / ``WALKAWAY_WORKER_THREADS``, which this script passes through from
the environment) does the work, during the burst and after it. "app work done" says how fast the
work really finished, not only how fast it was acked; at stop the script waits for the job queue
to empty before the workers are stopped. Server warnings and errors are counted from the servers'
logs (waitress's "Task queue depth" warnings apart: queueing is the load doing its job).

Why processes, on a 2-core machine
----------------------------------
Everything here is CPython. In one process the client threads, the fake's server threads and the
app's waitress and Bolt threads would share one GIL, and the load generator's own work would be
measured as the app's latency. So each server runs in its own process (as in production), and so
does the fake (Slack's CPU is not the app's); the load generator is this process. Processes are
started with ``spawn`` so nothing (threads, sockets, SQLite handles) leaks between them.

On 2 cores the load generator, the server under test and (for the app) the fake still share the
CPU during a burst. The load generator is kept cheap -- payloads are built before the burst, only
the HMAC signature and the socket work happen inside it -- and both targets face the same load
generator, so the app/bare ratio is fair; absolute figures would be better on a bigger machine.
``--pin`` puts the servers on the last core and the load generator and the fake on the others,
to show how much that sharing costs. Only the server under test is busy during its burst; the other
one waits in ``select``.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import math
import multiprocessing as mp
import os
import platform
import random
import re
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.slack.signed import Response, SlackClient, button_click, sign

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench-token-000"
TEAM = "T1"
PATH = "/slack/events"
USERS = tuple(f"UBENCH{n:03d}" for n in range(200))
"""Reps sending the requests: a click must come from the rep whose session it answers."""

REQUEST_TIMEOUT = 15.0
"""Per request; Slack itself gives up after 3 s, which the report counts separately."""
SLACK_DEADLINE_MS = 3000.0
TARGET_P99_MS = 100.0
TARGET_RATIO = 0.60
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0


# -- the processes -------------------------------------------------------------------------------


class _LevelCounter(logging.Handler):
    """Counts WARNING and worse in a server process and keeps the first few for the report.

    waitress's "Task queue depth is N" warnings are counted apart: with more clients than
    threads, requests queueing in waitress is the load working as intended, not a fault.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.counts: Counter[str] = Counter()
        self.queue_depth_warnings = 0
        self.first: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "waitress.queue":
            self.queue_depth_warnings += 1
            return
        self.counts[record.levelname] += 1
        if len(self.first) < 5:
            self.first.append(f"{record.levelname} {record.name}: {record.getMessage()}"[:300])


def _bare_app(settings: Any) -> Any:
    """Bolt with the app's client and options, and listeners that only ack."""
    from slack_bolt import Ack, App

    from bot.app import web_client
    from bot.cli import listener_pool
    from bot.slack.ids import COMMAND

    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        logger=logging.getLogger("walkaway.bare"),
        raise_error_for_unhandled_request=False,
        listener_executor=listener_pool(),
    )

    @app.command(COMMAND)
    def command(ack: Ack) -> None:
        ack()

    @app.action(re.compile(".*"))
    def action(ack: Ack) -> None:
        ack()

    return app


def _server_main(
    kind: str,
    fake_url: str,
    database_url: str,
    threads: int,
    log_path: str,
    cpus: list[int] | None,
    workers: dict[str, int],
    conn: Connection,
) -> None:
    """A server process: build the target, serve it until told to stop, then drain and report.

    ``workers`` overrides WALKAWAY_WORKER_PROCESSES / WALKAWAY_WORKER_THREADS (given as
    ``walkaway_worker_processes`` / ``walkaway_worker_threads``); what is not given comes from
    the environment and the defaults, as in ``serve``."""
    if cpus:
        os.sched_setaffinity(0, cpus)
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        filename=log_path,
    )
    counter = _LevelCounter()
    logging.getLogger().addHandler(counter)

    from pydantic import SecretStr

    from bot.cli import listener_pool
    from bot.config import Settings
    from tests.slack.server import serve_bolt

    settings = Settings(
        database_url=database_url,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=fake_url,
        walkaway_checklist=None,
        **workers,
    )
    store = None
    worker_processes: list[Any] = []
    if kind == "app":
        from bot.app import spawn_workers, wire
        from bot.domain.checklist import load_checklist
        from storage.repository import Store

        store = Store.open(settings.database_url)
        # As `walkaway serve` builds it (bot.cli._serve), workers included.
        wired = wire(
            settings,
            store=store,
            checklist=load_checklist(settings.walkaway_checklist),
            listener_executor=listener_pool(),
        )
        app = wired.app
        worker_threads = settings.walkaway_worker_threads
        if settings.walkaway_worker_processes:
            worker_processes = spawn_workers(
                settings, processes=settings.walkaway_worker_processes, threads=worker_threads
            )
        else:
            wired.start_worker(threads=worker_threads)
    else:
        app = _bare_app(settings)
    drained = False
    drain_seconds = None
    jobs_left = None
    try:
        with serve_bolt(app, signing_secret=SECRET, path=PATH, threads=threads) as url:
            conn.send(url)
            with contextlib.suppress(EOFError):  # EOF: the load generator died; stop anyway
                conn.recv()  # "stop"
        # The port is closed; now let every listener still running after its ack finish, and
        # the workers run every job still queued.
        started = time.monotonic()
        app.listener_runner.listener_executor.shutdown(wait=True)
        if store is not None:
            while store.jobs.waiting() and time.monotonic() - started < STOP_TIMEOUT:
                time.sleep(0.05)
            jobs_left = store.jobs.waiting()
        drained = not jobs_left
        drain_seconds = time.monotonic() - started
    finally:
        for process in worker_processes:
            process.terminate()  # SIGTERM: a worker finishes the job in hand, then ends
        for process in worker_processes:
            process.join(STOP_TIMEOUT)
        if store is not None:
            store.close()
    report = {
        "cpu_seconds": _cpu_seconds(),
        "worker_processes": settings.walkaway_worker_processes,
        "worker_threads": settings.walkaway_worker_threads,
        "log_counts": dict(counter.counts),
        "waitress_queue_warnings": counter.queue_depth_warnings,
        "first_problems": counter.first,
        "listener_pool_drained": drained,
        "jobs_left_at_stop": jobs_left,
        "drain_seconds_at_stop": drain_seconds,
    }
    with contextlib.suppress(BrokenPipeError, EOFError, OSError):
        conn.send(report)


def _cpu_seconds() -> dict[str, float]:
    """CPU time (user + system) of this server process and of its joined worker processes."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "server": own.ru_utime + own.ru_stime,
        "workers": children.ru_utime + children.ru_stime,
    }


def _first_questions(fake: Any, users: Sequence[str], question_id: str) -> list[dict[str, Any]]:
    """Every question message now showing ``question_id`` with its answer buttons."""
    from bot.slack.ids import Action

    prefix = f"{Action.ANSWER_CHOICE}:"
    found = []
    for user in users:
        channel = "D" + user
        for message in fake.messages(channel):
            for block in message.get("blocks") or []:
                if block.get("type") != "actions":
                    continue
                if not str(block.get("block_id", "")).startswith(question_id + "|"):
                    continue
                choices = [
                    {
                        "action_id": element["action_id"],
                        "value": element["value"],
                        "text": (element.get("text") or {}).get("text", "Button"),
                    }
                    for element in block.get("elements", [])
                    if str(element.get("action_id", "")).startswith(prefix)
                ]
                if choices:
                    found.append(
                        {
                            "user": user,
                            "channel": channel,
                            "ts": message["ts"],
                            "thread_ts": message.get("thread_ts", ""),
                            "text": message.get("text", ""),
                            "blocks": message["blocks"],
                            "block_id": block["block_id"],
                            "choices": choices,
                        }
                    )
    return found


def _fake_main(cpus: list[int] | None, latency_ms: float, conn: Connection) -> None:
    """The fake Slack Web API in a process of its own, answering questions over a pipe.

    ``latency_ms`` delays every answer, as the real Web API's round trip would (it serves each
    connection on its own thread, so delays overlap as they would in reality).
    """
    if cpus:
        os.sched_setaffinity(0, cpus)
    from http.server import ThreadingHTTPServer

    from tests.bench.ack_followup import follow_ups, stamped
    from tests.slack.fake_slack import RESPONSE_URL_METHOD, FakeSlack

    # socketserver's listen backlog of 5 turned away connections when dozens of worker threads
    # called at once (slack_sdk then retried after a second): Slack's API takes them all.
    ThreadingHTTPServer.request_queue_size = 1024

    class DistantSlack(stamped(FakeSlack)):  # type: ignore[misc]
        def _handle(self, *args: Any, **kwargs: Any) -> Any:
            if latency_ms > 0:
                time.sleep(latency_ms / 1000)
            return super()._handle(*args, **kwargs)

    with DistantSlack() as fake:
        conn.send((fake.base_url, fake.response_url_base))
        while True:
            try:
                request = conn.recv()
            except EOFError:
                break
            if request[0] == "counts":
                conn.send(dict(Counter(call.method for call in fake.calls())))
            elif request[0] == "replies":
                conn.send(
                    [
                        str(call.args.get("text", ""))[:200]
                        for call in fake.calls()
                        if call.method in ("chat.postEphemeral", RESPONSE_URL_METHOD)
                    ]
                )
            elif request[0] == "questions":
                conn.send(_first_questions(fake, request[1], request[2]))
            elif request[0] == "follow_ups":
                conn.send(follow_ups(fake, request[1]))
            else:  # "stop"
                break
    with contextlib.suppress(BrokenPipeError, OSError):
        conn.send("stopped")


class _Child:
    """A process this script started, with the pipe it talks over."""

    def __init__(self, name: str, target: Callable[..., None], args: tuple[Any, ...]) -> None:
        ctx = mp.get_context("spawn")
        self.name = name
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=target, args=(*args, theirs), name=name)
        self.process.start()
        theirs.close()

    def receive(self, timeout: float) -> Any:
        if not self.conn.poll(timeout):
            raise RuntimeError(f"{self.name}: no answer within {timeout:.0f}s")
        try:
            return self.conn.recv()
        except EOFError:
            raise RuntimeError(
                f"{self.name} exited (code {self.process.exitcode}); see its traceback above"
            ) from None

    def ask(self, *request: Any, timeout: float = 30.0) -> Any:
        self.conn.send(request)
        return self.receive(timeout)

    def stop(self, timeout: float) -> tuple[Any, bool]:
        """Ask it to stop; return its last report and whether it ended on its own."""
        report: Any = None
        if self.process.is_alive():
            try:
                self.conn.send(("stop",))
                report = self.receive(timeout)
            except (RuntimeError, BrokenPipeError, OSError) as problem:
                report = {"problem": str(problem)}
        self.process.join(timeout=timeout)
        clean = not self.process.is_alive() and self.process.exitcode == 0
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout=5)
        self.conn.close()
        return report, clean


# -- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    kind: str  # "command" or "click"
    body: bytes
    content_type: str
    key: str = ""
    """What its follow-up is found by (tests/bench/ack_followup.py)."""


@dataclass(frozen=True)
class Sample:
    kind: str
    start: float
    end: float
    status: int  # 0: no HTTP answer at all
    error: str | None = None
    key: str = ""

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000

    @property
    def ok(self) -> bool:
        return self.status == 200


class _Requests(SlackClient):
    """Builds exactly the bodies ``SlackClient`` sends, without sending them: the load generator
    signs them at send time and writes them to its own keep-alive connections."""

    def __init__(self, response_url_base: str) -> None:
        super().__init__("http://127.0.0.1", SECRET, path=PATH, response_url_base=response_url_base)
        self._built: tuple[bytes, str] | None = None

    def post(self, body: bytes, content_type: str, **options: Any) -> Response:
        self._built = (body, content_type)
        return Response(0, "")

    def _take(self, kind: str, key: str = "") -> Job:
        assert self._built is not None
        body, content_type = self._built
        self._built = None
        return Job(kind, body, content_type, key)

    def command_job(self, deal: str, user: str) -> Job:
        self.command(text=deal, user_id=user, user_name=user.lower(), team_id=TEAM)
        return self._take("command", deal)

    def click_job(self, question: dict[str, Any], pick: int) -> Job:
        choice = question["choices"][pick % len(question["choices"])]
        payload = button_click(
            question["user"],
            TEAM,
            question["channel"],
            question["ts"],
            choice["action_id"],
            choice["value"],
            question["block_id"],
            text=choice["text"],
            message_text=question["text"],
            message_blocks=question["blocks"],
            response_url=self.response_url(TEAM),
            user_name=question["user"].lower(),
        )
        self.block_action(payload)
        return self._take(
            "click", f"{question['channel']}|{question['thread_ts']}|{question['ts']}"
        )


@dataclass
class Burst:
    samples: list[Sample]
    planned: int
    started: float
    ended: float

    @property
    def seconds(self) -> float:
        return max(self.ended - self.started, 1e-9)

    @property
    def complete(self) -> bool:
        return len(self.samples) == self.planned

    def ok(self, kind: str) -> int:
        return sum(1 for s in self.samples if s.ok and s.kind == kind)


class Target:
    """One server under test, with one keep-alive connection per client."""

    def __init__(self, name: str, base_url: str, clients: int) -> None:
        parts = urlsplit(base_url)
        if parts.hostname != "127.0.0.1" or parts.port is None:
            raise ValueError(f"refusing to load anything but loopback: {base_url}")
        self.name = name
        self.connections = [
            http.client.HTTPConnection("127.0.0.1", parts.port, timeout=REQUEST_TIMEOUT)
            for _ in range(clients)
        ]

    def fire(self, jobs: Sequence[Job], deadline: float, rate: float | None = None) -> Burst:
        """Send every job (or as many as fit before ``deadline``) from all clients at once.

        Closed loop by default: each client sends its next request as soon as the previous one
        is answered. With ``rate`` (requests/s), job n is due at ``n / rate`` s, as Slack sends
        requests whether or not earlier ones were answered; its latency is counted from when it
        was due, so a late send (every client still waiting) is not hidden.
        """
        lock = threading.Lock()
        taken = 0
        results: list[list[Sample]] = [[] for _ in self.connections]
        gate = threading.Barrier(len(self.connections) + 1)
        origin: list[float] = []

        def next_job() -> tuple[int, Job] | None:
            nonlocal taken
            with lock:
                if taken >= len(jobs) or time.monotonic() >= deadline:
                    return None
                taken += 1
                return taken - 1, jobs[taken - 1]

        def client(connection: http.client.HTTPConnection, out: list[Sample]) -> None:
            gate.wait()
            while (taken_job := next_job()) is not None:
                n, job = taken_job
                due = None
                if rate is not None:
                    due = origin[0] + n / rate
                    time.sleep(max(0.0, due - time.perf_counter()))
                stamp = str(int(time.time()))
                headers = {
                    "Content-Type": job.content_type,
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": sign(SECRET, stamp, job.body),
                }
                start = time.perf_counter() if due is None else due
                try:
                    connection.request("POST", PATH, body=job.body, headers=headers)
                    reply = connection.getresponse()
                    reply.read()
                    end = time.perf_counter()
                    out.append(Sample(job.kind, start, end, reply.status, key=job.key))
                except (OSError, http.client.HTTPException) as problem:
                    connection.close()  # the next request reconnects
                    end = time.perf_counter()
                    out.append(Sample(job.kind, start, end, 0, type(problem).__name__, job.key))

        threads = [
            threading.Thread(target=client, args=(c, out), name=f"{self.name}-client-{n}")
            for n, (c, out) in enumerate(zip(self.connections, results, strict=True))
        ]
        for thread in threads:
            thread.start()
        origin.append(time.perf_counter())
        gate.wait()
        for thread in threads:
            thread.join()  # each request is bounded by REQUEST_TIMEOUT, the loop by deadline
        samples = [sample for out in results for sample in out]
        started = min((s.start for s in samples), default=origin[0])
        ended = max((s.end for s in samples), default=started)
        return Burst(samples, len(jobs), started, ended)

    def close(self) -> None:
        for connection in self.connections:
            connection.close()


def _mix(commands: list[Job], clicks: list[Job], seed: int) -> list[Job]:
    jobs = commands + clicks
    random.Random(seed).shuffle(jobs)
    return jobs


# -- figures -------------------------------------------------------------------------------------


def _percentile(sorted_ms: Sequence[float], q: float) -> float:
    """Nearest rank: the smallest value with at least q of the samples at or below it."""
    if not sorted_ms:
        return math.nan
    return sorted_ms[max(0, math.ceil(q * len(sorted_ms)) - 1)]


def _summary(samples: Sequence[Sample], seconds: float) -> dict[str, Any]:
    ms = sorted(s.ms for s in samples)
    errors = [s for s in samples if not s.ok]
    return {
        "requests": len(samples),
        "p50_ms": _percentile(ms, 0.50),
        "p99_ms": _percentile(ms, 0.99),
        "max_ms": ms[-1] if ms else math.nan,
        "rps": len(samples) / seconds,
        "errors": len(errors),
        "error_kinds": dict(Counter(s.error or f"HTTP {s.status}" for s in errors)),
        "over_3s": sum(1 for v in ms if v > SLACK_DEADLINE_MS),
    }


def _burst_summary(burst: Burst) -> dict[str, Any]:
    return {
        "seconds": burst.seconds,
        "complete": burst.complete,
        "planned": burst.planned,
        "commands": _summary([s for s in burst.samples if s.kind == "command"], burst.seconds),
        "clicks": _summary([s for s in burst.samples if s.kind == "click"], burst.seconds),
        "all": _summary(burst.samples, burst.seconds),
    }


def _mount_type(path: Path) -> str:
    best, kind = "", "?"
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) > 2 and str(path).startswith(parts[1]) and len(parts[1]) > len(best):
                    best, kind = parts[1], parts[2]
    except OSError:
        pass
    return kind


def _machine(db_dir: Path) -> dict[str, Any]:
    model = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                model,
            )
    except OSError:
        pass

    def pkg(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "?"

    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": platform.python_version(),
        "slack_bolt": pkg("slack_bolt"),
        "slack_sdk": pkg("slack_sdk"),
        "waitress": pkg("waitress"),
        "sqlalchemy": pkg("SQLAlchemy"),
        "sqlite": sqlite3.sqlite_version,
        "db_filesystem": _mount_type(db_dir.resolve()),
        "load_average_before": os.getloadavg()[0],
    }


# -- the run -------------------------------------------------------------------------------------


class TimeLimit(Exception):
    pass


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _wait(check: Callable[[], bool], deadline: float, what: str, poll: float = 0.02) -> float:
    """Poll until ``check()``; return perf_counter() when it first held."""
    while not check():
        if time.monotonic() >= deadline:
            raise TimeLimit(f"time limit reached while waiting for {what}")
        time.sleep(poll)
    return time.perf_counter()


def _wait_quiet(fake: _Child, deadline: float, quiet: float = 1.0, posts: int = 0) -> None:
    """Wait until the fake has seen no new call for ``quiet`` seconds: background work is done.

    With ``posts``, first until it has that many ``chat.postMessage`` calls: worker processes
    still starting (spawned, migrating) look quiet too."""
    _wait(lambda: fake.ask("counts").get("chat.postMessage", 0) >= posts, deadline, "posts")
    last = fake.ask("counts")
    since = time.monotonic()
    while time.monotonic() - since < quiet:
        if time.monotonic() >= deadline:
            raise TimeLimit("time limit reached while waiting for the app to go quiet")
        time.sleep(0.1)
        now = fake.ask("counts")
        if now != last:
            last, since = now, time.monotonic()


def run(args: argparse.Namespace) -> dict[str, Any]:
    from bot.cli import LISTENER_THREADS, WAITRESS_THREADS
    from bot.domain.checklist import load_checklist

    began = time.monotonic()
    deadline = began + args.time_limit
    first_question = load_checklist().questions[0].id
    n_clicks = round(args.requests * args.click_share)
    n_commands = args.requests - n_clicks
    w_clicks = round(args.warmup * args.click_share)
    w_commands = args.warmup - w_clicks

    cpus = sorted(os.sched_getaffinity(0))
    server_cpus: list[int] | None = None
    other_cpus: list[int] | None = None
    if args.pin and len(cpus) >= 2:
        server_cpus, other_cpus = [cpus[-1]], cpus[:-1]
        os.sched_setaffinity(0, other_cpus)

    tmp = Path(tempfile.mkdtemp(prefix="walkaway-bench-", dir=args.db_dir))
    report: dict[str, Any] = {
        "machine": _machine(tmp),
        "config": {
            "requests_per_target": args.requests,
            "commands": n_commands,
            "clicks": n_clicks,
            "warmup": args.warmup,
            "clients": args.clients,
            "waitress_threads": WAITRESS_THREADS,
            "listener_threads": LISTENER_THREADS,
            "pinned": bool(server_cpus),
            "seed": args.seed,
            "rate": args.rate,
            "api_latency_ms": args.api_latency_ms,
            "backend": args.backend,
        },
        "targets": {},
        "complete": False,
    }
    children: dict[str, _Child] = {}
    targets: dict[str, Target] = {}
    workers = {
        name: value
        for name, value in (
            ("walkaway_worker_processes", args.worker_processes),
            ("walkaway_worker_threads", args.worker_threads),
        )
        if value is not None
    }
    databases = contextlib.ExitStack()
    app_url = f"sqlite:///{tmp / 'app.db'}"
    if args.backend == "postgres":
        from tests.bench.ack_followup import postgres_database

        app_url = databases.enter_context(postgres_database(args.postgres_url))
    try:
        children["fake"] = _Child("fake-slack", _fake_main, (other_cpus, args.api_latency_ms))
        fake_url, response_base = children["fake"].receive(START_TIMEOUT)
        for kind in ("app", "bare"):
            children[kind] = _Child(
                f"{kind}-server",
                _server_main,
                (
                    kind,
                    fake_url,
                    app_url if kind == "app" else f"sqlite:///{tmp / 'bare.db'}",
                    WAITRESS_THREADS,
                    str(tmp / f"{kind}.log"),
                    server_cpus,
                    workers,
                ),
            )
        for kind in ("app", "bare"):
            targets[kind] = Target(kind, children[kind].receive(START_TIMEOUT), args.clients)
        fake = children["fake"]
        build = _Requests(response_base)

        # Setup: one open qualification per click, made through the app itself.
        needed = n_clicks + w_clicks
        _progress(f"setup: opening {needed} qualifications for the clicks")
        questions: list[dict[str, Any]] = []
        made = 0
        for _attempt in range(3):
            missing = needed - len(questions)
            if missing <= 0:
                break
            jobs = [
                build.command_job(f"Bench setup deal {made + n}", USERS[(made + n) % len(USERS)])
                for n in range(missing)
            ]
            made += missing
            targets["app"].fire(jobs, deadline)
            _wait_quiet(fake, deadline, posts=2 * made)
            questions = fake.ask("questions", USERS, first_question, timeout=120)
        if len(questions) < needed:
            raise RuntimeError(f"setup made {len(questions)} of {needed} sessions to click")
        warm_q, measured_q = questions[:w_clicks], questions[w_clicks:needed]

        warmup = _mix(
            [
                build.command_job(f"Warm-up deal {n}", USERS[n % len(USERS)])
                for n in range(w_commands)
            ],
            [build.click_job(q, n) for n, q in enumerate(warm_q)],
            args.seed,
        )
        measured = _mix(
            [
                build.command_job(f"Bench deal {n}", USERS[n % len(USERS)])
                for n in range(n_commands)
            ],
            [build.click_job(q, n) for n, q in enumerate(measured_q)],
            args.seed + 1,
        )

        for kind in ("bare", "app"):
            target = targets[kind]
            _progress(f"{kind}: warm-up ({len(warmup)} requests)")
            target.fire(warmup, deadline)
            if kind == "app":
                _wait_quiet(fake, deadline)
            before = fake.ask("counts")
            _progress(f"{kind}: measuring {len(measured)} requests from {args.clients} clients")
            burst = target.fire(measured, deadline, args.rate)
            result = _burst_summary(burst)
            if kind == "app":
                result["follow_through"] = _follow_through(fake, burst, before, deadline)
                result["rep_waits"] = _rep_waits(fake, burst)
            report["targets"][kind] = result
            if not burst.complete:
                raise TimeLimit(f"time limit reached during the {kind} burst")
        report["complete"] = True
    except TimeLimit as problem:
        report["stopped_early"] = str(problem)
    finally:
        for target in targets.values():
            target.close()
        shutdown: dict[str, Any] = {}
        for name in ("app", "bare", "fake"):  # the fake last: the app's last work may call it
            if name in children:
                final, clean = children[name].stop(STOP_TIMEOUT)
                shutdown[name] = {"clean": clean, "report": final}
        report["shutdown"] = shutdown
        databases.close()
        report["seconds"] = time.monotonic() - began
        report["load_average_after"] = os.getloadavg()[0]
        problems = sum(
            sum((part.get("report") or {}).get("log_counts", {}).values())
            for part in shutdown.values()
            if isinstance(part.get("report"), dict)
        )
        if args.keep or problems:
            report["kept"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return report


def _rep_waits(fake: _Child, burst: Burst) -> dict[str, Any]:
    """Per kind, how long each acked request's rep waited for what follows it in Slack."""
    from tests.bench.ack_followup import summary

    acked = [s for s in burst.samples if s.ok and s.key]
    waits = fake.ask("follow_ups", [(s.kind, s.key, s.start) for s in acked], timeout=120)
    return {
        kind + "s": summary([w for s, w in zip(acked, waits, strict=True) if s.kind == kind])
        for kind in ("click", "command")
    }


def _follow_through(
    fake: _Child, burst: Burst, before: dict[str, int], deadline: float
) -> dict[str, Any]:
    """When did the fake record every call the acked requests should cause?

    A command that was acked posts twice (thread opening, first question); a click updates the
    question and posts the next one. A refusal or an apology would show up as an ephemeral reply.
    """
    want_posts = before.get("chat.postMessage", 0) + 2 * burst.ok("command") + burst.ok("click")
    want_updates = before.get("chat.update", 0) + burst.ok("click")
    latest: dict[str, int] = {}

    def done() -> bool:
        latest.update(fake.ask("counts"))
        return (
            latest.get("chat.postMessage", 0) >= want_posts
            and latest.get("chat.update", 0) >= want_updates
        )

    try:
        finished = _wait(done, deadline, "the app's follow-up calls")
    except TimeLimit:
        return {"done": False, "missing_posts": want_posts - latest.get("chat.postMessage", 0)}
    seconds = finished - burst.started
    replies = sum(
        latest.get(m, 0) - before.get(m, 0) for m in ("chat.postEphemeral", "response_url")
    )
    handled = burst.ok("command") + burst.ok("click")
    texts = fake.ask("replies")[-replies:] if replies else []
    return {
        "done": True,
        "seconds": seconds,
        "after_last_ack_s": finished - burst.ended,
        "rps": handled / seconds,
        "ephemeral_replies": replies,
        "ephemeral_texts": sorted(Counter(texts).items(), key=lambda item: -item[1])[:5],
    }


# -- output --------------------------------------------------------------------------------------


def _fmt(value: float, width: int, digits: int = 1) -> str:
    return f"{value:{width}.{digits}f}" if not math.isnan(value) else f"{'-':>{width}}"


def render(report: dict[str, Any]) -> str:
    m, c = report["machine"], report["config"]
    lines = [
        "Walk-away advisor: ack latency, app vs bare Bolt app (HTTP mode, same run)",
        f"machine: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), {m['os']}; "
        f"Python {m['python']}; slack_bolt {m['slack_bolt']}, slack_sdk {m['slack_sdk']}, "
        f"waitress {m['waitress']}, SQLAlchemy {m['sqlalchemy']}, SQLite {m['sqlite']} "
        f"(database on {m['db_filesystem']}); load average before the run "
        f"{m['load_average_before']:.2f} (anything else running skews the figures)",
        f"load: {c['requests_per_target']} signed requests per target ({c['commands']} "
        f"`/walkaway <deal>`, {c['clicks']} answer clicks), {c['clients']} keep-alive clients, "
        + (
            f"open loop at {c['rate']:g} requests/s"
            if c["rate"]
            else "closed loop (next request as soon as the last is answered)"
        )
        + f", after {c['warmup']} warm-up requests",
        f"servers: waitress {c['waitress_threads']} threads, Bolt listener pool "
        f"{c['listener_threads']} threads (as `walkaway serve`); fake Web API answers after "
        f"{c['api_latency_ms']:g} ms"
        + ("; servers pinned to the last core, the rest to the others" if c["pinned"] else ""),
        _deployment(report),
        "",
    ]
    head = f"{'n':>5} {'p50':>6} {'p99':>7} {'max':>7} {'req/s':>7} {'err':>4}"
    lines.append(f"{'':9} | {'app':^39} | {'bare':^39}")
    lines.append(f"{'':9} | {head} | {head}")
    lines.append(f"{'':9} | {'ms':^39} | {'ms':^39}")
    targets = report["targets"]
    for kind in ("commands", "clicks", "all"):
        cells = []
        for name in ("app", "bare"):
            if name not in targets:
                cells.append(f"{'(not run)':^39}")
                continue
            s = targets[name][kind]
            cells.append(
                f"{s['requests']:5d} {_fmt(s['p50_ms'], 6)} {_fmt(s['p99_ms'], 7)} "
                f"{_fmt(s['max_ms'], 7)} {_fmt(s['rps'], 7)} {s['errors']:4d}"
            )
        lines.append(f"{kind:9} | {cells[0]} | {cells[1]}")
    lines.append(
        "(per-kind req/s: that kind's share of the mixed burst; err: non-200 or no answer)"
    )
    if "app" in targets and "bare" in targets:
        app, bare = targets["app"]["all"], targets["bare"]["all"]
        ratio = app["rps"] / bare["rps"]
        p99_met = app["p99_ms"] < TARGET_P99_MS
        lines.append("")
        lines.append(
            f"app p99 ack: {app['p99_ms']:.1f} ms (target < {TARGET_P99_MS:.0f} ms: "
            f"{'met' if p99_met else 'MISSED'}); acks slower than Slack's 3 s: "
            f"app {app['over_3s']}, bare {bare['over_3s']}"
        )
        if c["rate"]:
            lines.append(
                f"throughput: both offered {c['rate']:g} requests/s (open loop), so app/bare "
                f"({ratio:.2f}) says only whether each kept up; run closed loop for capacity"
            )
        else:
            lines.append(
                f"throughput app/bare: {app['rps']:.1f} / {bare['rps']:.1f} requests/s = "
                f"{ratio:.2f} (target >= {TARGET_RATIO:.2f}: "
                f"{'met' if ratio >= TARGET_RATIO else 'MISSED'})"
            )
        for name in ("app", "bare"):
            kinds = targets[name]["all"]["error_kinds"]
            if kinds:
                lines.append(f"{name} errors: {kinds}")
        follow = targets["app"].get("follow_through", {})
        if follow.get("done"):
            lines.append(
                f"app work done: the fake had every post and update the acked requests cause "
                f"{follow['seconds']:.1f} s after the burst began "
                f"({follow['after_last_ack_s']:.1f} s after the last ack), "
                f"{follow['rps']:.1f} requests/s fully handled; "
                f"{follow['ephemeral_replies']} ephemeral replies (refusals or apologies)"
            )
            for text, count in follow.get("ephemeral_texts", []):
                lines.append(f"  {count} x {text!r}")
        elif follow:
            lines.append(f"app work NOT finished before the time limit: {follow}")
        cpu = (report.get("shutdown", {}).get("app") or {}).get("report") or {}
        cpu = cpu.get("cpu_seconds") if isinstance(cpu, dict) else None
        if cpu:
            lines.append(
                f"app CPU over the whole run (setup and warm-up included): serve "
                f"{cpu['server']:.1f} s, worker processes {cpu['workers']:.1f} s"
            )
        if targets["app"].get("rep_waits"):
            from tests.bench.ack_followup import render as render_waits

            lines.extend(render_waits(targets["app"]["rep_waits"]))
    if "stopped_early" in report:
        lines.append(f"STOPPED EARLY: {report['stopped_early']}")
    shutdown = report.get("shutdown", {})
    parts = []
    for name, part in shutdown.items():
        final = part.get("report") if isinstance(part.get("report"), dict) else {}
        logged = final.get("log_counts") or {}
        text = f"{name} {'clean' if part['clean'] else 'NOT CLEAN'}"
        if final.get("drain_seconds_at_stop") is not None:
            text += f" (listener pool drained in {final['drain_seconds_at_stop']:.2f} s)"
        if logged:
            text += f" logged {logged}: {final.get('first_problems')}"
        if "problem" in final:
            text += f" {final['problem']}"
        parts.append(text)
    lines.append(
        f"shutdown: {'; '.join(parts)}; run took {report.get('seconds', 0):.0f} s; "
        f"load average after {report.get('load_average_after', math.nan):.2f}"
    )
    if "kept" in report:
        lines.append(f"databases and server logs kept in {report['kept']}")
    return "\n".join(lines)


def _deployment(report: dict[str, Any]) -> str:
    """The app's backend and workers, as its server reported them at stop."""
    final = (report.get("shutdown", {}).get("app") or {}).get("report") or {}
    backend = report["config"].get("backend", "sqlite")
    name = "PostgreSQL" if backend == "postgres" else "SQLite"
    processes, threads = final.get("worker_processes"), final.get("worker_threads")
    if processes is None:
        return f"app: {name}"
    return f"app: {name}, {processes} worker process(es) x {threads} worker threads"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.ack_latency",
        description="Ack latency and throughput of the app vs a bare Bolt app, HTTP mode.",
    )
    parser.add_argument("--requests", type=int, default=2000, help="measured, per target")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients")
    parser.add_argument("--warmup", type=int, default=200, help="warm-up requests per target")
    parser.add_argument(
        "--click-share", type=float, default=0.5, help="share of clicks among requests"
    )
    parser.add_argument(
        "--time-limit", type=float, default=600.0, help="hard limit for the whole run, seconds"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open loop: send at this many requests/s instead of as fast as answers come",
    )
    parser.add_argument(
        "--api-latency-ms",
        type=float,
        default=0.0,
        help="delay every fake Web API answer, like the real round trip (default 0)",
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="the app's database; postgres makes and drops a database of its own",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "WALKAWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
        help="server to make the postgres run's database on",
    )
    parser.add_argument(
        "--worker-processes", type=int, default=None, help="instead of the app's default"
    )
    parser.add_argument("--worker-threads", type=int, default=None, help="per worker process")
    parser.add_argument(
        "--pin", action="store_true", help="servers on a core of their own (2+ cores)"
    )
    parser.add_argument("--db-dir", default=None, help="where the temp SQLite files go")
    parser.add_argument("--keep", action="store_true", help="keep the databases and logs")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.requests < 1 or args.clients < 1 or not 0 <= args.click_share <= 1:
        raise SystemExit("--requests and --clients must be positive, --click-share in [0, 1]")
    report = run(args)
    print(json.dumps(report, indent=2) if args.json else render(report))
    clean = all(part["clean"] for part in report.get("shutdown", {}).values())
    return 0 if report["complete"] and clean else 1


if __name__ == "__main__":
    raise SystemExit(main())
