"""Answering every branch of the checklist through to each of the five verdicts."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.dates import day_words
from bot.slack.text import escape
from tests.slack.world import World, actions_of, text_of

CALM = {
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "no",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}
"""A healthy deal; each path below overrides the answers that steer it."""

PATHS: dict[str, dict[str, str]] = {
    "proceed": {"deal.stage": "evaluation", "terms.mutual_benefit": "unsure"},
    "redirect": {
        "deal.stage": "evaluation",
        "use_case.autonomous_irreversible": "partly",
        "use_case.buyer_will_move": "unknown",
    },
    "defer": {
        "deal.stage": "negotiation",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "unclear_ownership",
        "scar.still_present": "no",
        "scar.months_since": "2",
        "buyer.evidence_receptive": "no",
    },
    "walk": {
        "deal.stage": "renewal",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "data_not_ready",
        "scar.still_present": "yes",
        "scar.addressable": "no",
        "scar.months_since": "14",
        "terms.guarantee_demanded": "yes",
        "terms.accepts_measured_pilot": "no",
        "dynamics.deadlock": "yes",
        "dynamics.better_alternative": "yes",
        "self.quota_only": "yes",
    },
    "stop_pilot": {
        "deal.stage": "pilot",
        "pilot.in_flight": "yes",
        "pilot.kill_criteria_written": "yes",
        "pilot.kill_criteria_met": "yes",
    },
}
NUMBERS = {"scar.months_since"}
LABELS = {
    "proceed": "Proceed",
    "redirect": "Redirect",
    "defer": "Defer",
    "walk": "Walk away",
    "stop_pilot": "Stop the pilot",
}


def answer_everything(world: World, answers: dict[str, str]) -> list[str]:
    """Answer whatever the thread asks from `answers`; return the question ids in asked order."""
    asked: list[str] = []
    while True:
        world.settle()
        if not world.open_questions():
            return asked
        question = world.current_question()
        qid = world.question_id(question)
        assert qid not in asked, f"{qid} was asked twice"
        asked.append(qid)
        if qid in NUMBERS:
            reply = world.answer_in_modal(qid, answers[qid])
            assert reply.status == 200 and reply.body == "", reply
        else:
            world.click(question, value=answers[qid])


def shown(message: dict[str, Any]) -> str:
    return text_of(message)


@pytest.mark.parametrize("outcome", list(PATHS))
def test_rep_who_answers_every_question_gets_the_verdict_card_and_a_transcript(
    world: World, outcome: str
) -> None:
    answers = {**CALM, **PATHS[outcome]}
    world.start(f"Acme {outcome}")

    asked = answer_everything(world, answers)

    assert set(PATHS[outcome]) <= set(asked), "every steering question was asked"
    card = world.verdict()
    record = world.store().get_record(record_id=_record_id(card))
    assert record is not None and record.outcome.value == outcome
    verdict = record.verdict
    card_text = shown(card)
    assert LABELS[outcome] in card_text and f"Acme {outcome}" in card_text
    for line in [r.text for r in verdict.reasons] + [c.text for c in verdict.conditions]:
        assert escape(line[:1].upper() + line[1:]) in card_text  # each bullet a sentence
    for caution in verdict.cautions:
        assert escape(caution.text) in card_text
    if outcome == "defer":
        assert verdict.recheck_on is not None
        # The re-check date is one fact: the card states it once (in what would change it).
        assert card_text.count(day_words(verdict.recheck_on)) == 1
        assert card_text.lower().count("re-check on") == 1
    else:
        assert "re-check on" not in card_text.lower()

    # The thread reads as a transcript: each question message now shows the answer given.
    transcript = [m for m in world.thread() if any("|answered" in b for b in _blocks(m))]
    assert [_blocks(m)[0].split("|")[0] for m in transcript] == asked
    for message, qid in zip(transcript, asked, strict=True):
        assert actions_of(message) == [], "an answered question has no buttons left"
        assert ":white_check_mark:" in shown(message)
        if qid in NUMBERS:
            assert f"*{answers[qid]}*" in shown(message)
    stored = world.store().current_answers(session_id=record.session_id)
    assert {k: str(v) for k, v in stored.items()} == {q: answers[q] for q in asked}

    if outcome == "proceed":
        assert not any("draft_actions" in _blocks(m) for m in world.thread())
        assert not any("recipient_actions" in _blocks(m) for m in world.thread()), (
            "a check that ends in proceed asks nothing more"
        )
        assert record.draft_text is None
        assert verdict.cautions, "an unsure answer is a caution"
    else:
        assert "Who is this message for?" in shown(world.recipient_question())
        draft = world.draft()
        buttons = {e["action_id"]: e["text"]["text"] for e in actions_of(draft)}
        assert buttons == {
            "open_email": "Open in email",
            "copy_text": "Copy text",
            "edit_draft": "Edit draft",
            "mark_sent": "Mark as sent",
            "draft_length": "Show short note",
            "add_recipient": "Add recipient",
        }
        assert record.draft_text
        first_line = record.draft_text.strip().splitlines()[0]
        assert escape(first_line) in shown(draft)
    if outcome == "walk":
        assert len(verdict.reasons) >= 2 and len(verdict.cautions) >= 2


def _record_id(card: dict[str, Any]) -> int:
    context = next(b for b in card["blocks"] if b["type"] == "context")
    return int(context["elements"][0]["text"].removeprefix("Record #"))


def _blocks(message: dict[str, Any]) -> list[str]:
    return [str(b.get("block_id", "")) for b in message.get("blocks", [])]
