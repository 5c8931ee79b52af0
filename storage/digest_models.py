"""The weekly digest's table (issue 13): one row per manager per ISO week, the claim that makes
several processes send it once, and each step of the send as it is done.

Kept out of storage/models.py, which is full; the class joins the same `Base`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import utcnow
from storage.models import SLACK_ID, Approval, Base, RecordStatusChange

Index(
    "ix_record_status_changes_status_changed_at",
    RecordStatusChange.status,
    RecordStatusChange.changed_at,
    RecordStatusChange.record_id,
)
"""The digest's comebacks and wins: the changes of the last twelve weeks, read as two ranges
(re-engaged, won) instead of every status change a team's records ever had."""
Index(
    "ix_approvals_waiting_approver",
    Approval.approver_user_id,
    Approval.requested_at,
    sqlite_where=text("decision IS NULL"),
    postgresql_where=text("decision IS NULL"),
)
"""Positions still waiting for one manager, oldest first, without reading the decided ones."""


class DigestSend(Base):
    """A manager's digest of one week. The primary key is the once-a-week rule: whichever
    process inserts (manager, week) first sends it; the steps after are recorded here, so a
    re-run (a failed Slack call, a process that died) carries on from the step it reached."""

    __tablename__ = "digest_sends"
    __table_args__ = (
        # A claim whose job was never queued (its process died in between) is queued again.
        Index(
            "ix_digest_sends_unqueued",
            "claimed_at",
            sqlite_where=text("queued_at IS NULL"),
            postgresql_where=text("queued_at IS NULL"),
        ),
    )

    manager_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    week: Mapped[str] = mapped_column(String(8), primary_key=True)
    """The ISO week in the manager's own zone, '2026-W49'."""
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    job_key: Mapped[str] = mapped_column(String(32))
    """The key of the job that sends it: queued again under the same key, it is one job."""
    due_at: Mapped[datetime]
    """The moment it was due (the manager's weekday and hour): the digest's week ends here."""
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    ts: Mapped[str | None] = mapped_column(SLACK_ID)
    """The digest message, once posted (through bot/slack/effects.py post_once)."""
    chart_started_at: Mapped[datetime | None]
    """An upload of the chart began: a re-run looks for it in the DM before uploading again."""
    chart_file_id: Mapped[str | None] = mapped_column(SLACK_ID)
    sent_at: Mapped[datetime | None]
    """Every step done."""
    ended: Mapped[str | None] = mapped_column(String(16))
    """'undeliverable' (the manager left, or their DM cannot be opened): nothing more to do."""
