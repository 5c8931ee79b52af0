"""What the Slack layer leans on: the open question's message, thread lookup, claimed answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from storage import Store
from storage.posts import Intent, Posts
from tests.storage.builders import answer, defer_verdict, make_team, open_deal


def test_the_open_question_message_and_thread_are_remembered(
    open_store: Callable[[], Store],
) -> None:
    store = open_store()
    team = make_team(store)
    session = open_deal(store, team, "Thread Co")
    store.set_session_thread(session_id=session.id, channel_id="DREP", thread_ts="100.1")
    store.set_prompt(session_id=session.id, prompt_ts="100.2")
    found = open_store().find_session_by_thread(channel_id="DREP", thread_ts="100.1")
    assert found is not None and found.id == session.id
    assert found.prompt_ts == "100.2"
    assert store.find_session_by_thread(channel_id="DREP", thread_ts="999.9") is None


def test_a_claimed_answer_is_recorded_once_however_many_clicks_race(
    open_store: Callable[[], Store],
) -> None:
    stores = [open_store() for _ in range(2)]
    team = make_team(stores[0])
    session = open_deal(stores[0], team, "Race Co")
    barrier = threading.Barrier(6, timeout=30)
    results: list[bool] = []

    def click(n: int) -> None:
        barrier.wait()
        results.append(
            stores[n % 2].record_answer(
                session_id=session.id,
                question_id="deal.stage",
                value="pilot",
                answered_by_user_id=team.rep_id,
                question_text="Where is this deal right now?",
                claim_key=f"turn:{session.id}:1.0",
            )
        )

    threads = [threading.Thread(target=click, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 5 + [True]
    history = stores[0].answer_history(session_id=session.id)
    assert [a.question_id for a in history] == ["deal.stage"]


def test_a_refused_claim_writes_no_answer(open_store: Callable[[], Store]) -> None:
    store = open_store()
    team = make_team(store)
    session = open_deal(store, team, "Claim Co")
    assert store.claim_once(key=f"turn:{session.id}:2.0")
    answered = store.record_answer(
        session_id=session.id,
        question_id="deal.stage",
        value="pilot",
        answered_by_user_id=team.rep_id,
        question_text="?",
        claim_key=f"turn:{session.id}:2.0",
    )
    assert answered is False
    assert store.current_answers(session_id=session.id) == {}


def test_edited_draft_is_kept_and_home_lists_only_the_reps_records(
    open_store: Callable[[], Store],
) -> None:
    store = open_store()
    team = make_team(store)
    mine = open_deal(store, team, "Mine Co")
    answer(store, team, mine.id, "deal.stage", "pilot")
    record_id = store.complete_session(session_id=mine.id, verdict=defer_verdict(), draft_text="v1")
    store.update_draft(record_id=record_id, text="v2, kinder")
    detail = store.get_record(record_id=record_id)
    assert detail is not None and detail.draft_text == "v2, kinder"
    assert [
        r.id for r in store.list_records(workspace_id=team.workspace_id, rep_user_id=team.rep_id)
    ] == [record_id]
    assert store.list_records(workspace_id=team.workspace_id, rep_user_id=team.manager_id) == []


def test_an_intent_lost_to_a_racing_insert_whose_winner_gave_up_is_taken_not_crashed(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = Posts._intend
    raced: list[bool] = []

    def losing_once(self: Posts, *args: Any) -> Any:
        if not raced:
            raced.append(True)
            # The winner inserted the key between our look and our insert, then Slack refused
            # its post and it forgot the intent: by the time we look again, nothing is there.
            store.intend_post(key="question:9:1", owner="winner", channel_id="D1", thread_ts=None)
            store.forget_intent(key="question:9:1")
            raise IntegrityError("INSERT", {}, Exception("duplicate key"))
        return real(self, *args)

    monkeypatch.setattr(Posts, "_intend", losing_once)
    intent, info = store.intend_post(
        key="question:9:1", owner="loser", channel_id="D1", thread_ts=None
    )

    assert raced and intent is Intent.POST
    assert store.post_info(key="question:9:1") == info
