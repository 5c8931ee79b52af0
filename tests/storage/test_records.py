"""A finished qualification becomes a walk-away record the team can trust and follow over time."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from storage import Store
from storage.db import make_engine
from storage.errors import InvalidValueError, NotFoundError
from storage.models import RecordStatusChange, VerdictRow, WalkawayRecord
from storage.records import RecordStatus, SessionStatus
from tests.storage.builders import (
    CHECKLIST_HASH,
    CHECKLIST_SNAPSHOT,
    Team,
    answer,
    defer_verdict,
    make_team,
    open_deal,
)

DRAFT = "Thank you for the time your team gave this. Your rollout deserves an owner first."


def _finish(store: Store, team: Team, deal: str = "Acme Corp") -> tuple[int, int]:
    session = open_deal(store, team, deal)
    answer(store, team, session.id, "scar.previous_attempt", "yes", note="2024 chatbot pilot")
    answer(store, team, session.id, "scar.months_since", 4)
    record_id = store.complete_session(
        session_id=session.id, verdict=defer_verdict(), draft_text=DRAFT
    )
    return session.id, record_id


def _rows_for_session(url: str, session_id: int) -> tuple[int, int, int]:
    """Counted straight from the tables, to prove a repeat call wrote nothing."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            record_ids = select(WalkawayRecord.id).where(WalkawayRecord.session_id == session_id)
            return (
                conn.scalar(select(func.count()).where(VerdictRow.session_id == session_id)) or 0,
                conn.scalar(select(func.count()).select_from(record_ids.subquery())) or 0,
                conn.scalar(
                    select(func.count()).where(RecordStatusChange.record_id.in_(record_ids))
                )
                or 0,
            )
    finally:
        engine.dispose()


def test_completing_a_session_stores_the_verdict_record_and_first_status(
    store: Store, team: Team
) -> None:
    session_id, record_id = _finish(store, team)
    store.set_session_thread(session_id=session_id, channel_id="C0DEALS", thread_ts="1.2")

    record = store.get_record(record_id=record_id)
    assert record is not None
    assert (record.deal_name, record.rep_slack_user_id) == ("Acme Corp", team.rep_slack_id)
    assert (record.outcome, record.status) == (defer_verdict().outcome, RecordStatus.OPEN)
    assert record.verdict == defer_verdict()
    assert record.recheck_on == date(2026, 10, 1)
    assert record.record_line == defer_verdict().record_line
    assert record.draft_text == DRAFT and record.sent_text is None
    assert [(a.question_id, a.value) for a in record.answers] == [
        ("scar.previous_attempt", "yes"),
        ("scar.months_since", 4),
    ]
    assert record.notes == {"scar.previous_attempt": "2024 chatbot pilot"}
    assert (record.checklist_hash, record.checklist_snapshot) == (
        CHECKLIST_HASH,
        CHECKLIST_SNAPSHOT,
    )
    assert [(c.status, c.changed_by) for c in record.status_history] == [
        (RecordStatus.OPEN, team.rep_slack_id)
    ]
    assert (record.session_id, record.channel_id, record.thread_ts) == (
        session_id,
        "C0DEALS",
        "1.2",
    )
    session = store.get_session(session_id=session_id)
    assert session is not None and session.status is SessionStatus.COMPLETE


def test_completing_twice_returns_the_same_record_and_writes_nothing(
    store: Store, team: Team, migrated_url: str
) -> None:
    session_id, record_id = _finish(store, team)
    before = store.get_session(session_id=session_id)
    again = store.complete_session(session_id=session_id, verdict=defer_verdict(), draft_text="x")

    assert again == record_id
    assert _rows_for_session(migrated_url, session_id) == (1, 1, 1)
    assert store.get_session(session_id=session_id) == before
    record = store.get_record(record_id=record_id)
    assert record is not None and record.draft_text == DRAFT


def test_status_changes_are_kept_in_order_with_who_and_why(store: Store, team: Team) -> None:
    _, record_id = _finish(store, team)
    store.set_status(
        record_id=record_id,
        status="re-engaged",
        note="They named an owner",
        by_user_id=team.manager_id,
    )
    store.set_status(
        record_id=record_id, status=RecordStatus.WON, note=None, by_user_id=team.rep_id
    )

    record = store.get_record(record_id=record_id)
    assert record is not None and record.status is RecordStatus.WON
    assert [(c.status, c.note, c.changed_by) for c in record.status_history] == [
        (RecordStatus.OPEN, None, team.rep_slack_id),
        (RecordStatus.RE_ENGAGED, "They named an owner", team.manager_slack_id),
        (RecordStatus.WON, None, team.rep_slack_id),
    ]
    assert record.updated_at >= record.status_history[-1].changed_at


def test_unknown_status_or_record_is_refused_without_writing(store: Store, team: Team) -> None:
    _, record_id = _finish(store, team)
    with pytest.raises(InvalidValueError, match="re-engaged"):
        store.set_status(record_id=record_id, status="maybe", note=None, by_user_id=team.rep_id)
    with pytest.raises(NotFoundError):
        store.set_status(record_id=987654321, status="won", note=None, by_user_id=team.rep_id)
    record = store.get_record(record_id=record_id)
    assert record is not None and len(record.status_history) == 1


def test_a_record_is_invisible_from_another_workspace(store: Store, team: Team) -> None:
    _, record_id = _finish(store, team)
    other = make_team(store)
    assert store.get_record(record_id=record_id, workspace_id=other.workspace_id) is None
    assert store.list_records(workspace_id=other.workspace_id) == []
    mine = store.get_record(record_id=record_id, workspace_id=team.workspace_id)
    assert mine is not None and mine.workspace_id == team.workspace_id


def test_records_are_listed_newest_first_up_to_the_limit(store: Store, team: Team) -> None:
    ids = [_finish(store, team, f"Deal {n}")[1] for n in range(3)]
    listed = store.list_records(workspace_id=team.workspace_id)
    assert [r.id for r in listed] == ids[::-1]
    assert [r.deal_name for r in listed] == ["Deal 2", "Deal 1", "Deal 0"]
    assert listed[0].record_line == defer_verdict().record_line
    assert [r.id for r in store.list_records(workspace_id=team.workspace_id, limit=2)] == ids[:0:-1]


def test_the_message_as_sent_is_kept_beside_the_draft(store: Store, team: Team) -> None:
    _, record_id = _finish(store, team)
    sent = DRAFT + " Happy to share the readiness checklist we use."
    store.mark_sent(record_id=record_id, text=sent, by_user_id=team.rep_id)
    record = store.get_record(record_id=record_id)
    assert record is not None
    assert (record.draft_text, record.sent_text, record.sent_by) == (DRAFT, sent, team.rep_slack_id)
    assert record.sent_at is not None


def test_every_timestamp_comes_back_as_aware_utc(
    open_store: Callable[[], Store], team: Team
) -> None:
    store = open_store()
    started = datetime.now(UTC)
    session_id, record_id = _finish(store, team)
    store.mark_sent(record_id=record_id, text=DRAFT, by_user_id=team.rep_id)
    record = open_store().get_record(record_id=record_id)
    session = open_store().get_session(session_id=session_id)
    assert record is not None and session is not None

    stamps = [
        record.created_at,
        record.updated_at,
        record.sent_at,
        session.started_at,
        session.updated_at,
        *(a.answered_at for a in record.answers),
        *(c.changed_at for c in record.status_history),
    ]
    for stamp in stamps:
        assert stamp is not None and stamp.utcoffset() == timedelta(0)
        assert started - timedelta(seconds=1) <= stamp <= datetime.now(UTC)


def test_marking_as_sent_is_won_once_and_a_repeat_changes_nothing(store: Store, team: Team) -> None:
    _, record_id = _finish(store, team)

    assert store.mark_sent(record_id=record_id, text="first", by_user_id=team.rep_id) is True
    first = store.get_record(record_id=record_id)
    assert store.mark_sent(record_id=record_id, text="second", by_user_id=team.rep_id) is False

    again = store.get_record(record_id=record_id)
    assert first is not None and again is not None
    assert (again.sent_text, again.sent_at, again.updated_at) == (
        "first",
        first.sent_at,
        first.updated_at,
    )
    with pytest.raises(NotFoundError):
        store.mark_sent(record_id=record_id + 10_000, text="x", by_user_id=team.rep_id)


def _race_to_mark(racers: list[Store], record_id: int, by_user_id: int) -> list[bool]:
    """Every racer calls mark_sent at the same moment, each with its own text."""
    start = threading.Barrier(len(racers))

    def mark(n: int) -> bool:
        start.wait()
        return racers[n].mark_sent(record_id=record_id, text=f"from {n}", by_user_id=by_user_id)

    with ThreadPoolExecutor(max_workers=len(racers)) as pool:
        return list(pool.map(mark, range(len(racers))))


def test_two_racing_marks_as_sent_have_exactly_one_winner(
    open_store: Callable[[], Store], team: Team
) -> None:
    """Two processes (a double click, a retry) marking together: one marks, one is told no."""
    records = [_finish(open_store(), team, deal=f"Race {n}")[1] for n in range(10)]
    racers = [open_store(), open_store()]
    for record_id in records:
        won = _race_to_mark(racers, record_id, team.rep_id)

        assert sorted(won) == [False, True], won
        record = racers[0].get_record(record_id=record_id)
        assert record is not None
        assert record.sent_text == f"from {won.index(True)}"
