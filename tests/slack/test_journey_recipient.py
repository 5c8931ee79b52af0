"""The draft is addressed, signed and sendable: who it is for is asked once per deal (or
skipped), the rep's Slack profile signs it, and the card switches between the email and the
short note, copies either, and opens the rep's mail client with both filled in."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.domain.drafts import EMAIL_WORDS, SHORT_WORDS, word_count
from bot.domain.mailto import URL_LIMIT
from storage.records import RecordDetail
from tests.slack.world import REP, World, actions_of, text_of, wait_until

DEAL = "Acme renewal"
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


@pytest.fixture
def walked(world: World) -> World:
    world.fake.set_user(REP, real_name="Sam Ortiz", title="Account Executive")
    world.start(DEAL)
    world.run_through(WALK)
    world.recipient_question()
    return world


def record_of(world: World) -> RecordDetail:
    context = next(b for b in world.verdict()["blocks"] if b["type"] == "context")
    record = world.store().get_record(
        record_id=int(context["elements"][0]["text"].removeprefix("Record #"))
    )
    assert record is not None
    return record


def recipient_values(organisation: str, contact: str) -> dict[str, dict[str, Any]]:
    return {
        "organisation_input": {"organisation": {"type": "plain_text_input", "value": organisation}},
        "contact_input": {"contact": {"type": "plain_text_input", "value": contact}},
    }


def initial(view: dict[str, Any], block_id: str) -> str | None:
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    value: str | None = block["element"].get("initial_value")
    return value


def add_recipient(world: World, message: dict[str, Any], organisation: str, contact: str) -> None:
    view = world.open_view(message, "add_recipient")
    reply = world.submit_view(view, recipient_values(organisation, contact))
    assert reply.status == 200 and reply.body == "", reply


def addressed_draft(world: World, greeting: str) -> dict[str, Any]:
    found: dict[str, Any] = wait_until(
        lambda: next(
            (
                m
                for m in world.thread()
                if "draft_actions" in str(m.get("blocks")) and greeting in text_of(m)
            ),
            None,
        ),
        what=f"the draft greeting {greeting!r}",
    )
    return found


def mailto_fields(message: dict[str, Any]) -> tuple[str, dict[str, str]]:
    button = next(e for e in actions_of(message) if e["action_id"] == "open_email")
    url = button["url"]
    return url, {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_draft_waits_for_who_it_is_for_then_greets_and_signs_for_real(walked: World) -> None:
    question = walked.recipient_question()
    assert {e["action_id"] for e in actions_of(question)} == {"add_recipient", "skip_recipient"}
    assert not any("draft_actions" in str(m.get("blocks")) for m in walked.thread())

    view = walked.open_view(question, "add_recipient")
    assert view["callback_id"] == "recipient_view"
    assert initial(view, "organisation_input") is None and initial(view, "contact_input") is None
    walked.submit_view(view, recipient_values("Globex Logistics", "Dana"))

    draft = addressed_draft(walked, "Hi Dana,")
    assert draft["ts"] == question["ts"], "the question becomes the draft: one message"
    shown = text_of(draft)
    assert "Draft email to Dana at Globex Logistics" in shown
    assert "Subject:* Globex Logistics: an honest view on the plan as it stands" in shown
    assert "your team at Globex Logistics" in shown
    assert "Wishing you every success,\n>Sam Ortiz\n>Account Executive" in shown
    record = record_of(walked)
    assert record.draft_text is not None and DEAL not in record.draft_text
    assert word_count(record.draft_text) <= EMAIL_WORDS
    assert record.draft_short is not None and word_count(record.draft_short) <= SHORT_WORDS
    assert (record.organisation, record.contact) == ("Globex Logistics", "Dana")


def test_skip_shows_the_draft_at_once_addressed_to_nobody_in_particular(walked: World) -> None:
    draft = walked.draft()  # clicks Skip
    assert "Hello," in text_of(draft) and "Draft email to the buyer" in text_of(draft)
    assert "Sam Ortiz" in text_of(draft)
    record = record_of(walked)
    assert record.addressed_at is not None and record.contact is None


def test_the_next_check_of_the_deal_is_addressed_without_asking_and_prefills_a_change(
    walked: World,
) -> None:
    add_recipient(walked, walked.recipient_question(), "Globex", "Dana")
    addressed_draft(walked, "Hi Dana,")

    walked.command(DEAL)  # the deal's check is finished: its verdict, with Start a new check
    again = wait_until(
        lambda: next(
            (
                e
                for m in walked.private_replies()
                for e in actions_of(m)
                if e["action_id"] == "start_new_check"
            ),
            None,
        ),
        what="Start a new check",
    )
    walked.click(
        {"ts": "0", "blocks": [{"type": "actions", "block_id": "again", "elements": [again]}]},
        action_id="start_new_check",
    )
    wait_until(lambda: walked.open_questions(), what="the new check's first question")
    walked.run_through(WALK)

    def second_draft() -> dict[str, Any] | None:
        drafts = [m for m in walked.thread() if "draft_actions" in str(m.get("blocks"))]
        return drafts[-1] if len(drafts) >= 2 else None

    draft = wait_until(second_draft, what="the second check's draft")
    assert "Hi Dana," in text_of(draft) and "Globex" in text_of(draft)
    asked = [m for m in walked.thread() if "recipient_actions" in str(m.get("blocks"))]
    assert asked == [], "the deal already knew who it was for"

    view = walked.open_view(draft, "add_recipient")
    assert initial(view, "organisation_input") == "Globex"
    assert initial(view, "contact_input") == "Dana"


def test_changing_the_recipient_on_the_card_writes_the_draft_afresh(walked: World) -> None:
    add_recipient(walked, walked.recipient_question(), "Globex", "Dana")
    draft = addressed_draft(walked, "Hi Dana,")
    before = walked.mark()

    add_recipient(walked, draft, "Initech", "Priya")

    changed = addressed_draft(walked, "Hi Priya,")
    assert changed["ts"] == draft["ts"]
    assert "your team at Initech" in text_of(changed) and "Globex" not in text_of(changed)
    assert any(c.method == "chat.update" for c in walked.calls_since(before))
    assert (record_of(walked).organisation, record_of(walked).contact) == ("Initech", "Priya")


def test_the_short_note_is_switchable_copyable_and_what_gets_marked_sent(walked: World) -> None:
    add_recipient(walked, walked.recipient_question(), "Globex", "Dana")
    draft = addressed_draft(walked, "Hi Dana,")

    walked.click(draft, action_id="draft_length")

    short = wait_until(
        lambda: next(
            (m for m in walked.thread() if m["ts"] == draft["ts"] and "Short note" in text_of(m)),
            None,
        ),
        what="the short note shown",
    )
    record = record_of(walked)
    assert record.draft_length == "short" and record.draft_short
    assert "Subject:" not in text_of(short)
    assert "for chat or LinkedIn" in text_of(short)
    labels = {e["text"]["text"] for e in actions_of(short)}
    assert "Show email" in labels

    walked.click(short, action_id="copy_text")
    copied = wait_until(
        lambda: [m for m in walked.private_replies() if "```" in text_of(m)],
        what="the copied note",
    )[-1]
    assert "Hi Dana," in text_of(copied) and "Subject:" not in text_of(copied)

    _, fields = mailto_fields(short)
    assert fields["body"] == record.draft_short.replace("\n", "\r\n")

    walked.click(short, action_id="mark_sent")
    wait_until(lambda: record_of(walked).sent_at is not None, what="marked as sent")
    assert record_of(walked).sent_text == record.draft_short


def test_open_in_email_fills_in_subject_and_body_within_slacks_url_limit(walked: World) -> None:
    add_recipient(walked, walked.recipient_question(), "Globex", "Dana")
    draft = addressed_draft(walked, "Hi Dana,")
    record = record_of(walked)

    url, fields = mailto_fields(draft)

    assert url.startswith("mailto:?subject=") and len(url) <= URL_LIMIT
    assert " " not in url and "\n" not in url
    assert fields["subject"] == record.subject
    assert fields["body"] == (record.draft_text or "").replace("\n", "\r\n")

    reply = walked.click(
        {
            "ts": draft["ts"],
            "blocks": [
                {
                    "type": "actions",
                    "block_id": "draft_actions",
                    "elements": [{"type": "button", "action_id": "open_email", "value": ""}],
                }
            ],
        },
        action_id="open_email",
    )
    assert reply.status == 200, "the url button's click is acknowledged"


def test_someone_else_cannot_address_or_skip_the_reps_draft(walked: World) -> None:
    question = walked.recipient_question()
    before = walked.mark()

    walked.click(question, action_id="skip_recipient", user="U0OTHER")
    walked.click(question, action_id="add_recipient", user="U0OTHER")
    walked.settle()

    texts = [c.args.get("text", "") for c in walked.calls_since(before)]
    assert sum("Only the rep" in t for t in texts) == 2, texts
    assert record_of(walked).addressed_at is None


@pytest.mark.parametrize("choice", ["add", "skip"])
def test_the_draft_appears_once_however_often_slack_fails_after_the_click(
    walked: World, choice: str
) -> None:
    """The work behind *Write the draft* and *Skip* is a job: when users.info and chat.update
    fail it is tried again, and the draft shows in its one message, nothing posted twice."""
    question = walked.recipient_question()
    before = walked.mark()
    walked.fake.fail_next("chat.update", "internal_error")
    if choice == "add":
        view = walked.open_view(question, "add_recipient")
        walked.fake.fail_next("users.info", "service_unavailable")
        assert walked.submit_view(view, recipient_values("Globex", "Dana")).status == 200
        greeting = "Hi Dana,"
    else:
        assert walked.click(question, action_id="skip_recipient").status == 200
        greeting = "Hello,"

    draft = wait_until(
        lambda: next(
            (
                m
                for m in walked.thread()
                if m["ts"] == question["ts"] and greeting in text_of(m) and actions_of(m)
            ),
            None,
        ),
        timeout=15,
        what="the draft shown despite the failures",
    )
    failed = [c.method for c in walked.calls_since(before) if c.error is not None]
    assert "chat.update" in failed and ("users.info" in failed) == (choice == "add")
    assert "Sam Ortiz" in text_of(draft)
    drafts = [m for m in walked.thread() if "draft:" in str(m.get("metadata"))]
    assert len(drafts) == 1, "one draft message, updated in place"
