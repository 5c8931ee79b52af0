"""Retention: indexes for the purge of old claims and job-scoped post records.

The purge (storage/ops.py, run by the scheduler) deletes idempotency keys and a job's own post
records once they are older than WALKAWAY_RETENTION_DAYS, oldest first, in small batches; each
batch reads its range from these indexes.

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    op.create_index("ix_slack_posts_started_at", "slack_posts", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_slack_posts_started_at", table_name="slack_posts")
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
