"""Discuss becomes a step, not a position: where and since when a manager and rep are talking.

Until now Discuss was stored as the approval's final `decision`, so a draft held until the
manager agreed could never be unlocked after a Discuss. From here `decision` holds only Agree or
Override, and a discussion lives in its own columns: who started it, when, where the two talk
(a group DM, or a thread on the ping) and a link to it.

Existing Discuss answers are moved to the new columns, with `decision` opened again so the
manager can still agree or override; the discussion is placed on the ping's channel, where the
old code opened its thread. Where the workspace held the draft (the rep is blocked on those),
the reminder is re-armed to fire on the next run: it puts the Agree and Override buttons back on
the manager's message and nudges them in the discussion. Other old discussions are not reminded,
so an upgrade sends nobody a surprise about a draft that was never waiting.

The CHECK on `decision` keeps admitting 'discuss' (see storage.models.Approval).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Batch mode: SQLite cannot add a foreign key to an existing table, so it copies the table.
    # approvals has no triggers, so the copy loses nothing.
    with op.batch_alter_table("approvals") as batch:
        batch.add_column(sa.Column("discussion_by_user_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("discussion_started_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("discussion_channel_id", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("discussion_link", sa.String(length=1000), nullable=True))
        batch.create_foreign_key(
            op.f("fk_approvals_discussion_by_user_id_users"),
            "users",
            ["discussion_by_user_id"],
            ["id"],
        )
    approvals = sa.table(
        "approvals",
        sa.column("decision", sa.String()),
        sa.column("decided_by_user_id", sa.Integer()),
        sa.column("decided_at", sa.DateTime(timezone=True)),
        sa.column("ping_channel_id", sa.String()),
        sa.column("hold_until_agreed", sa.Boolean()),
        sa.column("remind_after", sa.DateTime(timezone=True)),
        sa.column("reminder_claimed_at", sa.DateTime(timezone=True)),
        sa.column("discussion_by_user_id", sa.Integer()),
        sa.column("discussion_started_at", sa.DateTime(timezone=True)),
        sa.column("discussion_channel_id", sa.String()),
    )
    discussed = approvals.c.decision == "discuss"
    # Held drafts first, while `decision` still says which rows were discussed.
    op.execute(
        approvals.update()
        .where(discussed, approvals.c.hold_until_agreed == sa.true())
        .values(remind_after=approvals.c.decided_at, reminder_claimed_at=None)
    )
    op.execute(
        approvals.update()
        .where(discussed, approvals.c.hold_until_agreed == sa.false())
        .values(remind_after=None)
    )
    op.execute(
        approvals.update()
        .where(discussed)
        .values(
            discussion_by_user_id=approvals.c.decided_by_user_id,
            discussion_started_at=approvals.c.decided_at,
            discussion_channel_id=approvals.c.ping_channel_id,
            decision=None,
            decided_by_user_id=None,
            decided_at=None,
        )
    )


def downgrade() -> None:
    approvals = sa.table(
        "approvals",
        sa.column("decision", sa.String()),
        sa.column("decided_by_user_id", sa.Integer()),
        sa.column("decided_at", sa.DateTime(timezone=True)),
        sa.column("discussion_by_user_id", sa.Integer()),
        sa.column("discussion_started_at", sa.DateTime(timezone=True)),
    )
    # An open discussion reads as the old, final Discuss; an answer after it is kept.
    op.execute(
        approvals.update()
        .where(approvals.c.decision.is_(None), approvals.c.discussion_started_at.is_not(None))
        .values(
            decision="discuss",
            decided_by_user_id=approvals.c.discussion_by_user_id,
            decided_at=approvals.c.discussion_started_at,
        )
    )
    with op.batch_alter_table("approvals") as batch:
        batch.drop_constraint(op.f("fk_approvals_discussion_by_user_id_users"), type_="foreignkey")
        batch.drop_column("discussion_link")
        batch.drop_column("discussion_channel_id")
        batch.drop_column("discussion_started_at")
        batch.drop_column("discussion_by_user_id")
