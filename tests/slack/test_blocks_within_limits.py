"""The end-of-journey builders stay inside Slack's limits whatever the verdict and draft hold.

Journeys run real answers, which fire a handful of signals; these feed the builders the worst
a team's checklist edits, a verbose template or a rep's editing could produce.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.checklist import (
    MAX_CHOICES,
    MAX_ID,
    MAX_VALUE,
    Checklist,
    Choice,
    Question,
    QuestionKind,
    load_checklist,
)
from bot.domain.conversation import Conversation, Steps
from bot.domain.model import Caution, Condition, Outcome, Reason, Verdict
from bot.qualification import command_blocks, form_blocks
from bot.qualification import draft_blocks as verdict_blocks
from bot.qualification import question_blocks as convo_blocks
from bot.qualification.payloads import AnswerRef
from bot.qualification.question_blocks import MAX_CHOICE_BUTTONS
from bot.slack import card
from bot.slack.ids import Action
from bot.slack.text import ELLIPSIS
from storage.records import RecordDetail, RecordStatus
from tests.slack.limits import assert_message_within_limits, assert_view_within_limits

LIMITS_URL = 3000

NASTY = "<!channel> & <@U1> " * 200


def crowded_verdict(items: int, length: int) -> Verdict:
    text = (NASTY * 10)[:length]
    return Verdict(
        outcome=Outcome.WALK,
        reasons=tuple(Reason(f"s{i}", text, Outcome.WALK) for i in range(items)),
        conditions=tuple(Condition(f"s{i}", text) for i in range(items)),
        cautions=tuple(Caution(f"c{i}", text) for i in range(items)),
        recheck_on=date(2030, 1, 1),
        record_line=(NASTY * 5)[:4000],
    )


@pytest.mark.parametrize(("items", "length"), [(1, 5000), (12, 400), (13, 400), (60, 3000)])
def test_verdict_card_fits_whatever_the_verdict_holds(items: int, length: int) -> None:
    text, blocks = card.verdict_card(crowded_verdict(items, length), deal_name=NASTY, record_id=7)

    assert_message_within_limits(blocks, text)
    rendered = str([b.to_dict() for b in blocks])
    assert "<!channel>" not in rendered and "<@U1>" not in rendered
    assert ELLIPSIS in rendered


@pytest.mark.parametrize("line_length", [80, 2999, 20000])
def test_draft_and_copy_text_fit_even_a_huge_draft(line_length: int) -> None:
    draft = "\n".join(("<b> & " * 10000)[:line_length] for _ in range(6))

    for text, blocks in (
        verdict_blocks.draft_message(record_id=1, draft=draft),
        verdict_blocks.copy_text_message(draft),
    ):
        assert_message_within_limits(blocks, text)


@pytest.mark.parametrize("length", ["email", "short"])
def test_the_draft_card_fits_and_its_mail_link_stays_within_a_button_url(length: str) -> None:
    """An edited draft may hold 3000 characters of the worst text; *Open in email* still
    opens, with the short note or as much as fits, and Slack accepts the card."""
    huge = "\n".join(("<b> & naïve " * 400)[:2900] for _ in range(2))
    now = datetime(2026, 12, 2, tzinfo=UTC)
    record = RecordDetail(
        id=1,
        deal_name=NASTY,
        rep_slack_user_id="U1",
        outcome=Outcome.WALK,
        status=RecordStatus.OPEN,
        created_at=now,
        recheck_on=None,
        record_line="x",
        workspace_id=1,
        session_id=1,
        verdict=crowded_verdict(1, 10),
        answers=(),
        notes={},
        checklist_hash="",
        checklist_snapshot={},
        draft_text=huge,
        sent_text=None,
        sent_at=None,
        sent_by=None,
        status_history=(),
        channel_id="D1",
        thread_ts="1",
        updated_at=now,
        subject=NASTY[:300],
        draft_short=huge if length == "short" else "Hi.",
        draft_length=length,
        addressed_at=now,
        organisation=NASTY[:80],
        contact=NASTY[:40],
    )

    text, blocks = verdict_blocks.draft_card(record)

    assert_message_within_limits(blocks, text)
    rendered = [b.to_dict() for b in blocks]
    urls = [
        e["url"] for b in rendered if b["type"] == "actions" for e in b["elements"] if "url" in e
    ]
    assert len(urls) == 1 and urls[0].startswith("mailto:?subject=")
    assert len(urls[0]) <= LIMITS_URL
    assert "<!channel>" not in str(rendered).replace(urls[0], "")


def test_every_question_message_fits() -> None:
    checklist = load_checklist()
    for step, question in enumerate(checklist.questions, start=1):
        text, blocks = convo_blocks.question_message(
            question,
            session_id=2**40,
            steps=Steps(answered=step - 1, fewest=1, most=99),
            deal_name=NASTY,
            before="x" * 3000,
        )
        assert_message_within_limits(blocks, text)
        text, blocks = convo_blocks.answered_message(
            question, step=step, value="x" * 3000, note=NASTY, by_user="U1"
        )
        assert_message_within_limits(blocks, text)
        text, blocks = convo_blocks.replaced_message(
            question, step=step, value="x" * 3000, note=NASTY, why="Changed: asked again below."
        )
        assert_message_within_limits(blocks, text)
    text, blocks = convo_blocks.form_transcript([(q, "x" * 3000) for q in checklist.questions] * 5)
    assert_message_within_limits(blocks, text)


def test_help_never_shows_a_bare_angle_bracket() -> None:
    _, blocks = command_blocks.help_message()
    assert "<" not in str([b.to_dict() for b in blocks])


def _at_every_limit(choices: int) -> Question:
    """A question as big as a team checklist may make one, its values as long as JSON gets."""
    return Question(
        id=("team." + "long_question_id_" * 10)[:MAX_ID],
        kind=QuestionKind.CHOICE,
        text=NASTY[:1000],
        help=NASTY[:500],
        choices=tuple(
            # Quotes and control characters: each costs the most once escaped into JSON.
            Choice(value=f"{n:03d}" + '"\\\x01' * ((MAX_VALUE - 3) // 3), label=NASTY[:75])
            for n in range(choices)
        ),
    )


@pytest.mark.parametrize("choices", [MAX_CHOICE_BUTTONS, MAX_CHOICES])
def test_a_question_at_every_checklist_limit_fits_and_each_answer_reads_back(
    choices: int,
) -> None:
    """The checklist's limits (bot/domain/checklist.py) are the ones Slack's payloads allow.

    With the largest session number, every button and menu option fits whole, and each gives
    back exactly its own value: a value cut to fit would be no answer.
    """
    question = _at_every_limit(choices)
    assert len(question.choices[0].value) <= MAX_VALUE

    text, blocks = convo_blocks.question_message(
        question,
        session_id=2**63 - 1,
        steps=Steps(answered=1, fewest=1, most=98),
        deal_name=NASTY,
    )

    assert_message_within_limits(blocks, text)
    actions = next(b.to_dict() for b in blocks if b.type == "actions")
    assert actions["block_id"].startswith(question.id + "|")
    controls = [
        element
        for element in actions["elements"]
        if element["action_id"].startswith((Action.ANSWER_CHOICE, Action.ANSWER_SELECT))
    ]
    raws = [o["value"] for e in controls for o in e.get("options", [])] or [
        e["value"] for e in controls
    ]
    answers = [AnswerRef.load(raw) for raw in raws]
    assert [ref.answer_to(question) for ref in answers] == list(question.values)


def test_the_form_fits_a_modal_even_for_a_checklist_at_every_limit() -> None:
    """Over a hundred questions, menus of a hundred values, long texts: the form still fits,
    drops answered questions before open ones, and always shows what is left to answer."""
    questions = [_at_every_limit(MAX_CHOICES).model_copy(update={"id": "deal.stage"})]
    for n in range(120):
        kind = [QuestionKind.CHOICE, QuestionKind.NUMBER, QuestionKind.TEXT][n % 3]
        questions.append(
            Question(
                id=f"team.q{n}",
                kind=kind,
                text=NASTY[:1000],
                help=NASTY[:500],
                choices=(Choice(value="yes", label="Yes"), Choice(value="no", label="No"))
                if kind is QuestionKind.CHOICE
                else (),
            )
        )
    checklist = Checklist(questions=tuple(questions))
    answered = {f"team.q{n}": "yes" if n % 3 == 0 else "7" for n in range(0, 120, 2)}
    conversation = Conversation.resume(checklist, answered)
    view = form_blocks.form_view(conversation, session_id=2**63 - 1, deal_name=NASTY)
    assert_view_within_limits(view.to_dict())
    shown, hidden = form_blocks.shown_questions(conversation)
    assert len(shown) == form_blocks.MAX_QUESTIONS and hidden == 121 - form_blocks.MAX_QUESTIONS
    assert {q.id for q in conversation.pending()} <= {q.id for q in shown}
