"""Starting a walk-away check: the command, the DM thread, the first question, help."""

from __future__ import annotations

import json

import pytest

from bot.app import SUBCOMMANDS, subcommand_of
from tests.slack.world import World, actions_of, text_of


def test_rep_who_runs_walkaway_gets_an_instant_ack_and_the_first_question_in_a_dm_thread(
    world: World,
) -> None:
    reply = world.command("Acme renewal")

    assert reply.status == 200
    assert "Opening the walk-away check" in reply.body
    assert "Acme renewal" in reply.body
    (opened,) = world.fake.wait_for("conversations.open")
    assert opened.args["users"] == world.user
    opening = world.opening()
    assert "Acme renewal" in text_of(opening)
    question = world.current_question("deal.stage")
    assert question["thread_ts"] == opening["ts"]
    assert "Where is this deal right now?" in text_of(question)


def test_question_message_is_a_machine_readable_transcript_entry(world: World) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")

    actions = next(b for b in question["blocks"] if b["type"] == "actions")
    assert actions["block_id"].startswith("deal.stage")
    answers = [e for e in actions_of(question) if e["action_id"].startswith("answer_choice")]
    values = [json.loads(e["value"]) for e in answers]
    assert [v["value"] for v in values] == [
        "prospecting",
        "evaluation",
        "pilot",
        "negotiation",
        "renewal",
    ]
    for value in values:
        assert value["question"] == "deal.stage"
        assert isinstance(value["session"], int)


def test_rep_who_asks_for_help_gets_the_commands_explained_privately(world: World) -> None:
    reply = world.command("help")

    assert reply.status == 200
    (help_reply,) = world.fake.wait_for("response_url")
    assert help_reply.args["response_type"] == "ephemeral"
    shown = text_of(help_reply.args)
    assert "/walkaway &lt;deal name&gt;" in shown
    assert "<deal name>" not in shown
    assert "Resume" in shown and "Back" in shown
    world.settle()
    assert world.fake.calls("conversations.open") == []
    assert world.fake.calls("chat.postMessage") == []


def test_deal_named_like_a_command_word_starts_a_qualification(world: World) -> None:
    reply = world.command("Help desk renewal")

    assert reply.status == 200
    assert "Help desk renewal" in reply.body
    question = world.current_question("deal.stage")
    assert "Help desk renewal" in text_of(question)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("help", "help"),
        ("settings", "settings"),
        ("manager <@U2|ana>", "manager"),
        ("manager", "manager"),
        ("manager none", "manager"),
        ("search pricing outcome:walk", "search"),
        ("Help desk renewal", None),
        ("Settings migration", None),
        ("Manager training pilot", None),
        ('"search engine rollout"', None),
    ],
)
def test_sub_commands_are_told_apart_from_deal_names(text: str, command: str | None) -> None:
    sub, _ = subcommand_of(text)
    assert sub is (SUBCOMMANDS[command] if command else None)
