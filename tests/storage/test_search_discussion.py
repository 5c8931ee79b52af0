"""Search results under a manager's Discuss, on SQLite and PostgreSQL: a discussion with no final
position is shown as one, not as "no decision yet" and not as a decision."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from bot.domain.model import Outcome
from storage import Store
from storage.approval_info import Decision
from storage.models import Approval
from storage.search import ManagerDiscussion, SearchCriteria, SearchHit
from tests.storage.builders import Team
from tests.storage.search_builders import SCAR_WALK, make_record

STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def _walk(store: Store, team: Team, deal: str) -> int:
    record_id = make_record(
        store, workspace_id=team.workspace_id, rep_id=team.rep_id, deal=deal, answers=SCAR_WALK
    )
    store.approvals.open(
        record_id=record_id,
        approver_user_id=team.manager_id,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts=None,
    )
    return record_id


def _discuss(store: Store, team: Team, record_id: int) -> None:
    assert store.approvals.start_discussion(
        record_id=record_id,
        by_user_id=team.manager_id,
        at=STARTED,
        remind_after=STARTED + timedelta(days=2),
    ).won


def _hit(store: Store, team: Team, record_id: int) -> SearchHit:
    hit = store.search_hit(record_id=record_id, workspace_id=team.workspace_id)
    assert hit is not None
    return hit


def test_a_pending_approval_is_neither_decided_nor_discussed(store: Store, team: Team) -> None:
    hit = _hit(store, team, _walk(store, team, "Pending Partners"))
    assert hit.decision is None and hit.discussion is None


def test_a_discussion_shows_who_started_it_and_when(store: Store, team: Team) -> None:
    record_id = _walk(store, team, "Talkative Tools")
    _discuss(store, team, record_id)
    hit = _hit(store, team, record_id)
    assert hit.decision is None
    assert hit.discussion == ManagerDiscussion(started_by=team.manager_slack_id, started_at=STARTED)


def test_search_pages_carry_the_discussion_with_and_without_words(store: Store, team: Team) -> None:
    """Words rank per backend (bm25, ts_rank), no words list newest first: same hits either way."""
    talked = _walk(store, team, "Zanzibar Widgets")
    _walk(store, team, "Zanzibar Gadgets")
    _discuss(store, team, talked)
    for criteria in (
        SearchCriteria(words=("zanzibar",)),
        SearchCriteria(words=("zanzibar", "widgets")),
        SearchCriteria(),
        SearchCriteria(outcomes=("walk",)),
    ):
        page = store.search_records(workspace_id=team.workspace_id, criteria=criteria)
        shown = {hit.deal_name: hit for hit in page.hits}
        assert shown["Zanzibar Widgets"].discussion is not None, criteria
        assert shown["Zanzibar Widgets"].discussion.started_by == team.manager_slack_id
        assert shown["Zanzibar Widgets"].decision is None
        if "Zanzibar Gadgets" in shown:
            assert shown["Zanzibar Gadgets"].discussion is None
            assert shown["Zanzibar Gadgets"].decision is None


def test_a_position_taken_after_the_discussion_replaces_it(store: Store, team: Team) -> None:
    record_id = _walk(store, team, "Settled Systems")
    _discuss(store, team, record_id)
    decided = STARTED + timedelta(hours=4)
    store.approvals.decide(
        record_id=record_id,
        decision=Decision.OVERRIDE,
        by_user_id=team.manager_id,
        at=decided,
        override_outcome=Outcome.PROCEED,
        reason="Their CFO signed.",
    )
    hit = _hit(store, team, record_id)
    assert hit.discussion is None
    assert hit.decision is not None
    assert (hit.decision.decision, hit.decision.decided_by) == ("override", team.manager_slack_id)
    assert (hit.decision.decided_at, hit.decision.override_outcome) == (decided, Outcome.PROCEED)
    assert hit.decision.reason == "Their CFO signed."


def test_a_discuss_stored_before_migration_0005_reads_as_a_discussion(
    store: Store, team: Team
) -> None:
    """Old rows held Discuss in `decision`, with the clicker and time as decided_by/decided_at;
    storage.approvals reads them as an open discussion, and search must agree."""
    record_id = make_record(
        store, workspace_id=team.workspace_id, rep_id=team.rep_id, deal="Legacy Labs"
    )
    with store._writes.begin() as s:  # test-only: write the row as older code did
        s.execute(
            insert(Approval).values(
                record_id=record_id,
                approver_user_id=team.manager_id,
                requested_at=STARTED - timedelta(hours=1),
                decision="discuss",
                decided_by_user_id=team.manager_id,
                decided_at=STARTED,
            )
        )
    hit = _hit(store, team, record_id)
    assert hit.decision is None
    assert hit.discussion == ManagerDiscussion(started_by=team.manager_slack_id, started_at=STARTED)
    approval = store.approvals.get(record_id=record_id)
    assert approval is not None and approval.discussing  # the same reading as storage.approvals
