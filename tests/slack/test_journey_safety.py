"""Safety at the edge: signatures, escaping, Slack's limits, and unexpected errors."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from typing import Any

import pytest

from tests.slack.signed import button_click
from tests.slack.world import World, actions_of, text_of, wait_until

REP_MENTION = "<@U0REP>"
"""The one Slack token the app itself writes: who answered or sent. Anything else is injected."""

HEALTHY = {
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "no",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "yes",
    "terms.accepts_measured_pilot": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}


def database_dump(world: World) -> list[str]:
    path = world.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        return list(connection.iterdump())


# -- signatures ---------------------------------------------------------------------------


@pytest.mark.parametrize("forgery", ["bad_signature", "stale"])
def test_unsigned_or_replayed_requests_get_401_and_change_nothing(
    world: World, forgery: str
) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    world.settle()
    before_calls = world.mark()
    before_db = database_dump(world)
    options: dict[str, Any] = {forgery: True}

    replies = [
        world.command("Globex pilot", **options),
        world.command("", **options),
        world.click(question, value="pilot", **options),
        world.typed("pilot", **options),
    ]
    world.settle()

    assert [r.status for r in replies] == [401, 401, 401, 401]
    assert world.calls_since(before_calls) == []
    assert database_dump(world) == before_db


# -- escaping -------------------------------------------------------------------------------


DATE_TOKEN = re.compile(r"<!date\^\d+\^[^|<>]*\|[^<>]*>")
"""Times the app writes as Slack date tokens (bot/slack/dates.py): ours, and they ping no one."""


def raw_tokens(value: Any, path: str = "") -> list[str]:
    """Every readable text in a call that holds a Slack control sequence we did not write."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, child in value.items():
            if key == "text" and isinstance(child, str):
                leftover = DATE_TOKEN.sub("", child.replace(REP_MENTION, ""))
                if "<" in leftover:
                    found.append(f"{path}.text: {child[:200]!r}")
            else:
                found.extend(raw_tokens(child, f"{path}.{key}"))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(raw_tokens(child, f"{path}[{index}]"))
    return found


NASTY_DEAL = "<!channel> Acme <@U123> <https://evil.example|x> & <!here> <!subteam^S1>"


@pytest.mark.parametrize("arrives", ["escaped", "raw"])
def test_deal_names_and_notes_never_ping_anyone_or_hide_a_link(world: World, arrives: str) -> None:
    typed = (
        NASTY_DEAL.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        if arrives == "escaped"
        else NASTY_DEAL
    )

    ack = world.command(typed)
    world.current_question("deal.stage")
    world.answer_in_modal("deal.stage", "evaluation", note="ask <@U999> & <!channel>", select=True)
    world.current_question("use_case.autonomous_irreversible")
    world.typed("no // loop in <@U999> <https://evil.example|here>")
    world.current_question("scar.previous_attempt")
    world.run_through({k: v for k, v in HEALTHY.items() if k != "use_case.autonomous_irreversible"})
    draft = world.draft()
    world.click(draft, action_id="copy_text")
    world.open_view(draft, "edit_draft")
    world.command("")
    world.slack.event(
        {"type": "app_home_opened", "user": world.user, "channel": world.dm, "tab": "home"},
        team_id=world.team,
    )
    world.fake.wait_for("views.publish")
    world.settle()

    assert "<!channel>" not in ack.body and "&lt;!channel&gt;" in ack.body
    leaks = [
        f"{call.method}{leak}" for call in world.fake.calls() for leak in raw_tokens(call.args)
    ]
    assert leaks == []
    session = world.session_id()
    stored = world.store().get_session(session_id=session)
    assert stored is not None
    assert stored.deal_name == NASTY_DEAL, "stored exactly as typed, once decoded"
    notes = world.store().current_notes(session_id=session)
    assert notes["deal.stage"] == "ask <@U999> & <!channel>"
    everything = "\n".join(json.dumps(c.args) for c in world.fake.calls())
    assert "&lt;!channel&gt; Acme &lt;@U123&gt;" in everything
    assert "&amp;lt;" not in everything, "escaped once, not twice"
    card = text_of(world.verdict())
    assert "&lt;!channel&gt; Acme" in card


# -- limits -------------------------------------------------------------------------------


def test_huge_deal_names_and_notes_are_cut_with_an_ellipsis_not_rejected(world: World) -> None:
    deal = "Acme " + "&<>x" * 750  # 3,005 characters, each & < > five times longer escaped
    note = ("Champion & sponsor <left> " * 40)[:1000]

    reply = world.command(deal)

    assert reply.status == 200
    world.current_question("deal.stage")
    world.answer_in_modal("deal.stage", "evaluation", note=note, select=True)
    world.current_question("use_case.autonomous_irreversible")
    world.run_through(HEALTHY)
    draft = world.draft()
    world.click(draft, action_id="copy_text")
    world.open_view(draft, "edit_draft")
    world.command("")
    world.settle()

    # the fixture checks every call against Slack's limits; here: cut, marked, readable
    assert "…" in text_of(world.opening())
    transcript = text_of(world.thread()[0])
    assert "Champion &amp; sponsor &lt;left&gt;" in transcript and "…" in transcript
    assert "…" in text_of(world.verdict())
    assert world.fake.calls("chat.postMessage")
    assert not [c for c in world.fake.calls() if c.error]


# -- unexpected errors ----------------------------------------------------------------------


def test_a_failing_slack_call_gets_an_apology_with_a_reference_and_loses_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    session = world.session_id()
    world.settle()
    world.fake.fail_next("chat.postMessage", error="invalid_blocks")  # it would fail again

    with caplog.at_level(logging.ERROR):
        world.click(question, value="pilot")
        world.settle()

    apologies = [t for t in world.ephemeral_texts() if "Sorry" in t]
    assert len(apologies) == 1
    ref = re.search(r"reference ([0-9a-f]{8})", apologies[0])
    assert ref is not None
    logged = [r for r in caplog.records if ref.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None, "the traceback is logged under the ref"
    assert "invalid_blocks" in caplog.text
    assert world.store().current_answers(session_id=session) == {"deal.stage": "pilot"}

    world.command("Acme renewal")  # carry on where it stopped

    nxt = world.current_question("use_case.autonomous_irreversible")
    assert nxt["thread_ts"] == world.opening()["ts"]
    world.answer("use_case.autonomous_irreversible", "no")
    world.current_question("scar.previous_attempt")


def test_slack_failing_for_a_while_is_waited_out_and_the_rep_sees_nothing_wrong(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    session = world.session_id()
    world.settle()
    world.fake.fail_next("chat.postMessage", error="internal_error", times=3)
    world.fake.fail_next("chat.update", error="ratelimited", status=200, times=2)

    world.click(question, value="pilot")
    world.settle()  # the job is put back three times; the test clock skips its delays

    assert world.store().current_answers(session_id=session) == {"deal.stage": "pilot"}
    (nxt,) = world.open_questions()
    assert world.question_id(nxt) == "use_case.autonomous_irreversible"
    assert not [t for t in world.ephemeral_texts() if "Sorry" in t]
    failed = [c for c in world.fake.calls("chat.postMessage") if c.error]
    assert len(failed) == 3, "each failure was a separate attempt of the same job"
    assert "trying again" in caplog.text
    world.answer("use_case.autonomous_irreversible", "no")
    world.current_question("scar.previous_attempt")


def test_a_failing_slash_command_apologises_privately(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.fake.fail_next("conversations.open", error="missing_scope")

    with caplog.at_level(logging.ERROR):
        reply = world.command("Acme renewal")
        world.settle()

    assert reply.status == 200 and "Opening the walk-away check" in reply.body, reply
    apology = wait_until(
        lambda: [m for m in world.private_replies() if "Sorry" in text_of(m)],
        what="an apology",
    )[-1]
    assert re.search(r"reference [0-9a-f]{8}", text_of(apology))
    assert "unhandled error" in caplog.text

    world.start("Acme renewal")  # the retry opens the thread and asks the first question
    world.current_question("deal.stage")


def test_a_damaged_button_value_gets_a_clear_message_not_an_apology(world: World) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    element = world.element(question, value="pilot")
    world.settle()
    before = world.mark()

    world.slack.block_action(
        button_click(
            world.user,
            world.team,
            world.dm,
            question["ts"],
            element["action_id"],
            "{not json",
            "deal.stage|s1|1",
            response_url=world.slack.response_url(world.team),
        )
    )
    world.settle()

    said = world.calls_since(before)
    assert [c.method for c in said] == ["response_url"]
    assert "don't recognise" in said[0].args["text"] and "Sorry" not in said[0].args["text"]
    assert world.answers_stored() == []
    assert actions_of(world.current_question("deal.stage"))


def test_a_failure_after_a_modal_answer_apologises_in_the_dm_and_keeps_the_answer(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.start("Acme renewal")
    world.run_through({"deal.stage": "negotiation", "use_case.autonomous_irreversible": "no"})
    world.run_through({"scar.previous_attempt": "yes", "scar.failure_mode": "other"})
    world.run_through({"scar.still_present": "no"})
    session = world.session_id()
    world.current_question("scar.months_since")
    world.settle()
    world.fake.fail_next("chat.postMessage", error="invalid_blocks")

    with caplog.at_level(logging.ERROR):
        reply = world.answer_in_modal("scar.months_since", "4")
        world.settle()

    assert reply.status == 200 and reply.body == "", "the modal closed: the answer was saved"
    apology = [m for m in world.fake.messages(world.dm) if "Sorry" in str(m.get("text"))]
    assert len(apology) == 1 and re.search(r"reference [0-9a-f]{8}", apology[0]["text"])
    assert world.store().current_answers(session_id=session)["scar.months_since"] == 4

    world.command("Acme renewal")
    world.current_question("buyer.evidence_receptive")


def test_an_answered_message_slack_will_not_update_leaves_the_thread_going(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    world.settle()
    world.fake.fail_next("chat.update", error="message_not_found")  # the rep deleted it

    with caplog.at_level(logging.WARNING):
        world.click(question, value="pilot")
        world.settle()

    world.current_question("use_case.autonomous_irreversible")
    assert not [t for t in world.ephemeral_texts() if "Sorry" in t]
    assert "message_not_found" in caplog.text


def test_a_failure_before_a_modal_is_answered_keeps_it_open_with_the_apology(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from storage.repository import Store

    world.start("Acme renewal")
    world.run_through({"deal.stage": "evaluation", **HEALTHY})
    view = world.open_view(world.draft(), "edit_draft")

    def disk_full(self: Store, **_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(Store, "update_draft", disk_full)
    with caplog.at_level(logging.ERROR):
        reply = world.submit_view(
            view,
            {
                "draft_input": {"draft": {"type": "plain_text_input", "value": "Hello"}},
                "send_anyway": {
                    "send_anyway": {"type": "checkboxes", "selected_options": [{"value": "yes"}]}
                },
            },
        )
        world.settle()

    assert reply.status == 200
    body = reply.json()
    assert body["response_action"] == "errors"
    assert re.search(r"reference [0-9a-f]{8}", body["errors"]["draft_input"])
    assert "disk full" in caplog.text


def test_a_failure_on_a_typed_reply_apologises_in_the_thread(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.start("Acme renewal")
    world.current_question("deal.stage")
    world.fake.fail_next("chat.postMessage", error="invalid_blocks")

    with caplog.at_level(logging.ERROR):
        world.typed("pilot")
        world.settle()

    apology = [m for m in world.thread() if "Sorry" in str(m.get("text"))]
    assert len(apology) == 1 and apology[0]["thread_ts"] == world.opening()["ts"]
    assert "unhandled error" in caplog.text
    assert world.store().current_answers(session_id=world.session_id()) == {"deal.stage": "pilot"}


def test_a_tampered_answer_value_is_refused_without_echoing_mentions(world: World) -> None:
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    element = world.element(question, value="pilot")
    forged = json.dumps(
        {"session": world.session_id(), "question": "deal.stage", "value": "<!channel>"}
    )
    world.settle()
    before = world.mark()

    world.slack.block_action(
        button_click(
            world.user,
            world.team,
            world.dm,
            question["ts"],
            element["action_id"],
            forged,
            "deal.stage|s1|1",
            response_url=world.slack.response_url(world.team),
        )
    )
    world.settle()

    (said,) = world.calls_since(before)
    assert "&lt;!channel&gt;" in said.args["text"] and "<!channel>" not in said.args["text"]
    assert world.answers_stored() == []


def test_a_tampered_modal_is_refused_inline(world: World) -> None:
    world.start("Acme renewal")
    world.current_question("deal.stage")
    world.settle()
    before = world.mark()

    reply = world.submit_view(
        {"callback_id": "answer_view", "private_metadata": "{broken"},
        {"answer_input": {"value": {"type": "plain_text_input", "value": "pilot"}}},
    )
    world.settle()

    assert reply.json()["response_action"] == "errors"
    assert "out of date" in reply.json()["errors"]["answer_input"]
    assert world.calls_since(before) == [] and world.answers_stored() == []
