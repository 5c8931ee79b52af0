"""Modals: answering with a number, free text or a note, who the draft is for, editing it."""

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
from bot.domain.drafts import CONTACT_LIMIT, ORGANISATION_LIMIT
from bot.domain.model import AnswerValue
from bot.domain.tone_report import ToneIssue, fault_line
from bot.qualification.payloads import AnswerModalMeta, DraftModalMeta
from bot.slack.ids import Block, Field
from bot.slack.ids import View as ViewId
from bot.slack.inputs import note_input
from bot.slack.text import LIMITS, escape, plain_text, safe_mrkdwn, truncate

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
            note_input(
                Block.NOTE_INPUT,
                label="Note",
                placeholder="Context for your manager and the record",
                max_length=NOTE_LIMIT,
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


def edit_draft_modal(*, draft: str, meta: DraftModalMeta, issues: Sequence[ToneIssue] = ()) -> View:
    """The draft in a text field, with a way to send it anyway once tone warnings were shown.

    After a save the tone check objected to, the same modal comes back (response_action=update)
    with `issues` listed above the rep's own text, so they can fix it where they read it.
    """
    blocks: list[InputBlock | SectionBlock] = [
        _tone_list(issues)
        if issues
        else SectionBlock(
            text=MarkdownTextObject(
                text="Edit the message to the buyer. Saving runs a tone check: it points out "
                "blame, guilt, threats, ultimatums and deadlines, bluffing, framing around "
                "your own limits, and a no that never says what would change it."
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


def recipient_modal(
    *, meta: DraftModalMeta, organisation: str | None, contact: str | None, changing: bool
) -> View:
    """Who the draft is for: two short fields, filled in with what the deal last had."""
    why = (
        "The draft is written afresh for them, so edits you made to it are replaced."
        if changing
        else "The draft greets your contact by name and speaks of their organisation."
    )
    return View(
        type="modal",
        callback_id=ViewId.RECIPIENT,
        private_metadata=meta.dump(),
        title=plain_text("Who is this for?", LIMITS.MODAL_TITLE),
        submit=plain_text("Write the draft", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"{why} I'll remember them for this deal's next checks."
                )
            ),
            InputBlock(
                block_id=Block.ORGANISATION_INPUT,
                label=plain_text("Buyer's organisation", 2000),
                optional=True,
                element=PlainTextInputElement(
                    action_id=Field.ORGANISATION,
                    max_length=ORGANISATION_LIMIT,
                    initial_value=organisation or None,
                    placeholder=plain_text("e.g. Globex Logistics", 150),
                ),
            ),
            InputBlock(
                block_id=Block.CONTACT_INPUT,
                label=plain_text("Contact's first name", 2000),
                optional=True,
                element=PlainTextInputElement(
                    action_id=Field.CONTACT,
                    max_length=CONTACT_LIMIT,
                    initial_value=contact or None,
                    placeholder=plain_text("e.g. Dana", 150),
                ),
            ),
        ],
    )


TONE_LINE_LIMIT = 400
"""Characters of one fault line: seven kinds of fault still fit one section (3,000)."""


def _tone_list(issues: Sequence[ToneIssue]) -> SectionBlock:
    """One bulleted line per kind of fault: what is wrong, the rep's words, what to do instead."""
    count = "one change" if len(issues) == 1 else f"{len(issues)} changes"
    lines = [f":warning: *The tone check suggests {count} before this goes to the buyer:*"]
    lines += [
        "• " + truncate(fault_line(issue, escape=escape, bold=lambda t: f"*{t}*"), TONE_LINE_LIMIT)
        for issue in issues
    ]
    lines.append("\nEdit the message below, or tick the box under it to save it as it is.")
    return SectionBlock(block_id=Block.TONE_FAULTS, text=MarkdownTextObject(text="\n".join(lines)))
