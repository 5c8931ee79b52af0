"""The whole check as one modal: every question that applies, in checklist order.

Pure: it takes the conversation as stored and returns the view. Each question is an input
block named after it (`form|<question id>`), the same on every render, so Slack keeps what the
rep has entered when the view is updated as branches open and close. A yes/no question is one
tick box (ticked: yes; left unticked: no, once the verdict is asked for), so a rep spends a
click only on what is true; other choices are radio buttons (one click), a long list a menu.
"""

from __future__ import annotations

from collections.abc import Mapping

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ContextBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.checklist import Question, QuestionKind
from bot.domain.conversation import TEXT_ANSWER_LIMIT, Conversation, InvalidAnswer, parse_answer
from bot.domain.model import AnswerValue
from bot.domain.recheck import STILL_TRUE
from bot.qualification.payloads import FormMeta
from bot.qualification.question_blocks import MAX_CHOICE_BUTTONS
from bot.slack.ids import Action
from bot.slack.ids import View as ViewId
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn

BLOCK_PREFIX = "form|"
MAX_QUESTIONS = 95
"""A modal holds 100 blocks: the intro, the progress line and a notice take the rest."""
YES, NO = "yes", "no"


def is_tick_box(question: Question) -> bool:
    """A plain yes/no question: shown as one box, ticked for yes."""
    return question.kind is QuestionKind.CHOICE and sorted(question.values) == [NO, YES]


def block_id(question_id: str) -> str:
    return f"{BLOCK_PREFIX}{question_id}"


def question_of(block: str) -> str | None:
    return block.removeprefix(BLOCK_PREFIX) if block.startswith(BLOCK_PREFIX) else None


def shown_questions(conversation: Conversation) -> tuple[list[Question], int]:
    """The questions the form shows, and how many answered ones it leaves out to fit.

    Every question that applies given the answers so far, answered or not. A checklist too
    long for one modal drops the earliest answered questions first (they stay saved): the
    questions still open always show, so the form can always be finished.
    """
    answers = conversation.answers
    rows = [q for q in conversation.checklist.questions if q.applies(answers)]
    hidden = 0
    while len(rows) > MAX_QUESTIONS:
        answered = next((q for q in rows if q.id in answers), None)
        if answered is None:
            break
        rows.remove(answered)
        hidden += 1
    return rows[:MAX_QUESTIONS], hidden


def form_view(
    conversation: Conversation,
    *,
    session_id: int,
    deal_name: str,
    notice: str | None = None,
    earlier: Mapping[str, AnswerValue] | None = None,
) -> View:
    """The form for this check as stored now; `notice` heads it (e.g. questions newly open).

    `earlier` holds a re-check's answers from last time: each such question says what it was
    and offers it as its first choice, *Still true* (a number or text comes filled in with it).
    """
    earlier = earlier or {}
    rows, hidden = shown_questions(conversation)
    steps = conversation.progress()
    intro = (
        f"*{safe_mrkdwn(deal_name, 200)}*: every question that applies. Each choice is saved "
        "as you make it, so you can close this and carry on later.\nTick a box only for "
        "*yes*; a box left unticked counts as *no* when you ask for the verdict."
    )
    to_go = (
        "nothing left to answer"
        if steps.most == 0
        else (f"{steps.most} to go" if steps.exact else f"up to {steps.most} to go")
    )
    status = f"{steps.answered} answered · {to_go}"
    if hidden:
        status += f" · {hidden} earlier answer(s) saved and not shown"
    if len(conversation.pending()) > sum(q.id not in conversation.answers for q in rows):
        status += " · more questions follow once these are answered"
    blocks: list[Block] = []
    if notice:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f":point_down: {notice}")))
    blocks += [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        ContextBlock(elements=[MarkdownTextObject(text=status)]),
    ]
    blocks += [_input(q, conversation.answers.get(q.id), _fits(q, earlier.get(q.id))) for q in rows]
    return View(
        type="modal",
        callback_id=ViewId.FORM,
        private_metadata=FormMeta(session=session_id).dump(),
        title=plain_text("Walk-away check", LIMITS.MODAL_TITLE),
        submit=plain_text("Get the verdict", LIMITS.MODAL_SUBMIT),
        close=plain_text("Later", LIMITS.MODAL_CLOSE),
        notify_on_close=True,
        blocks=blocks[: LIMITS.BLOCKS_PER_VIEW],
    )


def _fits(question: Question, last: AnswerValue | None) -> AnswerValue | None:
    """Last time's answer, if the question (perhaps edited since) can still take it."""
    if last is None:
        return None
    try:
        return parse_answer(question, last if isinstance(last, str) else str(last))
    except InvalidAnswer:
        return None


def _input(
    question: Question, value: AnswerValue | None, last: AnswerValue | None = None
) -> InputBlock | SectionBlock:
    """One question. Choices report each change at once (dispatch_action), so the answer is
    stored and the branches redrawn; a number or text is read when the form is sent or closed.

    A tick box sits beside its question in a section, not in an input block: Slack labels an
    optional input "(optional)", which a yes/no question is not.
    """
    element = _element(question, value, last)
    hint = question.help
    if last is not None:
        said = f"Last time: {question.label_for(last)}"
        hint = f"{said}. {question.help}" if question.help else said
    if isinstance(element, CheckboxesElement):
        text = f"*{safe_mrkdwn(question.text, 2500)}*"
        if question.help:
            text += f"\n_{safe_mrkdwn(question.help, 400)}_"
        return SectionBlock(
            block_id=block_id(question.id)[: LIMITS.BLOCK_ID],
            text=MarkdownTextObject(text=text),
            accessory=element,
        )
    return InputBlock(
        block_id=block_id(question.id)[: LIMITS.BLOCK_ID],
        label=plain_text(question.text, 2000),
        hint=plain_text(hint, 2000) if hint else None,
        element=element,
        dispatch_action=question.kind is QuestionKind.CHOICE,
    )


def _element(
    question: Question, value: AnswerValue | None, last: AnswerValue | None = None
) -> (
    CheckboxesElement
    | RadioButtonsElement
    | StaticSelectElement
    | NumberInputElement
    | (PlainTextInputElement)
):
    shown = value if value is not None else last  # a number or text: last time's, filled in
    if question.kind is QuestionKind.NUMBER:
        return NumberInputElement(
            action_id=Action.FORM_ANSWER,
            is_decimal_allowed=True,
            min_value=None if question.minimum is None else _num(question.minimum),
            max_value=None if question.maximum is None else _num(question.maximum),
            initial_value=None if shown is None else _num(float(shown)),
            placeholder=plain_text("A number", 150),
        )
    if question.kind is QuestionKind.TEXT:
        return PlainTextInputElement(
            action_id=Action.FORM_ANSWER,
            multiline=True,
            max_length=TEXT_ANSWER_LIMIT,
            initial_value=None if shown is None else str(shown),
        )
    options = [
        Option(text=plain_text(c.label, LIMITS.OPTION_TEXT), value=c.value)
        for c in question.choices[: LIMITS.OPTIONS]
    ]
    if last is not None:  # Still true first, the other answers after it
        label = next((c.label for c in question.choices if c.value == last), str(last))
        still = Option(
            text=plain_text(f"{STILL_TRUE}: {label}", LIMITS.OPTION_TEXT), value=str(last)
        )
        options = [still, *(o for o in options if o.value != last)]
    chosen = next((o for o in options if o.value == value), None)
    if is_tick_box(question) and last is None:
        yes = next(o for o in options if o.value == YES)
        return CheckboxesElement(
            action_id=Action.FORM_ANSWER,
            options=[yes],
            initial_options=[yes] if value == YES else None,
        )
    if len(options) <= MAX_CHOICE_BUTTONS:
        return RadioButtonsElement(
            action_id=Action.FORM_ANSWER, options=options, initial_option=chosen
        )
    return StaticSelectElement(
        action_id=Action.FORM_ANSWER,
        placeholder=plain_text("Choose an answer", LIMITS.OPTION_TEXT),
        options=options,
        initial_option=chosen,
    )


def _num(value: float) -> str:
    return str(int(value)) if value.is_integer() else str(value)
