"""Approvals hold under concurrency: one decision, one route, one reminder, whatever races."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from sqlalchemy import select, update

from bot.domain.model import Outcome
from storage import Store
from storage.approvals import ApprovalInfo, ApprovalSettings, Decision
from storage.db import make_engine
from storage.errors import InvalidValueError
from storage.models import Approval, Workspace
from tests.storage.builders import Team, answer, defer_verdict, open_deal

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)
T = TypeVar("T")


def _record(store: Store, team: Team, deal: str = "Acme Corp") -> int:
    session = open_deal(store, team, deal)
    answer(store, team, session.id, "scar.previous_attempt", "yes")
    store.set_session_thread(session_id=session.id, channel_id="DREP", thread_ts="100.1")
    return store.complete_session(
        session_id=session.id, verdict=defer_verdict(), draft_text="Thank you for your time."
    )


def _pinged(store: Store, team: Team, *, remind_after: datetime = NOW) -> ApprovalInfo:
    record_id = _record(store, team)
    store.approvals.open(
        record_id=record_id,
        approver_user_id=team.manager_id,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts="100.2",
    )
    store.approvals.mark_pinged(
        record_id=record_id,
        channel_id="DMGR",
        ts="200.1",
        at=remind_after - timedelta(days=2),
        remind_after=remind_after,
    )
    found = store.approvals.get(record_id=record_id)
    assert found is not None
    return found


def _race(n: int, work: Callable[[int], T]) -> list[T]:
    barrier = threading.Barrier(n, timeout=30)
    results: list[T] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        outcome = work(i)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_manager_is_set_read_and_cleared(store: Store, team: Team) -> None:
    assert store.approvals.manager_of(rep_user_id=team.rep_id) is None
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.manager_id)
    manager = store.approvals.manager_of(rep_user_id=team.rep_id)
    assert manager is not None and manager.slack_user_id == team.manager_slack_id
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=None)
    assert store.approvals.manager_of(rep_user_id=team.rep_id) is None


def test_nobody_manages_themselves_or_someone_in_another_workspace(
    store: Store, team: Team
) -> None:
    with pytest.raises(InvalidValueError):
        store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.rep_id)
    elsewhere = store.ensure_workspace(team_id=f"{team.rep_slack_id}-other-{team.workspace_id}")
    stranger = store.ensure_user(workspace_id=elsewhere, slack_user_id="U0STRANGER")
    with pytest.raises(InvalidValueError):
        store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=stranger)


def test_settings_default_off_and_save_without_touching_other_features(
    store: Store, team: Team, migrated_url: str
) -> None:
    assert store.approvals.settings(workspace_id=team.workspace_id) == ApprovalSettings()
    engine = make_engine(migrated_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Workspace)
                .where(Workspace.id == team.workspace_id)
                .values(settings={"search": {"default_limit": 5}})
            )
        chosen = ApprovalSettings(
            deal_desk_channel_id="C0DESK", hold_until_agreed=True, reminder_business_days=3
        )
        store.approvals.save_settings(workspace_id=team.workspace_id, settings=chosen)
        assert store.approvals.settings(workspace_id=team.workspace_id) == chosen
        with engine.connect() as conn:
            blob = conn.scalar(select(Workspace.settings).where(Workspace.id == team.workspace_id))
        assert blob is not None and blob["search"] == {"default_limit": 5}
    finally:
        engine.dispose()
    with pytest.raises(InvalidValueError):
        store.approvals.save_settings(
            workspace_id=team.workspace_id, settings=ApprovalSettings(reminder_business_days=0)
        )


def test_opening_twice_returns_the_same_approval_and_only_the_first_is_created(
    store: Store, team: Team
) -> None:
    record_id = _record(store, team)
    first, created = store.approvals.open(
        record_id=record_id,
        approver_user_id=team.manager_id,
        approver_channel_id=None,
        hold_until_agreed=True,
        card_ts="1.1",
    )
    again, created_again = store.approvals.open(
        record_id=record_id,
        approver_user_id=None,
        approver_channel_id="C0DESK",
        hold_until_agreed=False,
        card_ts="9.9",
    )
    assert (created, created_again) == (True, False)
    assert again == first
    assert first.approver_slack_id == team.manager_slack_id
    assert first.hold_until_agreed is True
    assert (first.deal_name, first.rep_slack_id, first.outcome) == (
        "Acme Corp",
        team.rep_slack_id,
        Outcome.DEFER,
    )
    assert (first.rep_channel_id, first.rep_thread_ts, first.card_ts) == ("DREP", "100.1", "1.1")


def test_the_first_decision_wins_and_later_ones_see_who_and_when(store: Store, team: Team) -> None:
    approval = _pinged(store, team)
    first = store.approvals.decide(
        record_id=approval.record_id, decision=Decision.AGREE, by_user_id=team.manager_id, at=NOW
    )
    later = store.approvals.decide(
        record_id=approval.record_id,
        decision=Decision.OVERRIDE,
        by_user_id=team.manager_id,
        override_outcome=Outcome.PROCEED,
        reason="Changed my mind",
    )
    assert first.won and not later.won
    assert later.approval.decision is Decision.AGREE
    assert later.approval.decided_by == team.manager_slack_id
    assert later.approval.decided_at == NOW
    assert later.approval.override_outcome is None and later.approval.reason is None


def test_racing_decisions_from_two_stores_have_exactly_one_winner(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    approval = _pinged(stores[0], team)
    choices = [Decision.AGREE, Decision.DISCUSS] * 4

    def decide(i: int) -> tuple[bool, Decision]:
        result = stores[i % 2].approvals.decide(
            record_id=approval.record_id, decision=choices[i], by_user_id=team.manager_id
        )
        return result.won, choices[i]

    results = _race(8, decide)
    winners = [choice for won, choice in results if won]
    assert len(winners) == 1
    stored = stores[1].approvals.get(record_id=approval.record_id)
    assert stored is not None and stored.decision is winners[0]


def test_an_override_is_stored_with_its_outcome_and_reason(store: Store, team: Team) -> None:
    approval = _pinged(store, team)
    with pytest.raises(InvalidValueError):
        store.approvals.decide(
            record_id=approval.record_id,
            decision=Decision.OVERRIDE,
            by_user_id=team.manager_id,
            override_outcome=Outcome.PROCEED,
            reason="   ",
        )
    result = store.approvals.decide(
        record_id=approval.record_id,
        decision=Decision.OVERRIDE,
        by_user_id=team.manager_id,
        override_outcome=Outcome.PROCEED,
        reason=" The sponsor moved; we can make this work. ",
    )
    assert result.won
    assert result.approval.override_outcome is Outcome.PROCEED
    assert result.approval.reason == "The sponsor moved; we can make this work."


def test_an_unrouted_approval_goes_to_one_picked_manager_only(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    record_id = _record(stores[0], team)
    approval, _ = stores[0].approvals.open(
        record_id=record_id,
        approver_user_id=None,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts="1.1",
    )
    assert not approval.routed
    results = _race(
        6,
        lambda i: stores[i % 2].approvals.route(
            record_id=record_id, approver_user_id=team.manager_id
        ),
    )
    assert sorted(results) == [False] * 5 + [True]
    routed = stores[0].approvals.get(record_id=record_id)
    assert routed is not None and routed.approver_slack_id == team.manager_slack_id


def test_a_desk_that_could_not_be_pinged_can_be_unrouted(store: Store, team: Team) -> None:
    record_id = _record(store, team)
    store.approvals.open(
        record_id=record_id,
        approver_user_id=None,
        approver_channel_id="C0DESK",
        hold_until_agreed=False,
        card_ts=None,
    )
    store.approvals.unroute(record_id=record_id)
    found = store.approvals.get(record_id=record_id)
    assert found is not None and not found.routed
    assert store.approvals.route(record_id=record_id, approver_user_id=team.manager_id)


def test_a_reminder_is_due_only_after_its_time_and_only_while_pending(
    store: Store, team: Team
) -> None:
    approval = _pinged(store, team, remind_after=NOW)
    before = store.approvals.claim_due_reminders(now=NOW - timedelta(seconds=1))
    assert approval.record_id not in [a.record_id for a in before]
    due = store.approvals.claim_due_reminders(now=NOW)
    assert approval.record_id in [a.record_id for a in due]
    again = store.approvals.claim_due_reminders(now=NOW + timedelta(days=30))
    assert approval.record_id not in [a.record_id for a in again]

    decided = _pinged(store, team, remind_after=NOW)
    store.approvals.decide(
        record_id=decided.record_id, decision=Decision.AGREE, by_user_id=team.manager_id
    )
    later = store.approvals.claim_due_reminders(now=NOW + timedelta(days=30))
    assert decided.record_id not in [a.record_id for a in later]


def test_racing_reminder_runs_claim_each_reminder_exactly_once(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    mine = {_pinged(stores[0], team, remind_after=NOW).record_id for _ in range(5)}
    results = _race(
        6,
        lambda i: [
            a.record_id
            for a in stores[i % 2].approvals.claim_due_reminders(now=NOW + timedelta(hours=1))
        ],
    )
    claimed = [record for batch in results for record in batch if record in mine]
    assert sorted(claimed) == sorted(mine)


def test_a_released_reminder_is_claimed_again_by_the_next_run(store: Store, team: Team) -> None:
    approval = _pinged(store, team, remind_after=NOW)
    assert approval.record_id in [a.record_id for a in store.approvals.claim_due_reminders(now=NOW)]
    store.approvals.release_reminder(record_id=approval.record_id)
    assert approval.record_id in [a.record_id for a in store.approvals.claim_due_reminders(now=NOW)]


def test_the_database_refuses_an_override_without_its_reason(
    store: Store, team: Team, migrated_url: str
) -> None:
    approval = _pinged(store, team)
    engine = make_engine(migrated_url)
    try:
        with pytest.raises(Exception, match=r"override_complete|CHECK|check"), engine.begin() as c:
            c.execute(
                update(Approval)
                .where(Approval.id == approval.id)
                .values(decision="override", override_outcome="proceed", reason=None)
            )
    finally:
        engine.dispose()
