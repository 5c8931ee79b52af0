"""Re-check builders stay inside Slack's limits with the worst a checklist, a rep's typing and a
long history could give them, and escape what people typed."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.domain.checklist import Question, QuestionKind, load_checklist
from bot.domain.conversation import Conversation, Steps
from bot.domain.model import Condition, Outcome
from bot.domain.recheck import AnswerChange, Changes
from bot.qualification import form_blocks
from bot.qualification import question_blocks as convo_blocks
from bot.qualification.recheck_blocks import (
    came_back_message,
    changes_blocks,
    details_button,
    history_blocks,
    still_true_button,
    unknown_deal_words,
)
from bot.search.payloads import SearchRecordRef
from storage.rechecks import HistoryItem
from storage.records import RecordStatus
from tests.slack.limits import assert_message_within_limits, assert_view_within_limits

NASTY = "<!channel> & <@U1> " * 200
CHECKLIST = load_checklist()


def test_a_long_text_answer_from_last_time_is_shown_escaped_and_asked_plainly() -> None:
    question = Question(id="notes.free", text=NASTY[:500], kind=QuestionKind.TEXT)
    last = ("<!here> " * 300)[:2000]
    text, blocks = convo_blocks.question_message(
        question,
        session_id=2**62,
        steps=Steps(answered=3, fewest=2, most=9),
        deal_name=NASTY,
        last_time=last,
    )
    assert_message_within_limits(blocks, text)
    shown = str([b.to_dict() for b in blocks])
    assert "<!here>" not in shown and "Last time:" in shown
    assert still_true_button(question, 2**62, last) is None  # too long for a button's value
    short = still_true_button(question, 1, "they named an owner")
    assert short is not None and short.text.text == "Still true"


def test_still_true_is_first_and_an_answer_the_question_no_longer_takes_is_not_offered() -> None:
    stage = CHECKLIST.question("deal.stage")
    _, blocks = convo_blocks.question_message(
        stage,
        session_id=7,
        steps=Steps(answered=0, fewest=9, most=19),
        deal_name="Acme",
        last_time="negotiation",
    )
    actions = next(b for b in blocks if b.type == "actions").to_dict()
    ids = [e["action_id"] for e in actions["elements"]]
    assert actions["elements"][0]["text"]["text"] == "Still true"
    assert len(ids) == len(set(ids))
    assert still_true_button(stage, 7, "a stage deleted since") is None
    months = CHECKLIST.question("scar.months_since")
    assert still_true_button(months, 7, 12) is not None


def test_what_changed_fits_one_section_however_much_changed() -> None:
    changes = Changes(
        outcome_before=Outcome.WALK,
        outcome_after=Outcome.PROCEED,
        answers=tuple(AnswerChange(f"q{n}", NASTY[:2000], NASTY[:1999] + "!") for n in range(60)),
        stopped=tuple(f"signal_{n}" for n in range(40)),
        started=tuple(f"new_{n}" for n in range(40)),
        met=(Condition("signal_0", NASTY),),
    )
    blocks = changes_blocks(changes, checklist=CHECKLIST, earlier_id=2**62)
    assert_message_within_limits(blocks, "card")
    assert "<!channel>" not in str([b.to_dict() for b in blocks])


def test_a_long_history_and_the_managers_line_fit() -> None:
    moment = datetime(2026, 12, 2, tzinfo=UTC)
    items = [
        HistoryItem(
            record_id=n,
            session_id=n,
            rep_user_id=1,
            rep_slack_user_id="U1",
            outcome=Outcome.WALK,
            status=RecordStatus.OPEN,
            created_at=moment,
            previous_record_id=n - 1 if n else None,
            channel_id=None,
            thread_ts=None,
        )
        for n in range(40)
    ]
    blocks = history_blocks(items, current=20)
    assert_message_within_limits(blocks, "details")
    assert history_blocks(items[:1], current=0) == []
    text, blocks = came_back_message(
        "&lt;!channel&gt; came back: " + "x" * 300, new_record_id=2, earlier_id=1
    )
    assert_message_within_limits(blocks, text)
    assert SearchRecordRef.load(details_button(2**62).value).record == 2**62
    words = unknown_deal_words(NASTY, [NASTY[:300], "Acme renewal"])
    assert "<!channel>" not in words and len(words) < 3000


def test_the_form_of_a_recheck_fits_and_offers_still_true() -> None:
    tmp_checklist = CHECKLIST
    conversation = Conversation(tmp_checklist, {})
    earlier = {q.id: (q.values[0] if q.values else 3) for q in tmp_checklist.questions}
    view = form_blocks.form_view(conversation, session_id=2**62, deal_name=NASTY, earlier=earlier)
    assert_view_within_limits(view)
    stage = next(b for b in view.to_dict()["blocks"] if b.get("block_id") == "form|deal.stage")
    assert stage["element"]["options"][0]["text"]["text"].startswith("Still true: ")
