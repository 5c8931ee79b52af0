"""The rechecks table: one link per session, the earlier answers it reads, the deal's history,
and a proceed that marks the earlier record re-engaged once (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable

from storage import Store
from storage.records import RecordStatus
from tests.storage.builders import Team, answer, defer_verdict, make_team, open_deal


def _finished(store: Store, team: Team, deal: str = "Acme Corp") -> tuple[int, int]:
    session = open_deal(store, team, deal)
    answer(store, team, session.id, "deal.stage", "pilot")
    answer(store, team, session.id, "scar.previous_attempt", "yes")
    record = store.complete_session(session_id=session.id, verdict=defer_verdict(), draft_text=None)
    return session.id, record


def test_a_session_is_linked_once_and_reads_the_earlier_answers(store: Store, team: Team) -> None:
    _, first = _finished(store, team)
    _, second = _finished(store, team, "Globex")
    again = open_deal(store, team)
    assert store.recheck_of(session_id=again.id) is None
    assert store.earlier_answers(session_id=again.id) == {}
    linked = store.link_recheck(
        session_id=again.id, previous_record_id=first, started_by_user_id=team.rep_id
    )
    repointed = store.link_recheck(
        session_id=again.id, previous_record_id=second, started_by_user_id=team.manager_id
    )
    assert linked == repointed == first  # the first link stays
    assert store.earlier_answers(session_id=again.id) == {
        "deal.stage": "pilot",
        "scar.previous_attempt": "yes",
    }


def test_the_deals_history_links_each_check_to_the_one_it_rechecked(
    store: Store, team: Team
) -> None:
    _, first = _finished(store, team)
    again = open_deal(store, team)
    store.link_recheck(
        session_id=again.id, previous_record_id=first, started_by_user_id=team.rep_id
    )
    second = store.complete_session(session_id=again.id, verdict=defer_verdict(), draft_text=None)
    history = store.deal_history(record_id=first)
    assert [(h.record_id, h.previous_record_id) for h in history] == [
        (first, None),
        (second, first),
    ]
    assert store.deal_history(record_id=second) == history
    by_name = store.deal_records(workspace_id=team.workspace_id, deal_name="  acme   corp ")
    assert [h.record_id for h in by_name] == [first, second]
    assert store.deal_names_of(workspace_id=team.workspace_id, rep_user_ids=[team.rep_id]) == [
        "Acme Corp"
    ]


def test_the_history_and_names_stay_in_their_workspace(store: Store, team: Team) -> None:
    _finished(store, team)
    other = make_team(store)
    assert store.deal_records(workspace_id=other.workspace_id, deal_name="Acme Corp") == []
    assert store.deal_names_of(workspace_id=other.workspace_id, rep_user_ids=[other.rep_id]) == []


def test_a_proceed_marks_the_earlier_record_re_engaged_once(
    store: Store, team: Team, open_store: Callable[[], Store]
) -> None:
    _, first = _finished(store, team)
    again = open_deal(store, team)
    assert store.mark_came_back(session_id=again.id, note="x", by_user_id=None) is None
    store.link_recheck(
        session_id=again.id, previous_record_id=first, started_by_user_id=team.rep_id
    )
    elsewhere = open_store()  # another process retrying the same job
    assert (
        store.mark_came_back(session_id=again.id, note="came back", by_user_id=team.rep_id) == first
    )
    assert elsewhere.mark_came_back(session_id=again.id, note="again", by_user_id=None) is None
    record = store.get_record(record_id=first)
    assert record is not None and record.status == RecordStatus.RE_ENGAGED
    assert [(c.status, c.note) for c in record.status_history][-1] == (
        RecordStatus.RE_ENGAGED,
        "came back",
    )
    assert len(record.status_history) == 2
