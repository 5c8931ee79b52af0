"""The end-of-journey builders stay inside Slack's limits whatever the verdict and draft hold.

Journeys run real answers, which fire a handful of signals; these feed the builders the worst
a team's checklist edits, a verbose template or a rep's editing could produce.
"""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.checklist import load_checklist
from bot.domain.model import Caution, Condition, Outcome, Reason, Verdict
from bot.qualification import command_blocks
from bot.qualification import draft_blocks as verdict_blocks
from bot.qualification import question_blocks as convo_blocks
from bot.slack import card
from bot.slack.text import ELLIPSIS
from tests.slack.limits import assert_message_within_limits

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


def test_every_question_message_fits() -> None:
    checklist = load_checklist()
    for step, question in enumerate(checklist.questions, start=1):
        text, blocks = convo_blocks.question_message(
            question, session_id=2**40, step=step, total=99, deal_name=NASTY
        )
        assert_message_within_limits(blocks, text)
        text, blocks = convo_blocks.answered_message(
            question, step=step, value="x" * 3000, note=NASTY, by_user="U1"
        )
        assert_message_within_limits(blocks, text)


def test_help_never_shows_a_bare_angle_bracket() -> None:
    _, blocks = command_blocks.help_message()
    assert "<" not in str([b.to_dict() for b in blocks])
