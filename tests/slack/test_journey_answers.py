"""Answering through the modal, with notes, and changing answers: Back, Start over, branches."""

from __future__ import annotations

import pytest

from tests.slack.world import World, actions_of, text_of

TO_MONTHS = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "no",
}


@pytest.mark.parametrize(
    ("typed", "complaint"), [("-1", "cannot be below 0"), ("soon", "is not a number")]
)
def test_rep_who_types_an_impossible_number_is_told_inline_and_nothing_is_stored(
    world: World, typed: str, complaint: str
) -> None:
    world.start("Acme renewal")
    world.run_through(TO_MONTHS)
    stored = len(world.answers_stored())
    posted = len(world.fake.calls("chat.postMessage"))

    reply = world.answer_in_modal("scar.months_since", typed)

    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors"
    assert complaint in body["errors"]["answer_input"]
    world.settle()
    assert len(world.answers_stored()) == stored
    assert len(world.fake.calls("chat.postMessage")) == posted
    world.current_question("scar.months_since")  # still waiting for an answer

    fixed = world.answer_in_modal("scar.months_since", "3")
    assert fixed.status == 200 and fixed.body == ""
    world.current_question("buyer.evidence_receptive")
    assert world.store().current_answers(session_id=world.session_id())["scar.months_since"] == 3


def test_rep_who_adds_a_note_sees_it_in_the_transcript_and_the_record_keeps_it(
    world: World,
) -> None:
    world.start("Acme renewal")

    reply = world.answer_in_modal(
        "deal.stage", "pilot", note="Champion left in March; new VP is *sceptical*", select=True
    )

    assert reply.status == 200 and reply.body == ""
    world.current_question("use_case.autonomous_irreversible")
    answered = world.thread()[0]
    assert "Pilot" in text_of(answered)
    assert "Champion left in March; new VP is *sceptical*" in text_of(answered)
    notes = world.store().current_notes(session_id=world.session_id())
    assert notes == {"deal.stage": "Champion left in March; new VP is *sceptical*"}


def test_rep_who_clicks_back_changes_the_previous_answer(world: World) -> None:
    world.start("Acme renewal")
    world.run_through({"deal.stage": "pilot", "use_case.autonomous_irreversible": "no"})
    on_screen = world.current_question("scar.previous_attempt")
    assert {"back", "start_over"} <= {e["action_id"] for e in actions_of(on_screen)}

    world.click(on_screen, action_id="back")

    again = world.current_question("use_case.autonomous_irreversible")
    assert again["ts"] != on_screen["ts"], "the previous question is asked again, at the bottom"
    greyed = next(m for m in world.thread() if m["ts"] == on_screen["ts"])
    assert actions_of(greyed) == []
    assert "~" in text_of(greyed) and "Went back" in text_of(greyed)
    assert world.store().current_answers(session_id=world.session_id()) == {"deal.stage": "pilot"}
    # The answer taken back is struck where it was given; the question asked again says it.
    struck = world.message_with("use_case.autonomous_irreversible|replaced")
    assert "~No~" in text_of(struck) and "asked again below" in text_of(struck)
    assert ":white_check_mark:" not in text_of(struck)
    assert "Before: *No*" in text_of(again)
    # In the rep's own DM, no line says the rep answered: the only one who can.
    stage = world.message_with("deal.stage|answered")
    assert "Answered by" not in text_of(stage) and "<@" not in text_of(stage)

    world.answer("use_case.autonomous_irreversible", "partly")
    world.current_question("use_case.buyer_will_move")
    current = world.store().current_answers(session_id=world.session_id())
    assert current == {"deal.stage": "pilot", "use_case.autonomous_irreversible": "partly"}
    history = world.answers_stored()
    assert [(a.question_id, a.value, a.superseded_at is None) for a in history] == [
        ("deal.stage", "pilot", True),
        ("use_case.autonomous_irreversible", "no", False),
        ("use_case.autonomous_irreversible", "partly", True),
    ]


def test_rep_who_clicks_back_on_the_second_question_can_change_the_first(world: World) -> None:
    world.start("Acme renewal")
    world.answer("deal.stage", "pilot")
    second = world.current_question("use_case.autonomous_irreversible")

    world.click(second, action_id="back")

    first_again = world.current_question("deal.stage")
    assert first_again["ts"] != world.thread()[0]["ts"]
    assert world.store().current_answers(session_id=world.session_id()) == {}
    world.answer("deal.stage", "renewal")
    world.current_question("use_case.autonomous_irreversible")


def test_rep_who_starts_over_is_asked_everything_again(world: World) -> None:
    world.start("Acme renewal")
    world.run_through(
        {
            "deal.stage": "pilot",
            "use_case.autonomous_irreversible": "no",
            "scar.previous_attempt": "no",
        }
    )
    on_screen = world.current_question("buyer.evidence_receptive")

    world.click(on_screen, action_id="start_over")

    again = world.current_question("deal.stage")
    greyed = next(m for m in world.thread() if m["ts"] == on_screen["ts"])
    assert actions_of(greyed) == [] and "Started over" in text_of(greyed)
    assert world.store().current_answers(session_id=world.session_id()) == {}
    assert len(world.open_questions()) == 1
    for qid, label in [
        ("deal.stage", "Pilot"),
        ("use_case.autonomous_irreversible", "No"),
        ("scar.previous_attempt", "No"),
    ]:
        struck = world.message_with(f"{qid}|replaced")
        assert f"~{label}~" in text_of(struck) and "started over" in text_of(struck)
    assert "Before: *Pilot*" in text_of(again)


def test_rep_who_changes_a_branch_loses_the_answers_that_no_longer_apply(world: World) -> None:
    world.start("Acme pilot")
    world.run_through(
        {
            "deal.stage": "pilot",
            "use_case.autonomous_irreversible": "yes",
            "use_case.buyer_will_move": "yes",
        }
    )
    on_screen = world.current_question("scar.previous_attempt")
    world.click(on_screen, action_id="back")
    world.current_question("use_case.buyer_will_move")
    world.click(world.current_question("use_case.buyer_will_move"), action_id="back")

    world.answer("use_case.autonomous_irreversible", "no")

    world.current_question("scar.previous_attempt")
    current = world.store().current_answers(session_id=world.session_id())
    assert current == {"deal.stage": "pilot", "use_case.autonomous_irreversible": "no"}


def test_rep_who_changes_the_stage_drops_the_pilot_answers(world: World) -> None:
    world.start("Acme pilot")
    world.run_through(
        {
            "deal.stage": "pilot",
            "use_case.autonomous_irreversible": "no",
            "scar.previous_attempt": "no",
            "buyer.evidence_receptive": "yes",
            "pilot.in_flight": "yes",
        }
    )
    world.current_question("pilot.kill_criteria_written")
    for _ in range(5):  # back to the stage question
        world.click(world.current_question(), action_id="back")
        world.settle()
    world.current_question("deal.stage")

    world.answer("deal.stage", "evaluation")
    world.run_through(
        {
            "use_case.autonomous_irreversible": "no",
            "scar.previous_attempt": "no",
            "buyer.evidence_receptive": "yes",
        }
    )

    world.current_question("terms.guarantee_demanded")
    current = world.store().current_answers(session_id=world.session_id())
    assert "pilot.in_flight" not in current
