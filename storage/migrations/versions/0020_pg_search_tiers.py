"""PostgreSQL search at SQLite's speed: tier vectors and a facet vector beside the document.

Migration 0004 gave PostgreSQL one weighted tsvector (`document`) with a GIN index, filtered
through B-tree indexes on walkaway_records, and ranked with ts_rank over the newest 1,000
matches. At a million records that cost 319 ms at p95, and a word with a filter was no faster
than a LIKE scan: the planner had to pick between the GIN bitmap of a common word and the
filter's B-tree rows, then join. This revision adds, on PostgreSQL only, stored generated
columns computed from the text record_search already holds (so the app writes nothing new):

* `terms_a` (the deal name), `terms_b` (deal, reasons, conditions), `terms_c` (those and the
  notes): the words of the fields at or above each weight of `document` (A, B, C; `document`
  itself is D, everything). A record's relevance tier is the first of them holding every word
  of the search (storage/search/pg.py), and each has a GIN index, so a tier is found from its
  own index, never by testing every match.
* `filters`: the `facets` words (rep, outcome, status, tags, per workspace; see
  storage.search.facet) as a tsvector with a GIN index, so a filter is one more posting list
  for the GIN scan to intersect, as it is inside SQLite's FTS5 index.

SQLite is untouched: its FTS5 index already works this way. Downgrade drops the columns and
indexes again (PostgreSQL only).

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _words(*columns: str) -> str:
    return " || ".join(f"to_tsvector('english'::regconfig, {c})" for c in columns)


COLUMNS = {
    "terms_a": _words("deal"),
    "terms_b": _words("deal", "reasons", "conditions"),
    "terms_c": _words("deal", "reasons", "conditions", "notes"),
    "filters": "array_to_tsvector(string_to_array(facets, ' '))",
}
"""Name and expression of each generated column; each gets a GIN index `ix_record_search_<name>`."""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One ALTER TABLE, so the table is rewritten once for all four columns.
    added = ", ".join(
        f"ADD COLUMN {name} tsvector GENERATED ALWAYS AS ({expression}) STORED"
        for name, expression in COLUMNS.items()
    )
    op.execute(f"ALTER TABLE record_search {added}")
    for name in COLUMNS:
        op.execute(f"CREATE INDEX ix_record_search_{name} ON record_search USING gin ({name})")
    op.execute("ANALYZE record_search")  # the planner's lexeme statistics for the new columns


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in COLUMNS:
        op.execute(f"DROP INDEX IF EXISTS ix_record_search_{name}")
    op.execute("ALTER TABLE record_search " + ", ".join(f"DROP COLUMN {name}" for name in COLUMNS))
