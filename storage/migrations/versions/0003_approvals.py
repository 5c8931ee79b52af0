"""Manager approvals: who must agree with a walk / stop-pilot / defer verdict, and what they said.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    moment = sa.DateTime(timezone=True)
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("approver_user_id", sa.Integer(), nullable=True),
        sa.Column("approver_channel_id", sa.String(length=64), nullable=True),
        sa.Column("ping_channel_id", sa.String(length=64), nullable=True),
        sa.Column("ping_ts", sa.String(length=64), nullable=True),
        sa.Column("requested_at", moment, nullable=False),
        sa.Column("remind_after", moment, nullable=True),
        sa.Column("reminder_claimed_at", moment, nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", moment, nullable=True),
        sa.Column("override_outcome", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("card_ts", sa.String(length=64), nullable=True),
        sa.Column(
            "hold_until_agreed", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('agree', 'discuss', 'override')",
            name=op.f("ck_approvals_decision"),
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision <> 'override' "
            "OR (override_outcome IS NOT NULL AND reason IS NOT NULL)",
            name=op.f("ck_approvals_override_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"], ["walkaway_records.id"], name=op.f("fk_approvals_record_id_walkaway_records")
        ),
        sa.ForeignKeyConstraint(
            ["approver_user_id"], ["users.id"], name=op.f("fk_approvals_approver_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_user_id"], ["users.id"], name=op.f("fk_approvals_decided_by_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint("record_id", name=op.f("uq_approvals_record_id")),
    )
    op.create_index("ix_approvals_pending_remind", "approvals", ["decided_at", "remind_after"])


def downgrade() -> None:
    op.drop_index("ix_approvals_pending_remind", table_name="approvals")
    op.drop_table("approvals")
