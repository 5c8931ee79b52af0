"""A manager's App Home numbers at a million records (issue 13: p95 under 100 ms).

Run from the repository root (1,000,000 records only through the shared lock):

    .venv/bin/python -m tests.bench.insight_bench --backend sqlite   --records 20000
    flock /work/brief/bench.lock .venv/bin/python -m tests.bench.insight_bench --backend postgres

What one run does
-----------------
1. Seeds `--records` records with tests/bench/search_bench.py's own seeding (six workspaces of
   very different sizes, 1 manager per 8 reps, dates over 3.5 years to 1 July 2026, verdicts
   from the real rules, managers' positions five hours after most walk / stop-pilot / defer
   verdicts). What that seeding leaves out and the numbers read is added after, from the seeded
   records, deterministically: each record whose status is not open gets the status change
   that put it there, 1-60 days after its creation (so comebacks and wins spread over time),
   and one record in twenty is a re-check of an earlier record of its workspace.
2. Measures, `--repeat` times each after a warm-up, the section App Home shows
   (`bot.insight.home_section.blocks_for`: the person's own numbers, their reps, the team's
   numbers, and the blocks), for every manager of the largest workspace (about 40% of the
   records, 15 managers of about 8 reps each) on the 90 days up to 1 July 2026; and, for
   comparison, a rep's Home and the whole largest workspace's numbers (no target).
3. Prints p50 / p95 / max per kind, with the machine.

The comebacks and wins read migration 0022's (workspace, rep, status, changed_at, record_id)
index of status changes: the changes seeded here carry their record's workspace and rep, as the
app writes them, and a database kept by an older tree gets them from 0022's backfill when
`--reuse` migrates it. The digest's (status, changed_at, record_id) index (0016) is created
before measuring on a tree without it, and the run says so.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, inspect, select, text

from bot.insight.home_section import blocks_for
from storage import Store
from storage.db import make_engine, migrate
from storage.models import WalkawayRecord
from tests.bench.search_bench import (
    DEFAULT_PG_URL,
    LAST_DAY,
    Backend,
    Generator,
    _backend,
    _pct,
    machine,
)

TARGET_P95_MS = 100.0
NOW = LAST_DAY
"""The seeded records end on 1 July 2026: "the last 90 days" are the 90 days before it."""
STATUS_INDEX = "ix_record_status_changes_status_changed_at"
CHUNK = 20_000


def add_history(engine: Engine, backend: Backend, log: Callable[[str], None]) -> None:
    """Status changes for every record that is not open, and re-check links (see step 1)."""
    rng = random.Random(13)
    wr = WalkawayRecord
    query = select(wr.id, wr.workspace_id, wr.session_id, wr.rep_user_id, wr.status, wr.created_at)
    changes: list[tuple[Any, ...]] = []
    rechecks: list[tuple[Any, ...]] = []
    last_of: dict[int, int] = {}
    with engine.connect() as conn:
        for rid, workspace, session, rep, status, created in conn.execute(query.order_by(wr.id)):
            if status != "open":
                at = created + timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 23))
                changes.append((rid, workspace, rep, status, None, rep, backend.stamp(at)))
            earlier = last_of.get(workspace)
            if earlier is not None and rid % 20 == 0:
                rechecks.append((session, earlier, workspace, rep, backend.stamp(created), None))
            last_of[workspace] = rid
    log(f"adding {len(changes):,} status changes and {len(rechecks):,} re-check links")
    _insert(
        engine,
        "record_status_changes",
        # The record's workspace and rep, as the app writes them (migration 0022).
        (
            "record_id",
            "workspace_id",
            "rep_user_id",
            "status",
            "note",
            "changed_by_user_id",
            "changed_at",
        ),
        changes,
    )
    _insert(
        engine,
        "rechecks",
        (
            "session_id",
            "previous_record_id",
            "workspace_id",
            "started_by_user_id",
            "started_at",
            "reengaged_at",
        ),
        rechecks,
    )
    indexes = {i["name"] for i in inspect(engine).get_indexes("record_status_changes")}
    if STATUS_INDEX not in indexes:
        log(f"creating {STATUS_INDEX} (the digest's migration 0016 adds it; not on this tree)")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                f"CREATE INDEX {STATUS_INDEX} ON record_status_changes "
                "(status, changed_at, record_id)"
            )
    # After a bulk load autovacuum vacuums and analyzes (PostgreSQL 13+ vacuums on inserts too),
    # which index-only scans need; SQLite gets no ANALYZE, as the app runs none.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")


def _insert(
    engine: Engine, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    marks = ", ".join(f":{c}" for c in columns)
    statement = text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})")
    for start in range(0, len(rows), CHUNK):
        chunk = [dict(zip(columns, row, strict=True)) for row in rows[start : start + CHUNK]]
        with engine.begin() as conn:
            conn.execute(statement, chunk)


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    for _ in range(2):  # warm-up: caches, prepared plans
        fn()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(args: argparse.Namespace) -> str:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    with _backend(args) as backend:
        engine = make_engine(backend.url)
        store = Store(engine)
        try:
            log(f"migrating {backend.name} database")
            migrate(engine)
            generator = Generator(args.records, args.seed, backend.stamp)
            if args.reuse:
                log(f"reusing {args.reuse} (kept by an earlier --keep run, same --seed)")
            else:
                log(f"seeding {args.records:,} records (search_bench's seeding)")
                backend.load(engine, generator, log)
                add_history(engine, backend, log)
            seeded = time.monotonic() - started
            people = generator.people
            reps = people.reps[1]
            managers = sorted({people.manager_of[r] for r in reps})
            results: dict[str, list[float]] = {"manager": [], "rep": [], "workspace": []}
            team_sizes = []
            for manager in managers:
                team = [r for r in reps if people.manager_of[r] == manager]
                team_sizes.append(len(team))
                results["manager"] += timed(
                    lambda m=manager: blocks_for(store, workspace_id=1, user_id=m, now=NOW),
                    args.repeat,
                )
            for rep in reps[:: max(1, len(reps) // 10)]:
                results["rep"] += timed(
                    lambda r=rep: blocks_for(store, workspace_id=1, user_id=r, now=NOW),
                    args.repeat,
                )
            results["workspace"] = timed(
                lambda: store.insight.numbers(
                    workspace_id=1, rep_ids=None, since=NOW - timedelta(days=90), until=NOW
                ),
                max(5, args.repeat // 4),
            )
            sample = store.insight.numbers(
                workspace_id=1,
                rep_ids=[r for r in reps if people.manager_of[r] == managers[0]],
                since=NOW - timedelta(days=90),
                until=NOW,
            )
            out = report(args, backend, engine, results, team_sizes, sample, seeded)
            return out + (f"\n(kept: {backend.url})" if args.keep else "")
        finally:
            store.close()
            engine.dispose()


def report(
    args: argparse.Namespace,
    backend: Backend,
    engine: Engine,
    results: dict[str, list[float]],
    team_sizes: list[int],
    sample: Any,
    seeded: float,
) -> str:
    manager = results["manager"]
    p95 = _pct(manager, 0.95)
    lines = [
        f"insight_bench: {args.records:,} records on {backend.version(engine)}",
        f"seeded in {seeded:.0f} s; now = {NOW.date()}, period = the 90 days before",
        f"workspace 1: {len(team_sizes)} managers, team sizes {min(team_sizes)}-{max(team_sizes)}",
        f"one team's 90 days: {sample.checks_finished} checks finished, "
        f"{sample.positions} positions, {sample.comebacks} comebacks, "
        f"{sample.wins_after_walk} wins after a walk, {sample.rechecks_due} re-checks due",
        "",
        f"{'what':<36}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}",
    ]
    labels = {
        "manager": "a manager's Home numbers (own+team)",
        "rep": "a rep's Home numbers",
        "workspace": "the whole workspace's numbers",
    }
    for key, label in labels.items():
        s = results[key]
        lines.append(
            f"{label:<36}{len(s):>6}{_pct(s, 0.5):>10.1f}{_pct(s, 0.95):>10.1f}{max(s):>10.1f}"
        )
    verdict = "meets" if p95 < TARGET_P95_MS else "MISSES"
    lines += ["", f"manager p95 {p95:.1f} ms {verdict} the {TARGET_P95_MS:.0f} ms target", ""]
    lines += [f"{k}: {v}" for k, v in machine().items()]
    return "\n".join(lines)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.insight_bench",
        description="A manager's App Home numbers at scale (see module docstring).",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per person")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an admin database URL")
    parser.add_argument("--dir", default=None, help="where the SQLite file goes (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        metavar="FILE",
        help="measure a database kept by --keep (SQLite: its file; PostgreSQL: its name)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.records < 1000:
        raise SystemExit("--records must be at least 1000")
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
