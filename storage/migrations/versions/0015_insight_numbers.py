"""Team numbers (issue 13): checks started by reps in a period, and who was ever asked for a
position, each read through an index.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_qualification_sessions_workspace_rep_started",
        "qualification_sessions",
        ["workspace_id", "rep_user_id", "started_at"],
    )
    op.create_index("ix_approvals_approver_user_id", "approvals", ["approver_user_id"])
    op.create_index(
        "ix_walkaway_records_workspace_rep_id_outcome",
        "walkaway_records",
        ["workspace_id", "rep_user_id", "id", "outcome"],
    )


def downgrade() -> None:
    op.drop_index("ix_walkaway_records_workspace_rep_id_outcome", table_name="walkaway_records")
    op.drop_index("ix_approvals_approver_user_id", table_name="approvals")
    op.drop_index(
        "ix_qualification_sessions_workspace_rep_started", table_name="qualification_sessions"
    )
