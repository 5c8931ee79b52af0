"""A rep's /walkaway resumes where it stopped, and never forks into two conversations."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlalchemy.exc import IntegrityError

from storage import Store
from storage.errors import InvalidValueError, NotFoundError, SessionNotOpenError
from storage.records import SessionStatus
from tests.storage.builders import (
    CHECKLIST_HASH,
    CHECKLIST_SNAPSHOT,
    Team,
    answer,
    defer_verdict,
    open_deal,
)


def test_workspaces_and_people_are_found_again_not_duplicated(store: Store, team: Team) -> None:
    team_id = f"T{team.workspace_id}x"
    workspace_id = store.ensure_workspace(team_id=team_id)
    assert store.ensure_workspace(team_id=team_id, name="Renamed Co") == workspace_id
    assert workspace_id != team.workspace_id
    again = store.ensure_user(
        workspace_id=team.workspace_id, slack_user_id=team.rep_slack_id, display_name="Ria M."
    )
    assert again == team.rep_id
    elsewhere = store.ensure_user(workspace_id=workspace_id, slack_user_id=team.rep_slack_id)
    assert elsewhere != team.rep_id


def test_a_person_is_found_only_in_their_workspace_and_a_stranger_is_none(
    store: Store, team: Team
) -> None:
    found = store.find_user(workspace_id=team.workspace_id, slack_user_id=team.rep_slack_id)
    assert found == team.rep_id
    assert store.find_user(workspace_id=team.workspace_id, slack_user_id="U0NOBODY") is None
    elsewhere = store.ensure_workspace(team_id=f"T{team.workspace_id}y")
    assert store.find_user(workspace_id=elsewhere, slack_user_id=team.rep_slack_id) is None


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(IntegrityError):
        store.ensure_user(workspace_id=987654321, slack_user_id="U0GHOST")


def test_reopening_a_deal_with_other_case_and_spacing_resumes_the_same_session(
    store: Store, team: Team
) -> None:
    first = open_deal(store, team, "Acme  Corp")
    again = open_deal(store, team, "  acme corp ")
    assert (first.resumed, again.resumed) == (False, True)
    assert again.id == first.id and again.deal_id == first.deal_id
    assert again.deal_name == "Acme Corp"
    assert again.checklist_hash == CHECKLIST_HASH
    assert again.checklist_snapshot == CHECKLIST_SNAPSHOT


def test_another_rep_on_the_same_deal_gets_their_own_session(store: Store, team: Team) -> None:
    mine = open_deal(store, team)
    theirs = store.open_session(
        workspace_id=team.workspace_id,
        rep_user_id=team.manager_id,
        deal_name="ACME CORP",
        checklist_hash=CHECKLIST_HASH,
        checklist_snapshot=CHECKLIST_SNAPSHOT,
    )
    assert theirs.deal_id == mine.deal_id
    assert theirs.id != mine.id and not theirs.resumed


def test_a_finished_or_abandoned_session_is_not_resumed(store: Store, team: Team) -> None:
    completed = open_deal(store, team)
    store.complete_session(session_id=completed.id, verdict=defer_verdict(), draft_text=None)
    abandoned = open_deal(store, team)
    store.abandon_session(session_id=abandoned.id)
    store.abandon_session(session_id=abandoned.id)  # a double click is harmless
    fresh = open_deal(store, team)
    assert len({completed.id, abandoned.id, fresh.id}) == 3
    assert not fresh.resumed
    abandoned_now = store.get_session(session_id=abandoned.id)
    assert abandoned_now is not None and abandoned_now.status is SessionStatus.ABANDONED
    with pytest.raises(SessionNotOpenError):
        store.abandon_session(session_id=completed.id)


def test_double_clicked_command_from_many_workers_opens_one_session(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    barrier = threading.Barrier(6, timeout=30)
    ids: list[int] = []
    errors: list[BaseException] = []

    def click(n: int) -> None:
        try:
            barrier.wait()
            ids.append(open_deal(stores[n % 2], team, "Brand New Deal").id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(ids) == 6 and len(set(ids)) == 1


def test_open_sessions_are_listed_newest_first(store: Store, team: Team) -> None:
    older = open_deal(store, team, "Older Deal")
    newer = open_deal(store, team, "Newer Deal")
    done = open_deal(store, team, "Done Deal")
    store.complete_session(session_id=done.id, verdict=defer_verdict(), draft_text=None)
    listed = store.list_open_sessions(workspace_id=team.workspace_id, rep_user_id=team.rep_id)
    assert [s.deal_name for s in listed] == ["Newer Deal", "Older Deal"]
    assert [s.id for s in listed] == [newer.id, older.id]


def test_the_conversation_thread_is_remembered(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    store.set_session_thread(session_id=session.id, channel_id="C0DEALS", thread_ts="171.000200")
    reread = store.get_session(session_id=session.id)
    assert reread is not None
    assert (reread.channel_id, reread.thread_ts) == ("C0DEALS", "171.000200")


def test_unknown_sessions_and_blank_deal_names_are_refused(store: Store, team: Team) -> None:
    assert store.get_session(session_id=987654321) is None
    with pytest.raises(NotFoundError):
        answer(store, team, 987654321, "deal.stage", "pilot")
    with pytest.raises(InvalidValueError):
        open_deal(store, team, "   ")
