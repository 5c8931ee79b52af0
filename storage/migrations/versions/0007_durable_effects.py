"""Durable Slack effects: jobs that wait and retry, claims with owners, posts made once.

- jobs.key (a job's stable identity across re-runs), run_after (a failed attempt put back with
  a delay), failures and last_error; claimed_at becomes a heartbeat (storage/jobs.py).
- idempotency_keys.owner and note: the job that took a claim and what it decided then, so its
  own re-run carries on with the same decision.
- slack_posts: each message the app posts once, its intent and then its ts.
- qualification_sessions.revision: which state of the answers a question message belongs to.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    moment = sa.DateTime(timezone=True)
    op.add_column("jobs", sa.Column("key", sa.String(length=32), nullable=True))
    op.add_column("jobs", sa.Column("run_after", moment, nullable=True))
    op.add_column("jobs", sa.Column("last_error", sa.String(length=200), nullable=True))
    op.add_column(
        "jobs", sa.Column("failures", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_index("uq_jobs_key", "jobs", ["key"], unique=True)
    op.add_column("idempotency_keys", sa.Column("owner", sa.String(length=64), nullable=True))
    op.add_column("idempotency_keys", sa.Column("note", sa.String(length=255), nullable=True))
    op.add_column(
        "qualification_sessions",
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "slack_posts",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("thread_ts", sa.String(length=64), nullable=True),
        sa.Column("ts", sa.String(length=64), nullable=True),
        sa.Column("started_at", moment, nullable=False),
        sa.Column("posted_at", moment, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_slack_posts")),
    )


def downgrade() -> None:
    op.drop_table("slack_posts")
    op.drop_index("uq_jobs_key", table_name="jobs")
    for table, column in (
        ("qualification_sessions", "revision"),
        ("idempotency_keys", "note"),
        ("idempotency_keys", "owner"),
        ("jobs", "failures"),
        ("jobs", "last_error"),
        ("jobs", "run_after"),
        ("jobs", "key"),
    ):
        _drop_column(table, column)


def _drop_column(table: str, column: str) -> None:
    """SQLite 3.35+ drops a column in place; batch mode would copy qualification_sessions,
    which other tables reference, and SQLite refuses to drop a referenced table."""
    if op.get_bind().dialect.name == "sqlite":
        op.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN "{column}"'))
    else:
        op.drop_column(table, column)
