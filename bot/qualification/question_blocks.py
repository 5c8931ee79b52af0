"""Block Kit for the qualification thread: question messages and their answered transcript form.

Builders are pure: they take domain values and return (fallback text, blocks). The actions block
of a question starts its block_id with the question id so the thread reads as a machine-readable
transcript.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain.checklist import Question, QuestionKind
from bot.domain.conversation import Steps
from bot.domain.model import AnswerValue
from bot.qualification.payloads import AnswerRef, SessionRef
from bot.qualification.recheck_blocks import last_time_words, still_true_button
from bot.slack.ids import Action
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn

MAX_CHOICE_BUTTONS = 8
"""More choices than this become a select menu so the message stays readable on a phone."""

Message = tuple[str, list[Block]]


def thread_opening(deal_name: str, *, session_id: int | None = None) -> Message:
    """The thread's first message; with the session, it also offers the check as one form."""
    deal = safe_mrkdwn(deal_name, 200)
    text = f"Walk-away check for *{deal}*"
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f":compass: {text}. One question at a time in this thread, each saved as "
                "you go, so you can stop and come back."
                + (" Or see every question at once in a form." if session_id else "")
            )
        )
    ]
    if session_id is not None:
        blocks.append(ActionsBlock(elements=[form_button(session_id)]))
    return text, blocks


def form_button(session_id: int) -> ButtonElement:
    """Opens the whole check as one modal (bot/qualification/form.py)."""
    return ButtonElement(
        text="Use a form instead",
        action_id=Action.OPEN_FORM,
        value=SessionRef(session=session_id).dump(),
    )


def question_message(
    question: Question,
    *,
    session_id: int,
    steps: Steps,
    deal_name: str,
    before: AnswerValue | None = None,
    last_time: AnswerValue | None = None,
) -> Message:
    """One question with its answer controls; from the second on, Back and Start over too.

    `last_time` is the earlier check's answer, in a re-check: shown, with *Still true* as the
    first button, which gives that answer again (bot/qualification/recheck_blocks.py).

    `before` is the answer this question had until Back or Start over took it away: shown, so
    the rep re-asked knows what they said and can keep it with one click. The first question
    also offers the form, for a rep who would rather answer everything at once.
    """
    step = steps.step
    header = f"*{steps.shown()}* · {safe_mrkdwn(question.text, 2500)}"
    if question.help:
        header += f"\n_{safe_mrkdwn(question.help, 400)}_"
    if before is not None:
        was = safe_mrkdwn(question.label_for(before), 200)
        header += f"\n:leftwards_arrow_with_hook: Before: *{was}*"
    still = still_true_button(question, session_id, last_time) if last_time is not None else None
    if last_time is not None:
        header += f"\n{last_time_words(question, last_time)}"
    extra: list[ButtonElement] = (
        _navigation(question, session_id) if step > 1 else [form_button(session_id)]
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=header)),
        ActionsBlock(
            block_id=_block_id(question.id, session_id, step),
            elements=[
                *([still] if still is not None else []),
                *_answer_elements(question, session_id),
                *extra,
            ],
        ),
        ContextBlock(elements=[MarkdownTextObject(text=f"Deal: {safe_mrkdwn(deal_name, 500)}")]),
    ]
    return f"{steps.shown()}: {plain_text(question.text, 3000)}", blocks


def _navigation(question: Question, session_id: int) -> list[ButtonElement]:
    ref = SessionRef(session=session_id, question=question.id).dump()
    return [
        ButtonElement(text="Back", action_id=Action.BACK, value=ref),
        ButtonElement(text="Start over", action_id=Action.START_OVER, value=ref),
    ]


def _block_id(question_id: str, session_id: int, step: int) -> str:
    return f"{question_id}|s{session_id}|{step}"[: LIMITS.BLOCK_ID]


def _answer_elements(
    question: Question, session_id: int
) -> list[ButtonElement | StaticSelectElement]:
    note_button = ButtonElement(
        text="Answer…" if question.kind is not QuestionKind.CHOICE else "Answer with a note…",
        action_id=Action.ANSWER_MODAL,
        value=AnswerRef(session=session_id, question=question.id).dump(),
        style="primary" if question.kind is not QuestionKind.CHOICE else None,
    )
    if question.kind is not QuestionKind.CHOICE:
        return [note_button]
    if len(question.choices) > MAX_CHOICE_BUTTONS:
        select = StaticSelectElement(
            action_id=Action.ANSWER_SELECT,
            placeholder=plain_text("Choose an answer", LIMITS.OPTION_TEXT),
            options=[
                Option(
                    text=plain_text(choice.label, LIMITS.OPTION_TEXT),
                    # The position, not the value: a value cut at 150 characters is no answer.
                    value=AnswerRef(session=session_id, question=question.id, choice=index).dump(),
                )
                for index, choice in enumerate(question.choices[: LIMITS.OPTIONS])
            ],
        )
        return [select, note_button]
    buttons = [
        ButtonElement(
            text=plain_text(choice.label, LIMITS.BUTTON_TEXT),
            action_id=f"{Action.ANSWER_CHOICE}:{index}",
            value=AnswerRef(session=session_id, question=question.id, value=choice.value).dump(),
        )
        for index, choice in enumerate(question.choices)
    ]
    return [*buttons, note_button]


def answered_message(
    question: Question,
    *,
    step: int,
    value: AnswerValue,
    note: str | None,
    by_user: str | None = None,
) -> Message:
    """The question as it reads once answered: the thread becomes the transcript.

    `by_user` only when someone other than the rep answered: in the rep's own DM "Answered by
    you" on every line is noise.
    """
    label = safe_mrkdwn(question.label_for(value), 500)
    body = f"*{step}.* {safe_mrkdwn(question.text, 2000)}\n:white_check_mark: *{label}*"
    if note:
        body += f"\n> {safe_mrkdwn(note, 400)}"
    blocks: list[Block] = [
        SectionBlock(
            block_id=f"{question.id}|answered"[: LIMITS.BLOCK_ID],
            text=MarkdownTextObject(text=body),
        ),
    ]
    if by_user:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Answered by <@{by_user}>")]))
    return (
        f"{plain_text(question.text, 2000)} → {plain_text(question.label_for(value), 500)}",
        blocks,
    )


def replaced_message(
    question: Question, *, step: int, value: AnswerValue, note: str | None, why: str
) -> Message:
    """An answer taken back by Back or Start over: struck through, so the thread shows it is
    no longer the answer; the question asked again further down says what it was."""
    label = safe_mrkdwn(question.label_for(value), 500)
    body = f"~{step}. {safe_mrkdwn(question.text, 2000)}~\n~{label}~"
    if note:
        body += f"\n~{safe_mrkdwn(' '.join(note.split()), 400)}~"
    body += f"\n_{why}_"
    blocks: list[Block] = [
        SectionBlock(
            block_id=f"{question.id}|replaced"[: LIMITS.BLOCK_ID],
            text=MarkdownTextObject(text=body),
        )
    ]
    return f"{plain_text(question.text, 2000)} (answer changed)", blocks


def form_transcript(lines: list[tuple[Question, AnswerValue]]) -> Message:
    """The waiting question's message once the form answered it: what the form stored."""
    items = [
        f"• {safe_mrkdwn(q.text, 300)} → *{safe_mrkdwn(q.label_for(v), 200)}*" for q, v in lines
    ]
    body = ":memo: *Answered in the form*"
    for item in items:
        if len(body) + len(item) + 40 > LIMITS.SECTION_TEXT:
            body += f"\n…and {len(items) - items.index(item)} more (all saved)."
            break
        body += "\n" + item
    return "Answered in the form", [
        SectionBlock(block_id="form|answered", text=MarkdownTextObject(text=body))
    ]


def superseded_message(question: Question, *, step: int, why: str) -> Message:
    """A question left behind by Back or Start over: greyed out, no buttons to click."""
    body = f"~{step}. {safe_mrkdwn(question.text, 2000)}~\n_{why}_"
    return why, [SectionBlock(text=MarkdownTextObject(text=body))]
