"""Modals: answering with a number, free text or a note, and editing the buyer draft."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.checklist import Question, QuestionKind
from bot.domain.conversation import TEXT_ANSWER_LIMIT
from bot.domain.model import AnswerValue
from bot.domain.tone import ToneFault
from bot.qualification.payloads import AnswerModalMeta, DraftModalMeta
from bot.slack.ids import Block, Field
from bot.slack.ids import View as ViewId
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn

NOTE_LIMIT = 1000
DRAFT_LIMIT = 3000
"""Slack's plain_text_input cap; the draft is stored whole, so nothing is cut silently."""


def answer_modal(
    question: Question, *, meta: AnswerModalMeta, current: AnswerValue | None = None
) -> View:
    """One input for the answer (choice, number or text) and an optional note."""
    return View(
        type="modal",
        callback_id=ViewId.ANSWER,
        private_metadata=meta.dump(),
        title=plain_text("Your answer", LIMITS.MODAL_TITLE),
        submit=plain_text("Save answer", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=safe_mrkdwn(question.text, 2900))),
            InputBlock(
                block_id=Block.ANSWER_INPUT,
                label=plain_text(_answer_label(question), 2000),
                element=_answer_element(question, current),
            ),
            InputBlock(
                block_id=Block.NOTE_INPUT,
                label=plain_text("Note", 2000),
                optional=True,
                element=PlainTextInputElement(
                    action_id=Field.NOTE,
                    multiline=True,
                    max_length=NOTE_LIMIT,
                    placeholder=plain_text("Context for your manager and the record", 150),
                ),
            ),
        ],
    )


def _answer_label(question: Question) -> str:
    return {
        QuestionKind.CHOICE: "Answer",
        QuestionKind.NUMBER: "A number",
        QuestionKind.TEXT: "Your answer",
    }[question.kind]


def _answer_element(
    question: Question, current: AnswerValue | None
) -> StaticSelectElement | NumberInputElement | PlainTextInputElement:
    if question.kind is QuestionKind.CHOICE:
        options = [
            Option(
                text=plain_text(c.label, LIMITS.OPTION_TEXT), value=c.value[: LIMITS.OPTION_VALUE]
            )
            for c in question.choices[: LIMITS.OPTIONS]
        ]
        initial = next((o for o in options if o.value == current), None)
        return StaticSelectElement(action_id=Field.VALUE, options=options, initial_option=initial)
    if question.kind is QuestionKind.NUMBER:
        return NumberInputElement(
            action_id=Field.VALUE,
            is_decimal_allowed=True,
            min_value=None if question.minimum is None else _num(question.minimum),
            max_value=None if question.maximum is None else _num(question.maximum),
            initial_value=None if current is None else str(current),
        )
    return PlainTextInputElement(
        action_id=Field.VALUE,
        multiline=True,
        max_length=TEXT_ANSWER_LIMIT,
        initial_value=None if current is None else str(current),
    )


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)


def edit_draft_modal(*, draft: str, meta: DraftModalMeta) -> View:
    """The draft in a text field, with a way to send it anyway once tone warnings were shown."""
    blocks: list[InputBlock | SectionBlock] = [
        SectionBlock(
            text=MarkdownTextObject(
                text="Edit the message to the buyer. Saving runs a tone check: it points out "
                'blame, guilt, threats, bluffing, "we can\'t" framing and missing conditions.'
            )
        ),
        InputBlock(
            block_id=Block.DRAFT_INPUT,
            label=plain_text("Message", 2000),
            element=PlainTextInputElement(
                action_id=Field.DRAFT,
                multiline=True,
                max_length=DRAFT_LIMIT,
                initial_value=draft[:DRAFT_LIMIT],
            ),
        ),
        InputBlock(
            block_id=Block.SEND_ANYWAY,
            label=plain_text("Tone check", 2000),
            optional=True,
            element=CheckboxesElement(
                action_id=Field.SEND_ANYWAY,
                options=[
                    Option(
                        value="yes",
                        text=PlainTextObject(text="Save even if the tone check finds something"),
                    )
                ],
            ),
        ),
    ]
    return View(
        type="modal",
        callback_id=ViewId.EDIT_DRAFT,
        private_metadata=meta.dump(),
        title=plain_text("Edit draft", LIMITS.MODAL_TITLE),
        submit=plain_text("Save draft", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=list(blocks),
    )


def tone_errors(faults: Sequence[ToneFault]) -> dict[str, str]:
    """The tone faults as an inline error on the draft field (response_action=errors)."""
    lines = [
        f"{fault.message}{f' (“{fault.excerpt}”)' if fault.excerpt else ''}: {fault.suggestion}"
        for fault in faults
    ]
    text = " · ".join(lines) + " — fix it, or tick 'Save even if…' to keep it as written."
    return {Block.DRAFT_INPUT: text[:2000]}
