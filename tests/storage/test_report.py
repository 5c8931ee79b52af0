"""The export's query (storage/report.py): a period's records in keyset batches, each with its
signals, manager position, first comeback and re-check links (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import event, update

from bot.domain.model import Outcome
from storage import Store
from storage.approval_info import Decision
from storage.models import WalkawayRecord
from storage.records import RecordStatus
from tests.storage.builders import Team, defer_verdict, open_deal


def _record(store: Store, team: Team, deal: str, created: datetime) -> int:
    session = open_deal(store, team, deal)
    record = store.complete_session(session_id=session.id, verdict=defer_verdict(), draft_text="x")
    with store._engine.begin() as conn:  # the clock the record was made under, for the period
        conn.execute(
            update(WalkawayRecord).where(WalkawayRecord.id == record).values(created_at=created)
        )
    return record


def _day(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=UTC)


def test_a_period_comes_back_in_batches_with_everything_the_export_shows(
    store: Store, team: Team
) -> None:
    before = _record(store, team, "Before", _day(1, 5))
    first = _record(store, team, "Acme", _day(2, 1))
    second = _record(store, team, "Globex", _day(2, 2))
    third = _record(store, team, "Initech", _day(2, 3))
    _record(store, team, "After", _day(4, 1))
    store.approvals.open(
        record_id=first,
        approver_user_id=team.manager_id,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts=None,
    )
    store.approvals.decide(
        record_id=first,
        decision=Decision.OVERRIDE,
        by_user_id=team.manager_id,
        at=_day(2, 4),
        override_outcome=Outcome.PROCEED,
        reason="They signed the budget.",
    )
    store.pathback.came_back(
        record_id=second, note="Called us.", by_user_id=team.rep_id, now=_day(3, 1)
    )
    again = open_deal(store, team, "Globex")
    store.link_recheck(
        session_id=again.id, previous_record_id=second, started_by_user_id=team.rep_id
    )
    recheck = store.complete_session(session_id=again.id, verdict=defer_verdict(), draft_text="x")

    batches = list(
        store.report_records(
            workspace_id=team.workspace_id,
            since=datetime(2026, 2, 1, tzinfo=UTC),
            until=datetime(2026, 3, 1, tzinfo=UTC),
            batch=2,
        )
    )
    assert [[r.id for r in b] for b in batches] == [[first, second], [third]]
    one, two, three = (r for b in batches for r in b)
    assert (one.deal_name, one.rep_slack_id, one.rep_name) == ("Acme", team.rep_slack_id, "Ria")
    assert one.signals == ("scar.fresh", "unclear_ownership")  # the outcome tag left out
    assert (one.decision, one.decided_by, one.override_outcome) == (
        "override",
        team.manager_slack_id,
        "proceed",
    )
    assert one.decided_at == _day(2, 4) and one.reengaged_at is None
    assert two.status is RecordStatus.RE_ENGAGED and two.reengaged_at == _day(3, 1)
    assert two.rechecked_by == (recheck,) and three.decision is None
    assert before not in {one.id, two.id, three.id}

    everything = [r for b in store.report_records(workspace_id=team.workspace_id) for r in b]
    assert everything[-1].id == recheck and everything[-1].rechecks_record == second
    assert len(everything) == 6


def test_only_the_reps_asked_for_and_none_for_an_empty_team(store: Store, team: Team) -> None:
    mine = _record(store, team, "Acme", _day(2, 1))
    other = store.ensure_user(workspace_id=team.workspace_id, slack_user_id="U0OTHER01")
    session = store.open_session(
        workspace_id=team.workspace_id,
        rep_user_id=other,
        deal_name="Elsewhere",
        checklist_hash="h",
        checklist_snapshot={},
    )
    store.complete_session(session_id=session.id, verdict=defer_verdict(), draft_text=None)
    found = store.report_records(workspace_id=team.workspace_id, rep_user_ids=[team.rep_id])
    assert [r.id for b in found for r in b] == [mine]
    assert list(store.report_records(workspace_id=team.workspace_id, rep_user_ids=[])) == []
    team_id = store.team_id_of(workspace_id=team.workspace_id)
    assert team_id is not None
    assert store.workspace_of_team(team_id=team_id) == team.workspace_id
    assert store.workspace_of_team(team_id="TNEVERSEEN") is None


def test_a_batch_costs_the_same_few_queries_however_many_records_it_holds(
    store: Store, team: Team
) -> None:
    for n in range(6):
        _record(store, team, f"Deal {n}", _day(2, 1 + n))
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(store._engine, "before_cursor_execute", count)
    try:
        (batch,) = list(store.report_records(workspace_id=team.workspace_id, batch=10))
    finally:
        event.remove(store._engine, "before_cursor_execute", count)
    assert len(batch) == 6
    assert len(seen) == 5  # records, tags, positions, comebacks, later re-checks: no N+1
