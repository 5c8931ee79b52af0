"""The path back's tables: each re-engagement condition of a record as an item with a state.

In a module of its own because storage/models.py is full; it shares that module's Base, so
Alembic (storage/migrations/env.py) and the Store see one schema.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.domain.pathback import ConditionState
from storage.models import Base

_STATES = ", ".join(repr(s.value) for s in ConditionState)


class RecordCondition(Base):
    """One condition of a record's verdict, in the order the verdict gave them.

    Written with the record (storage/walkaways.py) and never deleted; its text is the verdict's
    sentence as shown, so the item reads the same after the rules change.
    """

    __tablename__ = "record_conditions"
    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES})", name="state"),
        UniqueConstraint("record_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("walkaway_records.id"))
    position: Mapped[int]
    signal: Mapped[str] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=ConditionState.OPEN.value)
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime | None]
    """Who last set the state and when (None: open since the verdict)."""
    note: Mapped[str | None] = mapped_column(Text)
    checked_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None]
    """The last *Not yet*: someone looked and it still holds (the state stays open)."""
