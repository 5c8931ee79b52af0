"""Approvals hold under concurrency: one final decision, one discussion, one route, one reminder
per stage, whatever races; and migration 0005 turns old final Discusses into open discussions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from alembic import command
from sqlalchemy import select, text, update

from bot.domain.model import Outcome
from storage import Store
from storage.approval_info import ApprovalInfo, ApprovalSettings, Decision, Discussed
from storage.db import alembic_config, make_engine
from storage.errors import InvalidValueError
from storage.models import Approval, Workspace
from tests.storage.builders import Team, answer, defer_verdict, make_team, open_deal

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


def _discuss(
    store: Store, team: Team, record_id: int, *, at: datetime = NOW, remind_after: datetime = NOW
) -> Discussed:
    return store.approvals.start_discussion(
        record_id=record_id, by_user_id=team.manager_id, at=at, remind_after=remind_after
    )


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


@pytest.mark.parametrize("discussed_first", [False, True], ids=["pending", "under-discussion"])
def test_racing_decisions_from_two_stores_have_exactly_one_winner(
    open_store: Callable[[], Store], team: Team, discussed_first: bool
) -> None:
    stores = [open_store() for _ in range(2)]
    approval = _pinged(stores[0], team)
    if discussed_first:
        assert _discuss(stores[0], team, approval.record_id).won
    choices = [Decision.AGREE, Decision.OVERRIDE] * 4

    def decide(i: int) -> tuple[bool, Decision]:
        override = choices[i] is Decision.OVERRIDE
        result = stores[i % 2].approvals.decide(
            record_id=approval.record_id,
            decision=choices[i],
            by_user_id=team.manager_id,
            override_outcome=Outcome.PROCEED if override else None,
            reason="The sponsor moved." if override else None,
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
    before = store.approvals.due_reminders(now=NOW - timedelta(seconds=1))
    assert approval.record_id not in [a.record_id for a in before]
    due = store.approvals.due_reminders(now=NOW)
    assert approval.record_id in [a.record_id for a in due]
    store.approvals.mark_reminded(record_id=approval.record_id, at=NOW)
    again = store.approvals.due_reminders(now=NOW + timedelta(days=30))
    assert approval.record_id not in [a.record_id for a in again]

    decided = _pinged(store, team, remind_after=NOW)
    store.approvals.decide(
        record_id=decided.record_id, decision=Decision.AGREE, by_user_id=team.manager_id
    )
    later = store.approvals.due_reminders(now=NOW + timedelta(days=30))
    assert decided.record_id not in [a.record_id for a in later]


def test_a_reminder_marked_sent_by_one_process_is_due_in_none(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    mine = {_pinged(stores[0], team, remind_after=NOW).record_id for _ in range(5)}
    moment = NOW + timedelta(hours=1)
    seen = {a.record_id for a in stores[1].approvals.due_reminders(now=moment)} & mine
    assert seen == mine, "reading what is due claims nothing: every process sees it"
    _race(
        6, lambda i: [stores[i % 2].approvals.mark_reminded(record_id=r, at=moment) for r in mine]
    )
    for store in stores:
        assert not {a.record_id for a in store.approvals.due_reminders(now=moment)} & mine
    marked = [stores[0].approvals.get(record_id=r) for r in mine]
    assert all(a is not None and a.reminder_claimed_at is not None for a in marked)


def test_a_reminder_that_was_not_sent_is_due_again_at_the_next_run(
    store: Store, team: Team
) -> None:
    approval = _pinged(store, team, remind_after=NOW)
    assert approval.record_id in [a.record_id for a in store.approvals.due_reminders(now=NOW)]
    # The run that found it failed to post it (Slack away, the process killed): not marked.
    later = NOW + timedelta(minutes=10)
    assert approval.record_id in [a.record_id for a in store.approvals.due_reminders(now=later)]


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


# -- discussion -------------------------------------------------------------------------------


def test_discuss_is_not_a_position_and_a_later_answer_still_wins(store: Store, team: Team) -> None:
    approval = _pinged(store, team)
    started = _discuss(store, team, approval.record_id, at=NOW)
    assert started.won
    discussing = started.approval
    assert discussing.discussing and discussing.decision is None
    assert (discussing.discussion_by, discussing.discussion_started_at) == (
        team.manager_slack_id,
        NOW,
    )
    again = _discuss(store, team, approval.record_id, at=NOW + timedelta(hours=1))
    assert not again.won and again.approval.discussion_started_at == NOW

    agreed = store.approvals.decide(
        record_id=approval.record_id,
        decision=Decision.AGREE,
        by_user_id=team.manager_id,
        at=NOW + timedelta(days=1),
    )
    assert agreed.won
    final = agreed.approval
    assert final.decision is Decision.AGREE and not final.discussing
    assert final.discussion_by == team.manager_slack_id, "who discussed stays on the record"
    late = _discuss(store, team, approval.record_id)
    assert not late.won and late.approval.decision is Decision.AGREE


def test_discuss_after_a_final_answer_changes_nothing(store: Store, team: Team) -> None:
    approval = _pinged(store, team)
    store.approvals.decide(
        record_id=approval.record_id, decision=Decision.AGREE, by_user_id=team.manager_id
    )
    late = _discuss(store, team, approval.record_id)
    assert not late.won
    assert late.approval.discussion_started_at is None


def test_racing_discusses_from_two_stores_start_one_discussion(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    approval = _pinged(stores[0], team)
    results = _race(
        6,
        lambda i: stores[i % 2].approvals.start_discussion(
            record_id=approval.record_id,
            by_user_id=team.manager_id,
            at=NOW + timedelta(seconds=i),
            remind_after=NOW + timedelta(days=2),
        ),
    )
    assert sorted(r.won for r in results) == [False] * 5 + [True]
    (winner,) = [r.approval for r in results if r.won]
    stored = stores[1].approvals.get(record_id=approval.record_id)
    assert stored is not None
    assert stored.discussion_started_at == winner.discussion_started_at


def test_the_discussion_place_is_set_once(store: Store, team: Team) -> None:
    approval = _pinged(store, team)
    _discuss(store, team, approval.record_id)
    store.approvals.set_discussion_place(
        record_id=approval.record_id, channel_id="G0ABC", link="https://x/archives/G0ABC/p1"
    )
    store.approvals.set_discussion_place(record_id=approval.record_id, channel_id="DMGR", link=None)
    found = store.approvals.get(record_id=approval.record_id)
    assert found is not None
    assert (found.discussion_channel_id, found.discussion_link) == (
        "G0ABC",
        "https://x/archives/G0ABC/p1",
    )
    assert not found.discussion_in_thread


def test_a_discussion_gets_one_reminder_of_its_own_even_after_the_pending_one(
    store: Store, team: Team
) -> None:
    approval = _pinged(store, team, remind_after=NOW)
    (pending,) = [
        a for a in store.approvals.due_reminders(now=NOW) if a.record_id == approval.record_id
    ]
    assert not pending.discussing
    store.approvals.mark_reminded(record_id=approval.record_id, at=NOW)

    later = NOW + timedelta(days=1)
    _discuss(store, team, approval.record_id, at=later, remind_after=later + timedelta(days=2))
    early = store.approvals.due_reminders(now=later + timedelta(days=1))
    assert approval.record_id not in [a.record_id for a in early]
    (nudge,) = [
        a
        for a in store.approvals.due_reminders(now=later + timedelta(days=2))
        if a.record_id == approval.record_id
    ]
    assert nudge.discussing
    store.approvals.mark_reminded(record_id=approval.record_id, at=later + timedelta(days=2))
    again = store.approvals.due_reminders(now=later + timedelta(days=60))
    assert approval.record_id not in [a.record_id for a in again]


def test_a_position_taken_during_a_discussion_ends_its_reminder(store: Store, team: Team) -> None:
    approval = _pinged(store, team, remind_after=NOW)
    _discuss(store, team, approval.record_id, remind_after=NOW)
    store.approvals.decide(
        record_id=approval.record_id, decision=Decision.AGREE, by_user_id=team.manager_id
    )
    due = store.approvals.due_reminders(now=NOW + timedelta(days=30))
    assert approval.record_id not in [a.record_id for a in due]


def test_a_discuss_stored_the_old_way_reads_as_an_open_discussion(
    store: Store, team: Team, migrated_url: str
) -> None:
    """A process still on pre-0005 code (a rolling deploy) writes Discuss into `decision`."""
    approval = _pinged(store, team)
    engine = make_engine(migrated_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                update(Approval)
                .where(Approval.id == approval.id)
                .values(decision="discuss", decided_by_user_id=team.manager_id, decided_at=NOW)
            )
    finally:
        engine.dispose()
    found = store.approvals.get(record_id=approval.record_id)
    assert found is not None and found.discussing
    assert (found.discussion_by, found.discussion_started_at) == (team.manager_slack_id, NOW)
    assert found.discussion_channel_id == "DMGR" and found.discussion_in_thread
    assert not _discuss(store, team, approval.record_id).won
    agreed = store.approvals.decide(
        record_id=approval.record_id, decision=Decision.AGREE, by_user_id=team.manager_id
    )
    assert agreed.won and agreed.approval.decision is Decision.AGREE


# -- migration 0005 ---------------------------------------------------------------------------


def _alembic(url: str, verb: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            getattr(command, verb)(config, revision)
            connection.commit()
    finally:
        engine.dispose()


def _approval_rows(url: str) -> dict[int, dict[str, Any]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT * FROM approvals")).mappings().all()
    finally:
        engine.dispose()
    return {int(row["record_id"]): dict(row) for row in rows}


def _as_utc(value: Any) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_migration_0005_opens_old_discusses_again_and_reminds_only_held_drafts(
    fresh_url: Callable[[], str],
) -> None:
    url = fresh_url()
    store = Store.open(url)
    try:
        team = make_team(store)
        held, free, agreed = (_pinged(store, team, remind_after=NOW) for _ in range(3))
        for approval in (held, free, agreed):
            _discuss(store, team, approval.record_id, at=NOW + timedelta(hours=1))
        engine = make_engine(url)
        try:
            with engine.begin() as conn:  # both were reminded while pending, under old code
                conn.execute(
                    update(Approval)
                    .where(Approval.id.in_([held.id, free.id]))
                    .values(reminder_claimed_at=NOW)
                )
                conn.execute(
                    update(Approval).where(Approval.id == held.id).values(hold_until_agreed=True)
                )
        finally:
            engine.dispose()
        store.approvals.decide(
            record_id=agreed.record_id, decision=Decision.AGREE, by_user_id=team.manager_id
        )
    finally:
        store.close()

    _alembic(url, "downgrade", "0004")
    old = _approval_rows(url)
    assert [old[a.record_id]["decision"] for a in (held, free, agreed)] == [
        "discuss",
        "discuss",
        "agree",
    ]
    assert "discussion_started_at" not in old[held.record_id]

    _alembic(url, "upgrade", "0005")
    new = _approval_rows(url)
    for approval in (held, free):
        row = new[approval.record_id]
        assert row["decision"] is None and row["decided_at"] is None
        assert row["discussion_by_user_id"] == team.manager_id
        assert _as_utc(row["discussion_started_at"]) == NOW + timedelta(hours=1)
        assert row["discussion_channel_id"] == "DMGR"
    assert new[held.record_id]["reminder_claimed_at"] is None
    assert _as_utc(new[held.record_id]["remind_after"]) == NOW + timedelta(hours=1)
    assert new[free.record_id]["remind_after"] is None
    assert new[agreed.record_id]["decision"] == "agree"
    _alembic(url, "upgrade", "head")
