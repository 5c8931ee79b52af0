"""Re-checks: which earlier record a qualification session looks at again.

A re-check starts from what was known: each question shows the earlier answer, the new card
says what changed, and a proceed marks the earlier record re-engaged once (`reengaged_at`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rechecks",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("previous_record_id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("started_by_user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reengaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["qualification_sessions.id"],
            name="fk_rechecks_session_id_qualification_sessions",
        ),
        sa.ForeignKeyConstraint(
            ["previous_record_id"],
            ["walkaway_records.id"],
            name="fk_rechecks_previous_record_id_walkaway_records",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name="fk_rechecks_workspace_id_workspaces"
        ),
        sa.ForeignKeyConstraint(
            ["started_by_user_id"], ["users.id"], name="fk_rechecks_started_by_user_id_users"
        ),
        sa.PrimaryKeyConstraint("session_id", name="pk_rechecks"),
    )
    op.create_index("ix_rechecks_previous_record_id", "rechecks", ["previous_record_id"])


def downgrade() -> None:
    op.drop_index("ix_rechecks_previous_record_id", table_name="rechecks")
    op.drop_table("rechecks")
