"""The buyer draft: edit it (with the tone check), mark it as sent, copy it as plain text."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.text import escape
from storage.records import RecordDetail
from tests.slack.world import World, actions_of, text_of, wait_until

WALK = {
    "deal.stage": "evaluation",
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
HARSH = "\n\nFrankly, your team failed last time, and this is your last chance."
KIND = "\n\nP.S. I have a one-page checklist for measured pilots if that would help."


@pytest.fixture
def walked(world: World) -> World:
    world.start("Acme renewal")
    world.run_through(WALK)
    world.draft()
    world.settle()
    return world


def record_of(world: World) -> RecordDetail:
    card = world.verdict()
    context = next(b for b in card["blocks"] if b["type"] == "context")
    record_id = int(context["elements"][0]["text"].removeprefix("Record #"))
    record = world.store().get_record(record_id=record_id)
    assert record is not None
    return record


def draft_values(text: str, *, anyway: bool = False) -> dict[str, dict[str, Any]]:
    ticked = [{"value": "yes", "text": {"type": "plain_text", "text": "Save even if"}}]
    return {
        "draft_input": {"draft": {"type": "plain_text_input", "value": text}},
        "send_anyway": {
            "send_anyway": {"type": "checkboxes", "selected_options": ticked if anyway else []}
        },
    }


def test_edit_draft_opens_a_modal_prefilled_with_the_draft(walked: World) -> None:
    record = record_of(walked)

    view = walked.open_view(walked.draft(), "edit_draft")

    assert view["callback_id"] == "edit_draft_view"
    field = next(b for b in view["blocks"] if b.get("block_id") == "draft_input")
    assert field["element"]["initial_value"] == record.draft_text


def test_rep_whose_edit_blames_the_buyer_sees_a_list_of_faults_then_fixes_them(
    walked: World,
) -> None:
    original = record_of(walked).draft_text or ""
    view = walked.open_view(walked.draft(), "edit_draft")

    harsh = walked.submit_view(view, draft_values(original + HARSH))

    assert harsh.status == 200
    body = harsh.json()
    assert body["response_action"] == "update"
    shown = body["view"]
    assert shown["callback_id"] == "edit_draft_view"
    field = next(b for b in shown["blocks"] if b.get("block_id") == "draft_input")
    assert field["element"]["initial_value"] == (original + HARSH).strip(), "their text is kept"
    listing = next(b for b in shown["blocks"] if b.get("block_id") == "tone_faults")
    lines = listing["text"]["text"].split("\n")
    assert lines[0] == (
        ":warning: *The tone check suggests 2 changes before this goes to the buyer:*"
    )
    assert lines[1].startswith("• *Blames or judges the buyer*: “your team failed”. Describe ")
    assert lines[2].startswith(
        "• *Pressures with an ultimatum or a deadline*: “last chance”. Drop "
    )
    assert lines[3:] == [
        "",
        "Edit the message below, or tick the box under it to save it as it is.",
    ]
    assert sum(line.startswith("• ") for line in lines) == 2, "one line per kind of fault"
    walked.settle()
    assert record_of(walked).draft_text == original, "nothing saved while faults stand"

    fixed = walked.submit_view(shown, draft_values(original + KIND))

    assert fixed.status == 200 and fixed.body == ""
    assert record_of(walked).draft_text == original + KIND
    shown = wait_until(
        lambda: "one-page checklist" in text_of(walked.draft()) and walked.draft(),
        what="the draft message updated",
    )
    assert {e["action_id"] for e in actions_of(shown)} == {
        "open_email",
        "copy_text",
        "edit_draft",
        "mark_sent",
        "draft_length",
        "add_recipient",
    }


def test_rep_can_save_a_flagged_draft_anyway(walked: World) -> None:
    original = record_of(walked).draft_text or ""
    view = walked.open_view(walked.draft(), "edit_draft")

    reply = walked.submit_view(view, draft_values(original + HARSH, anyway=True))

    assert reply.status == 200 and reply.body == ""
    assert record_of(walked).draft_text == original + HARSH
    wait_until(lambda: "last chance" in text_of(walked.draft()), what="the draft updated")


def test_rep_who_empties_the_draft_is_told_inline(walked: World) -> None:
    view = walked.open_view(walked.draft(), "edit_draft")

    reply = walked.submit_view(view, draft_values("   "))

    assert reply.json()["response_action"] == "errors"
    assert "empty" in reply.json()["errors"]["draft_input"]


def test_mark_as_sent_stores_the_text_and_replaces_the_buttons(walked: World) -> None:
    draft = walked.draft()
    record = record_of(walked)

    walked.click(draft, action_id="mark_sent")

    sent_view = wait_until(
        lambda: next(
            (
                m
                for m in walked.thread()
                if m["ts"] == draft["ts"] and "Marked as sent" in text_of(m)
            ),
            None,
        ),
        what="the draft marked as sent",
    )
    assert actions_of(sent_view) == []
    stored = record_of(walked)
    assert stored.sent_text == record.draft_text and stored.sent_at is not None
    assert stored.sent_by == walked.user

    before = walked.mark()
    walked.click(draft, action_id="mark_sent")
    walked.settle()
    replies = [c.args.get("text", "") for c in walked.calls_since(before)]
    assert any("already" in text for text in replies), replies
    assert record_of(walked).sent_at == stored.sent_at


def test_copy_text_gives_the_draft_privately_as_a_code_block(walked: World) -> None:
    record = record_of(walked)

    walked.click(walked.draft(), action_id="copy_text")

    copied = wait_until(
        lambda: [m for m in walked.private_replies() if "```" in text_of(m)],
        what="the copied text",
    )[-1]
    assert copied["response_type"] == "ephemeral"
    first_line = (record.draft_text or "").strip().splitlines()[0]
    assert escape(first_line) in text_of(copied)
    assert text_of(copied).count("```") >= 2


def test_someone_else_cannot_edit_or_mark_the_reps_draft(walked: World) -> None:
    draft = walked.draft()
    before = walked.mark()

    walked.click(draft, action_id="mark_sent", user="U0OTHER")
    walked.click(draft, action_id="edit_draft", user="U0OTHER")
    walked.settle()

    texts = [c.args.get("text", "") for c in walked.calls_since(before)]
    assert sum("Only the rep" in t for t in texts) == 2, texts
    assert not [c for c in walked.calls_since(before) if c.method in ("views.open", "chat.update")]
    assert record_of(walked).sent_at is None
