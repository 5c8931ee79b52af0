"""Nothing a rep typed is lost: every answer is durable at once, and changes keep history."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from storage import Store
from storage.errors import InvalidValueError, SessionNotOpenError
from tests.storage.builders import CHECKLIST_SNAPSHOT, Team, answer, defer_verdict, open_deal


def test_every_answer_is_committed_and_readable_from_a_new_store(
    open_store: Callable[[], Store], team: Team
) -> None:
    writer = open_store()
    session = open_deal(writer, team)
    answer(writer, team, session.id, "deal.stage", "pilot", note="Pilot started in May")
    answer(writer, team, session.id, "scar.months_since", 4)
    answer(writer, team, session.id, "budget.share", 0.25)

    reader = open_store()  # a new engine and pool, as another process would have
    assert reader.current_answers(session_id=session.id) == {
        "deal.stage": "pilot",
        "scar.months_since": 4,
        "budget.share": 0.25,
    }
    assert list(reader.current_answers(session_id=session.id)) == [
        "deal.stage",
        "scar.months_since",
        "budget.share",
    ]
    assert reader.current_notes(session_id=session.id) == {"deal.stage": "Pilot started in May"}
    resumed = reader.get_session(session_id=session.id)
    assert resumed is not None and resumed.updated_at > session.updated_at


def test_changing_an_answer_supersedes_the_old_one_and_keeps_history(
    store: Store, team: Team
) -> None:
    session = open_deal(store, team)
    answer(store, team, session.id, "deal.stage", "evaluation", note="first guess")
    answer(store, team, session.id, "deal.stage", "pilot")

    assert store.current_answers(session_id=session.id) == {"deal.stage": "pilot"}
    assert store.current_notes(session_id=session.id) == {}
    history = store.answer_history(session_id=session.id)
    assert [(a.value, a.superseded_at is None) for a in history] == [
        ("evaluation", False),
        ("pilot", True),
    ]
    assert history[0].note == "first guess"
    assert history[0].answered_by == team.rep_slack_id
    assert history[0].question_text == CHECKLIST_SNAPSHOT["questions"]["deal.stage"]


def test_answers_that_no_longer_apply_are_dropped_with_the_change(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    answer(store, team, session.id, "scar.previous_attempt", "yes")
    answer(store, team, session.id, "scar.failure_mode", "unclear_ownership")
    answer(store, team, session.id, "scar.still_present", "yes")
    answer(store, team, session.id, "deal.stage", "pilot")
    answer(
        store,
        team,
        session.id,
        "scar.previous_attempt",
        "no",
        drop=["scar.failure_mode", "scar.still_present", "never.answered"],
    )

    assert store.current_answers(session_id=session.id) == {
        "deal.stage": "pilot",
        "scar.previous_attempt": "no",
    }
    superseded = [
        a.question_id for a in store.answer_history(session_id=session.id) if a.superseded_at
    ]
    assert superseded == ["scar.previous_attempt", "scar.failure_mode", "scar.still_present"]


def test_back_retracts_only_the_most_recent_answer(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    assert store.retract_last_answer(session_id=session.id) is None
    answer(store, team, session.id, "deal.stage", "pilot")
    answer(store, team, session.id, "scar.previous_attempt", "yes")

    assert store.retract_last_answer(session_id=session.id) == "scar.previous_attempt"
    assert store.current_answers(session_id=session.id) == {"deal.stage": "pilot"}
    assert store.retract_last_answer(session_id=session.id) == "deal.stage"
    assert store.current_answers(session_id=session.id) == {}
    assert len(store.answer_history(session_id=session.id)) == 2


def test_restart_clears_current_answers_but_keeps_history(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    answer(store, team, session.id, "deal.stage", "pilot")
    answer(store, team, session.id, "scar.previous_attempt", "no")
    store.restart_session(session_id=session.id)
    answer(store, team, session.id, "deal.stage", "negotiation")

    assert store.current_answers(session_id=session.id) == {"deal.stage": "negotiation"}
    assert [a.value for a in store.answer_history(session_id=session.id)] == [
        "pilot",
        "no",
        "negotiation",
    ]


def test_a_completed_session_refuses_to_change_its_answers(store: Store, team: Team) -> None:
    session = open_deal(store, team)
    answer(store, team, session.id, "deal.stage", "pilot")
    store.complete_session(session_id=session.id, verdict=defer_verdict(), draft_text=None)

    with pytest.raises(SessionNotOpenError, match="complete"):
        answer(store, team, session.id, "deal.stage", "renewal")
    with pytest.raises(SessionNotOpenError):
        store.retract_last_answer(session_id=session.id)
    with pytest.raises(SessionNotOpenError):
        store.restart_session(session_id=session.id)
    assert store.current_answers(session_id=session.id) == {"deal.stage": "pilot"}


@pytest.mark.parametrize("bad", [True, None, float("nan"), ["yes"]])
def test_values_that_would_not_round_trip_are_refused(
    store: Store, team: Team, bad: object
) -> None:
    session = open_deal(store, team)
    with pytest.raises(InvalidValueError):
        answer(store, team, session.id, "deal.stage", bad)  # type: ignore[arg-type]
    assert store.answer_history(session_id=session.id) == []


def test_racing_clicks_on_one_question_leave_exactly_one_current_answer(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(2)]
    session = open_deal(stores[0], team)
    barrier = threading.Barrier(6, timeout=30)
    errors: list[BaseException] = []

    def click(n: int) -> None:
        try:
            barrier.wait()
            answer(stores[n % 2], team, session.id, "deal.stage", f"choice-{n}")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    history = stores[1].answer_history(session_id=session.id)
    assert len(history) == 6
    current = [a for a in history if a.superseded_at is None]
    assert len(current) == 1
    assert stores[1].current_answers(session_id=session.id) == {"deal.stage": current[0].value}
