"""Many whole qualifications through a failing Slack while processes are killed at random.

Run from the repository root (not part of the test run):

    .venv/bin/python -m tests.bench.chaos --backend sqlite   [--checks 100] [--reps 10]
    .venv/bin/python -m tests.bench.chaos --backend postgres [--checks 100]

What one run does
-----------------
* Starts the fake Slack Web API (tests/slack/fake_slack.py) in this process, failing a share of
  the app's calls (``--rate``, default 0.25) with a fault drawn from: HTTP 429 with Retry-After,
  HTTP 500, ``ok: false ratelimited``, a reset connection, and a timeout after the work was done.
* Starts the real ``walkaway serve`` (HTTP mode, its supervised worker processes) on a fresh
  SQLite file or a fresh PostgreSQL database made for the run and dropped after.
* ``--reps`` reps at a time play ``--checks`` qualifications in all (the five outcomes in turn):
  ``/walkaway <deal>``, then each question once, as it appears, with a click (or, for a number,
  a typed reply), until the verdict card (and the draft) are there. A request ``serve`` did not
  acknowledge (it was dead, or the connection broke) is sent again a moment later, as a person
  clicks again after Slack's error and as Slack redelivers an event; an acknowledged one never is.
* Meanwhile a killer sends SIGKILL every few seconds (``--kill-every``) to ``serve`` or to one of
  its workers; a killed ``serve`` is started again after half a second, as a process manager
  would. Killing stops once every check is done or stuck.
* Then it waits for the job queue to empty, stops ``serve``, and reads the database and what the
  fake holds: checks finished (verdict card shown), answers lost (acknowledged but not stored),
  answers duplicated, messages duplicated (two posts of one message key), verdicts missing
  (stored, card never shown), apologies, and for every kill the time until each check that was
  waiting on the app at that moment moved on (p50 / p99 / max).

Targets (issue 10): every check finished, every count 0, p99 recovery under 30 s.

Settings: the app runs with its defaults but for WALKAWAY_SLACK_TIMEOUT=2 (and the fake's
timeouts answer after 3 s), so a timeout fault costs seconds rather than the default 15.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.error import URLError

from sqlalchemy import create_engine, text

from storage.repository import Store
from tests.cli.test_serve_cli import _free_port, _wait_listening
from tests.cli.test_worker_cli import _env
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SlackClient, button_click
from tests.slack.test_journey_outcomes import CALM, NUMBERS, PATHS
from tests.slack.world import SECRET, TEAM, TOKEN, actions_of, block_ids

POSTGRES = os.environ.get("WALKAWAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
STEP_TIMEOUT = 120.0
"""A check whose next step has not come this long after its last acknowledged action is stuck."""


# -- serve --------------------------------------------------------------------------------------


class Serve:
    """`walkaway serve` as a process manager runs it: started again whenever it dies."""

    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log_path = env, port, log
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()
        self.starts = 0

    def start(self) -> None:
        with self.lock:
            log = self.log_path.open("ab")
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                stdout=log,
                stderr=log,
                env=self.env,
                cwd=self.log_path.parent,
            )
            self.starts += 1
        _wait_listening(self.port, self.process)  # type: ignore[arg-type]

    def workers(self) -> list[int]:
        with self.lock:
            if self.process is None or self.process.poll() is not None:
                return []
            pid = self.process.pid
        found: list[int] = []
        try:
            for task in Path(f"/proc/{pid}/task").iterdir():
                for child in (task / "children").read_text().split():
                    try:
                        command = Path(f"/proc/{child}/cmdline").read_bytes()
                    except FileNotFoundError:
                        continue
                    if b"resource_tracker" not in command:
                        found.append(int(child))
        except FileNotFoundError:
            return []
        return found

    def kill(self) -> None:
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                self.process.kill()
                self.process.wait()

    def stop(self) -> None:
        with self.lock:
            if self.process is not None and self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(60)
                except subprocess.TimeoutExpired:
                    self.process.kill()


# -- the reps -----------------------------------------------------------------------------------


@dataclass
class Check:
    number: int
    user: str
    deal: str
    outcome: str
    answers: dict[str, str]
    acked: list[str] = field(default_factory=list)
    """Questions whose answer serve acknowledged (each sent until it was, never after)."""
    waiting_since: float | None = None
    """When its last acknowledged action was sent; None while the rep has the next step."""
    resent: int = 0
    finished: bool = False
    stuck: str | None = None
    moved_at: list[float] = field(default_factory=list)
    """When each next step appeared."""

    @property
    def dm(self) -> str:
        return "D" + self.user


class Reps:
    def __init__(self, fake: FakeSlack, port: int, checks: list[Check]) -> None:
        self.fake = fake
        self.slack = SlackClient(
            f"http://127.0.0.1:{port}", SECRET, response_url_base=fake.response_url_base
        )
        self.slack.timeout = 10
        self.checks = checks

    def send(self, check: Check, request: Any) -> None:
        """Send until serve acknowledges (a 200): a refused or broken request did nothing."""
        while True:
            try:
                reply = request()
                if reply.status == 200:
                    return
            except (URLError, ConnectionError, TimeoutError, OSError):
                pass
            check.resent += 1
            time.sleep(0.5 + random.random())

    def play(self, check: Check) -> None:
        self.send(
            check,
            lambda: self.slack.command(text=check.deal, user_id=check.user, team_id=TEAM),
        )
        check.waiting_since = time.monotonic()
        seen: set[str] = set()
        while True:
            step = self._next_step(check, seen)
            if step is None:
                return
            if step == "done":
                check.finished = True
                return
            question, qid = step
            seen.add(qid)
            if qid in NUMBERS:
                self._type(check, question, check.answers[qid])
            else:
                self._click(check, question, check.answers[qid])
            check.acked.append(qid)
            check.waiting_since = time.monotonic()

    def _next_step(self, check: Check, seen: set[str]) -> tuple[dict[str, Any], str] | str | None:
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            thread = [m for m in self.fake.messages(check.dm) if m.get("thread_ts")]
            open_ = [
                m
                for m in thread
                if any(a.get("action_id") == "answer_modal" for a in actions_of(m))
            ]
            fresh = [m for m in open_ if _qid(m) not in seen]
            done = any("verdict" in block_ids(m) for m in thread) and (
                check.outcome == "proceed"
                or any({"draft_actions", "recipient_actions"} & set(block_ids(m)) for m in thread)
            )
            if fresh or done:
                check.moved_at.append(time.monotonic())
                check.waiting_since = None
                if done and not fresh:
                    return "done"
                latest = fresh[-1]
                return latest, _qid(latest)
            time.sleep(0.05)
        last = [m.get("text", "")[:80] for m in self.fake.messages(check.dm)][-2:]
        check.stuck = f"no step after {check.acked[-1:] or ['the command']}; thread ends {last}"
        return None

    def _click(self, check: Check, question: dict[str, Any], value: str) -> None:
        element = next(
            e
            for e in actions_of(question)
            if json.loads(e.get("value") or "{}").get("value") == value
        )
        block = next(
            b["block_id"]
            for b in question["blocks"]
            if b.get("type") == "actions" and element in b["elements"]
        )
        stamp = f"{time.time():.6f}"  # one click: the same stamp however often it is re-sent
        self.send(
            check,
            lambda: self.slack.block_action(
                button_click(
                    check.user,
                    TEAM,
                    check.dm,
                    question["ts"],
                    element["action_id"],
                    element["value"],
                    block,
                    stamp,
                    response_url=self.slack.response_url(TEAM),
                )
            ),
        )

    def _type(self, check: Check, question: dict[str, Any], value: str) -> None:
        opening = next(m for m in self.fake.messages(check.dm) if "thread_ts" not in m)
        ts = f"{time.time():.6f}"
        event = {
            "type": "message",
            "channel": check.dm,
            "channel_type": "im",
            "user": check.user,
            "text": value,
            "ts": ts,
            "event_ts": ts,
            "thread_ts": opening["ts"],
            "team": TEAM,
        }
        event_id = f"Ev{secrets.token_hex(6).upper()}"  # Slack redelivers under the same id
        self.send(check, lambda: self.slack.event(event, event_id=event_id, team_id=TEAM))


def _qid(message: dict[str, Any]) -> str:
    actions = next(b for b in message["blocks"] if b.get("type") == "actions")
    return str(actions["block_id"]).split("|")[0]


# -- the killer ---------------------------------------------------------------------------------


@dataclass
class Kill:
    at: float
    what: str
    waiting: list[int]
    """Checks that had an acknowledged action not yet followed by its next step."""


def killer(
    serve: Serve, checks: list[Check], every: float, stop: threading.Event, kills: list[Kill]
) -> None:
    rng = random.Random(7)
    while not stop.wait(rng.uniform(every * 0.5, every * 1.5)):
        waiting = [c.number for c in checks if c.waiting_since is not None and not c.finished]
        workers = serve.workers()
        if workers and rng.random() < 0.5:
            victim = rng.choice(workers)
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                continue
            kills.append(Kill(time.monotonic(), "worker", waiting))
        else:
            serve.kill()
            kills.append(Kill(time.monotonic(), "serve", waiting))
            time.sleep(0.5)
            serve.start()


# -- the run ------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="walkaway-chaos-"))
    database, drop = _database(args.backend, workdir)
    outcomes = list(PATHS)
    checks = [
        Check(
            number=n,
            user=f"U{n:05d}",
            deal=f"Deal {n} {outcomes[n % len(outcomes)]}",
            outcome=outcomes[n % len(outcomes)],
            answers={**CALM, **PATHS[outcomes[n % len(outcomes)]]},
        )
        for n in range(args.checks)
    ]
    port = _free_port()
    kills: list[Kill] = []
    started = time.monotonic()
    with FakeSlack(timeout_delay=3.0, rate_limit_retry_after=1) as fake:
        env = _env(
            workdir,
            DATABASE_URL=database,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            HOST="127.0.0.1",
            PORT=str(port),
            WALKAWAY_SLACK_TIMEOUT="2",
            WALKAWAY_WORKER_PROCESSES=str(args.workers),
        )
        serve = Serve(env, port, workdir / "serve.log")
        serve.start()
        fake.chaos(args.rate, seed=args.seed)
        reps = Reps(fake, port, checks)
        stop = threading.Event()
        chaos_thread = threading.Thread(
            target=killer, args=(serve, checks, args.kill_every, stop, kills), daemon=True
        )
        chaos_thread.start()
        pending = list(checks)
        lock = threading.Lock()

        def rep() -> None:
            while True:
                with lock:
                    if not pending:
                        return
                    check = pending.pop(0)
                reps.play(check)
                done = sum(c.finished or c.stuck is not None for c in checks)
                print(f"  {done}/{len(checks)} checks done", file=sys.stderr, flush=True)

        threads = [threading.Thread(target=rep) for _ in range(args.reps)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        stop.set()
        chaos_thread.join()
        fake.chaos(0)
        store = Store.open(database, migrate=False)
        deadline = time.monotonic() + 180
        while store.jobs.waiting() and time.monotonic() < deadline:
            time.sleep(0.5)
        left = store.jobs.waiting()
        serve.stop()
        report = _tally(args, checks, kills, fake, store, left)
        store.close()
    report["seconds"] = round(time.monotonic() - started, 1)
    report["serve_starts"] = serve.starts
    report["log"] = str(workdir / "serve.log")
    drop()
    return report


def _database(backend: str, workdir: Path) -> tuple[str, Any]:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'chaos.db'}", lambda: None
    name = f"walkaway_chaos_{secrets.token_hex(4)}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    url = POSTGRES.rsplit("/", 1)[0] + "/" + name

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()

    return url, drop


def _tally(
    args: argparse.Namespace,
    checks: list[Check],
    kills: list[Kill],
    fake: FakeSlack,
    store: Store,
    left: int,
) -> dict[str, Any]:
    lost = duplicated = missing = 0
    for check in checks:
        workspace = store.ensure_workspace(team_id=TEAM)
        rep = store.ensure_user(workspace_id=workspace, slack_user_id=check.user)
        latest = store.latest_session(workspace_id=workspace, rep_user_id=rep, deal_name=check.deal)
        if latest is None:
            lost += len(check.acked)
            continue
        history = store.answer_history(session_id=latest.id)
        stored = Counter(a.question_id for a in history)
        lost += sum(1 for qid in check.acked if qid not in stored)
        duplicated += sum(n - 1 for n in stored.values() if n > 1)
        record = store.record_id_of_session(session_id=latest.id)
        if record is not None:
            card = store.post_info(key=f"card:{record}")
            thread = fake.messages(check.dm)
            shown = any("verdict" in block_ids(m) for m in thread)
            missing += int(card is None or card.ts is None or not shown)
    copies: Counter[tuple[str, str]] = Counter()
    for channel in list(fake._channels):
        for message in fake.messages(channel):
            key = ((message.get("metadata") or {}).get("event_payload") or {}).get("key")
            if key:
                copies[(channel, key)] += 1
    repeated = sum(n - 1 for n in copies.values() if n > 1)
    repeated_keys = sorted(key for (_, key), n in copies.items() if n > 1)
    apologies = sum(
        "Sorry" in str(call.args.get("text", ""))
        for call in fake.calls()
        if call.method in ("chat.postMessage", "response_url")
    )
    recoveries: list[float] = []
    by_number = {c.number: c for c in checks}
    for kill in kills:
        for number in kill.waiting:
            after = [t for t in by_number[number].moved_at if t >= kill.at]
            if after:
                recoveries.append(after[0] - kill.at)
    recoveries.sort()
    faults = Counter(kind for _, kind in fake.faults())
    return {
        "backend": args.backend,
        "checks": len(checks),
        "finished": sum(c.finished for c in checks),
        "stuck": [c.stuck for c in checks if c.stuck],
        "answers_acked": sum(len(c.acked) for c in checks),
        "answers_lost": lost,
        "answers_duplicated": duplicated,
        "messages_duplicated": repeated,
        "messages_duplicated_keys": repeated_keys,
        "verdicts_missing": missing,
        "apologies": apologies,
        "jobs_left": left,
        "kills": Counter(k.what for k in kills),
        "requests_resent_after_no_ack": sum(c.resent for c in checks),
        "recovery_s": {
            "waits": len(recoveries),
            "p50": _pct(recoveries, 0.50),
            "p99": _pct(recoveries, 0.99),
            "max": recoveries[-1] if recoveries else None,
        },
        "faults": dict(faults),
        "slack_calls": len(fake.calls()),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, load {os.getloadavg()[0]:.2f}",
    }


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    return round(values[min(len(values) - 1, int(q * len(values)))], 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--reps", type=int, default=10, help="reps playing at the same time")
    parser.add_argument("--rate", type=float, default=0.25, help="share of Slack calls failed")
    parser.add_argument("--kill-every", type=float, default=8.0, help="mean seconds between kills")
    parser.add_argument("--workers", type=int, default=1, help="WALKAWAY_WORKER_PROCESSES")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    report = run(args)
    print(json.dumps(report, indent=2, default=str))
    good = (
        report["finished"] == report["checks"]
        and not any(
            report[k]
            for k in (
                "answers_lost",
                "answers_duplicated",
                "messages_duplicated",
                "verdicts_missing",
                "apologies",
            )
        )
        and (report["recovery_s"]["p99"] or 0) < 30
    )
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())
