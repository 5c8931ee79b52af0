"""The link from a re-check to the record it looks at again (migration 0013).

Its own module because storage/models.py is full. A re-check is a qualification session like
any other; this row says which earlier record it re-checks, so its questions can show what was
known then, its card can say what changed, and a deal's records read as one history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import utcnow
from storage.models import Base


class Recheck(Base):
    __tablename__ = "rechecks"
    __table_args__ = (
        # A record's later checks (its history in Details and `records show`).
        Index("ix_rechecks_previous_record_id", "previous_record_id"),
    )

    session_id: Mapped[int] = mapped_column(
        ForeignKey("qualification_sessions.id"), primary_key=True
    )
    """One link per session: a second *Re-check now* on the same open session finds it."""
    previous_record_id: Mapped[int] = mapped_column(ForeignKey("walkaway_records.id"))
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    started_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    """The rep, or their manager, who asked for the re-check."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    reengaged_at: Mapped[datetime | None]
    """When this re-check's proceed marked the earlier record re-engaged (done once)."""
