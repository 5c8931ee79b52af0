"""Remember the open question's message and find a session by its DM thread.

Typed replies in the qualification thread need (channel_id, thread_ts) -> session, and the
question they answer is the message in prompt_ts.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("qualification_sessions") as batch:
        batch.add_column(sa.Column("prompt_ts", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_qualification_sessions_channel_thread",
        "qualification_sessions",
        ["channel_id", "thread_ts"],
    )


def downgrade() -> None:
    op.drop_index("ix_qualification_sessions_channel_thread", table_name="qualification_sessions")
    with op.batch_alter_table("qualification_sessions") as batch:
        batch.drop_column("prompt_ts")
