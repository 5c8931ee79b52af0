"""The weekly digest for a 50-rep team at a million records (issue 13's target: under 1 s).

Run from the repository root (1,000,000 records only through the shared lock):

    .venv/bin/python -m tests.bench.digest_bench --records 20000
    flock /work/brief/bench.lock .venv/bin/python -m tests.bench.digest_bench --records 1000000
    ... --backend postgres

What one run does
-----------------
1. Seeds `--records` records with tests/bench/search_bench.py's generator and loaders (six
   workspaces, 312 reps with their managers, verdicts from the real rules, managers' positions;
   dates over 3.5 years up to 1 July 2026), into a fresh SQLite file or PostgreSQL database.
2. Adds what the digest reads that the search benchmark does not seed: the status history of
   every record the generator marked re-engaged or won (one change each, 1-60 days after the
   check), by one INSERT ... SELECT.
3. Makes one manager of the largest workspace the manager of 50 of its reps (about 40% x 50/120
   of the records: ~170,000 at 1M), turns the workspace's digest on, and times what the job does
   before it calls Slack, `--repeat` times after a warm-up: `store.digest.lists` (every list and
   the twelve weeks, one session) and `store.insight.numbers` for the week (the team numbers:
   comebacks, wins, verdict mix), the Block Kit message, and the chart PNG (matplotlib, Agg).
4. Prints p50/p95/max of the queries and of the whole build, the team's record count, and the
   machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, timedelta

from sqlalchemy import Engine, text

from bot.domain.digest_time import DigestSettings
from bot.insight.chart import chart_png
from bot.insight.digest_blocks import digest_message
from storage import Store
from storage.db import make_engine, migrate
from tests.bench import search_bench
from tests.bench.search_bench import LAST_DAY, Generator, machine

TEAM = 50
TARGET_S = 1.0
WORKSPACE = 1


def seed_status_history(engine: Engine) -> int:
    """One status change per record left re-engaged or won, a few weeks after its check."""
    later = (
        "datetime(created_at, '+' || (1 + id % 60) || ' days')"
        if engine.dialect.name == "sqlite"
        else "created_at + (1 + id % 60) * interval '1 day'"
    )
    with engine.begin() as conn:
        result = conn.execute(
            text(
                "INSERT INTO record_status_changes (record_id, workspace_id, rep_user_id, status, "
                "note, changed_by_user_id, changed_at) "
                f"SELECT id, workspace_id, rep_user_id, status, NULL, rep_user_id, {later} "
                "FROM walkaway_records WHERE status IN ('re-engaged', 'won')"
            )
        )
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE record_status_changes")
        return int(result.rowcount or 0)


def make_team(engine: Engine) -> tuple[int, int]:
    """(manager id, records of the team): 50 reps of the big workspace under one manager."""
    with engine.begin() as conn:
        reps = [
            int(r)
            for r in conn.execute(
                text(
                    "SELECT id FROM users WHERE workspace_id = :w AND manager_user_id IS NOT NULL "
                    "ORDER BY id LIMIT :n"
                ),
                {"w": WORKSPACE, "n": TEAM},
            ).scalars()
        ]
        manager = int(
            conn.execute(
                text("SELECT manager_user_id FROM users WHERE id = :r"), {"r": reps[0]}
            ).scalar_one()
        )
        listed = ", ".join(map(str, reps))
        conn.execute(
            text(f"UPDATE users SET manager_user_id = :m WHERE id IN ({listed})"), {"m": manager}
        )
        records = int(
            conn.execute(
                text(f"SELECT count(*) FROM walkaway_records WHERE rep_user_id IN ({listed})")
            ).scalar_one()
        )
    return manager, records


def _line(what: str, samples: Sequence[float]) -> str:
    return (
        f"{what}: p50 {statistics.median(samples) * 1000:.0f} ms, "
        f"p95 {pct(samples, 0.95) * 1000:.0f} ms, max {max(samples) * 1000:.0f} ms"
    )


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> str:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    with search_bench._backend(args) as backend:
        engine = make_engine(backend.url)
        store = Store(engine)
        try:
            log(f"migrating {backend.name} database")
            migrate(engine)
            if args.reuse:
                log(f"reusing {args.reuse} (seeded by an earlier --keep run)")
                counted = text("SELECT count(*) FROM record_status_changes")
                with engine.connect() as conn:
                    changes = int(conn.execute(counted).scalar_one())
            else:
                log(f"seeding {args.records:,} records (search_bench's generator)")
                backend.load(engine, Generator(args.records, args.seed, backend.stamp), log)
                changes = seed_status_history(engine)
                log(f"{changes:,} status changes seeded")
            manager, team_records = make_team(engine)
            store.digest.save_settings(
                workspace_id=WORKSPACE,
                settings=DigestSettings(enabled=True),
                at=LAST_DAY - timedelta(days=30),
            )
            end, today = LAST_DAY, LAST_DAY.astimezone(UTC).date()
            lists_s: list[float] = []
            numbers_s: list[float] = []
            build_s: list[float] = []
            for n in range(args.repeat + 1):
                t0 = time.perf_counter()
                lists = store.digest.lists(
                    workspace_id=WORKSPACE, manager_user_id=manager, end=end, today=today
                )
                t1 = time.perf_counter()
                numbers = store.insight.numbers(
                    workspace_id=WORKSPACE,
                    rep_ids=store.insight.team_rep_ids(
                        workspace_id=WORKSPACE, manager_user_id=manager
                    ),
                    since=end - timedelta(days=7),
                    until=end,
                )
                t2 = time.perf_counter()
                digest_message(lists, numbers, end=end, today=today, chart_follows=True)
                png = chart_png(lists.weeks)
                t3 = time.perf_counter()
                if n:  # the first is the warm-up (matplotlib's font cache, cold pages)
                    lists_s.append(t1 - t0)
                    numbers_s.append(t2 - t1)
                    build_s.append(t3 - t0)
            worst = pct(build_s, 0.95)
            lines = [
                f"digest benchmark: {backend.name}, {args.records:,} records, "
                f"a {TEAM}-rep team with {team_records:,} records, {changes:,} status changes",
                f"week: {lists.walkaways.total} walk-aways, {lists.waiting.total} positions "
                f"waiting, {lists.rechecks_due.total} re-checks due, {numbers.comebacks} "
                f"comebacks, {numbers.wins_after_walk} wins, {len(lists.quiet_reps)} reps to "
                "review; "
                f"chart {len(png):,} bytes",
                _line("digest lists (storage/digest_lists.py)", lists_s),
                _line("team numbers of the week (storage/insight.py)", numbers_s),
                f"whole digest (lists, numbers, blocks, chart PNG): p50 "
                f"{statistics.median(build_s) * 1000:.0f} ms, p95 {worst * 1000:.0f} ms, "
                f"max {max(build_s) * 1000:.0f} ms ({args.repeat} runs)",
                f"target: under {TARGET_S:.0f} s: {'met' if worst < TARGET_S else 'NOT met'}",
                "machine: " + ", ".join(f"{k} {v}" for k, v in machine().items() if v),
            ]
            if args.keep:
                lines.append(f"(kept: {backend.url})")
            return "\n".join(lines)
        finally:
            store.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.digest_bench",
        description="The weekly digest of a 50-rep team at scale (see module docstring).",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--pg-url", default=search_bench.DEFAULT_PG_URL)
    parser.add_argument("--dir", default=None, help="where the SQLite file goes (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", metavar="FILE", help="measure a database kept by an earlier --keep run"
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
