"""The conversation a check was started from: the message of a *Check this deal* shortcut.

One row per qualification session at most (its own table: storage/models.py is full), holding
the message's channel and ts, and its permalink once Slack gives one.

Revision ID: 0017
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_contexts",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("message_ts", sa.String(length=64), nullable=False),
        sa.Column("permalink", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["qualification_sessions.id"],
            name="fk_check_contexts_session_id_qualification_sessions",
        ),
        sa.PrimaryKeyConstraint("session_id", name="pk_check_contexts"),
    )


def downgrade() -> None:
    op.drop_table("check_contexts")
