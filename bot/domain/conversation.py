"""The conversation engine: which question comes next, and what an answer does to the state.

It is a pure value object so the console, the Slack app and any number of processes can rebuild
it from the stored answers at every step; nothing about a conversation lives in memory.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from bot.domain.checklist import Checklist, Question, QuestionKind
from bot.domain.model import AnswerValue

TEXT_ANSWER_LIMIT = 2000


class InvalidAnswer(ValueError):
    """An answer the question cannot take; the message is fit to show the rep as is."""

    def __init__(self, question_id: str, message: str) -> None:
        super().__init__(message)
        self.question_id = question_id


def parse_answer(question: Question, raw: object) -> AnswerValue:
    """Turn what the rep typed or clicked into the stored value, or say plainly what is wrong."""
    if question.kind is QuestionKind.CHOICE:
        return _parse_choice(question, raw)
    if question.kind is QuestionKind.NUMBER:
        return _parse_number(question, raw)
    return _parse_text(question, raw)


def _parse_choice(question: Question, raw: object) -> str:
    if isinstance(raw, str):
        wanted = raw.strip().casefold()
        for choice in question.choices:
            if wanted in (choice.value.casefold(), choice.label.casefold()):
                return choice.value
        if wanted.isdigit() and 1 <= int(wanted) <= len(question.choices):
            return question.choices[int(wanted) - 1].value
    shown = raw if isinstance(raw, str | int | float) else type(raw).__name__
    raise InvalidAnswer(
        question.id,
        f"'{shown}' is not one of the answers to {question.id}: {', '.join(question.values)}.",
    )


def _parse_number(question: Question, raw: object) -> int | float:
    number: float
    if isinstance(raw, bool):
        raise InvalidAnswer(question.id, f"{question.id} needs a number, not true/false.")
    if isinstance(raw, int | float):
        number = float(raw)
    elif isinstance(raw, str):
        try:
            number = float(raw.strip().replace(",", "."))
        except ValueError:
            raise InvalidAnswer(
                question.id, f"'{raw.strip()}' is not a number; {question.id} needs a number."
            ) from None
    else:
        raise InvalidAnswer(question.id, f"{question.id} needs a number.")
    if not math.isfinite(number):
        raise InvalidAnswer(question.id, f"{question.id} needs a finite number.")
    if question.minimum is not None and number < question.minimum:
        raise InvalidAnswer(
            question.id, f"{question.id} cannot be below {_show(question.minimum)}."
        )
    if question.maximum is not None and number > question.maximum:
        raise InvalidAnswer(
            question.id, f"{question.id} cannot be above {_show(question.maximum)}."
        )
    return int(number) if number.is_integer() else number


def _parse_text(question: Question, raw: object) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidAnswer(question.id, f"{question.id} needs a few words; it was empty.")
    text = raw.strip()
    if len(text) > TEXT_ANSWER_LIMIT:
        raise InvalidAnswer(
            question.id, f"{question.id} takes at most {TEXT_ANSWER_LIMIT} characters."
        )
    return text


def _show(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


def split_applicable(
    checklist: Checklist, answers: Mapping[str, AnswerValue]
) -> tuple[dict[str, AnswerValue], dict[str, AnswerValue]]:
    """Keep the answers whose question applies given the kept answers; the rest are ignored.

    ask_if only looks at earlier questions, so one pass in checklist order settles it. Ids the
    checklist does not know land in the ignored half; callers that must reject them check first.
    """
    kept: dict[str, AnswerValue] = {}
    for question in checklist.questions:
        if question.id in answers and question.applies(kept):
            kept[question.id] = answers[question.id]
    ordered = {qid: answers[qid] for qid in answers if qid in kept}
    ignored = {qid: value for qid, value in answers.items() if qid not in kept}
    return ordered, ignored


class Steps(NamedTuple):
    """Where a check stands: answers given, and the fewest and most questions still to come."""

    answered: int
    fewest: int
    most: int

    @property
    def step(self) -> int:
        """The number of the question waiting now (one past the answers)."""
        return self.answered + 1

    @property
    def total(self) -> int:
        """The most questions the whole check can take, given the answers so far."""
        return self.answered + self.most

    @property
    def exact(self) -> bool:
        """Every way on asks as many questions: the total is what it will be."""
        return self.fewest == self.most

    def shown(self) -> str:
        """What the rep reads on the waiting question: "3 of 12", or "3 of up to 19"."""
        return f"{self.step} of {'' if self.exact else 'up to '}{self.total}"


def remaining_span(checklist: Checklist, answers: Mapping[str, AnswerValue]) -> tuple[int, int]:
    """(fewest, most) unanswered questions still to be asked, over every way of answering them.

    Questions are walked in checklist order (ask_if only looks back), branching at each
    unanswered choice question that a later ask_if reads. Values that satisfy the same later
    clauses lead to the same questions, so each such class is walked once, and the walk is
    memoised on what later questions can still read: a few dozen states for the shipped file.
    """
    questions = checklist.questions
    last_read: dict[str, int] = {}
    for index, question in enumerate(questions):
        for qid in question.ask_if:
            last_read[qid] = index
    memo: dict[tuple[int, tuple[tuple[str, AnswerValue], ...]], tuple[int, int]] = {}

    def carry(index: int, known: dict[str, AnswerValue]) -> tuple[tuple[str, AnswerValue], ...]:
        return tuple(sorted((k, v) for k, v in known.items() if last_read.get(k, -1) > index))

    def walk(index: int, state: tuple[tuple[str, AnswerValue], ...]) -> tuple[int, int]:
        if index == len(questions):
            return 0, 0
        cached = memo.get((index, state))
        if cached is not None:
            return cached
        question = questions[index]
        known = dict(state)
        applies = question.applies(known)
        if not applies or question.id in answers:
            if applies and question.id in last_read:
                known[question.id] = answers[question.id]
            result = walk(index + 1, carry(index, known))
        else:
            spans = [
                walk(index + 1, carry(index, {**known, **branch}))
                for branch in _branches(checklist, question, index)
            ]
            result = (1 + min(s[0] for s in spans), 1 + max(s[1] for s in spans))
        memo[(index, state)] = result
        return result

    return walk(0, ())


def _branches(checklist: Checklist, question: Question, index: int) -> list[dict[str, str]]:
    """One representative answer per class of values that later questions tell apart."""
    clauses = [
        allowed
        for later in checklist.questions[index + 1 :]
        for qid, allowed in later.ask_if.items()
        if qid == question.id
    ]
    if question.kind is not QuestionKind.CHOICE or not clauses:
        return [{}]
    seen: dict[tuple[bool, ...], str] = {}
    for value in question.values:
        seen.setdefault(tuple(value in allowed for allowed in clauses), value)
    return [{question.id: value} for value in seen.values()]


class Answered(NamedTuple):
    conversation: Conversation
    value: AnswerValue
    dropped: tuple[str, ...]
    """Earlier answers that no longer apply after this one (a changed branch)."""


@dataclass(frozen=True)
class Conversation:
    checklist: Checklist
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    """Current answers in the order they were last given: the last one is what `back` undoes."""

    @classmethod
    def resume(cls, checklist: Checklist, answers: Mapping[str, AnswerValue]) -> Conversation:
        """Rebuild from stored answers, dropping any that a later edit left without a branch."""
        kept, _ = split_applicable(checklist, answers)
        return cls(checklist, kept)

    def pending(self) -> list[Question]:
        """Questions that apply now and have no answer, in checklist order."""
        return [
            q
            for q in self.checklist.questions
            if q.id not in self.answers and q.applies(self.answers)
        ]

    def next_question(self) -> Question | None:
        pending = self.pending()
        return pending[0] if pending else None

    @property
    def is_complete(self) -> bool:
        return self.next_question() is None

    @property
    def last_answered(self) -> str | None:
        return next(reversed(list(self.answers)), None)

    def progress(self) -> Steps:
        """How far the rep is, and the fewest and most questions that can still come.

        A count of what is pending now would grow as answers open branches (1/10, then 4/13);
        the most that can still come only shrinks as answers are given, so a total shown from
        it never grows, and the step never goes back.
        """
        fewest, most = remaining_span(self.checklist, self.answers)
        return Steps(answered=len(self.answers), fewest=fewest, most=most)

    def answer(self, question_id: str, raw: object) -> Answered:
        """Record or change one answer; the state is untouched when the answer is rejected."""
        question = self.checklist.by_id.get(question_id)
        if question is None:
            raise InvalidAnswer(question_id, f"There is no question '{question_id}'.")
        if not question.applies(self.answers):
            raise InvalidAnswer(
                question_id, f"{question_id} does not apply given the answers so far."
            )
        value = parse_answer(question, raw)
        updated = {qid: v for qid, v in self.answers.items() if qid != question_id}
        updated[question_id] = value
        kept, ignored = split_applicable(self.checklist, updated)
        return Answered(Conversation(self.checklist, kept), value, tuple(ignored))

    def back(self) -> Conversation:
        """Forget the most recent answer so that its question is asked again."""
        last = self.last_answered
        if last is None:
            return self
        return Conversation(
            self.checklist, {qid: v for qid, v in self.answers.items() if qid != last}
        )
