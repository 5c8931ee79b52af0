"""The query plans behind one search: every statement Store.search_records sends, explained.

    .venv/bin/python -m tests.bench.search_bench --backend postgres --records 1000000 --keep
    .venv/bin/python -m tests.bench.search_plans --url postgresql+psycopg://...kept... \\
        --label "word + outcome"

The labels are search_bench's typical queries (`--label all` explains each). On PostgreSQL each
statement is run under EXPLAIN (ANALYZE, BUFFERS), with the parameters the app bound; on SQLite
under EXPLAIN QUERY PLAN.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from sqlalchemy import event

from storage import Store
from storage.db import make_engine
from tests.bench.search_bench import Generator, typical_queries


def explain(url: str, labels: Sequence[str], seed: int, records: int) -> str:
    engine = make_engine(url)
    store = Store(engine)
    generator = Generator(records, seed, lambda moment: moment)
    queries = typical_queries(generator, engine, workspace=1)
    chosen = [q for q in queries if "all" in labels or q.label in labels]
    captured: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    out: list[str] = []
    for query in chosen:
        store.search_records(workspace_id=1, criteria=query.criteria)  # warm
        captured.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            store.search_records(workspace_id=1, criteria=query.criteria)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        out.append(f"== {query.label}: {query.typed}")
        postgres = engine.dialect.name == "postgresql"
        prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
        raw = engine.raw_connection()
        try:
            cur = raw.cursor()
            for statement, parameters in list(captured):
                out.append("-- " + " ".join(statement.split()))
                if statement.lstrip().upper().startswith("SET"):
                    cur.execute(statement, parameters)  # a setting: applied, not explained
                    continue
                cur.execute(prefix + statement, parameters)
                out += ["   " + " | ".join(str(c) for c in row) for row in cur.fetchall()]
            raw.rollback()
        finally:
            raw.close()
        out.append("")
    store.close()
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.search_plans")
    parser.add_argument("--url", required=True, help="a database seeded by search_bench --keep")
    parser.add_argument("--label", action="append", default=[], help="a query label, or all")
    parser.add_argument("--seed", type=int, default=5, help="search_bench's --seed")
    parser.add_argument("--records", type=int, default=1_000_000, help="search_bench's --records")
    args = parser.parse_args(argv)
    print(explain(args.url, args.label or ["all"], args.seed, args.records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
