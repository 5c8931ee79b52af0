"""The signal table: each walk-away signal, when it fires, what it decides and how to say it;
and the cautions, which warn without deciding.

Signal ids are a contract: saved records and search filters use them as tags.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.domain.checklist import CONTRACT
from bot.domain.model import Outcome
from bot.domain.predicates import (
    RuleError,
    Test,
    all_of,
    any_of,
    below,
    is_,
    unanswered,
)

FRESH_SCAR_MONTHS = 6
"""A failure younger than this still stings: the buyer needs time, not a pitch."""

UNKNOWN_VALUES = frozenset({"unknown", "unsure"})

MONTHS_SINCE = "scar.months_since"
FAILURE_MODE = "scar.failure_mode"


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
        reason="the pilot has hit a stopping point you and the buyer agreed on before it began",
        condition=(
            "a new pilot is scoped, with stopping points agreed up front that answer what ended "
            "this one"
        ),
        record="the pilot hit a stopping point agreed up front",
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
            "the use case needs a system that is never wrong and the buyer will not move off it"
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
            "what sank the earlier attempt ({mode}) is still there and the buyer will not remove it"
        ),
        condition="{mode_fix}",
        record="what sank the earlier attempt ({mode}) is still there and will not be removed",
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


@dataclass(frozen=True)
class CautionRule:
    code: str
    when: Test
    text: str


CAUTIONS: tuple[CautionRule, ...] = (
    CautionRule(
        "kill_criteria_missing",
        all_of(is_("pilot.in_flight", "yes"), is_("pilot.kill_criteria_written", "no")),
        "The pilot is running with nothing written down about what would end it: agree with the "
        "buyer now which result would.",
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

FIND_OUT: Mapping[str, str] = {
    "deal.stage": "where the deal stands",
    "use_case.autonomous_irreversible": (
        "whether the system would act alone on high-stakes, irreversible decisions"
    ),
    "use_case.buyer_will_move": "whether the buyer would start with the adjacent workable use case",
    "scar.previous_attempt": "whether an earlier attempt of this kind failed at this buyer",
    "scar.failure_mode": "what killed the earlier attempt",
    "scar.still_present": "whether what sank the earlier attempt is there in this one too",
    "scar.addressable": "whether the buyer will remove that weakness now",
    "scar.months_since": "how many months ago the earlier attempt failed",
    "buyer.evidence_receptive": (
        "whether the buyer is open to evidence now (a measured pilot, references)"
    ),
    "pilot.in_flight": "whether a pilot is running",
    "pilot.kill_criteria_written": (
        "whether you and the buyer agreed, before the pilot began, what would end it"
    ),
    "pilot.kill_criteria_met": "whether the pilot has hit one of those stopping points",
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

if set(FIND_OUT) != set(CONTRACT):
    raise RuleError("every contract question needs a 'find out' phrase")
