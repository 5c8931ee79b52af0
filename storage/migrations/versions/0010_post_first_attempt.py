"""Remember when a post's first attempt began, so a lookup after many attempts still finds it.

A re-run that finds only an earlier attempt's intent looks for the message from when that
attempt began. Each attempt moved that moment on, so after a failed lookup (Slack erring on
conversations.history too) the next looked only from the latest attempt, past a message the
first had posted seconds before: the message was posted twice.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("slack_posts") as batch:
        batch.add_column(sa.Column("first_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("slack_posts") as batch:
        batch.drop_column("first_started_at")
