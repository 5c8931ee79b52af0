"""The weekly digest: one row per manager per ISO week, claimed once and sent step by step, and
the two indexes its lists read (comebacks and wins of the last weeks; positions still waiting).

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "digest_sends",
        sa.Column("manager_user_id", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("job_key", sa.String(length=32), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.String(length=64), nullable=True),
        sa.Column("chart_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chart_file_id", sa.String(length=64), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["manager_user_id"], ["users.id"], name="fk_digest_sends_manager_user_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_digest_sends_workspace_id_workspaces"
        ),
        sa.PrimaryKeyConstraint("manager_user_id", "week", name="pk_digest_sends"),
    )
    op.create_index(
        "ix_digest_sends_unqueued",
        "digest_sends",
        ["claimed_at"],
        sqlite_where=sa.text("queued_at IS NULL"),
        postgresql_where=sa.text("queued_at IS NULL"),
    )


    op.create_index(
        "ix_record_status_changes_status_changed_at",
        "record_status_changes",
        ["status", "changed_at", "record_id"],
    )
    op.create_index(
        "ix_approvals_waiting_approver",
        "approvals",
        ["approver_user_id", "requested_at"],
        sqlite_where=sa.text("decision IS NULL"),
        postgresql_where=sa.text("decision IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_approvals_waiting_approver", table_name="approvals")
    op.drop_index("ix_record_status_changes_status_changed_at", table_name="record_status_changes")
    op.drop_index("ix_digest_sends_unqueued", table_name="digest_sends")
    op.drop_table("digest_sends")
