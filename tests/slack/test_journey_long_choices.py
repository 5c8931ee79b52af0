"""A team checklist whose menu question has long ids and values is answered through Slack.

A choice question with more than eight values is a select menu, and Slack cuts an option's
value at 150 characters. The option therefore carries the answer's position among the
question's values, not the value: with an 80-character question id and 64-character values,
the answer is still recorded, and the thread goes on to the verdict.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.qualification.payloads import AnswerRef
from tests.slack.fake_slack import FakeSlack
from tests.slack.limits import assert_call_within_limits
from tests.slack.test_journey_outcomes import CALM
from tests.slack.world import World, actions_of, sqlite_url, text_of

SHIPPED = Path(__file__).resolve().parents[2] / "prompts" / "checklist.yml"
REGION = "team.which_procurement_region_and_buying_committee_signs_off_on_this_renewal_deal"
REGION = REGION[:80]
VALUES = [f"region_{n:02d}_" + "x" * 54 for n in range(12)]
LABELS = [f"Region {n}: the committee that signs off" for n in range(12)]


@pytest.fixture
def team_checklist(tmp_path: Path) -> Path:
    """The shipped checklist with a twelve-value question first, at the id and value limits."""
    assert len(REGION) == 80 and all(len(value) == 64 for value in VALUES)
    choices = "".join(
        f"      - {{value: {value}, label: '{label}'}}\n"
        for value, label in zip(VALUES, LABELS, strict=True)
    )
    question = (
        f"  - id: {REGION}\n    kind: choice\n    text: Who signs off?\n    choices:\n{choices}\n"
    )
    text = SHIPPED.read_text("utf-8").replace("questions:\n", "questions:\n" + question, 1)
    path = tmp_path / "ours.yml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture
def team_world(fake: FakeSlack, tmp_path: Path, team_checklist: Path) -> Iterator[World]:
    """The real app running the team's checklist (WALKAWAY_CHECKLIST); every call fits Slack."""
    with World.serving(fake, sqlite_url(tmp_path), checklist=team_checklist) as world:
        yield world
        world.settle()
        for call in fake.calls():
            assert_call_within_limits(call)


def test_a_long_value_picked_in_the_menu_is_recorded_and_the_check_goes_on_to_a_verdict(
    team_world: World,
) -> None:
    world = team_world
    world.start("Acme renewal")
    menu = next(
        e for e in actions_of(world.current_question(REGION)) if e["type"] == "static_select"
    )
    assert len(menu["options"]) == len(VALUES)
    assert all(len(option["value"]) <= 150 for option in menu["options"])

    reply = world.choose(REGION, LABELS[10])

    assert reply.status == 200
    world.current_question("deal.stage")
    assert world.answers_stored()[0].value == VALUES[10]
    answered = world.thread()[0]
    assert LABELS[10] in text_of(answered) and actions_of(answered) == []
    world.run_through({"deal.stage": "evaluation", **CALM})
    assert "Proceed" in text_of(world.verdict())
    answers = world.store().current_answers(session_id=world.session_id())
    assert answers[REGION] == VALUES[10]


def test_a_menu_option_posted_before_choices_were_numbered_still_records_its_value(
    world: World,
) -> None:
    """Menus already in people's threads carry the value itself; picking one still works."""
    world.start("Acme renewal")
    message = world.current_question("deal.stage")
    session = world.session_id()
    old = AnswerRef(session=session, question="deal.stage", value="pilot").dump()
    menu = {"type": "static_select", "action_id": "answer_select", "options": []}
    message = json.loads(json.dumps(message))
    actions = next(b for b in message["blocks"] if b.get("type") == "actions")
    actions["elements"].insert(0, menu)
    option = {"text": {"type": "plain_text", "text": "Pilot"}, "value": old}

    reply = world.pick(message, menu, option)

    assert reply.status == 200
    world.current_question("use_case.autonomous_irreversible")
    assert world.store().current_answers(session_id=session) == {"deal.stage": "pilot"}


def test_a_menu_position_that_is_not_one_of_the_values_records_nothing(
    team_world: World,
) -> None:
    world = team_world
    world.start("Acme renewal")
    message = world.current_question(REGION)
    menu = next(e for e in actions_of(message) if e["type"] == "static_select")
    forged = json.loads(menu["options"][0]["value"]) | {"choice": len(VALUES)}
    option = {"text": {"type": "plain_text", "text": "?"}, "value": json.dumps(forged)}

    reply = world.pick(message, menu, option)

    assert reply.status == 200
    world.settle()
    assert world.answers_stored() == []
    assert any("don't recognise" in text for text in world.ephemeral_texts())
