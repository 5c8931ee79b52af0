"""Full-text search over walk-away records: a search document per record, its tags, its index.

Both backends get the modelled tables (record_search, record_tags) and the filter indexes on
walkaway_records. Then each gets the index only it can build, which the models leave out
(storage.search.UNMODELLED lists every name, and env.py's include_object skips them):

* SQLite: `record_search.search_key`, a generated column that puts the workspace in the high
  bits of the key (workspace_id * 2**40 + record_id), so one workspace is one rowid range of the
  FTS5 index and a search never touches another workspace's rows; an FTS5 table using
  record_search as external content (porter stemming, bm25 ranking), whose `facets` column
  holds the rep, outcome, status and tags as words so filters intersect inside the index;
  and the three triggers from
  SQLite's external-content recipe that keep it in step with every insert, update and delete.
  A later batch_alter_table on record_search copies the table and drops its triggers: such a
  migration must create them again (see _sqlite_triggers).
* PostgreSQL: `record_search.document`, a generated tsvector (english configuration, weighted
  A deal, B reasons and conditions, C notes, D messages) with a GIN index.

Existing records are indexed here, so a database upgraded from 0003 finds its old records too.
The composition below mirrors storage.search.compose; it is repeated rather than imported so the
migration keeps working after the app code moves on.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WORKSPACE_SHIFT = 2**40
TEXT_COLUMNS = ("deal", "reasons", "conditions", "notes", "messages", "facets")
FILTER_INDEXES = {
    "ix_walkaway_records_workspace_outcome_created": ["workspace_id", "outcome", "created_at"],
    "ix_walkaway_records_workspace_status_created": ["workspace_id", "status", "created_at"],
    "ix_walkaway_records_workspace_rep_created": ["workspace_id", "rep_user_id", "created_at"],
}


def upgrade() -> None:
    for name, columns in FILTER_INDEXES.items():
        op.create_index(name, "walkaway_records", columns)
    op.create_table(
        "record_search",
        sa.Column("record_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=False) for name in TEXT_COLUMNS),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["walkaway_records.id"],
            name=op.f("fk_record_search_record_id_walkaway_records"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_record_search_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("record_id", name=op.f("pk_record_search")),
    )
    op.create_index(
        "ix_record_search_workspace_record", "record_search", ["workspace_id", "record_id"]
    )
    op.create_table(
        "record_tags",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=64), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["walkaway_records.id"],
            name=op.f("fk_record_tags_record_id_walkaway_records"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_record_tags_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("record_id", "tag", name=op.f("pk_record_tags")),
    )
    op.create_index(
        "ix_record_tags_workspace_tag_record", "record_tags", ["workspace_id", "tag", "record_id"]
    )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_index()
    elif dialect == "postgresql":
        _postgresql_index()
    else:  # pragma: no cover - the app supports these two only
        raise RuntimeError(f"no search index for the {dialect} dialect")
    _backfill()


def _sqlite_index() -> None:
    op.execute(
        "ALTER TABLE record_search ADD COLUMN search_key INTEGER "
        f"GENERATED ALWAYS AS (workspace_id * {WORKSPACE_SHIFT} + record_id) VIRTUAL"
    )
    op.execute("CREATE UNIQUE INDEX uq_record_search_search_key ON record_search (search_key)")
    op.execute(
        f"CREATE VIRTUAL TABLE record_search_fts USING fts5({', '.join(TEXT_COLUMNS)}, "
        "content='record_search', content_rowid='search_key', "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    for statement in _sqlite_triggers():
        op.execute(statement)


def _sqlite_triggers() -> list[str]:
    columns = ", ".join(TEXT_COLUMNS)
    new = ", ".join(f"new.{c}" for c in TEXT_COLUMNS)
    old = ", ".join(f"old.{c}" for c in TEXT_COLUMNS)
    insert = f"INSERT INTO record_search_fts (rowid, {columns}) VALUES (new.search_key, {new});"
    delete = (
        f"INSERT INTO record_search_fts (record_search_fts, rowid, {columns}) "
        f"VALUES ('delete', old.search_key, {old});"
    )
    return [
        f"CREATE TRIGGER record_search_ai AFTER INSERT ON record_search BEGIN {insert} END",
        f"CREATE TRIGGER record_search_ad AFTER DELETE ON record_search BEGIN {delete} END",
        f"CREATE TRIGGER record_search_au AFTER UPDATE ON record_search BEGIN {delete} {insert} END",
    ]


def _postgresql_index() -> None:
    weighted = " || ".join(
        f"setweight(to_tsvector('english'::regconfig, {column}), '{weight}')"
        for column, weight in (
            ("deal", "A"),
            ("reasons", "B"),
            ("conditions", "B"),
            ("notes", "C"),
            ("messages", "D"),
        )
    )
    op.execute(
        f"ALTER TABLE record_search ADD COLUMN document tsvector "
        f"GENERATED ALWAYS AS ({weighted}) STORED"
    )
    op.execute("CREATE INDEX ix_record_search_document ON record_search USING gin (document)")


def _backfill() -> None:
    bind = op.get_bind()
    records: Sequence[Any] = bind.execute(
        sa.text(
            "SELECT r.id, r.workspace_id, r.session_id, d.name, v.data, v.record_line, "
            "r.draft_text, r.sent_text, r.rep_user_id, r.outcome, r.status FROM walkaway_records r "
            "JOIN deals d ON d.id = r.deal_id JOIN verdicts v ON v.id = r.verdict_id"
        )
    ).all()
    if not records:
        return
    answer_notes: dict[int, list[str]] = defaultdict(list)
    rows: Any = bind.execute(
        sa.text(
            "SELECT session_id, note FROM answers "
            "WHERE superseded_at IS NULL AND note IS NOT NULL ORDER BY id"
        )
    )
    for session_id, note in rows:
        answer_notes[session_id].append(note)
    status_notes: dict[int, list[str]] = defaultdict(list)
    rows = bind.execute(
        sa.text(
            "SELECT record_id, note FROM record_status_changes WHERE note IS NOT NULL ORDER BY id"
        )
    )
    for record_id, note in rows:
        status_notes[record_id].append(note)
    documents: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    for row in records:
        record_id, workspace_id, session_id, deal, data, line, draft, sent = row[:8]
        rep_user_id, outcome, status = row[8:]
        verdict: Any = json.loads(data) if isinstance(data, str) else data
        record_tags = list(dict.fromkeys(str(t)[:64] for t in verdict.get("tags", ())))
        facets = [
            _facet("r", workspace_id, str(rep_user_id)),
            _facet("o", workspace_id, outcome),
            _facet("s", workspace_id, status),
            *(_facet("t", workspace_id, tag) for tag in record_tags),
        ]
        documents.append(
            {
                "record_id": record_id,
                "workspace_id": workspace_id,
                "deal": deal,
                "reasons": "\n".join([*(r["text"] for r in verdict["reasons"]), line]),
                "conditions": "\n".join(c["text"] for c in verdict["conditions"]),
                "notes": "\n".join(answer_notes[session_id] + status_notes[record_id]),
                "messages": "\n".join(dict.fromkeys(t for t in (draft, sent) if t)),
                "facets": " ".join(facets),
            }
        )
        tags += [
            {"record_id": record_id, "tag": tag, "workspace_id": workspace_id}
            for tag in record_tags
        ]
    columns = ("record_id", "workspace_id", *TEXT_COLUMNS)
    bind.execute(
        sa.text(
            f"INSERT INTO record_search ({', '.join(columns)}) "
            f"VALUES ({', '.join(':' + c for c in columns)})"
        ),
        documents,
    )
    if tags:
        bind.execute(
            sa.text(
                "INSERT INTO record_tags (record_id, tag, workspace_id) "
                "VALUES (:record_id, :tag, :workspace_id)"
            ),
            tags,
        )


def _facet(kind: str, workspace_id: int, value: str) -> str:
    """storage.search.facet, as of this revision."""
    return f"{kind}{workspace_id}x{value.encode().hex()}0"


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("record_search_ai", "record_search_ad", "record_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS record_search_fts")
    op.drop_table("record_tags")
    op.drop_table("record_search")
    for name in FILTER_INDEXES:
        op.drop_index(name, table_name="walkaway_records")
