"""What a finished re-check changed, read from the store: no Slack here, so the card, the
manager's line, `records show` and the console all compare the same two records."""

from __future__ import annotations

from bot.domain.model import AnswerValue
from bot.domain.recheck import Changes, compare
from bot.qualification.service import checklist_from_snapshot
from storage.records import RecordDetail
from storage.repository import Store


def changes_of(store: Store, record: RecordDetail) -> tuple[RecordDetail, Changes] | None:
    """The earlier record this one re-checked, and what changed (None: a first check)."""
    previous = store.recheck_of(session_id=record.session_id)
    earlier = store.get_record(record_id=previous) if previous is not None else None
    if earlier is None:
        return None
    order = tuple(q.id for q in checklist_from_snapshot(record.checklist_snapshot).questions)
    changes = compare(live(earlier), earlier.verdict, live(record), record.verdict, order=order)
    return earlier, changes


def live(record: RecordDetail) -> dict[str, AnswerValue]:
    """The record's answers as they stood when it was decided (changed ones left out)."""
    return {a.question_id: a.value for a in record.answers if a.superseded_at is None}
