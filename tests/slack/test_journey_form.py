"""The whole check as one form: branches redrawn as answers change, every choice stored as it is
made, closing losing nothing, and the same verdict card as the conversation."""

from __future__ import annotations

import json
from typing import Any

from tests.slack.form_world import Form, form_buttons
from tests.slack.test_journey_outcomes import CALM, NUMBERS, PATHS
from tests.slack.world import World, actions_of, text_of


def fill(form: Form, answers: dict[str, str]) -> list[str]:
    """Answer every question the form shows from `answers`, as a rep would: tick a box only for
    yes, one click per other choice, type a number. Returns the question ids answered."""
    done: list[str] = []
    while True:
        pending = [q for q in form.questions() if q not in done]
        if not pending:
            return done
        qid = pending[0]
        done.append(qid)
        element = form.element(qid)
        if qid in NUMBERS:
            form.type(qid, answers[qid])
        elif element["type"] == "checkboxes":
            if answers[qid] == "yes":
                form.choose(qid, "yes")
                form.world.settle()
        else:
            form.choose(qid, answers[qid])
            form.world.settle()


def test_first_question_and_opening_offer_the_form(world: World) -> None:
    world.start("Acme renewal")
    first = world.current_question("deal.stage")
    assert [b["text"]["text"] for b in form_buttons(first)] == ["Use a form instead"]
    assert form_buttons(world.opening())
    world.answer("deal.stage", "pilot")
    second = world.current_question("use_case.autonomous_irreversible")
    assert form_buttons(second) == [], "later questions keep to Back and Start over"


def test_form_opens_with_every_question_that_applies_and_redraws_its_branches(
    world: World,
) -> None:
    world.start("Acme renewal")
    form = Form.open_from(world, world.current_question("deal.stage"))
    shown = form.questions()
    assert shown[:2] == ["deal.stage", "use_case.autonomous_irreversible"]
    assert "scar.failure_mode" not in shown and "pilot.in_flight" not in shown
    assert form.element("scar.previous_attempt")["type"] == "checkboxes"
    assert form.element("deal.stage")["type"] == "radio_buttons"
    inputs = [b for b in form.view["blocks"] if b["type"] == "input"]
    assert inputs and all(
        b.get("dispatch_action")
        for b in inputs
        if b["element"]["type"] in ("radio_buttons", "static_select")
    )
    assert not any(b.get("optional") for b in inputs), "no question reads '(optional)'"
    assert "0 answered · up to 19 to go" in form.text()

    form.choose("deal.stage", "pilot")
    world.settle()
    assert "pilot.in_flight" in form.questions()
    assert world.store().current_answers(session_id=world.session_id()) == {"deal.stage": "pilot"}

    form.choose("scar.previous_attempt", "yes")
    world.settle()
    shown = form.questions()
    assert shown.index("scar.failure_mode") == shown.index("scar.previous_attempt") + 1
    assert {"scar.still_present", "scar.months_since"} <= set(shown)

    form.choose("scar.previous_attempt", "no")  # unticked: the branch closes again
    world.settle()
    assert "scar.failure_mode" not in form.questions()
    stored = world.store().current_answers(session_id=world.session_id())
    assert stored == {"deal.stage": "pilot", "scar.previous_attempt": "no"}
    updates = world.calls("views.update")
    assert updates and all(c.args.get("hash") for c in updates), "each redraw names its hash"


def test_a_redraw_from_an_old_hash_never_replaces_a_newer_form(world: World) -> None:
    world.start("Acme renewal")
    form = Form.open_from(world, world.current_question("deal.stage"))
    old_hash = form.view["hash"]
    form.choose("deal.stage", "pilot")
    world.settle()
    newer = form.view
    payload = form._payload("block_actions", actions=[])
    payload["view"]["hash"] = old_hash
    payload["actions"] = [
        {
            "action_id": "form_answer",
            "block_id": "form|use_case.autonomous_irreversible",
            "type": "radio_buttons",
            "selected_option": {"value": "no"},
            "action_ts": "1.000001",
        }
    ]
    assert world.slack.block_action(payload).status == 200
    world.settle()
    stored = world.store().current_answers(session_id=world.session_id())
    assert stored["use_case.autonomous_irreversible"] == "no", "the answer is stored all the same"
    conflicts = [c for c in world.calls("views.update") if c.result.get("error")]
    assert [c.result["error"] for c in conflicts] == ["hash_conflict"]
    assert form.view["hash"] != newer["hash"], "the drawing with the newest answer is shown"
    shown = form.element("use_case.autonomous_irreversible")["initial_option"]
    assert shown["value"] == "no" and "pilot.in_flight" in form.questions()


def test_closing_the_form_loses_nothing_and_the_thread_carries_on(world: World) -> None:
    world.start("Acme renewal")
    first = world.current_question("deal.stage")
    form = Form.open_from(world, first)
    form.choose("deal.stage", "renewal")
    form.choose("use_case.autonomous_irreversible", "no")
    form.choose("scar.previous_attempt", "yes")
    world.settle()
    form.choose("scar.failure_mode", "data_not_ready")
    world.settle()
    form.type("scar.months_since", "14")  # typed, never sent on its own

    assert form.close().status == 200
    world.settle()

    stored = world.store().current_answers(session_id=world.session_id())
    assert stored == {
        "deal.stage": "renewal",
        "use_case.autonomous_irreversible": "no",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "data_not_ready",
        "scar.months_since": 14,
    }
    # The first question's message now lists what the form stored; the thread asks what is left.
    transcript = next(m for m in world.thread() if m["ts"] == first["ts"])
    assert actions_of(transcript) == []
    assert "Answered in the form" in text_of(transcript) and "*Renewal*" in text_of(transcript)
    waiting = world.current_question("scar.still_present")
    assert "6 of up to" in text_of(waiting)
    assert world.click(first, value="pilot").status == 200  # the old buttons are gone in Slack
    world.settle()
    assert world.store().current_answers(session_id=world.session_id())["deal.stage"] == "renewal"

    # Reopened, the form starts from the stored answers.
    again = Form.open_from(world, world.opening())
    assert again.state()["form|deal.stage"]["form_answer"]["selected_option"]["value"] == "renewal"
    assert again.state()["form|scar.months_since"]["form_answer"]["value"] == "14"
    ticked = again.state()["form|scar.previous_attempt"]["form_answer"]["selected_options"]
    assert [o["value"] for o in ticked] == ["yes"]


def test_sending_with_questions_left_shows_them_and_stores_the_rest(world: World) -> None:
    world.start("Acme renewal")
    form = Form.open_from(world, world.current_question("deal.stage"))
    form.choose("deal.stage", "evaluation")
    world.settle()
    reply = form.send()
    assert reply.status == 200
    answer = json.loads(reply.body)
    assert answer["response_action"] == "errors" or answer["response_action"] == "update"
    if answer["response_action"] == "update":
        assert "more question(s) apply" in json.dumps(answer["view"])
    else:  # Slack itself stops a required radio group left empty; the app says it too
        assert "form|use_case.autonomous_irreversible" in answer["errors"]
    assert world.open_questions(), "no verdict yet"
    assert not any("verdict" in str(b.get("block_id")) for m in world.thread() for b in m["blocks"])


def _card_shape(card: dict[str, Any], deal: str) -> str:
    text = text_of(card).replace(deal, "DEAL")
    return "\n".join(line for line in text.splitlines() if not line.startswith("Record #"))


def test_the_form_gives_the_same_verdict_card_as_the_conversation(world: World) -> None:
    answers = {**CALM, **PATHS["walk"]}
    world.start("Acme walk")
    form = Form.open_from(world, world.current_question("deal.stage"))
    fill(form, answers)
    assert form.send().status == 200
    world.settle()
    card = world.verdict()
    record_id = int(text_of(card).split("Record #")[1].split()[0].strip("*_"))
    record = world.store().get_record(record_id=record_id)
    assert record is not None and record.outcome.value == "walk"
    assert "Walk away" in text_of(card)
    world.draft()
    stored = world.store().current_answers(session_id=record.session_id)
    assert {k: str(v) for k, v in stored.items()} == {q: answers[q] for q in stored}
    assert set(PATHS["walk"]) <= set(stored)

    again = form.send()  # a second copy of the form, sent after the verdict
    errors = json.loads(again.body)["errors"]
    assert list(errors) == ["form|deal.stage"] and "finished" in errors["form|deal.stage"]
    assert len([m for m in world.thread() if "verdict" in str(m["blocks"])]) >= 1


def test_answers_given_in_the_thread_while_the_form_is_open_are_not_undone_by_it(
    world: World,
) -> None:
    world.start("Acme renewal")
    form = Form.open_from(world, world.current_question("deal.stage"))
    world.run_through(
        {
            "deal.stage": "negotiation",
            "use_case.autonomous_irreversible": "no",
            "scar.previous_attempt": "yes",
        }
    )
    world.settle()
    # The form still shows the drawing from before: nothing chosen, the box unticked.
    assert form.state()["form|scar.previous_attempt"]["form_answer"]["selected_options"] == []

    reply = form.send()

    assert reply.status == 200
    stored = world.store().current_answers(session_id=world.session_id())
    assert stored["scar.previous_attempt"] == "yes", "an untouched box does not undo the thread"
    assert stored["deal.stage"] == "negotiation"
    assert json.loads(reply.body)["response_action"] == "update"
    assert "scar.failure_mode" in form.questions(), "the form now shows the open branch"
    ticked = form.state()["form|scar.previous_attempt"]["form_answer"]["selected_options"]
    assert [o["value"] for o in ticked] == ["yes"]


def test_a_redraw_slack_fails_is_tried_again_until_the_form_shows_the_branch(
    world: World,
) -> None:
    world.start("Acme renewal")
    form = Form.open_from(world, world.current_question("deal.stage"))
    world.fake.fail_next("views.update", error="internal_error")
    form.choose("deal.stage", "pilot")
    world.settle()
    assert "pilot.in_flight" in form.questions()
    assert [c.error for c in world.calls("views.update")][:1] == ["internal_error"]
