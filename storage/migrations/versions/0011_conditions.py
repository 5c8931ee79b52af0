"""Conditions you can tick: each record's re-engagement conditions as items with a state.

- record_conditions: one row per condition of a record's verdict (position, signal, text),
  its state (open, met, not_relevant; a CHECK guards it), who changed it and when, a note,
  and the last *Not yet* (checked_by_user_id, checked_at).
- Existing records get their rows from the verdict they were shown (verdicts.data), all open.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    table = op.create_table(
        "record_conditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=128), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("checked_by_user_id", sa.Integer(), nullable=True),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('open', 'met', 'not_relevant')", name=op.f("ck_record_conditions_state")
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["walkaway_records.id"],
            name=op.f("fk_record_conditions_record_id_walkaway_records"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_user_id"],
            ["users.id"],
            name=op.f("fk_record_conditions_changed_by_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by_user_id"],
            ["users.id"],
            name=op.f("fk_record_conditions_checked_by_user_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_conditions")),
        sa.UniqueConstraint(
            "record_id", "position", name=op.f("uq_record_conditions_record_id_position")
        ),
    )
    _backfill(table)


def _backfill(table: sa.Table) -> None:
    """Every existing record's conditions, open, read from the verdict it was shown."""
    data = sa.JSON().with_variant(JSONB(), "postgresql")
    records = sa.table("walkaway_records", sa.column("id"), sa.column("verdict_id"))
    verdicts = sa.table("verdicts", sa.column("id"), sa.column("data", data))
    query = (
        sa.select(records.c.id, verdicts.c.data)
        .join(verdicts, verdicts.c.id == records.c.verdict_id)
        .order_by(records.c.id)
    )
    bind = op.get_bind()
    rows: list[dict[str, Any]] = []
    for record_id, verdict in bind.execute(query):
        conditions = verdict.get("conditions") if isinstance(verdict, dict) else None
        for position, condition in enumerate(conditions or []):
            if not isinstance(condition, dict) or not condition.get("text"):
                continue
            rows.append(
                {
                    "record_id": record_id,
                    "position": position,
                    "signal": str(condition.get("signal") or "")[:128],
                    "text": str(condition["text"]),
                    "state": "open",
                }
            )
        if len(rows) >= _BATCH:
            op.bulk_insert(table, rows)
            rows = []
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    op.drop_table("record_conditions")
