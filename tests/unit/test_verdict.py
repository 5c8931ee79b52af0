"""The verdict rules, one journey at a time: each signal, precedence, branches, cautions."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.checklist import Checklist, load_checklist
from bot.domain.model import AnswerValue, Outcome, Verdict
from bot.domain.predicates import RuleError, below, is_, unanswered
from bot.domain.signals import SIGNAL_IDS, Signal, signal
from bot.domain.verdict import decide, recheck_date

TODAY = date(2025, 3, 10)
CHECKLIST = load_checklist()

Answers = dict[str, AnswerValue]

# Minimal answer sets that fire exactly one signal each, through the default checklist's branches.
KILL_MET: Answers = {
    "deal.stage": "pilot",
    "pilot.in_flight": "yes",
    "pilot.kill_criteria_written": "yes",
    "pilot.kill_criteria_met": "yes",
}
UNWORKABLE: Answers = {
    "use_case.autonomous_irreversible": "yes",
    "use_case.buyer_will_move": "no",
}
GUARANTEE_NO_PILOT: Answers = {
    "terms.guarantee_demanded": "yes",
    "terms.accepts_measured_pilot": "no",
}
SCAR_STUCK: Answers = {
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
    "scar.months_since": 14,
    "buyer.evidence_receptive": "yes",
}
VALUES: Answers = {"terms.values_compromised": "yes"}
NO_MUTUAL: Answers = {"terms.mutual_benefit": "no"}
FRESH: Answers = {
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "data_not_ready",
    "scar.still_present": "no",
    "scar.months_since": 3,
    "buyer.evidence_receptive": "no",
}
ADJACENT: Answers = {
    "use_case.autonomous_irreversible": "partly",
    "use_case.buyer_will_move": "yes",
}

HEALTHY: Answers = {
    "deal.stage": "evaluation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "no",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}


def verdict(*parts: Answers, checklist: Checklist | None = CHECKLIST) -> Verdict:
    merged: Answers = {}
    for part in parts:
        merged.update(part)
    return decide(merged, today=TODAY, checklist=checklist)


def signals(v: Verdict) -> list[str]:
    return [r.signal for r in v.reasons]


def caution_codes(v: Verdict) -> list[str]:
    return [c.code for c in v.cautions]


# --- each rule on its own ----------------------------------------------------------------------


def test_healthy_deal_proceeds_with_nothing_to_explain() -> None:
    v = verdict(HEALTHY)
    assert v.outcome is Outcome.PROCEED
    assert v.reasons == () and v.conditions == () and v.cautions == ()
    assert v.recheck_on is None
    assert v.record_line == "Proceeding: nothing calls for walking away."
    assert v.tags == ("proceed",)


def test_pilot_whose_agreed_kill_criterion_fired_is_stopped() -> None:
    v = verdict(HEALTHY, KILL_MET)
    assert v.outcome is Outcome.STOP_PILOT
    assert signals(v) == ["kill_criteria_met"]
    assert "stopping point" in v.reasons[0].text
    assert "new pilot" in v.conditions[0].text
    assert v.record_line.startswith("Stopped the pilot: the pilot hit a stopping point")


@pytest.mark.parametrize("autonomy", ["yes", "partly"])
def test_buyer_who_insists_on_unworkable_use_case_is_walked_from(autonomy: str) -> None:
    v = verdict(HEALTHY, UNWORKABLE, {"use_case.autonomous_irreversible": autonomy})
    assert v.outcome is Outcome.WALK
    assert signals(v) == ["unworkable_use_case"]
    assert "irreversible" in v.reasons[0].text
    assert ("partly on its own" in v.reasons[0].text) is (autonomy == "partly")
    assert v.conditions[0].text.startswith("they start with the adjacent use case")


def test_guarantee_demanded_and_pilot_refused_is_a_walk() -> None:
    v = verdict(HEALTHY, GUARANTEE_NO_PILOT)
    assert v.outcome is Outcome.WALK
    assert signals(v) == ["guarantee_refused_pilot"]
    assert "measured pilot" in v.reasons[0].text
    assert v.conditions[0].text == "they accept a measured pilot in place of the guarantee"


def test_guarantee_demanded_but_pilot_accepted_proceeds() -> None:
    v = verdict(HEALTHY, GUARANTEE_NO_PILOT, {"terms.accepts_measured_pilot": "yes"})
    assert v.outcome is Outcome.PROCEED


@pytest.mark.parametrize(
    ("mode", "words", "fix"),
    [
        ("unclear_ownership", "unclear ownership", "an operational owner is named"),
        ("decision_path_ignored", "decision path ignored", "we can meet the people who decide"),
        ("unrealistic_expectations", "unrealistic expectations", "measurable targets are agreed"),
        ("data_not_ready", "data not ready", "the data is ready"),
        ("no_measurement", "nothing measured", "success measures are agreed up front"),
        ("other", "other", "whatever killed the earlier attempt is removed"),
    ],
)
def test_scar_still_present_and_not_removable_names_the_mode_and_its_fix(
    mode: str, words: str, fix: str
) -> None:
    v = verdict(HEALTHY, SCAR_STUCK, {"scar.failure_mode": mode})
    assert v.outcome is Outcome.WALK
    assert signals(v) == ["scar_not_removable"]
    assert f"({words})" in v.reasons[0].text
    assert v.conditions[0].text.startswith(fix)
    assert v.tags == ("scar_not_removable", mode, "walk")


def test_scar_without_a_named_mode_still_says_what_would_change_it() -> None:
    answers = {k: v for k, v in SCAR_STUCK.items() if k != "scar.failure_mode"}
    v = verdict(HEALTHY, answers)
    assert v.outcome is Outcome.WALK
    assert "not named yet" in v.reasons[0].text
    assert v.conditions[0].text == "whatever killed the earlier attempt is named and removed"
    assert v.tags == ("scar_not_removable", "walk")
    assert ("not_answered", "scar.failure_mode") in [(c.code, c.question) for c in v.cautions]


def test_scar_the_buyer_will_remove_is_not_a_walk() -> None:
    v = verdict(HEALTHY, SCAR_STUCK, {"scar.addressable": "yes"})
    assert v.outcome is Outcome.PROCEED


def test_terms_that_compromise_values_are_a_walk() -> None:
    v = verdict(HEALTHY, VALUES)
    assert v.outcome is Outcome.WALK
    assert signals(v) == ["values_compromised"]
    assert "good conscience" in v.conditions[0].text


def test_no_mutually_beneficial_terms_is_a_walk() -> None:
    v = verdict(HEALTHY, NO_MUTUAL)
    assert v.outcome is Outcome.WALK
    assert signals(v) == ["no_mutual_benefit"]
    assert "both sides" in v.reasons[0].text and "both sides" in v.conditions[0].text


def test_recent_failure_with_a_buyer_closed_to_evidence_is_deferred() -> None:
    v = verdict(HEALTHY, FRESH)
    assert v.outcome is Outcome.DEFER
    assert signals(v) == ["fresh_scar"]
    assert "3 months ago" in v.reasons[0].text and "(data not ready)" in v.reasons[0].text
    assert v.recheck_on == date(2025, 6, 10)
    assert "re-check on 10 June 2025" in v.conditions[0].text
    assert "open to evidence" in v.conditions[0].text
    assert v.tags == ("fresh_scar", "data_not_ready", "defer")


def test_old_failure_still_present_with_a_closed_buyer_is_deferred() -> None:
    v = verdict(
        HEALTHY,
        FRESH,
        {"scar.months_since": 20, "scar.still_present": "yes", "scar.addressable": "yes"},
    )
    assert v.outcome is Outcome.DEFER
    assert "still there" in v.reasons[0].text
    assert v.recheck_on == TODAY + timedelta(days=90)


@pytest.mark.parametrize("receptive", ["yes", "unsure"])
def test_recent_failure_with_a_buyer_open_to_evidence_proceeds(receptive: str) -> None:
    v = verdict(HEALTHY, FRESH, {"buyer.evidence_receptive": receptive})
    assert v.outcome is Outcome.PROCEED


def test_old_healed_failure_does_not_defer() -> None:
    v = verdict(HEALTHY, FRESH, {"scar.months_since": 6})
    assert v.outcome is Outcome.PROCEED


@pytest.mark.parametrize("move", ["yes", "unknown"])
def test_unworkable_use_case_with_a_buyer_who_may_move_is_redirected(move: str) -> None:
    v = verdict(HEALTHY, ADJACENT, {"use_case.buyer_will_move": move})
    assert v.outcome is Outcome.REDIRECT
    assert signals(v) == ["adjacent_use_case"]
    assert v.conditions[0].text.startswith("they start with the adjacent use case")
    assert v.record_line.startswith("Redirected: the use case is unworkable as asked")


def test_unworkable_use_case_not_yet_asked_about_moving_is_redirected_with_a_caution() -> None:
    answers = dict(HEALTHY, **{"use_case.autonomous_irreversible": "yes"})
    v = decide(answers, today=TODAY, checklist=CHECKLIST)
    assert v.outcome is Outcome.REDIRECT
    assert [(c.code, c.question) for c in v.cautions] == [
        ("not_answered", "use_case.buyer_will_move")
    ]


def test_an_empty_answer_set_proceeds_and_lists_what_to_ask() -> None:
    v = decide({}, today=TODAY, checklist=CHECKLIST)
    assert v.outcome is Outcome.PROCEED
    asked = [c.question for c in v.cautions]
    assert asked == [q.id for q in CHECKLIST.questions if not q.ask_if]
    assert set(caution_codes(v)) == {"not_answered"}
    assert v.record_line == (
        f"Proceeding: nothing calls for walking away; {len(asked)} cautions to act on first."
    )


# --- precedence --------------------------------------------------------------------------------

PAIRS = [
    (Outcome.STOP_PILOT, KILL_MET, Outcome.WALK, VALUES),
    (Outcome.STOP_PILOT, KILL_MET, Outcome.DEFER, FRESH),
    (Outcome.STOP_PILOT, KILL_MET, Outcome.REDIRECT, ADJACENT),
    (Outcome.WALK, UNWORKABLE, Outcome.DEFER, FRESH),
    (Outcome.WALK, SCAR_STUCK | {"buyer.evidence_receptive": "no"}, Outcome.DEFER, {}),
    (Outcome.WALK, GUARANTEE_NO_PILOT, Outcome.REDIRECT, ADJACENT),
    (Outcome.WALK, NO_MUTUAL, Outcome.REDIRECT, ADJACENT),
    (Outcome.DEFER, FRESH, Outcome.REDIRECT, ADJACENT),
]


@pytest.mark.parametrize(
    ("high", "high_answers", "low", "low_answers"),
    PAIRS,
    ids=[f"{h.value}-beats-{lo.value}" for h, _, lo, _ in PAIRS],
)
def test_higher_outcome_wins_and_both_signals_are_kept(
    high: Outcome, high_answers: Answers, low: Outcome, low_answers: Answers
) -> None:
    for order in ((high_answers, low_answers), (low_answers, high_answers)):
        v = verdict(HEALTHY, *order)
        assert v.outcome is high
        outcomes = [r.outcome for r in v.reasons]
        assert outcomes[0] is high and low in outcomes
        assert outcomes == sorted(outcomes, key=list(Outcome).index)
        assert [c.signal for c in v.conditions] == signals(v)


def test_every_walk_signal_at_once_is_listed_in_table_order() -> None:
    v = verdict(HEALTHY, UNWORKABLE, GUARANTEE_NO_PILOT, SCAR_STUCK, VALUES, NO_MUTUAL)
    assert v.outcome is Outcome.WALK
    assert signals(v) == [
        "unworkable_use_case",
        "guarantee_refused_pilot",
        "scar_not_removable",
        "values_compromised",
        "no_mutual_benefit",
    ]
    assert len(v.conditions) == 5


def test_all_four_outcomes_at_once_stop_the_pilot_first() -> None:
    v = verdict(HEALTHY, KILL_MET, VALUES, FRESH, ADJACENT)
    assert v.outcome is Outcome.STOP_PILOT
    assert signals(v) == [
        "kill_criteria_met",
        "values_compromised",
        "fresh_scar",
        "adjacent_use_case",
    ]
    assert v.recheck_on is None, "only a deferral carries a re-check date"


# --- answers whose question does not apply are ignored -----------------------------------------

IGNORED_CASES = {
    "pilot answers outside the pilot stage": KILL_MET | {"deal.stage": "evaluation"},
    "scar answers with no earlier attempt": SCAR_STUCK | {"scar.previous_attempt": "no"},
    "fresh scar answers with no earlier attempt": FRESH | {"scar.previous_attempt": "no"},
    "pilot refusal with no guarantee demanded": GUARANTEE_NO_PILOT
    | {"terms.guarantee_demanded": "no"},
    "refusing to move off a workable use case": UNWORKABLE
    | {"use_case.autonomous_irreversible": "no"},
    "addressable answered while the scar is gone": {
        "scar.previous_attempt": "yes",
        "scar.still_present": "no",
        "scar.addressable": "no",
    },
}


@pytest.mark.parametrize("answers", IGNORED_CASES.values(), ids=IGNORED_CASES.keys())
def test_answers_whose_question_does_not_apply_fire_nothing(answers: Answers) -> None:
    v = verdict(HEALTHY, answers)
    assert v.outcome is Outcome.PROCEED
    assert v.reasons == ()


def test_the_same_answers_without_a_checklist_are_taken_as_given() -> None:
    """Without a checklist there are no branches to apply, so every answer counts."""
    stuck = SCAR_STUCK | {"scar.previous_attempt": "no"}
    assert verdict(HEALTHY, stuck, checklist=None).outcome is Outcome.WALK


def test_an_ignored_unknown_answer_raises_no_find_out_caution() -> None:
    v = verdict(
        HEALTHY, {"use_case.autonomous_irreversible": "no", "use_case.buyer_will_move": "unknown"}
    )
    assert v.cautions == ()


# --- cautions ----------------------------------------------------------------------------------


def test_running_pilot_without_kill_criteria_is_a_caution_not_a_verdict() -> None:
    v = verdict(
        HEALTHY,
        {"deal.stage": "pilot", "pilot.in_flight": "yes", "pilot.kill_criteria_written": "no"},
    )
    assert v.outcome is Outcome.PROCEED
    assert caution_codes(v) == ["kill_criteria_missing"]
    assert v.record_line == "Proceeding: nothing calls for walking away; 1 caution to act on first."


def test_deadlock_with_a_better_alternative_is_a_caution() -> None:
    v = verdict(HEALTHY, {"dynamics.deadlock": "yes", "dynamics.better_alternative": "yes"})
    assert v.outcome is Outcome.PROCEED
    assert caution_codes(v) == ["deadlock_with_alternative"]


def test_deadlock_without_an_alternative_is_not_flagged() -> None:
    v = verdict(HEALTHY, {"dynamics.deadlock": "yes", "dynamics.better_alternative": "no"})
    assert v.cautions == ()


def test_quota_as_the_only_reason_is_a_caution_that_never_changes_the_outcome() -> None:
    assert caution_codes(verdict(HEALTHY, {"self.quota_only": "yes"})) == ["quota_only"]
    walk = verdict(HEALTHY, VALUES, {"self.quota_only": "yes"})
    assert walk.outcome is Outcome.WALK and caution_codes(walk) == ["quota_only"]


def test_each_unknown_or_unsure_answer_says_find_out_first() -> None:
    v = verdict(
        HEALTHY,
        {
            "terms.mutual_benefit": "unsure",
            "buyer.evidence_receptive": "unsure",
            "use_case.autonomous_irreversible": "yes",
            "use_case.buyer_will_move": "unknown",
        },
    )
    found = [(c.code, c.question) for c in v.cautions]
    assert found == [
        ("find_out", "use_case.buyer_will_move"),
        ("find_out", "buyer.evidence_receptive"),
        ("find_out", "terms.mutual_benefit"),
    ]
    assert all(c.text.startswith("Find out before you go further: ") for c in v.cautions)
    assert "adjacent workable use case" in v.cautions[0].text


def test_unanswered_applicable_questions_become_cautions_in_checklist_order() -> None:
    answers = {"deal.stage": "pilot", "pilot.in_flight": "yes"}
    v = decide(answers, today=TODAY, checklist=CHECKLIST)
    pending = [c.question for c in v.cautions if c.code == "not_answered"]
    assert pending[:3] == [
        "use_case.autonomous_irreversible",
        "scar.previous_attempt",
        "buyer.evidence_receptive",
    ]
    assert "pilot.kill_criteria_written" in pending
    assert "pilot.kill_criteria_met" not in pending, "asked only once criteria are written"


def test_without_a_checklist_nothing_is_reported_unanswered() -> None:
    v = decide({}, today=TODAY)
    assert v.cautions == ()


def test_cautions_come_in_a_fixed_order() -> None:
    v = verdict(
        HEALTHY,
        {
            "self.quota_only": "yes",
            "dynamics.deadlock": "yes",
            "dynamics.better_alternative": "yes",
        },
        {"deal.stage": "pilot", "pilot.in_flight": "yes", "pilot.kill_criteria_written": "no"},
        {"terms.mutual_benefit": "unsure"},
    )
    assert caution_codes(v) == [
        "kill_criteria_missing",
        "deadlock_with_alternative",
        "quota_only",
        "find_out",
    ]


# --- re-check dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "months", "expected"),
    [
        (date(2025, 3, 10), 3, date(2025, 6, 10)),
        (date(2025, 3, 10), 0, date(2025, 9, 10)),
        (date(2025, 3, 10), 1, date(2025, 8, 10)),
        (date(2025, 8, 31), 0, date(2026, 2, 28)),
        (date(2023, 8, 31), 0, date(2024, 2, 29)),
        (date(2025, 10, 15), 2, date(2026, 2, 15)),
        (date(2025, 1, 31), 2.5, date(2025, 5, 15)),
        (date(2025, 3, 10), 5.9, date(2025, 4, 9)),
        (date(2025, 3, 10), 5, date(2025, 4, 10)),
        (date(2025, 3, 10), None, date(2025, 6, 8)),
        (date(2025, 3, 10), 6, date(2025, 6, 8)),
        (date(2025, 3, 10), 30, date(2025, 6, 8)),
        (date(2025, 3, 10), "4", date(2025, 5, 10)),
        (date(2025, 3, 10), "soon", date(2025, 6, 8)),
    ],
)
def test_recheck_date(today: date, months: AnswerValue | None, expected: date) -> None:
    assert recheck_date(months, today=today) == expected


def test_recheck_is_never_sooner_than_thirty_days() -> None:
    v = decide(FRESH | {"scar.months_since": 5.99}, today=TODAY, checklist=CHECKLIST)
    assert v.recheck_on == TODAY + timedelta(days=30)
    assert "re-check on 9 April 2025" in v.conditions[0].text


def test_defer_with_unknown_months_rechecks_in_a_quarter() -> None:
    answers = {k: v for k, v in FRESH.items() if k != "scar.months_since"}
    answers["scar.still_present"] = "yes"
    answers["scar.addressable"] = "yes"
    v = decide(answers, today=TODAY, checklist=CHECKLIST)
    assert v.outcome is Outcome.DEFER
    assert v.recheck_on == TODAY + timedelta(days=90)
    assert "Re-check on 8 June 2025" in v.record_line


def test_only_a_deferral_carries_a_recheck_date() -> None:
    assert verdict(HEALTHY, FRESH, VALUES).recheck_on is None
    assert verdict(HEALTHY, ADJACENT).recheck_on is None


# --- record line and tags ----------------------------------------------------------------------


def test_walk_record_line_ties_the_decision_to_signals_and_the_trigger() -> None:
    v = verdict(HEALTHY, SCAR_STUCK, GUARANTEE_NO_PILOT)
    assert v.record_line == (
        "Walked away: the buyer demands a guarantee and will not accept a measured pilot; "
        "what sank the earlier attempt (unclear ownership) is still there and will not be "
        "removed. "
        "Re-engage when they accept a measured pilot in place of the guarantee and an "
        "operational owner is named."
    )


def test_defer_record_line_carries_the_recheck_date() -> None:
    v = verdict(HEALTHY, FRESH)
    assert v.record_line == (
        "Deferred: the earlier failure 3 months ago (data not ready) is still raw and the buyer "
        "is not open to evidence. Re-check on 10 June 2025; sooner if the buyer becomes open to "
        "evidence (a measured pilot or references)."
    )


def test_record_line_mentions_lower_signals_but_triggers_on_the_winning_ones() -> None:
    v = verdict(HEALTHY, VALUES, ADJACENT)
    assert v.record_line.startswith("Walked away: the terms would compromise our values; ")
    assert "buyer will start with the adjacent one" in v.record_line
    assert v.record_line.endswith(
        "Re-engage when the terms change so that we can honour every one of them in good "
        "conscience."
    )


def test_failure_mode_is_tagged_only_when_a_scar_signal_fired() -> None:
    v = verdict(HEALTHY, VALUES, FRESH | {"buyer.evidence_receptive": "yes"})
    assert v.tags == ("values_compromised", "walk")


def test_months_are_spelled_for_people() -> None:
    under = verdict(HEALTHY, FRESH, {"scar.months_since": 0})
    assert "failed under a month ago" in under.reasons[0].text
    one = verdict(HEALTHY, FRESH, {"scar.months_since": 1})
    assert "failed 1 month ago" in one.reasons[0].text


def test_verdict_survives_storage_round_trip() -> None:
    v = verdict(HEALTHY, FRESH, ADJACENT, {"terms.mutual_benefit": "unsure"})
    assert Verdict.from_dict(v.to_dict()) == v


# --- the rule table fails loudly ---------------------------------------------------------------


def test_signal_ids_are_the_search_contract() -> None:
    assert SIGNAL_IDS == (
        "kill_criteria_met",
        "unworkable_use_case",
        "guarantee_refused_pilot",
        "scar_not_removable",
        "values_compromised",
        "no_mutual_benefit",
        "fresh_scar",
        "adjacent_use_case",
    )


def test_rule_naming_an_unknown_question_fails_at_once() -> None:
    with pytest.raises(RuleError, match=r"unknown question id 'scar\.stil_present'.*still_present"):
        is_("scar.stil_present", "yes")
    with pytest.raises(RuleError, match="unknown question id"):
        unanswered("nope")


def test_rule_naming_an_unknown_value_fails_at_once() -> None:
    with pytest.raises(RuleError, match="has no value"):
        is_("scar.still_present", "maybe")


def test_rule_comparing_the_wrong_kind_of_question_fails_at_once() -> None:
    with pytest.raises(RuleError, match="choice question"):
        below("scar.still_present", 6)
    with pytest.raises(RuleError, match="number question"):
        is_("scar.months_since", "3")


def test_signal_with_a_misspelt_placeholder_fails_at_once() -> None:
    with pytest.raises(RuleError, match=r"signal 'x'.*reason"):
        Signal(
            "x",
            Outcome.WALK,
            when=is_("self.quota_only", "yes"),
            reason="{mod}",
            condition="",
            record="",
        )


def test_unknown_signal_lookup_fails_loudly() -> None:
    assert signal("fresh_scar").outcome is Outcome.DEFER
    with pytest.raises(RuleError, match="unknown signal 'fresh'"):
        signal("fresh")


def test_checklist_missing_a_rule_question_is_refused() -> None:
    trimmed = Checklist(
        questions=tuple(q for q in CHECKLIST.questions if q.id != "self.quota_only")
    )
    with pytest.raises(RuleError, match=r"'self\.quota_only'.*'quota_only'"):
        decide({}, today=TODAY, checklist=trimmed)
