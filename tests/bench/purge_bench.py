"""The retention purge at size: how long it takes, and how long it makes other writers wait.

    .venv/bin/python -m tests.bench.purge_bench --backend sqlite --claims 200000
    .venv/bin/python -m tests.bench.purge_bench --backend postgres --claims 200000

Seeds a fresh, migrated database (SQLite in a temp dir; PostgreSQL: a throwaway
walkaway_bench_<random> database, dropped after) with `--claims` idempotency keys, three
quarters of them older than the retention, a tenth owned by jobs still queued, plus job-scoped
and named post records. Then runs `store.ops.purge` as the scheduler does while another thread
keeps taking new claims (`claim_once`, the write every click makes) and times each of those: the
longest is how long the purge ever kept a click's write waiting. Also times each write
transaction the purge opened (BEGIN to COMMIT on its connection).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert

from storage import Store
from storage.columns import utcnow
from storage.db import make_engine, normalize_url
from storage.models import IdempotencyKey, SlackPost
from tests.bench.search_bench import machine

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RETENTION = timedelta(days=30)


def seed(store: Store, claims: int) -> dict[str, int]:
    now = utcnow()
    old, recent = now - RETENTION - timedelta(days=10), now - timedelta(days=1)
    live = [uuid.uuid4().hex for _ in range(200)]
    store.jobs.put_many(kind="bench.live", jobs=[(key, {}) for key in live])
    rows: list[dict[str, Any]] = []
    expected = 0
    for n in range(claims):
        is_old = n % 4 != 0
        owner = live[n % len(live)] if n % 10 == 1 else uuid.uuid4().hex
        expected += is_old and owner not in live
        stamp = (old if is_old else recent) + timedelta(microseconds=n)
        rows.append({"key": f"turn:{n}:{n}.0001", "created_at": stamp, "owner": owner})
    posts: list[dict[str, Any]] = []
    for n in range(claims // 10):
        owner = uuid.uuid4().hex
        key = f"respond:{owner}:0" if n % 5 else f"card:{n}"
        posts.append({"key": key, "owner": owner, "started_at": old, "ts": "1.2"})
    engine = store._engine
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(IdempotencyKey), rows[start : start + 10_000])
        for start in range(0, len(posts), 10_000):
            conn.execute(insert(SlackPost), posts[start : start + 10_000])
    return {"claims": expected, "posts": sum(1 for p in posts if p["key"].startswith("respond"))}


def run(args: argparse.Namespace) -> str:
    directory: Path | None = None
    admin = None
    name = f"walkaway_bench_{secrets.token_hex(5)}"
    if args.backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="walkaway_purge_"))
        url = f"sqlite:///{directory / 'walkaway.db'}"
    else:
        admin = make_engine(args.pg_url).execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = normalize_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
    store = Store.open(url)
    try:
        started = time.perf_counter()
        expected = seed(store, args.claims)
        seeded = time.perf_counter() - started
        transactions: list[float] = []
        opened: dict[int, float] = {}

        @event.listens_for(store._engine, "begin")
        def _begin(conn: Any) -> None:
            opened[id(conn)] = time.perf_counter()

        @event.listens_for(store._engine, "commit")
        def _commit(conn: Any) -> None:
            if threading.current_thread().name == "purge" and id(conn) in opened:
                transactions.append(time.perf_counter() - opened.pop(id(conn)))

        waits: list[float] = []
        done = threading.Event()

        def clicks() -> None:
            while not done.is_set():
                began = time.perf_counter()
                store.claim_once(key=f"click:bench:{uuid.uuid4().hex}")
                waits.append(time.perf_counter() - began)

        result: dict[str, Any] = {}

        def purge() -> None:
            began = time.perf_counter()
            result["purged"] = store.ops.purge(before=utcnow() - RETENTION, batch=args.batch)
            result["seconds"] = time.perf_counter() - began

        clicker = threading.Thread(target=clicks, name="clicks")
        purger = threading.Thread(target=purge, name="purge")
        clicker.start()
        purger.start()
        purger.join()
        done.set()
        clicker.join()
        purged = result["purged"]
        rate = (purged.claims + purged.posts) / result["seconds"]
        alone = _baseline(store, seconds=min(5.0, result["seconds"]))
        ok = purged.claims == expected["claims"] and purged.posts == expected["posts"]
        waits.sort()
        transactions.sort()
        facts = machine()
        return "\n".join(
            [
                f"purge_bench: {args.claims:,} claims ({expected['claims']:,} to purge), "
                f"{args.claims // 10:,} post records ({expected['posts']:,} to purge), "
                f"backend {args.backend}, batch {args.batch}; seeded in {seeded:.1f} s",
                f"machine: {facts['cpu']}, {facts['cores']} cores, {facts['memory']}, "
                f"{facts['os']}, Python {facts['python']}; {facts['load']} at the end",
                f"purged {purged.claims:,} claims and {purged.posts:,} post records in "
                f"{result['seconds']:.2f} s ({rate:,.0f} rows/s); "
                f"as expected: {'yes' if ok else 'NO'}",
                f"purge write transactions: {len(transactions)}, p50 "
                f"{_ms(transactions, 0.5)} ms, max {_ms(transactions, 1.0)} ms",
                f"a click's claim meanwhile ({len(waits):,} taken): p50 {_ms(waits, 0.5)} ms, "
                f"p99 {_ms(waits, 0.99)} ms, max {_ms(waits, 1.0)} ms",
                f"a click's claim with no purge running ({len(alone):,} taken): p50 "
                f"{_ms(alone, 0.5)} ms, p99 {_ms(alone, 0.99)} ms, max {_ms(alone, 1.0)} ms",
            ]
        )
    finally:
        store.close()
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def _baseline(store: Store, *, seconds: float) -> list[float]:
    """Claim latencies for `seconds` with nothing else writing: what "meanwhile" compares to."""
    waits: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        store.claim_once(key=f"click:alone:{uuid.uuid4().hex}")
        waits.append(time.perf_counter() - began)
    return sorted(waits)


def _ms(samples: Sequence[float], q: float) -> str:
    if not samples:
        return "n/a"
    return f"{samples[min(len(samples) - 1, int(q * len(samples)))] * 1000:.1f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--claims", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--pg-url", default=PG_ADMIN)
    print(run(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
