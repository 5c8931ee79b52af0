"""Completed walk-away records made through the Store, with verdicts from the real rules.

Search tests (storage and Slack) need records with varied outcomes, tags, notes and drafts;
running the Slack conversation for each would test the conversation again, so these go one
level down and make exactly what a finished qualification leaves behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import update

from bot.domain.model import AnswerValue
from bot.domain.verdict import decide
from storage import Store
from storage.models import WalkawayRecord
from tests.storage.builders import CHECKLIST_HASH, CHECKLIST_SNAPSHOT

TODAY = date(2026, 1, 5)

SCAR_WALK: Mapping[str, AnswerValue] = {
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
}
"""walk; tags scar_not_removable, unclear_ownership."""
GUARANTEE_WALK: Mapping[str, AnswerValue] = {
    "terms.guarantee_demanded": "yes",
    "terms.accepts_measured_pilot": "no",
}
"""walk; tag guarantee_refused_pilot."""
KILL_CRITERIA: Mapping[str, AnswerValue] = {
    "pilot.in_flight": "yes",
    "pilot.kill_criteria_met": "yes",
}
"""stop_pilot; tag kill_criteria_met."""
FRESH_SCAR: Mapping[str, AnswerValue] = {
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "data_not_ready",
    "scar.months_since": 2,
    "buyer.evidence_receptive": "no",
}
"""defer; tags fresh_scar, data_not_ready."""
PROCEED: Mapping[str, AnswerValue] = {"deal.stage": "evaluation"}


def make_record(
    store: Store,
    *,
    workspace_id: int,
    rep_id: int,
    deal: str,
    answers: Mapping[str, AnswerValue] = PROCEED,
    notes: Mapping[str, str] | None = None,
    draft: str | None = None,
    thread: tuple[str, str] | None = None,
) -> int:
    """A finished qualification: answers (with notes), the verdict, the record; its id."""
    session = store.open_session(
        workspace_id=workspace_id,
        rep_user_id=rep_id,
        deal_name=deal,
        checklist_hash=CHECKLIST_HASH,
        checklist_snapshot=CHECKLIST_SNAPSHOT,
    )
    if thread is not None:
        store.set_session_thread(session_id=session.id, channel_id=thread[0], thread_ts=thread[1])
    for question_id, value in answers.items():
        store.record_answer(
            session_id=session.id,
            question_id=question_id,
            value=value,
            answered_by_user_id=rep_id,
            question_text=f"{question_id}?",
            note=(notes or {}).get(question_id),
        )
    verdict = decide(answers, today=TODAY)
    return store.complete_session(session_id=session.id, verdict=verdict, draft_text=draft)


def backdate(store: Store, record_id: int, when: datetime) -> None:
    """Move a record's creation time (tests of date filters; the app never does this)."""
    with store._writes.begin() as s:  # test-only reach into the Store's session factory
        s.execute(
            update(WalkawayRecord).where(WalkawayRecord.id == record_id).values(created_at=when)
        )
