"""What one request costs the database: SQL statements for a `/walkaway <deal>` and for a click.

Issue 14 asks for 100 fully handled requests/s on PostgreSQL with two worker processes; each
handled request's worker CPU is mostly Python and SQLAlchemy around its statements, so the
statement count per request is the figure to bring down (and cheap to measure exactly, unlike
CPU time on a shared machine). This drives the real app as the journeys do (signed HTTP, the
recording fake Web API), counts every statement any engine of the process executes between
sending a request and the work it set off being finished, and prints them per kind:

    .venv/bin/python -m tests.bench.job_cost                 # SQLite, counts
    .venv/bin/python -m tests.bench.job_cost --show click    # and each statement of one click
    .venv/bin/python -m tests.bench.job_cost --pg-url postgresql://postgres@127.0.0.1:5432/test

Statements of the worker's idle polling of the queue are left out (they do not grow with the
work) and counted apart. With `--pg-url`, a database `walkaway_cost_<random>` is made on that
server and dropped at the end.
"""

from __future__ import annotations

import argparse
import re
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from tests.slack.fake_slack import FakeSlack
from tests.slack.test_journey_outcomes import CALM, PATHS
from tests.slack.world import World, sqlite_url

POLL = re.compile(r"^SELECT (jobs\.id|count\(\*\) AS count_1) FROM jobs\b", re.IGNORECASE)
"""A look at the queue (the worker's peek, the harness's wait for idle): it runs whether or not
there is work, as often as the threads wake, so it is counted apart."""


class Tally:
    """Every statement executed by any engine while `recording`, the queue's polls apart."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.recording = False
        self.statements: list[str] = []
        self.polls = 0

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not self.recording:
            return
        with self.lock:
            flat = " ".join(statement.split())
            if POLL.search(flat):
                self.polls += 1
            else:
                self.statements.append(flat)

    @contextmanager
    def measuring(self) -> Iterator[list[str]]:
        with self.lock:
            self.statements, self.polls, self.recording = [], 0, True
        taken: list[str] = []
        try:
            yield taken
        finally:
            with self.lock:
                self.recording = False
                taken.extend(self.statements)


@contextmanager
def _database(pg_url: str | None) -> Iterator[str]:
    if pg_url is None:
        with tempfile.TemporaryDirectory() as folder:
            yield sqlite_url(Path(folder))
        return
    name = f"walkaway_cost_{secrets.token_hex(4)}"
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _kind(statement: str) -> str:
    word = statement.split(" ", 1)[0].upper()
    return word if word in {"SELECT", "INSERT", "UPDATE", "DELETE"} else "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", help="a PostgreSQL server to make a scratch database on")
    parser.add_argument("--checks", type=int, default=5, help="checks to run (default 5)")
    parser.add_argument("--show", choices=["start", "click"], help="print one request's SQL")
    options = parser.parse_args()

    tally = Tally()
    event.listen(Engine, "before_cursor_execute", tally)
    answers = {**CALM, **PATHS["redirect"]}  # buttons only: no number asked in a modal
    costs: dict[str, list[int]] = {"start": [], "click": []}
    kinds: dict[str, Counter[str]] = {"start": Counter(), "click": Counter()}
    shown: list[str] = []
    seconds: dict[str, float] = {"start": 0.0, "click": 0.0}
    with _database(options.pg_url) as url, FakeSlack() as fake, World.serving(fake, url) as world:
        for n in range(options.checks):
            world.user = f"U{n:04d}COST"
            with tally.measuring() as taken:
                began = time.perf_counter()
                world.start(f"Cost check {n}")
                world.settle()
                seconds["start"] += time.perf_counter() - began
            costs["start"].append(len(taken))
            kinds["start"].update(_kind(s) for s in taken)
            if options.show == "start" and not shown:
                shown = list(taken)
            while True:
                world.settle()
                if not world.open_questions():
                    break
                question = world.current_question()
                qid = world.question_id(question)
                if qid not in answers:
                    break  # past the checklist (the draft's recipient): not a click measured
                with tally.measuring() as taken:
                    began = time.perf_counter()
                    posted = len(fake.calls("chat.postMessage"))
                    world.click(question, value=answers[qid])
                    fake.wait_for("chat.postMessage", count=posted + 1)
                    world.settle()
                    seconds["click"] += time.perf_counter() - began
                costs["click"].append(len(taken))
                kinds["click"].update(_kind(s) for s in taken)
                if options.show == "click" and not shown:
                    shown = list(taken)
    backend = "PostgreSQL" if options.pg_url else "SQLite"
    print(f"job_cost: {backend}, {options.checks} checks, statements per request (ack + job)")
    for kind, counts in costs.items():
        if not counts:
            continue
        mix = ", ".join(f"{k} {v / len(counts):.1f}" for k, v in sorted(kinds[kind].items()))
        print(
            f"  {kind:<6} {len(counts):>4} requests: mean {sum(counts) / len(counts):.1f}, "
            f"min {min(counts)}, max {max(counts)} ({mix}); "
            f"{1000 * seconds[kind] / len(counts):.0f} ms wall each in-process"
        )
    for number, statement in enumerate(shown, 1):
        print(f"{number:>3}. {statement[:220]}")


if __name__ == "__main__":
    main()
