"""Re-check nudges at a million records: one sweep claiming and queueing the day's nudges, and
the due lists of a rep and of a manager.

Run from the repository root (not part of the test run):

    .venv/bin/python -m tests.bench.recheck_bench --backend sqlite   [--records 1000000]
    .venv/bin/python -m tests.bench.recheck_bench --backend postgres [--pg-url URL]

Issue 12's targets: one sweep claims and queues all due nudges in under 5 s, a due list's p95
is under 25 ms, and the sweep reads by index (the plan is printed).

What one run does
-----------------
1. Makes a fresh database migrated by the app's own migrations: a SQLite file in a temp dir
   (with the job queue in its own file beside it, as the app runs), or on PostgreSQL a database
   `walkaway_bench_<random>` beside the admin database (default the server at 127.0.0.1:5432,
   user postgres, database test), dropped at the end.
2. Seeds `--records` records as finished checks leave them (workspace, rep with a manager and a
   time zone, deal, completed session, verdict, record), in bulk: `executemany` in 10,000-row
   transactions on SQLite, `COPY` on PostgreSQL, then VACUUM ANALYZE there as autovacuum would.
   Exactly `--due` records (10,000) are open and due on the bench's day, a Tuesday; of the
   rest, a share has no date (proceed verdicts), some have dates long past, some dates in the
   last 30 days, all of them already nudged (their `nudges` rows are seeded, ~200,000 in
   all, so the sweep's "not claimed yet" check meets a realistic history), some future dates;
   statuses are mixed (60% open), so the sweep must skip closed records due that day too.
3. Times `bot.pathback.nudges.sweep` at 18:00 UTC on that day (9:30 has come in every seeded
   zone, Los Angeles to Sydney): its reads, the 10,000 claims and the 10,000 queued jobs; then
   checks the counts and times a second sweep, which finds nothing new.
4. Times `bot.pathback.due.due_for` (the `/walkaway due` and Home list: the first 10 and the
   count) for random reps and for managers (their own and their ~8 reps'), `--repeat` each.
5. Prints the sweep's query plan (EXPLAIN QUERY PLAN / EXPLAIN) and the machine, with its load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from bot.domain.checklist import CONTRACT
from bot.domain.verdict import decide
from bot.pathback import nudges as nudge_sweep
from bot.pathback.due import due_for
from storage import Store
from storage.db import make_engine, normalize_url
from storage.nudges import candidates_query
from tests.bench.search_bench import machine

DEFAULT_PG_URL = os.environ.get(
    "WALKAWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
TARGET_SWEEP_S = 5.0
TARGET_P95_MS = 25.0
BATCH = 10_000
WORKSPACES = 6
REPS_PER_WORKSPACE = 60
REPS_PER_MANAGER = 8
DEALS = 50_000
ZONES = (
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Asia/Tokyo",
    "Asia/Kolkata",
    "Australia/Sydney",
)
STATUSES = (("open", 0.6), ("re-engaged", 0.1), ("won", 0.1), ("lost", 0.1), ("closed", 0.1))
FIRST_DAY = datetime(2023, 1, 1, tzinfo=UTC)


def bench_day() -> date:
    """A Tuesday a few weeks ahead of today (a business day, no holiday configured)."""
    day = date.today() + timedelta(days=21)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def verdict_json() -> tuple[str, str]:
    answers = {q: "no" for q in CONTRACT} | {
        "deal.stage": "negotiation",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "unclear_ownership",
        "scar.still_present": "no",
        "scar.months_since": 3,
        "buyer.evidence_receptive": "no",
        "terms.mutual_benefit": "yes",
    }
    verdict = decide(answers, today=date.today())  # type: ignore[arg-type]
    return json.dumps(verdict.to_dict()), verdict.record_line


class Seed:
    """Deterministic rows, in id order; `due` ids spread evenly over the records."""

    def __init__(self, total: int, due: int, day: date, stamp: Callable[[datetime], Any]) -> None:
        self.total, self.day, self.stamp = total, day, stamp
        self.rng = random.Random(12)
        self.due_every = max(1, total // due)
        self.due_left = due
        self.users: list[tuple[Any, ...]] = []
        self.profiles: list[tuple[Any, ...]] = []
        self.reps: dict[int, list[int]] = {}
        self.managers: dict[int, list[int]] = {}
        uid = 1
        for workspace in range(1, WORKSPACES + 1):
            bosses = []
            for _ in range(REPS_PER_WORKSPACE // REPS_PER_MANAGER):
                self.users.append((uid, workspace, f"U{workspace}M{uid:06d}", None))
                bosses.append(uid)
                uid += 1
            self.managers[workspace] = bosses
            self.reps[workspace] = []
            for n in range(REPS_PER_WORKSPACE):
                boss = bosses[n % len(bosses)]
                self.users.append((uid, workspace, f"U{workspace}R{uid:06d}", boss))
                self.reps[workspace].append(uid)
                uid += 1
        for user in self.users:
            self.profiles.append((user[0], ZONES[user[0] % len(ZONES)], False, stamp(FIRST_DAY)))
        self.data, self.line = verdict_json()
        self.nudged = 0

    def rows(self, start: int, end: int) -> dict[str, list[tuple[Any, ...]]]:
        rng, day = self.rng, self.day
        out: dict[str, list[tuple[Any, ...]]] = {
            k: [] for k in ("deals", "sessions", "verdicts", "records", "nudges")
        }
        span = (datetime.combine(day, datetime.min.time(), UTC) - FIRST_DAY).total_seconds()
        for rid in range(start, end):
            workspace = 1 + rid % WORKSPACES
            rep = rng.choice(self.reps[workspace])
            created = self.stamp(FIRST_DAY + timedelta(seconds=span * rid / (self.total + 2)))
            deal = 1 + (rid - 1) % DEALS
            if rid <= DEALS:
                out["deals"].append((rid, workspace, f"Deal {rid}", f"deal {rid}", created))
            status = rng.choices([s for s, _ in STATUSES], [w for _, w in STATUSES])[0]
            pick = rng.random()
            recheck: date | None
            if rid % self.due_every == 0 and self.due_left:
                status, recheck = "open", day
                self.due_left -= 1
            elif pick < 0.40:
                recheck = None
            elif pick < 0.70:
                recheck = day - timedelta(days=rng.randint(31, 1200))
                if status == "open":  # nudged long ago, never acted on: overdue in the lists
                    out["nudges"].append(
                        (rid, recheck, workspace, secrets.token_hex(16), created, created)
                    )
                    self.nudged += 1
            elif pick < 0.75:
                recheck = day - timedelta(days=rng.randint(1, 30))
                if status == "open":  # nudged on its day, as the app would have
                    out["nudges"].append(
                        (rid, recheck, workspace, secrets.token_hex(16), created, created)
                    )
                    self.nudged += 1
            else:
                if status == "open" and rng.random() < 0.5:
                    status = "closed"  # not a nudge anyway; keeps 'due today' exact
                recheck = day + timedelta(days=rng.randint(2, 365))
            out["sessions"].append(
                (rid, workspace, deal, rep, "complete", "sha256:bench", "{}", created, created)
            )
            out["verdicts"].append((rid, rid, "defer", self.data, recheck, self.line, created))
            out["records"].append(
                (rid, workspace, rid, rid, deal, rep, "defer", status, recheck, created, created)
            )
        return out


COLUMNS = {
    "deals": ("id", "workspace_id", "name", "name_key", "created_at"),
    "sessions": (
        "id",
        "workspace_id",
        "deal_id",
        "rep_user_id",
        "status",
        "checklist_hash",
        "checklist_snapshot",
        "started_at",
        "updated_at",
    ),
    "verdicts": ("id", "session_id", "outcome", "data", "recheck_on", "record_line", "created_at"),
    "records": (
        "id",
        "workspace_id",
        "session_id",
        "verdict_id",
        "deal_id",
        "rep_user_id",
        "outcome",
        "status",
        "recheck_on",
        "created_at",
        "updated_at",
    ),
    "nudges": ("record_id", "due_on", "workspace_id", "job_key", "claimed_at", "queued_at"),
}
TABLES = {
    "deals": "deals",
    "sessions": "qualification_sessions",
    "verdicts": "verdicts",
    "records": "walkaway_records",
    "nudges": "nudges",
}
HEAD_ROWS: dict[str, tuple[str, ...]] = {
    "workspaces": ("id", "team_id", "name", "settings", "created_at"),
    "users": ("id", "workspace_id", "slack_user_id", "manager_user_id", "created_at"),
    "user_profiles": ("user_id", "tz", "deactivated", "fetched_at"),
}


def _head(seed: Seed) -> dict[str, list[tuple[Any, ...]]]:
    first = seed.stamp(FIRST_DAY)
    return {
        "workspaces": [
            (n, f"TBENCH{n}", f"Bench {n}", "{}", first) for n in range(1, WORKSPACES + 1)
        ],
        "users": [(*u, first) for u in seed.users],
        "user_profiles": seed.profiles,
    }


def load_sqlite(engine: Engine, seed: Seed, log: Callable[[str], None]) -> None:
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for table, rows in _head(seed).items():
            _many(conn, table, HEAD_ROWS[table], rows)
        conn.execute("COMMIT")
        for start in range(1, seed.total + 1, BATCH):
            rows = seed.rows(start, min(start + BATCH, seed.total + 1))
            conn.execute("BEGIN")
            for key, table in TABLES.items():
                _many(conn, table, COLUMNS[key], rows[key])
            conn.execute("COMMIT")
            if start % (BATCH * 20) == 1:
                log(f"seeded {start + BATCH - 1:,}")
        conn.execute("PRAGMA synchronous = FULL")
    finally:
        raw.close()


def _many(conn: Any, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    if rows:
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def load_postgres(engine: Engine, seed: Seed, log: Callable[[str], None]) -> None:
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        with conn.cursor() as cur:
            for table, rows in _head(seed).items():
                _copy(cur, table, HEAD_ROWS[table], rows)
            conn.commit()
            for start in range(1, seed.total + 1, BATCH):
                rows = seed.rows(start, min(start + BATCH, seed.total + 1))
                for key, table in TABLES.items():
                    _copy(cur, table, COLUMNS[key], rows[key])
                conn.commit()
                if start % (BATCH * 20) == 1:
                    log(f"seeded {start + BATCH - 1:,}")
            conn.commit()
            conn.autocommit = True
            cur.execute("VACUUM ANALYZE")
            conn.autocommit = False
    finally:
        raw.close()


def _copy(cur: Any, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    if rows:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def plan(engine: Engine, day: date, now: datetime) -> str:
    query = candidates_query(
        since=now.date() - nudge_sweep.LOOKBACK, through=day + timedelta(days=1), limit=100_000
    )
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}").all()
            return "\n".join(f"  {r[-1]}" for r in rows)
        rows = conn.exec_driver_sql(f"EXPLAIN {compiled}").all()
        return "\n".join(f"  {r[0]}" for r in rows)


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(args: argparse.Namespace) -> str:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    day = bench_day()
    now = datetime.combine(day, datetime.min.time(), UTC) + timedelta(hours=18)
    directory: Path | None = None
    admin: Engine | None = None
    database = f"walkaway_bench_{secrets.token_hex(5)}"
    if args.backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="walkaway_recheck_", dir=args.dir))
        url = f"sqlite:///{directory / 'walkaway.db'}"
    else:
        admin_url = normalize_url(args.pg_url)
        admin = make_engine(admin_url.render_as_string(hide_password=False)).execution_options(
            isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        url = admin_url.set(database=database).render_as_string(hide_password=False)
    store = Store.open(url)
    engine = store._engine
    try:
        stamp: Callable[[datetime], Any] = (
            (lambda m: m.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"))
            if args.backend == "sqlite"
            else (lambda m: m)
        )
        seed = Seed(args.records, args.due, day, stamp)
        log(f"seeding {args.records:,} records ({args.due:,} due on {day})")
        t0 = time.monotonic()
        (load_sqlite if args.backend == "sqlite" else load_postgres)(engine, seed, log)
        seeded = time.monotonic() - t0
        with engine.connect() as conn:
            version = (
                f"SQLite {conn.scalar(text('SELECT sqlite_version()'))}"
                if args.backend == "sqlite"
                else f"PostgreSQL {conn.scalar(text('SHOW server_version'))}"
            )
        log("sweeping")
        t0 = time.monotonic()
        claimed = nudge_sweep.sweep(None, store, now=now, holidays=frozenset())  # type: ignore[arg-type]
        sweep_s = time.monotonic() - t0
        t0 = time.monotonic()
        again = nudge_sweep.sweep(None, store, now=now, holidays=frozenset())  # type: ignore[arg-type]
        again_s = time.monotonic() - t0
        with engine.connect() as conn:
            claimed_rows = conn.scalar(
                text("SELECT count(*) FROM nudges WHERE due_on = :d"), {"d": day}
            )
        queued = store.jobs.waiting()
        rng = random.Random(3)
        reps = [r for w in range(1, WORKSPACES + 1) for r in seed.reps[w]]
        bosses = [m for w in range(1, WORKSPACES + 1) for m in seed.managers[w]]
        slack = {u[0]: (u[1], u[2]) for u in seed.users}
        timings: dict[str, list[float]] = {"rep": [], "manager": []}
        shown: dict[str, list[int]] = {"rep": [], "manager": []}
        for kind, people in (("rep", reps), ("manager", bosses)):
            for n in range(args.repeat + 5):
                workspace, slack_id = slack[rng.choice(people)]
                t0 = time.monotonic()
                due = due_for(store, workspace_id=workspace, slack_user_id=slack_id, now=now)
                elapsed = (time.monotonic() - t0) * 1000
                if n >= 5:  # warm-up
                    timings[kind].append(elapsed)
                    shown[kind].append(due.total)
        query_plan = plan(engine, day, now)
        load = os.getloadavg()
        info = machine()
        lines = [
            f"recheck_bench: {args.records:,} records, {args.due:,} due on {day}, "
            f"backend {version}, seeded in {seeded:.0f} s",
            f"machine: {info['cpu']}, {info['cores']} cores, {info['memory']}, {info['os']}, "
            f"Python {info['python']}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
            "at the end (a shared machine: other work inflates the figures)",
            "",
            f"sweep at {now:%Y-%m-%d %H:%M} UTC: claimed {claimed:,} and queued them in "
            f"{sweep_s:.2f} s (target < {TARGET_SWEEP_S:.0f} s: "
            f"{'met' if sweep_s < TARGET_SWEEP_S else 'MISSED'}); nudges rows for the day "
            f"{claimed_rows:,}, jobs waiting {queued:,}",
            f"second sweep at the same moment: claimed {again} in {again_s:.2f} s",
        ]
        for kind in ("rep", "manager"):
            samples = timings[kind]
            p95 = pct(samples, 0.95)
            lines.append(
                f"{kind} due list ({len(samples)} runs, {statistics.mean(shown[kind]):.0f} due "
                f"each on average, 10 shown): p50 {pct(samples, 0.5):.2f} ms, p95 {p95:.2f} ms "
                f"(target < {TARGET_P95_MS:.0f} ms: {'met' if p95 < TARGET_P95_MS else 'MISSED'})"
            )
        lines += ["", "the sweep's query plan:", query_plan]
        return "\n".join(lines)
    finally:
        store.close()
        if directory is not None and not args.keep:
            shutil.rmtree(directory, ignore_errors=True)
        if admin is not None:
            if not args.keep:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            admin.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.recheck_bench")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=200, help="timed runs per due list kind")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an admin database URL")
    parser.add_argument("--dir", default=None, help="where the SQLite file goes (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    if args.due > args.records:
        raise SystemExit("--due cannot exceed --records")
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
