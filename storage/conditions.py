"""A record's re-engagement conditions as items to tick (`store.conditions`).

Each change is one conditional UPDATE whose WHERE clause is the rule (the state differs from
the one asked for), so a double click, a Slack retry or two processes racing apply it once and
the row count says who did. A click's own key (who + action_ts) is claimed in the same
transaction, so even *Not yet*, which leaves the state as it is, is recorded once per click.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Condition
from bot.domain.pathback import ConditionState
from storage.approval_info import rowcount
from storage.base import StorePart, checked_key, take_claim
from storage.columns import utcnow
from storage.errors import InvalidValueError
from storage.models import IdempotencyKey, User
from storage.models_conditions import RecordCondition

NOTE_LIMIT = 1000


@dataclass(frozen=True)
class ConditionInfo:
    record_id: int
    position: int
    signal: str
    text: str
    state: ConditionState
    changed_by: str | None
    """Slack user id of whoever last set the state; None while open since the verdict."""
    changed_at: datetime | None
    note: str | None
    checked_by: str | None = None
    """Who last said *Not yet* (looked, and it still holds), and when."""
    checked_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.state is ConditionState.OPEN


def add_for_record(s: Session, record_id: int, conditions: Sequence[Condition]) -> None:
    """The verdict's conditions as open items, inside the transaction that stores the record."""
    for position, condition in enumerate(conditions):
        s.add(
            RecordCondition(
                record_id=record_id,
                position=position,
                signal=condition.signal[:128],
                text=condition.text,
                state=ConditionState.OPEN.value,
            )
        )


class Conditions(StorePart):
    """Reached as `store.conditions`; shares the Store's session factories and their locking."""

    def for_record(self, *, record_id: int) -> tuple[ConditionInfo, ...]:
        """The record's conditions in the verdict's order."""
        return self.for_records(record_ids=[record_id]).get(record_id, ())

    def for_records(self, *, record_ids: Sequence[int]) -> dict[int, tuple[ConditionInfo, ...]]:
        """Several records' conditions at once (a due list, search results)."""
        if not record_ids:
            return {}
        changer, checker = aliased(User), aliased(User)
        query = (
            select(RecordCondition, changer.slack_user_id, checker.slack_user_id)
            .outerjoin(changer, changer.id == RecordCondition.changed_by_user_id)
            .outerjoin(checker, checker.id == RecordCondition.checked_by_user_id)
            .where(RecordCondition.record_id.in_(list(record_ids)))
            .order_by(RecordCondition.record_id, RecordCondition.position)
        )
        found: dict[int, list[ConditionInfo]] = {}
        with self._reads() as s:
            for row, changed_by, checked_by in s.execute(query):
                found.setdefault(row.record_id, []).append(
                    ConditionInfo(
                        record_id=row.record_id,
                        position=row.position,
                        signal=row.signal,
                        text=row.text,
                        state=ConditionState(row.state),
                        changed_by=changed_by,
                        changed_at=row.changed_at,
                        note=row.note,
                        checked_by=checked_by,
                        checked_at=row.checked_at,
                    )
                )
        return {record: tuple(items) for record, items in found.items()}

    def set_state(
        self,
        *,
        record_id: int,
        position: int,
        state: ConditionState | str,
        by_user_id: int,
        note: str | None = None,
        key: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Set one condition's state; True only for the call that changed it.

        False when it already was in that state (a stale or double click), when `key` (the
        click) was claimed before, or when the record has no such condition. The note is kept
        unless one is given.
        """
        try:
            wanted = ConditionState(state)
        except ValueError:
            allowed = ", ".join(ConditionState)
            raise InvalidValueError(f"unknown condition state {state!r} (use {allowed})") from None
        moment = now or utcnow()
        statement = (
            update(RecordCondition)
            .where(
                RecordCondition.record_id == record_id,
                RecordCondition.position == position,
                RecordCondition.state != wanted.value,
            )
            .values(
                state=wanted.value,
                changed_by_user_id=by_user_id,
                changed_at=moment,
                **({} if note is None else {"note": note.strip()[:NOTE_LIMIT] or None}),
            )
        )
        return self._once(statement, key=key)

    def set_note(self, *, record_id: int, position: int, note: str | None) -> bool:
        """The condition's note (None or blank clears it); True when the condition exists."""
        statement = (
            update(RecordCondition)
            .where(RecordCondition.record_id == record_id, RecordCondition.position == position)
            .values(note=(note or "").strip()[:NOTE_LIMIT] or None)
        )
        return self._once(statement, key=None)

    def not_yet(
        self,
        *,
        record_id: int,
        position: int,
        by_user_id: int,
        key: str | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Someone looked and the condition still holds: who and when, the state left open.

        True for the call that recorded it; False for a condition no longer open (it was met
        or set aside meanwhile) or a click already counted.
        """
        statement = (
            update(RecordCondition)
            .where(
                RecordCondition.record_id == record_id,
                RecordCondition.position == position,
                RecordCondition.state == ConditionState.OPEN.value,
            )
            .values(checked_by_user_id=by_user_id, checked_at=now or utcnow())
        )
        return self._once(statement, key=key)

    def _once(self, statement: object, *, key: str | None) -> bool:
        try:
            with self._write() as s:
                if key is not None and s.get(IdempotencyKey, checked_key(key)) is not None:
                    return False  # this very click was counted already
                changed = rowcount(s, statement) > 0
                if changed and key is not None:
                    take_claim(s, key, owner=None)
                return changed
        except IntegrityError:  # the same click, counted by another process just now
            return False
