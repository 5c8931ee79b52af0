"""PostgreSQL search: each tier's vector also holds the record's filters, workspace and id blocks.

Migration 0020 gave each relevance tier its own tsvector and GIN index, and the filters a
separate one (`filters`). A search with a word and a filter then built two GIN bitmaps of tens
of thousands of rows each and ANDed them (80-110 ms at a million records), and a date filter
was checked only on the heap, after both. One GIN index holding every key of the question
answers it in one scan instead: GIN's "fast scan" walks the rarest key's posting list and only
skips through the others, so a rare filter or a short date range bounds the work even when the
words are common. This revision rebuilds `terms_a`, `terms_b` and `terms_c` as their words plus
these keys (letters and digits only, never a stemmed English word):

* the facet words of storage.search.facet (rep, outcome, status, tags; per workspace);
* `w<workspace>x0`, the workspace;
* `i<k>x<record_id // 10**k>` for k = 3 to 9: the aligned id blocks of 1,000 to 10**9 ids
  holding the record. Ids follow creation time, so a date filter's id range is the OR of a few
  blocks (storage.search.pg_keys.id_blocks), and reading a tier newest first can ask for the
  newest blocks first.

`filters` stays, for the messages tier (`document`) and for the filters' statistics. SQLite is
untouched. Downgrade restores 0020's columns. PostgreSQL 15 cannot change a generated column's
expression, so the three columns are dropped and added again (one table rewrite).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIERS = {
    "terms_a": ("deal",),
    "terms_b": ("deal", "reasons", "conditions"),
    "terms_c": ("deal", "reasons", "conditions", "notes"),
}
BLOCK_LEVELS = range(3, 10)
"""Keep in step with storage.search.pg_keys.BLOCK_LEVELS."""


def _words(columns: Sequence[str]) -> str:
    return " || ".join(f"to_tsvector('english'::regconfig, {c})" for c in columns)


def _keys() -> str:
    """The key words as one space-separated text; every part immutable (explicit ::text casts,
    as `||` with an integer operand is only stable)."""
    parts = ["coalesce(facets, '')", "'w' || workspace_id::text || 'x0'"]
    parts += [f"'i{k}x' || (record_id / {10**k})::text" for k in BLOCK_LEVELS]
    return " || ' ' || ".join(parts)


def _expression(columns: Sequence[str], *, keys: bool) -> str:
    words = _words(columns)
    if not keys:
        return words
    return f"{words} || array_to_tsvector(string_to_array({_keys()}, ' '))"


def _rebuild(*, keys: bool) -> None:
    for name in TIERS:
        op.execute(f"DROP INDEX IF EXISTS ix_record_search_{name}")
    drops = ", ".join(f"DROP COLUMN {name}" for name in TIERS)
    adds = ", ".join(
        f"ADD COLUMN {name} tsvector GENERATED ALWAYS AS ({_expression(cols, keys=keys)}) STORED"
        for name, cols in TIERS.items()
    )
    op.execute(f"ALTER TABLE record_search {drops}, {adds}")  # one rewrite for all three
    for name in TIERS:
        op.execute(f"CREATE INDEX ix_record_search_{name} ON record_search USING gin ({name})")
    op.execute("ANALYZE record_search")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(keys=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(keys=False)
