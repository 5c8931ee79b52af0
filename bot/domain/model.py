"""Value types shared by the checklist engine, the verdict rules, drafting and storage.

They live in one small module so that storage, the console and the Slack layer can speak about
answers and verdicts without importing the rules that produce them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

AnswerValue = str | int | float
"""A choice value, a number (months) or free text, exactly as stored."""

Answers = Mapping[str, AnswerValue]
"""Question id -> answer. Order carries no meaning for the verdict."""


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which workspace: a Slack team and user, or the console's local pair.

    Every front end names people this way, so the use cases and their rules need no Slack type.
    """

    team_id: str
    user_id: str
    display_name: str | None = None


class Outcome(StrEnum):
    """The five verdicts, declared in order of precedence (first wins)."""

    STOP_PILOT = "stop_pilot"
    WALK = "walk"
    DEFER = "defer"
    REDIRECT = "redirect"
    PROCEED = "proceed"

    @property
    def label(self) -> str:
        return _OUTCOME_LABELS[self]

    @property
    def has_buyer_draft(self) -> bool:
        """Only a decision that changes course needs a message to the buyer."""
        return self is not Outcome.PROCEED


_OUTCOME_LABELS = {
    Outcome.STOP_PILOT: "Stop the pilot",
    Outcome.WALK: "Walk away",
    Outcome.DEFER: "Defer",
    Outcome.REDIRECT: "Redirect",
    Outcome.PROCEED: "Proceed",
}


@dataclass(frozen=True)
class Reason:
    """A fired signal: a stable id (searchable) and a plain sentence for the rep."""

    signal: str
    text: str
    outcome: Outcome


@dataclass(frozen=True)
class Condition:
    """What would change the decision for one fired signal."""

    signal: str
    text: str


@dataclass(frozen=True)
class Caution:
    """Something the rep should act on that does not change the outcome."""

    code: str
    text: str
    question: str | None = None


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]
    cautions: tuple[Caution, ...]
    recheck_on: date | None
    record_line: str
    tags: tuple[str, ...] = field(default=())
    """Searchable labels: every fired signal id plus the old failure mode, if one was named."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reasons": [
                {"signal": r.signal, "text": r.text, "outcome": r.outcome.value}
                for r in self.reasons
            ],
            "conditions": [{"signal": c.signal, "text": c.text} for c in self.conditions],
            "cautions": [
                {"code": c.code, "text": c.text, "question": c.question} for c in self.cautions
            ],
            "recheck_on": self.recheck_on.isoformat() if self.recheck_on else None,
            "record_line": self.record_line,
            "tags": list(self.tags),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Verdict:
        """Rebuild a stored verdict (storage keeps the dict form as JSON)."""
        recheck = data.get("recheck_on")
        return cls(
            outcome=Outcome(data["outcome"]),
            reasons=tuple(
                Reason(r["signal"], r["text"], Outcome(r["outcome"])) for r in data["reasons"]
            ),
            conditions=tuple(Condition(c["signal"], c["text"]) for c in data["conditions"]),
            cautions=tuple(
                Caution(c["code"], c["text"], c.get("question")) for c in data["cautions"]
            ),
            recheck_on=date.fromisoformat(recheck) if recheck else None,
            record_line=data["record_line"],
            tags=tuple(data.get("tags", ())),
        )
