"""`walkaway evaluate`: the verdict for an answers file, for scripts and CRM hooks.

Every problem with the file becomes one line naming it, never a traceback, because the caller
is usually another program reading our exit code and stderr.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
)

from bot.domain.checklist import Checklist
from bot.domain.conversation import InvalidAnswer, parse_answer, split_applicable
from bot.domain.drafts import (
    CONTACT_LIMIT,
    NAME_LIMIT,
    ORGANISATION_LIMIT,
    Recipient,
    Signature,
    write_draft,
)
from bot.domain.model import AnswerValue
from bot.domain.verdict import decide

MAX_FILE_BYTES = 1024 * 1024
"""An answers file is a few hundred bytes; anything near this is not one, and reading more of
a device or a runaway file (/dev/zero) would only use up memory."""
MAX_NESTING = 20
"""The file's JSON goes two levels deep; json's parser recurses once per level, so a file of
100,000 `[` would otherwise end in a RecursionError instead of one line."""


class AnswersFileError(ValueError):
    """The answers file cannot be evaluated; the message names the problem."""


class AnswersFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deal: StrictStr = Field(default="this deal", min_length=1, max_length=200)
    answers: dict[str, StrictStr | StrictInt | StrictFloat]
    contact: StrictStr | None = Field(default=None, max_length=CONTACT_LIMIT)
    """The buyer contact's first name, for the greeting."""
    organisation: StrictStr | None = Field(default=None, max_length=ORGANISATION_LIMIT)
    rep: StrictStr | None = Field(default=None, max_length=2 * NAME_LIMIT)
    """The signature: 'Sam Ortiz, Account Executive' (name, then title after a comma)."""


@dataclass(frozen=True)
class AnswersInput:
    deal: str
    answers: dict[str, AnswerValue]
    recipient: Recipient
    signature: Signature


def read_answers_file(path: Path, checklist: Checklist) -> AnswersInput:
    """Parse and validate: unknown ids and invalid values are errors, not silently dropped."""
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise AnswersFileError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise AnswersFileError(f"{path}: larger than {MAX_FILE_BYTES // 1024 // 1024} MB")
    try:
        document = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnswersFileError(f"{path}: not valid JSON ({exc})") from None
    if _nesting(document) > MAX_NESTING:
        raise AnswersFileError(f"{path}: JSON nested deeper than {MAX_NESTING} levels")
    try:
        raw = json.loads(document)
    except ValueError as exc:  # JSONDecodeError, or an integer of more than 4,300 digits
        raise AnswersFileError(f"{path}: not valid JSON ({exc})") from None
    try:
        parsed = AnswersFile.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the top level"
        raise AnswersFileError(f"{path}: {where}: {error['msg']}") from None
    answers: dict[str, AnswerValue] = {}
    for qid, value in parsed.answers.items():
        question = checklist.by_id.get(qid)
        if question is None:
            raise AnswersFileError(f"{path}: unknown question id '{qid}'")
        try:
            answers[qid] = parse_answer(question, value)
        except InvalidAnswer as exc:
            raise AnswersFileError(f"{path}: {exc}") from None
    return AnswersInput(
        deal=parsed.deal,
        answers=answers,
        recipient=Recipient.of(parsed.organisation, parsed.contact),
        signature=Signature.parse(parsed.rep),
    )


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


def _nesting(document: str) -> int:
    """How deep the JSON's arrays and objects go, found without recursing (or parsing).

    Brackets inside strings do not count, so the strings go first; whether the brackets pair
    up is left to the parser.
    """
    deepest = depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", document)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def evaluate(
    deal: str,
    answers: dict[str, AnswerValue],
    *,
    checklist: Checklist,
    today: date,
    recipient: Recipient | None = None,
    signature: Signature | None = None,
) -> dict[str, Any]:
    """The verdict as the JSON document scripts consume.

    `draft` is the email, `draft_short` the note for chat or LinkedIn, `subject` the email's
    subject line; all three are null when the deal goes ahead.
    """
    kept, ignored = split_applicable(checklist, answers)
    verdict = decide(kept, today=today, checklist=checklist)
    draft = write_draft(
        verdict, deal_name=deal, answers=kept, recipient=recipient, signature=signature
    )
    result = verdict.to_dict()
    result["deal"] = deal
    result["subject"] = draft.subject if draft else None
    result["draft"] = draft.email if draft else None
    result["draft_short"] = draft.short if draft else None
    result["ignored"] = sorted(ignored)
    return result
