"""Similar past walks (storage/similar.py): earlier records of the workspace that share the
verdict's fired signals, most shared first, then the newest; other deals only (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from bot.domain.model import AnswerValue
from storage import Store
from storage import similar as similar_module
from storage.records import RecordStatus
from tests.storage.builders import Team, make_team
from tests.storage.search_builders import (
    FRESH_SCAR,
    GUARANTEE_WALK,
    KILL_CRITERIA,
    PROCEED,
    SCAR_WALK,
    make_record,
)

VALUES: Mapping[str, AnswerValue] = {"terms.values_compromised": "yes"}
"""walk; signal values_compromised."""


def both(*parts: Mapping[str, AnswerValue]) -> dict[str, AnswerValue]:
    merged: dict[str, AnswerValue] = {}
    for part in parts:
        merged.update(part)
    return merged


def record(store: Store, team: Team, deal: str, *parts: Mapping[str, AnswerValue]) -> int:
    return make_record(
        store,
        workspace_id=team.workspace_id,
        rep_id=team.rep_id,
        deal=deal,
        answers=both(*parts) if parts else PROCEED,
    )


def signals_of(store: Store, record_id: int) -> list[str]:
    found = store.get_record(record_id=record_id)
    assert found is not None
    return [r.signal for r in found.verdict.reasons]


def similar(store: Store, team: Team, record_id: int, limit: int = 3) -> list[int]:
    return [
        s.id
        for s in store.similar.similar_records(
            workspace_id=team.workspace_id,
            record_id=record_id,
            signals=signals_of(store, record_id),
            limit=limit,
        )
    ]


def test_most_signals_shared_come_first_then_the_newest(store: Store, team: Team) -> None:
    guarantee_old = record(store, team, "Globex", GUARANTEE_WALK)
    all_three = record(store, team, "Initech", SCAR_WALK, GUARANTEE_WALK, VALUES)
    scar_and_guarantee = record(store, team, "Umbrella", SCAR_WALK, GUARANTEE_WALK)
    record(store, team, "Hooli", KILL_CRITERIA)  # shares nothing
    record(store, team, "Stark", PROCEED)  # a proceed: no signal at all
    scar_new = record(store, team, "Wayne", SCAR_WALK)
    guarantee_new = record(store, team, "Tyrell", GUARANTEE_WALK)
    now = record(store, team, "Acme", SCAR_WALK, GUARANTEE_WALK)

    assert similar(store, team, now) == [scar_and_guarantee, all_three, guarantee_new]
    assert similar(store, team, now, limit=10) == [
        scar_and_guarantee,
        all_three,
        guarantee_new,
        scar_new,
        guarantee_old,
    ]
    found = store.similar.similar_records(
        workspace_id=team.workspace_id, record_id=now, signals=signals_of(store, now)
    )
    first = found[0]
    assert (first.deal_name, first.status) == ("Umbrella", RecordStatus.OPEN)
    assert first.shared == ("guarantee_refused_pilot", "scar_not_removable")
    assert found[2].shared == ("guarantee_refused_pilot",)


def test_only_earlier_records_of_the_workspace_and_of_other_deals(store: Store, team: Team) -> None:
    elsewhere = make_team(store)
    record(store, elsewhere, "Globex", SCAR_WALK)  # another workspace
    same_deal = record(store, team, "Acme", SCAR_WALK)  # the deal's own earlier check
    other = record(store, team, "Initech", SCAR_WALK)
    now = record(store, team, "Acme", SCAR_WALK)
    record(store, team, "Later", SCAR_WALK)  # made after: not "past"

    assert similar(store, team, now) == [other]
    assert same_deal not in similar(store, team, now, limit=10)


def test_none_when_nothing_shares_a_signal_or_nothing_fired(store: Store, team: Team) -> None:
    record(store, team, "Globex", GUARANTEE_WALK)
    record(store, team, "Initech", FRESH_SCAR)
    now = record(store, team, "Acme", KILL_CRITERIA)
    assert similar(store, team, now) == []
    proceed = record(store, team, "Hooli", PROCEED)
    assert signals_of(store, proceed) == []
    assert similar(store, team, proceed) == []
    assert (
        store.similar.similar_records(
            workspace_id=team.workspace_id, record_id=now, signals=["no_such_signal"]
        )
        == []
    )


def test_what_happened_since_comes_from_the_status_history(store: Store, team: Team) -> None:
    came_back = record(store, team, "Globex", SCAR_WALK)
    won = record(store, team, "Initech", SCAR_WALK)
    lost = record(store, team, "Umbrella", SCAR_WALK)
    back_at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    store.pathback.came_back(
        record_id=came_back, note="Called.", by_user_id=team.rep_id, now=back_at
    )
    store.set_status(record_id=won, status="won", note="Signed.", by_user_id=team.rep_id)
    store.set_status(record_id=lost, status="lost", note="Gone.", by_user_id=team.rep_id)
    now = record(store, team, "Acme", SCAR_WALK)

    found = {
        s.id: s
        for s in store.similar.similar_records(
            workspace_id=team.workspace_id, record_id=now, signals=signals_of(store, now)
        )
    }
    assert [found[r].status for r in (came_back, won, lost)] == [
        RecordStatus.RE_ENGAGED,
        RecordStatus.WON,
        RecordStatus.LOST,
    ]
    at = found[came_back].status_at
    assert at is not None and at.replace(tzinfo=UTC) == back_at
    assert found[won].status_at is not None


def test_shared_counts_are_exact_beyond_a_signals_window(
    store: Store, team: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An older record outside one signal's window still counts that signal once it is a
    candidate through another, so the line never says it shares fewer than it does."""
    monkeypatch.setattr(similar_module, "WINDOW", 2)
    both_old = record(store, team, "Globex", SCAR_WALK, GUARANTEE_WALK)
    record(store, team, "Initech", GUARANTEE_WALK)
    record(store, team, "Umbrella", GUARANTEE_WALK)  # the guarantee window stops here
    now = record(store, team, "Acme", SCAR_WALK, GUARANTEE_WALK)

    found = store.similar.similar_records(
        workspace_id=team.workspace_id, record_id=now, signals=signals_of(store, now)
    )
    assert found[0].id == both_old
    assert found[0].shared == ("guarantee_refused_pilot", "scar_not_removable")


def test_the_query_reads_a_bounded_number_of_rows(store: Store, team: Team) -> None:
    """No scan of all a signal's records: each signal's window is LIMITed, inside the one
    statement that merges and counts them."""
    for n in range(12):
        record(store, team, f"Deal {n}", SCAR_WALK, GUARANTEE_WALK)
    now = record(store, team, "Acme", SCAR_WALK, GUARANTEE_WALK)
    signals = signals_of(store, now)
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    engine = store._engine  # test-only: counting the statements the query sends
    event.listen(engine, "before_cursor_execute", seen)
    try:
        found = store.similar.similar_records(
            workspace_id=team.workspace_id, record_id=now, signals=signals
        )
        assert len(found) == 3
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    tagged = [s for s in statements if "record_tags" in s]
    assert len(tagged) == 2  # the merged windows, then the candidates' exact counts
    assert tagged[0].upper().count("LIMIT") == 3  # each signal's window, and the merged top
