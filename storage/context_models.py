"""The conversation a check was started from (migration 0017): the message a rep ran the
*Check this deal* shortcut on.

Its own table, keyed by the session, because storage/models.py is full: one row per session
at most, written when the check starts from a message, its link filled in once Slack gives one.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.columns import utcnow
from storage.models import SLACK_ID, Base

MAX_PERMALINK = 500


class CheckContext(Base):
    __tablename__ = "check_contexts"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("qualification_sessions.id"), primary_key=True
    )
    """One per session: the first message a check was started from stays its context."""
    channel_id: Mapped[str] = mapped_column(SLACK_ID)
    message_ts: Mapped[str] = mapped_column(SLACK_ID)
    permalink: Mapped[str | None] = mapped_column(String(MAX_PERMALINK))
    """What chat.getPermalink gave; None while not asked yet, or when Slack gave none."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
