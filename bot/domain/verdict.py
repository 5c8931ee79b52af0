"""The verdict: which walk-away signals fire for a set of answers, and what follows from them.

The rules are a table, read the way venmo/business-rules reads: each signal names the questions
it looks at through small predicates (`is_`, `below`, `all_of`, ...), and a predicate that names
a question id or value outside the checklist contract fails at import, not in front of a rep.
Signal ids are a contract too: saved records and search filters use them as tags.

`decide` is a pure function of the answers and `today`, so the console, the Slack app, the CLI
and a re-run over stored answers all reach the same verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from bot.domain.checklist import CONTRACT, Checklist
from bot.domain.conversation import split_applicable
from bot.domain.dates import add_months, day_words
from bot.domain.model import AnswerValue, Caution, Condition, Outcome, Reason, Verdict
from bot.domain.predicates import RuleError, as_number
from bot.domain.signals import (
    CAUTIONS,
    FAILURE_MODE,
    FIND_OUT,
    FRESH_SCAR_MONTHS,
    MONTHS_SINCE,
    SCAR_SIGNALS,
    SIGNALS,
    UNKNOWN_VALUES,
    Signal,
)

MIN_RECHECK_DAYS = 30
DEFAULT_RECHECK_DAYS = 90


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
    "cause not named yet",
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
        scar_state = "it is recent and the same weakness is still there"
    elif present:
        scar_state = "the same weakness is still there"
    else:
        scar_state = "it is still recent"
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
    if qid in FIND_OUT:
        return FIND_OUT[qid]
    if qid in wording:
        return wording[qid].strip().rstrip("?.").strip()
    return f"the answer to {qid}"


def _record_line(
    outcome: Outcome, fired: list[Signal], phrases: Mapping[str, str], cautions: int
) -> str:
    label = _LABELS[outcome]
    if not fired:
        if not cautions:
            return f"{label}: nothing calls for walking away."
        plural = "" if cautions == 1 else "s"
        return (
            f"{label}: nothing calls for walking away; {cautions} caution{plural} to act on first."
        )
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
