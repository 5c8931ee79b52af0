"""Nudges on the re-check date: one row per (record, date) claimed once, the people's zones,
and the indexes the sweep and the due lists read by.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "nudges",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("job_key", sa.String(length=32), nullable=False),
        sa.Column("claimed_at", moment, nullable=False),
        sa.Column("queued_at", moment, nullable=True),
        sa.Column("posted_at", moment, nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.String(length=64), nullable=True),
        sa.Column("sent_to", sa.String(length=64), nullable=True),
        sa.Column("ended", sa.String(length=16), nullable=True),
        sa.Column("snoozed_to", sa.Date(), nullable=True),
        sa.Column("acted_by", sa.String(length=64), nullable=True),
        sa.Column("acted_at", moment, nullable=True),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["walkaway_records.id"],
            name=op.f("fk_nudges_record_id_walkaway_records"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_nudges_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("record_id", "due_on", name=op.f("pk_nudges")),
    )
    op.create_index("ix_nudges_due_on_record_id", "nudges", ["due_on", "record_id"])
    op.create_index(
        "ix_nudges_unqueued",
        "nudges",
        ["claimed_at"],
        sqlite_where=sa.text("queued_at IS NULL"),
        postgresql_where=sa.text("queued_at IS NULL"),
    )
    op.create_table(
        "user_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("tz", sa.String(length=64), nullable=True),
        sa.Column("deactivated", sa.Boolean(), nullable=False),
        sa.Column("fetched_at", moment, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_profiles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_user_profiles")),
    )
    op.create_index(
        "ix_walkaway_records_status_recheck_on", "walkaway_records", ["status", "recheck_on"]
    )
    op.create_index(
        "ix_walkaway_records_rep_status_recheck_on",
        "walkaway_records",
        ["rep_user_id", "status", "recheck_on", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_walkaway_records_rep_status_recheck_on", table_name="walkaway_records")
    op.drop_index("ix_walkaway_records_status_recheck_on", table_name="walkaway_records")
    op.drop_table("user_profiles")
    op.drop_index("ix_nudges_unqueued", table_name="nudges")
    op.drop_index("ix_nudges_due_on_record_id", table_name="nudges")
    op.drop_table("nudges")
