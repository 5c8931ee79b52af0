"""What changed between a deal's earlier check and its re-check: a pure comparison.

A re-check is worth reading only for its differences: which answers moved, which walk-away
signals stopped firing (the conditions that came true), and which fire now. The verdict card,
`records show` and the manager's one line ("Acme came back: an owner is named.") all read
these words from here, so each surface says the same thing, in the labels of
bot/domain/labels.py and the checklist's own wording, never in ids.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.domain.labels import signal_label
from bot.domain.model import AnswerValue, Condition, Outcome, Verdict

STILL_TRUE = "Still true"
"""The first answer of each re-checked question: last time's answer, given again."""
MAX_LINE = 300
"""The manager's line stays a line: a long condition is cut, its start is what matters."""


@dataclass(frozen=True)
class AnswerChange:
    question_id: str
    before: AnswerValue | None
    """None: the earlier check did not ask it."""
    after: AnswerValue | None
    """None: the re-check did not ask it (an earlier answer closed its branch)."""


@dataclass(frozen=True)
class Changes:
    outcome_before: Outcome
    outcome_after: Outcome
    answers: tuple[AnswerChange, ...]
    stopped: tuple[str, ...]
    """Signals that fired before and no longer do, in the earlier verdict's order."""
    started: tuple[str, ...]
    """Signals that fire now and did not before, in the new verdict's order."""
    met: tuple[Condition, ...]
    """The earlier verdict's conditions whose signal no longer fires: what came true."""

    @property
    def nothing(self) -> bool:
        return not (self.answers or self.stopped or self.started) and (
            self.outcome_before is self.outcome_after
        )


def compare(
    earlier_answers: Mapping[str, AnswerValue],
    earlier: Verdict,
    later_answers: Mapping[str, AnswerValue],
    later: Verdict,
    *,
    order: tuple[str, ...] = (),
) -> Changes:
    """The differences, answers listed in `order` (the checklist's), then any others."""
    ids = list(dict.fromkeys([*order, *earlier_answers, *later_answers]))
    answers = tuple(
        AnswerChange(qid, earlier_answers.get(qid), later_answers.get(qid))
        for qid in ids
        if (qid in earlier_answers or qid in later_answers)
        and _differs(earlier_answers.get(qid), later_answers.get(qid))
    )
    before = [r.signal for r in earlier.reasons]
    after = [r.signal for r in later.reasons]
    stopped = tuple(dict.fromkeys(s for s in before if s not in after))
    started = tuple(dict.fromkeys(s for s in after if s not in before))
    met = tuple(c for c in earlier.conditions if c.signal in stopped)
    return Changes(
        outcome_before=earlier.outcome,
        outcome_after=later.outcome,
        answers=answers,
        stopped=stopped,
        started=started,
        met=met,
    )


def _differs(before: AnswerValue | None, after: AnswerValue | None) -> bool:
    if isinstance(before, str) and isinstance(after, str):
        return " ".join(before.split()) != " ".join(after.split())
    return before != after


Describe = Callable[[str, AnswerValue], str]
"""(question id, value) -> the answer in words (the checklist's label)."""
Ask = Callable[[str], str]
"""question id -> the question as the rep read it."""


def describe(changes: Changes, *, label: Describe, question: Ask) -> list[tuple[str, list[str]]]:
    """(heading, lines) for each kind of change there is, in plain words."""
    sections: list[tuple[str, list[str]]] = []
    if changes.outcome_before is not changes.outcome_after:
        sections.append(
            (
                "Verdict",
                [f"{changes.outcome_before.label} last time, {changes.outcome_after.label} now"],
            )
        )
    lines = [_answer_line(change, label=label, question=question) for change in changes.answers]
    if lines:
        sections.append(("Answers that changed", lines))
    if changes.stopped:
        sections.append(("No longer in the way", [signal_label(s) for s in changes.stopped]))
    if changes.started:
        sections.append(("New since last time", [signal_label(s) for s in changes.started]))
    return sections


def _answer_line(change: AnswerChange, *, label: Describe, question: Ask) -> str:
    asked = question(change.question_id)
    if change.before is None:
        return f"{asked}: {label(change.question_id, change.after or '')} (not asked last time)"
    if change.after is None:
        return f"{asked}: {label(change.question_id, change.before)} last time, not asked now"
    was = label(change.question_id, change.before)
    return f"{asked}: {was} → {label(change.question_id, change.after)}"


def came_back_line(deal_name: str, changes: Changes) -> str:
    """The manager's one line: the deal, and the first condition that is now met."""
    if changes.met:
        why = changes.met[0].text.rstrip(".")
    elif changes.stopped:
        why = f"{signal_label(changes.stopped[0]).lower()} no longer applies"
    else:
        why = f"the re-check now says {changes.outcome_after.label.lower()}"
    line = f"{deal_name} came back: {why}."
    return line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…"
