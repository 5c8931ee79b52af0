"""The checklist schema: a team-editable YAML file, validated once at start-up.

A bad file must fail loudly before any conversation starts, with a message that names the
question and the field (and the line, when the YAML parser knows it), never mid-conversation.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.domain.model import AnswerValue

DEFAULT_CHECKLIST = "checklist.yml"

MAX_ID = 80
"""Longest question id. Slack carries it in each question's block id (255 characters) and in
every answer control's value beside the session number and the answer: a menu option's 150
characters hold an 80-character id, the largest session number and a choice's position, with
room to spare (tests/slack/test_blocks_within_limits.py renders the worst case)."""
MAX_VALUE = 64
"""Longest answer value: buttons carry it (2000 characters), and so does the modal's menu (150)."""
MAX_CHOICES = 100
"""A Slack menu holds at most 100 options: a question with more has values no one could pick."""

# The verdict rules read these ids and values; a team checklist may reword, reorder or add
# questions, but it may not drop one of these or a value the rules depend on.
CONTRACT: Mapping[str, tuple[str, ...] | None] = {
    "deal.stage": ("prospecting", "evaluation", "pilot", "negotiation", "renewal"),
    "use_case.autonomous_irreversible": ("yes", "partly", "no"),
    "use_case.buyer_will_move": ("yes", "no", "unknown"),
    "scar.previous_attempt": ("yes", "no"),
    "scar.failure_mode": (
        "unclear_ownership",
        "decision_path_ignored",
        "unrealistic_expectations",
        "data_not_ready",
        "no_measurement",
        "other",
    ),
    "scar.still_present": ("yes", "no", "unsure"),
    "scar.addressable": ("yes", "no"),
    "scar.months_since": None,
    "buyer.evidence_receptive": ("yes", "no", "unsure"),
    "pilot.in_flight": ("yes", "no"),
    "pilot.kill_criteria_written": ("yes", "no"),
    "pilot.kill_criteria_met": ("yes", "no"),
    "terms.guarantee_demanded": ("yes", "no"),
    "terms.accepts_measured_pilot": ("yes", "no"),
    "terms.values_compromised": ("yes", "no"),
    "terms.mutual_benefit": ("yes", "no", "unsure"),
    "dynamics.deadlock": ("yes", "no"),
    "dynamics.better_alternative": ("yes", "no"),
    "self.quota_only": ("yes", "no"),
}


class ChecklistError(ValueError):
    """The checklist file cannot be used; the message says where and why."""


class QuestionKind(StrEnum):
    CHOICE = "choice"
    NUMBER = "number"
    TEXT = "text"


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(min_length=1, max_length=MAX_VALUE)
    label: str = Field(min_length=1, max_length=75)


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=MAX_ID, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)*$")
    kind: QuestionKind
    text: str = Field(min_length=1, max_length=1000)
    help: str | None = Field(default=None, max_length=500)
    choices: tuple[Choice, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    ask_if: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("ask_if")
    @classmethod
    def _ask_if_lists_values(cls, value: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for qid, allowed in value.items():
            if not allowed:
                raise ValueError(f"ask_if on '{qid}' lists no values")
        return value

    @model_validator(mode="after")
    def _fits_kind(self) -> Question:
        if self.kind is QuestionKind.CHOICE:
            if not self.choices:
                raise _FieldProblem("choices", "a choice question needs a non-empty list of values")
            values = [c.value for c in self.choices]
            dupes = sorted({v for v in values if values.count(v) > 1})
            if dupes:
                raise _FieldProblem("choices", f"repeats the value(s) {', '.join(dupes)}")
        elif self.choices:
            raise _FieldProblem("choices", f"a {self.kind.value} question takes no choices")
        if self.kind is not QuestionKind.NUMBER and (
            self.minimum is not None or self.maximum is not None
        ):
            raise _FieldProblem("minimum", "only number questions take a minimum or maximum")
        return self

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(c.value for c in self.choices)

    def label_for(self, value: AnswerValue) -> str:
        """The human label of a stored answer, falling back to the value itself."""
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def applies(self, answers: Mapping[str, AnswerValue]) -> bool:
        """Every ask_if clause must hold; an unanswered prerequisite means "not yet"."""
        return all(answers.get(qid) in allowed for qid, allowed in self.ask_if.items())


class Checklist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int | str = 1
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids_and_branches_resolve(self) -> Checklist:
        seen: dict[str, Question] = {}
        for index, question in enumerate(self.questions):
            if question.id in seen:
                raise _QuestionProblem(index, "id", f"duplicate id '{question.id}'")
            for qid, allowed in question.ask_if.items():
                target = seen.get(qid)
                if target is None:
                    where = "a later question" if self._has(qid) else "an unknown id"
                    raise _QuestionProblem(index, "ask_if", f"refers to '{qid}', which is {where}")
                if target.kind is not QuestionKind.CHOICE:
                    raise _QuestionProblem(
                        index, "ask_if", f"refers to '{qid}', which is not a choice question"
                    )
                unknown = [v for v in allowed if v not in target.values]
                if unknown:
                    raise _QuestionProblem(
                        index,
                        "ask_if",
                        f"'{qid}' has no value(s) {', '.join(unknown)} "
                        f"(it has: {', '.join(target.values)})",
                    )
            seen[question.id] = question
        return self

    def _has(self, qid: str) -> bool:
        return any(q.id == qid for q in self.questions)

    @cached_property
    def by_id(self) -> dict[str, Question]:
        return {q.id: q for q in self.questions}

    def question(self, qid: str) -> Question:
        try:
            return self.by_id[qid]
        except KeyError:
            raise KeyError(f"unknown question id '{qid}'") from None

    @cached_property
    def content_hash(self) -> str:
        """Identifies the exact wording a session was answered against."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def snapshot(self) -> dict[str, Any]:
        """What a session stores so an old record reads right after the file is edited."""
        return {"hash": self.content_hash, **self.model_dump(mode="json")}


class _FieldProblem(ValueError):
    """A single-question rule that knows which field it is about."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class _QuestionProblem(ValueError):
    """Carries which question broke a cross-question rule, for the error message."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.field = field


class _WordsLoader(yaml.SafeLoader):
    """YAML 1.1 reads bare yes/no/on/off as booleans; in a checklist they are answer values."""


_WordsLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_WordsLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def parse_checklist(text: str, *, source: str = DEFAULT_CHECKLIST) -> Checklist:
    """Validate checklist YAML; every failure becomes one ChecklistError naming where."""
    try:
        node = yaml.compose(text, Loader=_WordsLoader)
        data = yaml.load(text, Loader=_WordsLoader)
    except yaml.YAMLError as exc:
        raise ChecklistError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ChecklistError(f"{source}: expected a mapping with a 'questions' list")
    locator = _Locator(node, data)
    try:
        checklist = Checklist.model_validate(data)
    except ValidationError as exc:
        raise ChecklistError(_describe_validation(exc, locator, source)) from None
    _check_contract(checklist, locator, source)
    _check_fits_slack(checklist, locator, source)
    return checklist


def load_checklist(path: str | Path | None = None) -> Checklist:
    """Load the team's checklist, or the one shipped with the app when no path is given."""
    if path is None:
        text = resources.files("prompts").joinpath(DEFAULT_CHECKLIST).read_text("utf-8")
        return parse_checklist(text, source=DEFAULT_CHECKLIST)
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise ChecklistError(f"{file}: cannot read checklist: {exc.strerror}") from None
    return parse_checklist(text, source=str(file))


def _check_contract(checklist: Checklist, locator: _Locator, source: str) -> None:
    for qid, values in CONTRACT.items():
        question = checklist.by_id.get(qid)
        if question is None:
            raise ChecklistError(
                f"{source}: question '{qid}' is missing; the verdict rules depend on it"
            )
        index = checklist.questions.index(question)
        expected = QuestionKind.NUMBER if values is None else QuestionKind.CHOICE
        if question.kind is not expected:
            raise ChecklistError(
                f"{source}{locator.line(index, 'kind')}: question '{qid}', field 'kind': "
                f"must be '{expected.value}' (the verdict rules depend on it)"
            )
        missing = [v for v in values or () if v not in question.values]
        if missing:
            raise ChecklistError(
                f"{source}{locator.line(index, 'choices')}: question '{qid}', field 'choices': "
                f"missing value(s) {', '.join(missing)} that the verdict rules depend on"
            )


def _check_fits_slack(checklist: Checklist, locator: _Locator, source: str) -> None:
    """Refuse what Slack could never show whole, here rather than in the model.

    The model also reads the checklist each stored session was answered against, and a rule
    added there would stop old sessions from loading; a new file is checked here, once.
    """
    for index, question in enumerate(checklist.questions):
        if len(question.choices) > MAX_CHOICES:
            raise ChecklistError(
                f"{source}{locator.line(index, 'choices')}: question '{question.id}', "
                f"field 'choices': has {len(question.choices)} values; a Slack menu holds at "
                f"most {MAX_CHOICES}"
            )


def _describe_validation(exc: ValidationError, locator: _Locator, source: str) -> str:
    error = exc.errors()[0]
    loc = error["loc"]
    message = str(error["msg"]).removeprefix("Value error, ")
    problem = error.get("ctx", {}).get("error")
    if isinstance(problem, _QuestionProblem):
        return (
            f"{source}{locator.line(problem.index, problem.field)}: "
            f"question '{locator.qid(problem.index)}', field '{problem.field}': {problem}"
        )
    if len(loc) >= 2 and loc[0] == "questions" and isinstance(loc[1], int):
        index = loc[1]
        field = ".".join(str(part) for part in loc[2:]) or "(question)"
        if isinstance(problem, _FieldProblem):
            field, message = problem.field, str(problem)
        if error["type"] == "enum":
            message = f"unknown kind {error['input']!r} (expected choice, number or text)"
        if error["type"] == "string_too_long" and field == "id":
            message = (
                f"{len(str(error['input']))} characters; at most {MAX_ID} fit in the block ids "
                "and answer values Slack carries it in"
            )
        top = field.split(".")[0] if field != "(question)" else None
        return (
            f"{source}{locator.line(index, top)}: question '{locator.qid(index)}', "
            f"field '{field}': {message}"
        )
    field = ".".join(str(part) for part in loc) or "(file)"
    return f"{source}: field '{field}': {message}"


class _Locator:
    """Maps a question index (and field) back to a YAML line number for error messages."""

    def __init__(self, node: yaml.Node | None, data: dict[str, Any]) -> None:
        self._data = data
        self._items: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "questions" and isinstance(value, yaml.SequenceNode):
                    self._items = list(value.value)

    def qid(self, index: int) -> str:
        questions = self._data.get("questions")
        if isinstance(questions, list) and index < len(questions):
            item = questions[index]
            if isinstance(item, dict) and item.get("id"):
                return str(item["id"])
        return f"#{index + 1}"

    def line(self, index: int, field: str | None) -> str:
        if index >= len(self._items):
            return ""
        item = self._items[index]
        mark = item.start_mark
        if field and isinstance(item, yaml.MappingNode):
            for key, _ in item.value:
                if key.value == field:
                    mark = key.start_mark
        return f" line {mark.line + 1}"
