"""Statements, transactions and CPU per job: a check's start and a click, one at a time.

    .venv/bin/python -m tests.bench.job_cost [--backend postgres] [--jobs 40]

The real app over HTTP (tests/slack/world.py) with its worker as threads in this process, the
fake Slack answering at once. It starts `--jobs` checks (`/walkaway <deal>`, each rep new),
then answers each one's first question, and reports per job: the statements the job's own
thread sent (SQLAlchemy's before_cursor_execute), its connection checkouts (each one a
transaction, and on PostgreSQL a pre-ping), the claiming thread's statements, and the job
thread's CPU (time.thread_time around Worker._run), with the statements most sent.
On PostgreSQL it makes and drops a database walkaway_cost_<random>.
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool

import bot.slack.worker as worker_module
from tests.slack.fake_slack import FakeSlack
from tests.slack.world import World

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.on = False
        self.counts: Counter[str] = Counter()
        self.texts: Counter[str] = Counter()
        self.cpu = 0.0

    def reset(self) -> None:
        self.counts.clear()
        self.texts.clear()
        self.cpu = 0.0

    def who(self) -> str | None:
        name = threading.current_thread().name
        if not self.on or not name.startswith("walkaway-worker"):
            return None
        return "dealer" if "dealer" in name else "job"


def instrument(tally: Tally) -> None:
    @event.listens_for(Engine, "before_cursor_execute")
    def _statement(*args: Any) -> None:
        who = tally.who()
        if who is not None:
            with tally.lock:
                tally.counts[who] += 1
                tally.texts[re.sub(r"\s+", " ", str(args[2]))[:110]] += 1

    @event.listens_for(Pool, "checkout")
    def _checkout(*_: Any) -> None:
        who = tally.who()
        if who is not None:
            with tally.lock:
                tally.counts[f"checkouts {who}"] += 1

    run = worker_module.Worker._run

    def timed(self: worker_module.Worker, job: Any) -> Any:
        started = time.thread_time()
        try:
            return run(self, job)
        finally:
            with tally.lock:
                tally.cpu += time.thread_time() - started

    worker_module.Worker._run = timed  # type: ignore[method-assign]


def phase(tally: Tally, label: str, jobs: int, work: Callable[[], None], top: int) -> None:
    tally.reset()
    tally.on = True
    work()
    tally.on = False
    per = {key: n / jobs for key, n in tally.counts.items()}
    print(
        f"{label}: {jobs} jobs; per job {per.get('job', 0):.1f} statements, "
        f"{per.get('checkouts job', 0):.1f} checkouts, "
        f"job thread CPU {tally.cpu / jobs * 1000:.1f} ms; claiming "
        f"{per.get('dealer', 0):.1f} statements, {per.get('checkouts dealer', 0):.1f} checkouts"
    )
    for text, n in tally.texts.most_common(top):
        print(f"  {n / jobs:5.2f}  {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--top", type=int, default=0, help="list the N statements most sent")
    args = parser.parse_args()
    admin = None
    name = f"walkaway_cost_{secrets.token_hex(3)}"
    if args.backend == "postgres":
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/walkaway.db"
    tally = Tally()
    instrument(tally)
    try:
        with FakeSlack() as fake, World.serving(fake, url) as world:
            world.start("Warm-up deal")
            world.settle()
            reps = [f"U{n:05d}" for n in range(args.jobs)]

            def starts() -> None:
                for rep in reps:
                    world.user = rep
                    world.start(f"Deal {rep}")
                world.settle()

            def clicks() -> None:
                for rep in reps:
                    world.user = rep
                    question = world.open_questions()[-1]
                    posted = len(fake.calls("chat.postMessage"))
                    value = json.loads(world.element(question)["value"]).get("value")
                    world.click(question, value=value)
                    fake.wait_for("chat.postMessage", count=posted + 1)
                world.settle()

            phase(tally, "start", args.jobs, starts, args.top)
            phase(tally, "click", args.jobs, clicks, args.top)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
