"""The small predicates verdict rules are written in: `is_`, `below`, `unanswered`, `all_of`, ...

A predicate that names a question id or value outside the checklist contract fails when the
rules are built (at import), not in front of a rep.
"""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.checklist import CONTRACT
from bot.domain.model import AnswerValue


class RuleError(ValueError):
    """A rule refers to a question or value the checklist does not have."""


class Test(ABC):
    """A condition on the answers; knows which questions it reads so they can be checked."""

    @abstractmethod
    def holds(self, answers: Mapping[str, AnswerValue]) -> bool: ...

    @abstractmethod
    def reads(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class Is(Test):
    question: str
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        allowed = _contract_values(self.question)
        if allowed is None:
            raise RuleError(f"'{self.question}' is a number question; compare it with below()")
        unknown = [v for v in self.values if v not in allowed]
        if unknown or not self.values:
            raise RuleError(
                f"'{self.question}' has no value(s) {', '.join(unknown) or '(none given)'} "
                f"(it has: {', '.join(allowed)})"
            )

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        return answers.get(self.question) in self.values

    def reads(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class Below(Test):
    question: str
    limit: float

    def __post_init__(self) -> None:
        if _contract_values(self.question) is not None:
            raise RuleError(f"'{self.question}' is a choice question; compare it with is_()")

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        number = as_number(answers.get(self.question))
        return number is not None and number < self.limit

    def reads(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class Unanswered(Test):
    question: str

    def __post_init__(self) -> None:
        _contract_values(self.question)

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        return self.question not in answers

    def reads(self) -> frozenset[str]:
        return frozenset({self.question})


@dataclass(frozen=True)
class AllOf(Test):
    tests: tuple[Test, ...]

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        return all(t.holds(answers) for t in self.tests)

    def reads(self) -> frozenset[str]:
        return frozenset().union(*(t.reads() for t in self.tests))


@dataclass(frozen=True)
class AnyOf(Test):
    tests: tuple[Test, ...]

    def holds(self, answers: Mapping[str, AnswerValue]) -> bool:
        return any(t.holds(answers) for t in self.tests)

    def reads(self) -> frozenset[str]:
        return frozenset().union(*(t.reads() for t in self.tests))


def is_(question: str, *values: str) -> Is:
    return Is(question, values)


def below(question: str, limit: float) -> Below:
    return Below(question, limit)


def unanswered(question: str) -> Unanswered:
    return Unanswered(question)


def all_of(*tests: Test) -> AllOf:
    return AllOf(tests)


def any_of(*tests: Test) -> AnyOf:
    return AnyOf(tests)


def _contract_values(question: str) -> tuple[str, ...] | None:
    if question not in CONTRACT:
        near = difflib.get_close_matches(question, list(CONTRACT), n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        raise RuleError(f"unknown question id '{question}'{hint}")
    return CONTRACT[question]


def as_number(value: AnswerValue | None) -> float | None:
    """A month count from the answers; anything that is not a finite number is unknown."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        number = float(value)
    return number if math.isfinite(number) else None
