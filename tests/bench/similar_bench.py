"""Similar past walks at a million records: what the list costs the verdict card.

Run from the repository root:

    .venv/bin/python -m tests.bench.similar_bench --backend sqlite   [--records 1000000]
    .venv/bin/python -m tests.bench.similar_bench --backend postgres [--records 1000000]

Issue 13's target: p95 under 25 ms at 1,000,000 records (SQLite, the default; PostgreSQL is
reported beside it).

What one run does
-----------------
1. Seeds `--records` records exactly as tests/bench/search_bench.py does (its Generator and
   backends: six workspaces of very different sizes, verdicts from the real rules with their
   tags in record_tags, 3.5 years of dates, every status), or measures a database an earlier
   `--keep` run left (`--reuse`). On PostgreSQL, record_tags is then vacuumed, as autovacuum
   does after many inserts: until then its visibility map is empty, so every index-only scan
   reads the table too (Heap Fetches: 1000 per signal window, 26 ms instead of 6 ms).
2. Takes `--verdicts` verdicts at random among the newest 5,000 walk, stop-pilot, defer and
   redirect records of the largest workspace (40% of the records): real signal sets, at the
   moment their card is drawn (their own id, so every older record is a candidate).
3. Times the card's section for each (`bot.insight.similar.card_section`: the Store's query
   and the blocks), `--repeat` passes over all of them after a warm-up pass, and prints
   p50/p95/p99/max, how many signals the verdicts fired and how many records each list showed.
4. For comparison, runs the obvious exact query on `--naive` of them: count the shared signals
   of every earlier record in one GROUP BY over record_tags, then order and take three.
5. Prints the plan of the statement reading one verdict's windows, and the machine.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Engine, text

from bot.insight.similar import SHOWN, card_section
from bot.slack.deps import Deps
from storage import Store
from storage import similar as similar_query
from storage.db import make_engine, migrate
from storage.records import RecordDetail
from tests.bench import search_bench
from tests.bench.search_bench import Generator, machine

TARGET_P95_MS = 25.0
WORKSPACE = 1
NEWEST = 5000


def pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def verdicts(engine: Engine, store: Store, count: int, rng: random.Random) -> list[RecordDetail]:
    with engine.connect() as conn:
        ids: list[int] = list(
            conn.execute(
                text(
                    "SELECT id FROM walkaway_records WHERE workspace_id = :w "
                    "AND outcome != 'proceed' ORDER BY id DESC LIMIT :n"
                ),
                {"w": WORKSPACE, "n": NEWEST},
            ).scalars()
        )
    chosen = rng.sample(ids, min(count, len(ids)))
    found = [store.get_record(record_id=r) for r in chosen]
    return [r for r in found if r is not None]


def naive(engine: Engine, record: RecordDetail) -> list[int]:
    """The exact answer the straightforward way: every earlier record's shared count."""
    tags = list(dict.fromkeys(r.signal for r in record.verdict.reasons))
    marks = ", ".join(f":t{i}" for i in range(len(tags)))
    statement = text(
        "SELECT record_id FROM record_tags WHERE workspace_id = :w AND record_id < :r "
        f"AND tag IN ({marks}) GROUP BY record_id "
        "ORDER BY count(*) DESC, record_id DESC LIMIT 3"
    )
    params: dict[str, Any] = {"w": record.workspace_id, "r": record.id}
    params.update({f"t{i}": t for i, t in enumerate(tags)})
    with engine.connect() as conn:
        return list(conn.execute(statement, params).scalars())


def window_plan(engine: Engine, record: RecordDetail) -> str:
    """The plan of the statement that reads and merges the verdict's signal windows."""
    tags = list(dict.fromkeys(r.signal for r in record.verdict.reasons))
    params: dict[str, Any] = {f"tag{i}": t for i, t in enumerate(tags)}
    params.update(
        workspace=record.workspace_id,
        before=record.id,
        window=similar_query.WINDOW,
        refine=similar_query.REFINE,
    )
    compiled = similar_query._merged_windows(len(tags)).compile(dialect=engine.dialect)
    values = compiled.construct_params(params)
    bound: Any = values
    if compiled.positiontup is not None:  # SQLite's ? marks
        bound = tuple(values[name] for name in compiled.positiontup)
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(explain + str(compiled), bound).all()
    return f"({len(tags)} signals)\n" + "\n".join("  " + str(row[-1]) for row in rows)


def run(args: argparse.Namespace) -> str:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    rng = random.Random(args.seed + 13)
    with search_bench._backend(args) as backend:  # the search bench's databases, as they are
        engine = make_engine(backend.url)
        store = Store(engine)
        try:
            migrate(engine)
            seed_seconds = 0.0
            if args.reuse:
                log(f"reusing {args.reuse}")
            else:
                log(f"seeding {args.records:,} records (search_bench's generator)")
                seed_started = time.monotonic()
                backend.load(engine, Generator(args.records, args.seed, backend.stamp), log)
                seed_seconds = time.monotonic() - seed_started
            if engine.dialect.name == "postgresql":
                log("VACUUM (ANALYZE) record_tags, as autovacuum does after many inserts")
                with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
                    conn.exec_driver_sql("VACUUM (ANALYZE) record_tags")
            with engine.connect() as conn:
                total = conn.scalar(text("SELECT count(*) FROM walkaway_records"))
                in_workspace = conn.scalar(
                    text("SELECT count(*) FROM walkaway_records WHERE workspace_id = :w"),
                    {"w": WORKSPACE},
                )
                tags = conn.scalar(text("SELECT count(*) FROM record_tags"))
            records = verdicts(engine, store, args.verdicts, rng)
            deps: Deps = SimpleNamespace(store=store)  # type: ignore[assignment]  # the section reads only the Store
            shown: Counter[int] = Counter()
            for record in records:  # warm-up: caches, compiled statements
                shown[sum(1 for b in card_section(deps, record) if _line(b.block_id))] += 1
            samples: list[float] = []
            for _ in range(args.repeat):
                for record in records:
                    t0 = time.perf_counter()
                    card_section(deps, record)
                    samples.append((time.perf_counter() - t0) * 1000)
            log(f"section: p50 {pct(samples, 0.5):.2f} ms, p95 {pct(samples, 0.95):.2f} ms")
            naive_ms: list[float] = []
            agree = 0
            for record in records[: args.naive]:
                t0 = time.perf_counter()
                exact = naive(engine, record)
                naive_ms.append((time.perf_counter() - t0) * 1000)
                listed = store.similar.similar_records(
                    workspace_id=record.workspace_id,
                    record_id=record.id,
                    signals=[r.signal for r in record.verdict.reasons],
                    limit=SHOWN,
                )
                agree += _same_ranks(engine, exact, [s.id for s in listed], record)
            fired = Counter(len({r.signal for r in rec.verdict.reasons}) for rec in records)
            version = backend.version(engine)
            plan = window_plan(engine, records[0])
        finally:
            store.close()
            if args.keep:
                log(f"kept: {backend.url}")
    p95 = pct(samples, 0.95)
    host = machine()
    lines = [
        f"similar_bench: {total:,} records ({in_workspace:,} in the measured workspace, "
        f"{tags:,} record_tags rows), backend {version}"
        + (f", seeded in {seed_seconds:.0f} s" if seed_seconds else ""),
        f"machine: {host['cpu']}, {host['cores']} cores, {host['memory']}, {host['os']}, "
        f"Python {host['python']}; {host['load']} at the end",
        f"each sample: bot.insight.similar.card_section for one verdict (query + blocks); "
        f"{len(records)} verdicts from the workspace's newest {NEWEST:,} non-proceed records, "
        f"{args.repeat} passes after a warm-up pass; window {similar_query.WINDOW:,} per signal",
        "signals fired per verdict: " + ", ".join(f"{n}: {c}" for n, c in sorted(fired.items())),
        "records listed per card: " + ", ".join(f"{n}: {c}" for n, c in sorted(shown.items())),
        "",
        f"card section ({len(samples)} samples): p50 {pct(samples, 0.5):.2f} ms, "
        f"p95 {p95:.2f} ms, p99 {pct(samples, 0.99):.2f} ms, max {max(samples):.2f} ms, "
        f"mean {statistics.fmean(samples):.2f} ms",
    ]
    if naive_ms:
        lines.append(
            f"exact GROUP BY over every earlier tagged record ({len(naive_ms)} verdicts): "
            f"p50 {pct(naive_ms, 0.5):.1f} ms, p95 {pct(naive_ms, 0.95):.1f} ms; "
            f"the windowed list ranked the same shared counts in {agree} of {len(naive_ms)}"
        )
    lines += ["", "plan of the merged windows for one verdict:", plan, ""]
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    lines.append(f"target p95 < {TARGET_P95_MS:.0f} ms: {verdict} ({p95:.2f} ms)")
    return "\n".join(lines)


def _line(block_id: str | None) -> bool:
    return bool(block_id and block_id.startswith("similar:"))


def _same_ranks(engine: Engine, exact: list[int], listed: list[int], record: RecordDetail) -> int:
    """1 when the windowed list shows records with the same shared counts as the exact answer
    (ties between equally old-and-similar records may differ only by the deal rule)."""
    tags = {r.signal for r in record.verdict.reasons}

    def counts(ids: list[int]) -> list[int]:
        if not ids:
            return []
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT record_id, tag FROM record_tags WHERE record_id IN "
                    f"({', '.join(str(int(i)) for i in ids)})"
                )
            ).all()
        have = Counter(r for r, t in rows if t in tags)
        return [have[i] for i in ids]

    return int(counts(exact) == counts(listed))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.similar_bench",
        description="Similar past walks on the verdict card at scale (see module docstring).",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--verdicts", type=int, default=300, help="verdicts timed")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes over the verdicts")
    parser.add_argument("--naive", type=int, default=20, help="verdicts run the exact way")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--pg-url", default=search_bench.DEFAULT_PG_URL)
    parser.add_argument("--dir", default=None, help="where the SQLite file goes (a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", metavar="FILE", help="a database kept by --keep (SQLite file; PG name)"
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
