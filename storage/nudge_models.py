"""Tables of the re-check nudge (issue 12): each nudge claimed once, and what Slack told us of a
person (their time zone, whether they left).

Kept out of storage/models.py, which is full; the classes join the same `Base`, so migrations
and the schema test see them like any other. The two indexes on walkaway_records are declared
here too, beside the queries that need them (storage/nudges.py): the sweep's and the due lists'.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import utcnow
from storage.models import SLACK_ID, Base, WalkawayRecord

Index("ix_walkaway_records_status_recheck_on", WalkawayRecord.status, WalkawayRecord.recheck_on)
"""The sweep: open records whose re-check date has come, read as one index range."""
Index(
    "ix_walkaway_records_rep_status_recheck_on",
    WalkawayRecord.rep_user_id,
    WalkawayRecord.status,
    WalkawayRecord.recheck_on,
    WalkawayRecord.id,
)
"""A rep's (or a manager's reps') due list: one short range per rep, and with the id in it
PostgreSQL reads, orders and counts a manager's thousands of lines from the index alone."""


class Nudge(Base):
    """One nudge: a record's re-check date that came. The primary key is the exactly-once
    rule: whichever process inserts (record, date) first sends it; a snooze makes a new date,
    so a new row and a new nudge."""

    __tablename__ = "nudges"
    __table_args__ = (
        # The sweep's "not claimed yet" check over the days it looks at, read as a range.
        Index("ix_nudges_due_on_record_id", "due_on", "record_id"),
        # A claim whose job was never queued (its process died in between) is queued again.
        Index(
            "ix_nudges_unqueued",
            "claimed_at",
            sqlite_where=text("queued_at IS NULL"),
            postgresql_where=text("queued_at IS NULL"),
        ),
    )

    record_id: Mapped[int] = mapped_column(ForeignKey("walkaway_records.id"), primary_key=True)
    due_on: Mapped[date] = mapped_column(Date, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    job_key: Mapped[str] = mapped_column(String(32))
    """The key of the job that posts it: queued again under the same key, it is one job."""
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    queued_at: Mapped[datetime | None]
    posted_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    ts: Mapped[str | None] = mapped_column(SLACK_ID)
    sent_to: Mapped[str | None] = mapped_column(SLACK_ID)
    """Who got it: the rep's Slack id, their manager's, or the deal-desk channel."""
    ended: Mapped[str | None] = mapped_column(String(16))
    """'skipped' (the record moved on before it went) or 'undeliverable' (nobody to send to)."""
    snoozed_to: Mapped[date | None] = mapped_column(Date)
    acted_by: Mapped[str | None] = mapped_column(SLACK_ID)
    acted_at: Mapped[datetime | None]


class UserProfile(Base):
    """What users.info last said about a person: their zone (for 9:30 their time) and whether
    they have left the workspace (their nudges go to their manager instead)."""

    __tablename__ = "user_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    tz: Mapped[str | None] = mapped_column(String(64))
    deactivated: Mapped[bool] = mapped_column(default=False)
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
