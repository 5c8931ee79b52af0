"""The verdict: which walk-away signals fire for a set of answers, and what follows from them.

The rules are a table, read the way venmo/business-rules reads: each signal names the questions
it looks at through small predicates (`is_`, `below`, `all_of`, ...), and a predicate that names
a question id or value outside the checklist contract fails at import, not in front of a rep.
Signal ids are a contract too: saved records and search filters use them as tags.

`decide` is a pure function of the answers and `today`, so the console, the Slack app, the CLI
and a re-run over stored answers all reach the same verdict.
"""

from __future__ import annotations

import difflib
import math
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.checklist import CONTRACT, Checklist
from bot.domain.conversation import split_applicable
from bot.domain.dates import add_months, day_words
from bot.domain.model import AnswerValue, Caution, Condition, Outcome, Reason, Verdict

FRESH_SCAR_MONTHS = 6
"""A failure younger than this still stings: the buyer needs time, not a pitch."""

MIN_RECHECK_DAYS = 30
DEFAULT_RECHECK_DAYS = 90
UNKNOWN_VALUES = frozenset({"unknown", "unsure"})

MONTHS_SINCE = "scar.months_since"
FAILURE_MODE = "scar.failure_mode"


class RuleError(ValueError):
    """A rule refers to a question or value the checklist does not have."""


# --- predicates --------------------------------------------------------------------------------


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


# --- the signal table --------------------------------------------------------------------------

_PHRASE_KEYS = (
    "mode",
    "mode_fix",
    "ago",
    "scar_state",
    "recheck",
    "autonomy",
    "move",
    "move_short",
)


@dataclass(frozen=True)
class Signal:
    """One walk-away signal: when it fires, what it decides, and how to say so to the rep.

    `reason`, `condition` and `record` are clauses (lower case, no full stop): `reason` is the
    sentence the rep reads, `record` its short form for the one-line internal record, and
    `condition` reads both alone and after "Re-engage when".
    """

    id: str
    outcome: Outcome
    when: Test
    reason: str
    condition: str
    record: str

    def __post_init__(self) -> None:
        if self.outcome is Outcome.PROCEED:
            raise RuleError(f"signal '{self.id}': proceed is what happens when nothing fires")
        sample = dict.fromkeys(_PHRASE_KEYS, "x")
        for name in ("reason", "condition", "record"):
            try:
                getattr(self, name).format_map(sample)
            except (KeyError, IndexError, ValueError) as exc:
                raise RuleError(f"signal '{self.id}': bad placeholder in {name}: {exc}") from None


_UNWORKABLE = is_("use_case.autonomous_irreversible", "yes", "partly")
_ADJACENT = "they start with the adjacent use case (a person approves each action)"

SIGNALS: tuple[Signal, ...] = (
    Signal(
        "kill_criteria_met",
        Outcome.STOP_PILOT,
        when=all_of(is_("pilot.in_flight", "yes"), is_("pilot.kill_criteria_met", "yes")),
        reason="a kill criterion agreed before the pilot began has been met",
        condition=(
            "a new pilot is scoped with fresh kill criteria that answer what tripped this one"
        ),
        record="a kill criterion agreed up front was met",
    ),
    Signal(
        "unworkable_use_case",
        Outcome.WALK,
        when=all_of(_UNWORKABLE, is_("use_case.buyer_will_move", "no")),
        reason=(
            "the buyer wants the system to make high-stakes, irreversible decisions {autonomy} "
            "with no room for error, and will not start with the adjacent workable use case"
        ),
        condition=_ADJACENT,
        record=(
            "the use case is unworkable for a probabilistic system and the buyer will not move "
            "off it"
        ),
    ),
    Signal(
        "guarantee_refused_pilot",
        Outcome.WALK,
        when=all_of(
            is_("terms.guarantee_demanded", "yes"), is_("terms.accepts_measured_pilot", "no")
        ),
        reason=(
            "the buyer demands a guarantee that cannot honestly be given (such as accuracy on "
            "unseen data) and will not accept a measured pilot instead"
        ),
        condition="they accept a measured pilot in place of the guarantee",
        record="the buyer demands a guarantee and will not accept a measured pilot",
    ),
    Signal(
        "scar_not_removable",
        Outcome.WALK,
        when=all_of(is_("scar.still_present", "yes"), is_("scar.addressable", "no")),
        reason=(
            "the earlier failure mode ({mode}) is still present and the buyer will not remove it"
        ),
        condition="{mode_fix}",
        record="the earlier failure mode ({mode}) is still present and not removable",
    ),
    Signal(
        "values_compromised",
        Outcome.WALK,
        when=is_("terms.values_compromised", "yes"),
        reason="the terms on the table would compromise our values",
        condition="the terms change so that we can honour every one of them in good conscience",
        record="the terms would compromise our values",
    ),
    Signal(
        "no_mutual_benefit",
        Outcome.WALK,
        when=is_("terms.mutual_benefit", "no"),
        reason="no terms are in sight that serve both sides",
        condition="terms appear that serve both sides",
        record="no terms serve both sides",
    ),
    Signal(
        "fresh_scar",
        Outcome.DEFER,
        when=all_of(
            is_("scar.previous_attempt", "yes"),
            any_of(below(MONTHS_SINCE, FRESH_SCAR_MONTHS), is_("scar.still_present", "yes")),
            is_("buyer.evidence_receptive", "no"),
        ),
        reason=(
            "an earlier attempt failed{ago} ({mode}), {scar_state}, and the buyer is not open "
            "to evidence yet"
        ),
        condition=(
            "re-check on {recheck}; sooner if the buyer becomes open to evidence "
            "(a measured pilot or references)"
        ),
        record=(
            "the earlier failure{ago} ({mode}) is still raw and the buyer is not open to evidence"
        ),
    ),
    Signal(
        "adjacent_use_case",
        Outcome.REDIRECT,
        # An unanswered buyer_will_move has not refused to move: sell the adjacent use case
        # rather than proceed energetically on one that will fail.
        when=all_of(
            _UNWORKABLE,
            any_of(
                is_("use_case.buyer_will_move", "yes", "unknown"),
                unanswered("use_case.buyer_will_move"),
            ),
        ),
        reason=(
            "the use case as asked has the system make high-stakes, irreversible decisions "
            "{autonomy}; the buyer {move}"
        ),
        condition=_ADJACENT,
        record="the use case is unworkable as asked and the buyer {move_short} the adjacent one",
    ),
)

SIGNAL_IDS: tuple[str, ...] = tuple(s.id for s in SIGNALS)
SCAR_SIGNALS = frozenset({"scar_not_removable", "fresh_scar"})
"""Signals about an earlier failure; when one fires, the failure mode becomes a tag."""

if len(set(SIGNAL_IDS)) != len(SIGNAL_IDS):
    raise RuleError("two signals share an id")


def signal(signal_id: str) -> Signal:
    """The signal with this id; an unknown id is a bug in the caller, so it fails loudly."""
    for candidate in SIGNALS:
        if candidate.id == signal_id:
            return candidate
    raise RuleError(f"unknown signal '{signal_id}' (known: {', '.join(SIGNAL_IDS)})")


# --- cautions ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CautionRule:
    code: str
    when: Test
    text: str


CAUTIONS: tuple[CautionRule, ...] = (
    CautionRule(
        "kill_criteria_missing",
        all_of(is_("pilot.in_flight", "yes"), is_("pilot.kill_criteria_written", "no")),
        "The pilot is running without written kill criteria: agree with the buyer now which "
        "result would end it.",
    ),
    CautionRule(
        "deadlock_with_alternative",
        all_of(is_("dynamics.deadlock", "yes"), is_("dynamics.better_alternative", "yes")),
        "The talks are deadlocked and a better use of this time is in hand: weigh moving your "
        "effort there.",
    ),
    CautionRule(
        "quota_only",
        is_("self.quota_only", "yes"),
        "Quota is the only thing keeping this deal alive: count what it costs in the deals you "
        "are not working.",
    ),
)

_FIND_OUT: Mapping[str, str] = {
    "deal.stage": "where the deal stands",
    "use_case.autonomous_irreversible": (
        "whether the system would act alone on high-stakes, irreversible decisions"
    ),
    "use_case.buyer_will_move": "whether the buyer would start with the adjacent workable use case",
    "scar.previous_attempt": "whether an earlier attempt of this kind failed at this buyer",
    "scar.failure_mode": "what killed the earlier attempt",
    "scar.still_present": "whether the earlier failure mode is present in this attempt too",
    "scar.addressable": "whether the buyer will remove that failure mode now",
    "scar.months_since": "how many months ago the earlier attempt failed",
    "buyer.evidence_receptive": (
        "whether the buyer is open to evidence now (a measured pilot, references)"
    ),
    "pilot.in_flight": "whether a pilot is running",
    "pilot.kill_criteria_written": "whether kill criteria were agreed before the pilot began",
    "pilot.kill_criteria_met": "whether any kill criterion has been met",
    "terms.guarantee_demanded": "whether the buyer demands a guarantee you cannot honestly give",
    "terms.accepts_measured_pilot": (
        "whether the buyer would accept a measured pilot instead of the guarantee"
    ),
    "terms.values_compromised": "whether the terms would compromise your values",
    "terms.mutual_benefit": "whether any terms could serve both sides",
    "dynamics.deadlock": "whether the talks are deadlocked",
    "dynamics.better_alternative": "whether a better use of this time and effort is waiting",
    "self.quota_only": "whether quota is the only thing keeping this deal alive",
}

if set(_FIND_OUT) != set(CONTRACT):
    raise RuleError("every contract question needs a 'find out' phrase")

# --- phrases that depend on the answers --------------------------------------------------------

_MODES: Mapping[str, tuple[str, str]] = {
    # failure mode -> (its name in a sentence, what removes it)
    "unclear_ownership": ("unclear ownership", "an operational owner is named"),
    "decision_path_ignored": ("decision path ignored", "we can meet the people who decide"),
    "unrealistic_expectations": (
        "unrealistic expectations",
        "measurable targets are agreed with the buyer",
    ),
    "data_not_ready": ("data not ready", "the data is ready"),
    "no_measurement": ("nothing measured", "success measures are agreed up front"),
    "other": ("other", "whatever killed the earlier attempt is removed"),
}
_UNNAMED_MODE = (
    "failure mode not named yet",
    "whatever killed the earlier attempt is named and removed",
)

if set(_MODES) != set(CONTRACT[FAILURE_MODE] or ()):
    raise RuleError("every failure mode in the contract needs words and a fix")

_MOVE = {
    "yes": "is willing to start with the adjacent workable use case",
    "unknown": "has not said whether they would start with the adjacent workable use case",
}
_MOVE_UNASKED = "has not yet been asked to start with the adjacent workable use case"

_LABELS = {
    Outcome.STOP_PILOT: "Stopped the pilot",
    Outcome.WALK: "Walked away",
    Outcome.DEFER: "Deferred",
    Outcome.REDIRECT: "Redirected",
    Outcome.PROCEED: "Proceeding",
}
_TRIGGERS = {
    Outcome.STOP_PILOT: "Start again when {conditions}.",
    Outcome.WALK: "Re-engage when {conditions}.",
    Outcome.DEFER: "{Conditions}.",
    Outcome.REDIRECT: "Go ahead when {conditions}.",
}


def failure_mode_words(answers: Mapping[str, AnswerValue]) -> tuple[str, str]:
    """(name of the earlier failure mode, what removes it), or a placeholder when not named."""
    value = answers.get(FAILURE_MODE)
    return _MODES.get(value, _UNNAMED_MODE) if isinstance(value, str) else _UNNAMED_MODE


def months_words(months: float) -> str:
    if months < 1:
        return "under a month"
    shown = str(int(months)) if float(months).is_integer() else f"{months:g}"
    return f"{shown} month" + ("" if months == 1 else "s")


def _phrases(answers: Mapping[str, AnswerValue], recheck: date) -> dict[str, str]:
    mode, mode_fix = failure_mode_words(answers)
    months = as_number(answers.get(MONTHS_SINCE))
    fresh = months is not None and months < FRESH_SCAR_MONTHS
    present = answers.get("scar.still_present") == "yes"
    if fresh and present:
        scar_state = "the scar is fresh and that failure mode is still present"
    elif present:
        scar_state = "that failure mode is still present"
    else:
        scar_state = "the scar is still fresh"
    move = answers.get("use_case.buyer_will_move")
    move = move if isinstance(move, str) else ""
    return {
        "mode": mode,
        "mode_fix": mode_fix,
        "ago": "" if months is None else f" {months_words(max(months, 0.0))} ago",
        "scar_state": scar_state,
        "recheck": day_words(recheck),
        "autonomy": (
            "partly on its own"
            if answers.get("use_case.autonomous_irreversible") == "partly"
            else "on its own"
        ),
        "move": _MOVE.get(move, _MOVE_UNASKED),
        "move_short": "will start with" if move == "yes" else "has not refused",
    }


# --- the decision ------------------------------------------------------------------------------


def recheck_date(months_since: AnswerValue | None, *, today: date) -> date:
    """When a deferral is looked at again.

    A known, recent failure is re-checked once six months have passed since it; anything else
    (months unknown, or an old scar that is still present) gets a standard quarter. Never sooner
    than a month out: the buyer was just told "not yet".
    """
    months = as_number(months_since)
    if months is not None and months < FRESH_SCAR_MONTHS:
        due = add_months(today, FRESH_SCAR_MONTHS - max(months, 0.0))
        return max(due, today + timedelta(days=MIN_RECHECK_DAYS))
    return today + timedelta(days=DEFAULT_RECHECK_DAYS)


def decide(
    answers: Mapping[str, AnswerValue], *, today: date, checklist: Checklist | None = None
) -> Verdict:
    """Apply the signal table to the answers that apply.

    With a checklist, answers whose `ask_if` is false are set aside first, and every question
    that applies but has no answer becomes a caution: a partial answer set is a valid input.
    Without one, the answers are taken as given.
    """
    if checklist is not None:
        check_rules_against(checklist)
        applicable, _ignored = split_applicable(checklist, answers)
        order = [q.id for q in checklist.questions]
        pending = [
            q.id for q in checklist.questions if q.id not in applicable and q.applies(applicable)
        ]
        wording = {q.id: q.text for q in checklist.questions}
    else:
        applicable = dict(answers)
        order = list(CONTRACT)
        pending = []
        wording = {}

    fired = _fire(applicable)
    outcome = fired[0].outcome if fired else Outcome.PROCEED
    recheck = recheck_date(applicable.get(MONTHS_SINCE), today=today)
    phrases = _phrases(applicable, recheck)

    reasons = tuple(Reason(s.id, _sentence(s.reason.format_map(phrases)), s.outcome) for s in fired)
    conditions = tuple(Condition(s.id, s.condition.format_map(phrases)) for s in fired)
    cautions = _cautions(applicable, order, pending, wording)
    return Verdict(
        outcome=outcome,
        reasons=reasons,
        conditions=conditions,
        cautions=cautions,
        recheck_on=recheck if outcome is Outcome.DEFER else None,
        record_line=_record_line(outcome, fired, phrases, len(cautions)),
        tags=_tags(outcome, fired, applicable),
    )


def check_rules_against(checklist: Checklist) -> None:
    """Every question a rule reads must exist in the checklist in use, or the rule is blind."""
    for rule_id, test in [(s.id, s.when) for s in SIGNALS] + [(c.code, c.when) for c in CAUTIONS]:
        for qid in sorted(test.reads()):
            if qid not in checklist.by_id:
                raise RuleError(f"the checklist has no question '{qid}', which '{rule_id}' reads")


def _fire(answers: Mapping[str, AnswerValue]) -> list[Signal]:
    precedence = list(Outcome)
    fired = [
        (precedence.index(s.outcome), i, s) for i, s in enumerate(SIGNALS) if s.when.holds(answers)
    ]
    return [s for _, _, s in sorted(fired, key=lambda item: (item[0], item[1]))]


def _cautions(
    answers: Mapping[str, AnswerValue],
    order: list[str],
    pending: Iterable[str],
    wording: Mapping[str, str],
) -> tuple[Caution, ...]:
    found = [Caution(rule.code, rule.text) for rule in CAUTIONS if rule.when.holds(answers)]
    rank = {qid: i for i, qid in enumerate(order)}
    doubtful = sorted(
        (
            qid
            for qid, value in answers.items()
            if isinstance(value, str) and value in UNKNOWN_VALUES
        ),
        key=lambda qid: (rank.get(qid, len(rank)), qid),
    )
    found += [
        Caution("find_out", f"Find out before you go further: {_what(qid, wording)}.", qid)
        for qid in doubtful
    ]
    found += [
        Caution("not_answered", f"Not answered yet, so not yet known: {_what(qid, wording)}.", qid)
        for qid in pending
    ]
    return tuple(found)


def _what(qid: str, wording: Mapping[str, str]) -> str:
    if qid in _FIND_OUT:
        return _FIND_OUT[qid]
    if qid in wording:
        return wording[qid].strip().rstrip("?.").strip()
    return f"the answer to {qid}"


def _record_line(
    outcome: Outcome, fired: list[Signal], phrases: Mapping[str, str], cautions: int
) -> str:
    label = _LABELS[outcome]
    if not fired:
        if not cautions:
            return f"{label}: no walk-away signal fired."
        plural = "" if cautions == 1 else "s"
        return f"{label}: no walk-away signal fired; {cautions} caution{plural} to act on first."
    clauses = "; ".join(s.record.format_map(phrases) for s in fired)
    winning: list[str] = []
    for s in fired:
        text = s.condition.format_map(phrases)
        if s.outcome is outcome and text not in winning:
            winning.append(text)
    joined = _and(winning)
    trigger = _TRIGGERS[outcome].format(conditions=joined, Conditions=_sentence(joined)[:-1])
    return f"{label}: {clauses}. {trigger}"


def _tags(
    outcome: Outcome, fired: list[Signal], answers: Mapping[str, AnswerValue]
) -> tuple[str, ...]:
    tags = [s.id for s in fired]
    mode = answers.get(FAILURE_MODE)
    if isinstance(mode, str) and mode in _MODES and any(s.id in SCAR_SIGNALS for s in fired):
        tags.append(mode)
    tags.append(outcome.value)
    return tuple(dict.fromkeys(tags))


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(clause: str) -> str:
    return clause[:1].upper() + clause[1:] + "."
