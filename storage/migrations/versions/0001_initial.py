"""Initial schema: workspaces, users, deals, sessions, answers, verdicts, records, claims.

Written out by hand from autogenerate so it never imports app code: storage.columns.UTCDateTime
and the JSON variant only change how values are bound, so plain DateTime(timezone=True) and
JSON/JSONB produce the same DDL. tests/storage checks this file still matches storage.models.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_STATUSES = "status IN ('open', 're-engaged', 'won', 'lost', 'closed')"


def _json() -> sa.types.TypeEngine[Any]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "workspaces",
        _id(),
        sa.Column("team_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("settings", _json(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workspaces")),
        sa.UniqueConstraint("team_id", name=op.f("uq_workspaces_team_id")),
    )
    op.create_table(
        "deals",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("deals", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deals")),
        sa.UniqueConstraint("workspace_id", "name_key", name=op.f("uq_deals_workspace_id_name_key")),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("manager_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("users", "manager_user_id", "users"),
        _fk("users", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint(
            "workspace_id", "slack_user_id", name=op.f("uq_users_workspace_id_slack_user_id")
        ),
    )
    op.create_table(
        "qualification_sessions",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("checklist_hash", sa.String(length=128), nullable=False),
        sa.Column("checklist_snapshot", _json(), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=True),
        sa.Column("thread_ts", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'complete', 'abandoned')",
            name=op.f("ck_qualification_sessions_status"),
        ),
        _fk("qualification_sessions", "deal_id", "deals"),
        _fk("qualification_sessions", "rep_user_id", "users"),
        _fk("qualification_sessions", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qualification_sessions")),
    )
    op.create_index(
        "ix_qualification_sessions_workspace_rep_status",
        "qualification_sessions",
        ["workspace_id", "rep_user_id", "status"],
    )
    op.create_index(
        "uq_qualification_sessions_one_open_per_rep_deal",
        "qualification_sessions",
        ["deal_id", "rep_user_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "answers",
        _id(),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=128), nullable=False),
        sa.Column("value", _json(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("answered_by_user_id", sa.Integer(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("question_text", sa.Text(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        _fk("answers", "answered_by_user_id", "users"),
        _fk("answers", "session_id", "qualification_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answers")),
    )
    op.create_index("ix_answers_session_id", "answers", ["session_id"])
    op.create_index(
        "uq_answers_one_current_per_question",
        "answers",
        ["session_id", "question_id"],
        unique=True,
        sqlite_where=sa.text("superseded_at IS NULL"),
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.create_table(
        "verdicts",
        _id(),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("data", _json(), nullable=False),
        sa.Column("recheck_on", sa.Date(), nullable=True),
        sa.Column("record_line", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("verdicts", "session_id", "qualification_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verdicts")),
        sa.UniqueConstraint("session_id", name=op.f("uq_verdicts_session_id")),
    )
    op.create_table(
        "walkaway_records",
        _id(),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("verdict_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("rep_user_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recheck_on", sa.Date(), nullable=True),
        sa.Column("draft_text", sa.Text(), nullable=True),
        sa.Column("sent_text", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(RECORD_STATUSES, name=op.f("ck_walkaway_records_status")),
        _fk("walkaway_records", "deal_id", "deals"),
        _fk("walkaway_records", "rep_user_id", "users"),
        _fk("walkaway_records", "sent_by_user_id", "users"),
        _fk("walkaway_records", "session_id", "qualification_sessions"),
        _fk("walkaway_records", "verdict_id", "verdicts"),
        _fk("walkaway_records", "workspace_id", "workspaces"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walkaway_records")),
        sa.UniqueConstraint("session_id", name=op.f("uq_walkaway_records_session_id")),
    )
    op.create_index(
        "ix_walkaway_records_workspace_created", "walkaway_records", ["workspace_id", "created_at"]
    )
    op.create_table(
        "record_status_changes",
        _id(),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("changed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(RECORD_STATUSES, name=op.f("ck_record_status_changes_status")),
        _fk("record_status_changes", "changed_by_user_id", "users"),
        _fk("record_status_changes", "record_id", "walkaway_records"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_record_status_changes")),
    )
    op.create_index("ix_record_status_changes_record_id", "record_status_changes", ["record_id"])


def downgrade() -> None:
    # Dropping a table drops its indexes; reverse creation order satisfies the foreign keys.
    for table in (
        "record_status_changes",
        "walkaway_records",
        "verdicts",
        "answers",
        "qualification_sessions",
        "users",
        "deals",
        "workspaces",
        "idempotency_keys",
    ):
        op.drop_table(table)
