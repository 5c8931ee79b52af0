"""What the rep feels after an ack: how long until the next question is in Slack.

Used by tests/bench/ack_latency.py. The fake Web API (in its own process) stamps every call it
records with ``time.perf_counter()``; on Linux that is CLOCK_MONOTONIC, one clock for every
process on the machine, so the stamps compare directly with the load generator's send times.
A call is stamped when the fake has carried it out, after the configured answer delay: the
moment the app's ``chat.postMessage`` returns, which is no earlier than the rep could see it.

* A **click** answers the first question of a session made in setup; what follows it is the next
  message posted into that session's thread (the next question, or the verdict when the answer
  settles the check), or an update of another message of that thread (a question asked again).
  The clicked question's own update (its answered form) does not count.
* A **command** (`/walkaway <deal>`) opens a thread whose first message names the deal; what
  follows it is the first question posted into that thread.

Each request's wait runs from the moment it was sent (open loop: when it was due) to that call.
A request whose follow-up the fake never recorded counts as never arrived.

PostgreSQL runs (``--backend postgres``) make a database of their own and drop it at the end,
as tests/bench/search_bench.py does.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def stamped(fake_class: type[Any]) -> type[Any]:
    """A FakeSlack subclass that remembers when it recorded each call."""

    class Stamped(fake_class):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.stamps: list[tuple[float, Any]] = []
            self._stamp_lock = threading.Lock()

        def _record(self, call: Any) -> None:
            with self._stamp_lock:
                self.stamps.append((time.perf_counter(), call))
            super()._record(call)

    return Stamped


def follow_ups(fake: Any, wanted: Sequence[tuple[str, str, float]]) -> list[float | None]:
    """For each (kind, key, sent_at): seconds from sent_at to its follow-up, or None.

    A click's key is ``channel|thread_ts|clicked_ts``; a command's is the deal name.
    """
    with fake._stamp_lock:
        stamps = list(fake.stamps)
    posts_in_thread: dict[str, list[float]] = {}
    updates_in_thread: dict[str, list[tuple[float, str]]] = {}
    thread_of: dict[str, str] = {}
    opening_of_deal: dict[str, str] = {}
    for at, call in stamps:
        result = call.result or {}
        if call.error or not result.get("ok"):
            continue
        if call.method == "chat.postMessage":
            thread = call.args.get("thread_ts")
            ts = str(result.get("ts", ""))
            if thread:
                thread_of[ts] = str(thread)
                posts_in_thread.setdefault(str(thread), []).append(at)
            else:
                text = str(call.args.get("text", ""))
                if text.startswith("Walk-away check for *") and text.endswith("*"):
                    opening_of_deal.setdefault(text[len("Walk-away check for *") : -1], ts)
        elif call.method == "chat.update":
            ts = str(call.args.get("ts", ""))
            updates_in_thread.setdefault("?", []).append((at, ts))
    # An update's thread is known only once every post is read (posts come before updates).
    for at, ts in updates_in_thread.pop("?", []):
        thread = thread_of.get(ts)
        if thread is not None:
            updates_in_thread.setdefault(thread, []).append((at, ts))

    answers: list[float | None] = []
    for kind, key, sent in wanted:
        if kind == "click":
            _channel, thread, clicked = key.split("|")
            times = [t for t in posts_in_thread.get(thread, []) if t >= sent]
            times += [
                t for t, ts in updates_in_thread.get(thread, []) if t >= sent and ts != clicked
            ]
        else:
            opening = opening_of_deal.get(key)
            times = [t for t in posts_in_thread.get(opening or "", []) if t >= sent]
        answers.append(min(times) - sent if times else None)
    return answers


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest rank, as the ack figures use."""
    if not sorted_values:
        return math.nan
    return sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)]


def summary(seconds: Sequence[float | None]) -> dict[str, Any]:
    arrived = sorted(s * 1000 for s in seconds if s is not None)
    return {
        "requests": len(seconds),
        "arrived": len(arrived),
        "never": len(seconds) - len(arrived),
        "p50_ms": percentile(arrived, 0.50),
        "p99_ms": percentile(arrived, 0.99),
        "max_ms": arrived[-1] if arrived else math.nan,
    }


@contextmanager
def postgres_database(admin_url: str = POSTGRES_URL) -> Iterator[str]:
    """A fresh database for one run, dropped afterwards (even when the run fails)."""
    from sqlalchemy import create_engine, text

    name = f"walkaway_ack_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def render(follow: dict[str, Any]) -> list[str]:
    """Report lines: the rep's wait after a click and after a command."""
    lines = []
    for kind, what in (
        ("clicks", "click to next question"),
        ("commands", "command to first question"),
    ):
        s = follow.get(kind)
        if not s or not s["requests"]:
            continue
        lines.append(
            f"rep waits, {what}: p50 {s['p50_ms']:.0f} ms, p99 {s['p99_ms']:.0f} ms, "
            f"max {s['max_ms']:.0f} ms; {s['arrived']} of {s['requests']} arrived"
            + (f", {s['never']} NEVER" if s["never"] else "")
        )
    return lines
