"""Double clicks, Slack retries, stale buttons, typed replies and other people's clicks."""

from __future__ import annotations

import threading
from typing import Any

from tests.slack.signed import Response, button_click
from tests.slack.world import World, text_of, wait_until


def click_payload(world: World, message: dict[str, Any], value: str) -> dict[str, Any]:
    """One click, built once so it can be delivered more than once (same action_ts)."""
    element = world.element(message, value=value)
    block = next(b for b in message["blocks"] if b.get("type") == "actions")
    return button_click(
        world.user,
        world.team,
        world.dm,
        message["ts"],
        element["action_id"],
        element["value"],
        block["block_id"],
        "1700000123.456789",
        response_url=world.slack.response_url(world.team),
    )


def questions_posted(world: World, question_id: str) -> list[dict[str, Any]]:
    return [
        c.args
        for c in world.fake.calls("chat.postMessage")
        if any(
            str(b.get("block_id", "")).startswith(question_id + "|")
            for b in c.args.get("blocks", [])
        )
    ]


def test_rep_who_double_clicks_records_one_answer_and_gets_one_next_question(
    world: World,
) -> None:
    world.start("Acme renewal")
    payload = click_payload(world, world.current_question("deal.stage"), "pilot")
    replies: list[Response] = []

    def deliver() -> None:
        replies.append(world.slack.block_action(payload))

    clicks = [threading.Thread(target=deliver) for _ in range(2)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    world.settle()

    assert [r.status for r in replies] == [200, 200]
    assert [(a.question_id, a.value) for a in world.answers_stored()] == [("deal.stage", "pilot")]
    assert len(questions_posted(world, "use_case.autonomous_irreversible")) == 1
    assert not [t for t in world.ephemeral_texts() if "already" in t], "a replay stays silent"


def test_the_same_click_delivered_again_later_changes_nothing(world: World) -> None:
    world.start("Acme renewal")
    payload = click_payload(world, world.current_question("deal.stage"), "pilot")
    world.slack.block_action(payload)
    world.current_question("use_case.autonomous_irreversible")
    world.settle()
    before = world.mark()

    again = world.slack.block_action(payload)
    world.settle()

    assert again.status == 200
    assert world.calls_since(before) == []
    assert len(world.answers_stored()) == 1


def test_rep_who_clicks_an_already_answered_question_is_told_and_nothing_is_recorded(
    world: World,
) -> None:
    world.start("Acme renewal")
    first = world.current_question("deal.stage")
    world.answer("deal.stage", "pilot")
    world.current_question("use_case.autonomous_irreversible")
    world.settle()
    before = world.mark()

    world.click(first, value="renewal")  # a fresh click on the old copy of the message
    world.settle()

    said = [c for c in world.calls_since(before)]
    assert [c.method for c in said] == ["response_url"]
    assert "already answered" in said[0].args["text"]
    assert said[0].args["response_type"] == "ephemeral"
    assert [(a.question_id, a.value) for a in world.answers_stored()] == [("deal.stage", "pilot")]


def test_someone_else_clicking_the_reps_buttons_is_refused_and_nothing_changes(
    world: World,
) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    world.settle()
    before = world.mark()

    world.click(question, value="pilot", user="U0INTRUDER")
    world.click(question, action_id="answer_modal", user="U0INTRUDER")
    world.settle()

    said = world.calls_since(before)
    assert [c.method for c in said] == ["response_url", "response_url"]
    assert all("Only the rep who started" in c.args["text"] for c in said)
    assert world.answers_stored() == []
    assert world.current_question("deal.stage")["ts"] == question["ts"]


def test_rep_can_type_answers_in_the_thread(world: World) -> None:
    world.start("Acme renewal")
    world.current_question("deal.stage")

    world.typed("pilot")
    world.current_question("use_case.autonomous_irreversible")
    world.typed("3 // human signs off every action")  # the third choice: No
    world.current_question("scar.previous_attempt")
    world.typed("Yes")
    world.current_question("scar.failure_mode")
    world.typed("1")
    world.current_question("scar.still_present")
    world.typed("no")
    world.current_question("scar.months_since")
    world.typed("7")
    world.current_question("buyer.evidence_receptive")

    session = world.session_id()
    assert world.store().current_answers(session_id=session) == {
        "deal.stage": "pilot",
        "use_case.autonomous_irreversible": "no",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "unclear_ownership",
        "scar.still_present": "no",
        "scar.months_since": 7,
    }
    assert world.store().current_notes(session_id=session) == {
        "use_case.autonomous_irreversible": "human signs off every action"
    }
    transcript = "\n".join(text_of(m) for m in world.thread())
    assert "human signs off every action" in transcript and "*7*" in transcript


def test_rep_who_types_a_wrong_answer_gets_a_reply_in_the_thread(world: World) -> None:
    world.start("Acme renewal")
    world.run_through({"deal.stage": "negotiation", "use_case.autonomous_irreversible": "no"})
    world.run_through({"scar.previous_attempt": "yes", "scar.failure_mode": "other"})
    world.run_through({"scar.still_present": "unsure"})
    world.current_question("scar.months_since")
    posted = len(world.fake.calls("chat.postMessage"))

    world.typed("soon-ish")

    reply = world.fake.wait_for("chat.postMessage", count=posted + 1)[-1].args
    assert reply["thread_ts"] == world.opening()["ts"]
    assert "is not a number" in reply["text"]
    world.settle()
    assert "scar.months_since" not in world.store().current_answers(session_id=world.session_id())
    world.current_question("scar.months_since")


def test_slack_redelivering_a_typed_answer_records_it_once(world: World) -> None:
    world.start("Acme renewal")
    world.current_question("deal.stage")

    first = world.typed("pilot", event_id="Ev0TYPED1")
    world.current_question("use_case.autonomous_irreversible")
    world.settle()
    opening_ts = world.opening()["ts"]
    retry = world.typed("pilot", event_id="Ev0TYPED1", retry_num=1, thread_ts=opening_ts)
    world.settle()

    assert first.status == 200 and retry.status == 200
    assert [(a.question_id, a.value) for a in world.answers_stored()] == [("deal.stage", "pilot")]
    assert len(questions_posted(world, "use_case.autonomous_irreversible")) == 1
    assert len(world.open_questions()) == 1


def test_typed_messages_outside_a_qualification_thread_are_ignored(world: World) -> None:
    world.start("Acme renewal")
    world.current_question("deal.stage")
    world.settle()
    before = world.mark()

    world.typed("pilot", thread_ts="1600000000.000100")  # some other thread in the DM
    world.settle()

    assert world.calls_since(before) == []
    assert world.answers_stored() == []


def test_a_click_and_a_typed_answer_racing_for_one_question_record_one_answer(
    world: World,
) -> None:
    world.start("Acme renewal")
    payload = click_payload(world, world.current_question("deal.stage"), "pilot")
    world.settle()  # the question's ts is stored before the race starts

    racers = [
        threading.Thread(target=lambda: world.slack.block_action(payload)),
        threading.Thread(target=lambda: world.typed("renewal", settle=False)),
    ]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    world.settle()

    assert len(world.answers_stored()) == 1
    assert len(questions_posted(world, "use_case.autonomous_irreversible")) == 1
    wait_until(lambda: len(world.open_questions()) == 1, what="one live question")
