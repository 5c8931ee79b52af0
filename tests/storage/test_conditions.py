"""Conditions you can tick, re-check dates and *They came back*, in storage (both backends)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from bot.domain.model import Condition, Outcome
from bot.domain.pathback import DEFAULT_RECHECK_DAYS, ConditionState
from storage import Store
from storage.errors import InvalidValueError
from storage.records import RecordStatus
from tests.storage.builders import Team, defer_verdict, open_deal

WALK = replace(
    defer_verdict(),
    outcome=Outcome.WALK,
    conditions=(
        Condition("terms.values", "They drop the clause we cannot sign."),
        Condition("scar.owner", "An owner is named for the rollout."),
    ),
    recheck_on=None,
)


def finish(store: Store, team: Team, verdict: object = WALK, deal: str = "Acme Corp") -> int:
    session = open_deal(store, team, deal)
    return store.complete_session(session_id=session.id, verdict=verdict, draft_text="Hi")  # type: ignore[arg-type]


def test_a_stored_record_gets_its_conditions_as_open_items(store: Store, team: Team) -> None:
    record_id = finish(store, team)
    items = store.conditions.for_record(record_id=record_id)
    assert [(c.position, c.text, c.state) for c in items] == [
        (0, "They drop the clause we cannot sign.", ConditionState.OPEN),
        (1, "An owner is named for the rollout.", ConditionState.OPEN),
    ]
    assert all(c.changed_by is None and c.changed_at is None for c in items)


def test_a_state_change_is_applied_once_with_who_and_when(store: Store, team: Team) -> None:
    record_id = finish(store, team)
    when = datetime(2026, 12, 2, 10, 0, tzinfo=datetime.now().astimezone().tzinfo)
    assert store.conditions.set_state(
        record_id=record_id, position=1, state="met", by_user_id=team.rep_id, now=when
    )
    # A stale double click finds it met already and changes nothing.
    assert not store.conditions.set_state(
        record_id=record_id, position=1, state="met", by_user_id=team.manager_id
    )
    met = store.conditions.for_record(record_id=record_id)[1]
    assert met.state is ConditionState.MET and met.changed_by == team.rep_slack_id
    assert met.changed_at == when
    assert store.conditions.set_state(
        record_id=record_id, position=1, state="open", by_user_id=team.manager_id
    )
    assert store.conditions.for_record(record_id=record_id)[1].changed_by == team.manager_slack_id
    assert not store.conditions.set_state(
        record_id=record_id, position=9, state="met", by_user_id=team.rep_id
    )
    with pytest.raises(InvalidValueError):
        store.conditions.set_state(
            record_id=record_id, position=0, state="done", by_user_id=team.rep_id
        )


def test_not_yet_counts_each_click_once_and_leaves_the_state_open(store: Store, team: Team) -> None:
    record_id = finish(store, team)
    assert store.conditions.not_yet(
        record_id=record_id, position=0, by_user_id=team.rep_id, key="click:U1:1.1"
    )
    assert not store.conditions.not_yet(
        record_id=record_id, position=0, by_user_id=team.rep_id, key="click:U1:1.1"
    )
    item = store.conditions.for_record(record_id=record_id)[0]
    assert item.state is ConditionState.OPEN and item.checked_by == team.rep_slack_id
    store.conditions.set_state(record_id=record_id, position=0, state="met", by_user_id=team.rep_id)
    assert not store.conditions.not_yet(
        record_id=record_id, position=0, by_user_id=team.rep_id, key="click:U1:2.2"
    )


def test_walks_get_the_workspace_default_recheck_and_proceeds_none(
    store: Store, team: Team
) -> None:
    walk = store.get_record(record_id=finish(store, team))
    assert walk is not None and walk.recheck_on is not None
    assert walk.recheck_on - walk.created_at.date() == timedelta(days=DEFAULT_RECHECK_DAYS)
    store.pathback.save_recheck_days(workspace_id=team.workspace_id, days=30)
    assert store.pathback.recheck_days(workspace_id=team.workspace_id) == 30
    later = store.get_record(record_id=finish(store, team, deal="Beta"))
    assert later is not None and later.recheck_on is not None
    assert later.recheck_on - later.created_at.date() == timedelta(days=30)
    proceed = replace(WALK, outcome=Outcome.PROCEED, conditions=())
    none = store.get_record(record_id=finish(store, team, proceed, deal="Gamma"))
    assert none is not None and none.recheck_on is None
    defer = store.get_record(record_id=finish(store, team, defer_verdict(), deal="Delta"))
    assert defer is not None and defer.recheck_on == date(2026, 10, 1)
    with pytest.raises(InvalidValueError, match="7 and 730"):
        store.pathback.save_recheck_days(workspace_id=team.workspace_id, days=3)


def test_the_recheck_date_changes_and_came_back_is_recorded_once(store: Store, team: Team) -> None:
    record_id = finish(store, team)
    assert store.pathback.set_recheck_on(record_id=record_id, day=date(2027, 6, 1))
    assert not store.pathback.set_recheck_on(record_id=record_id, day=date(2027, 6, 1))
    assert store.pathback.set_recheck_on(record_id=record_id, day=None)
    record = store.get_record(record_id=record_id)
    assert record is not None and record.recheck_on is None
    assert store.pathback.came_back(record_id=record_id, note="Asked us in", by_user_id=team.rep_id)
    assert not store.pathback.came_back(record_id=record_id, note="again", by_user_id=team.rep_id)
    record = store.get_record(record_id=record_id)
    assert record is not None and record.status is RecordStatus.RE_ENGAGED
    assert [(c.status, c.note) for c in record.status_history][-1] == (
        RecordStatus.RE_ENGAGED,
        "Asked us in",
    )


def test_a_reps_deals_are_their_latest_records_in_their_workspace(store: Store, team: Team) -> None:
    first = finish(store, team, deal="Acme Corp")
    other = finish(store, team, deal="Beta Labs")
    deals = store.pathback.deals_of_rep(workspace_id=team.workspace_id, rep_user_id=team.rep_id)
    assert [(d.deal_name, d.record_id) for d in deals] == [
        ("Beta Labs", other),
        ("Acme Corp", first),
    ]
    assert (
        store.pathback.deals_of_rep(workspace_id=team.workspace_id, rep_user_id=team.manager_id)
        == []
    )
