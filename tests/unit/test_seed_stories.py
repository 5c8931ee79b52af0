"""The deals and negotiations narrated in the seed articles, replayed through the checklist.

Each test is one scene, paraphrased in its docstring with the seed it comes from, answered the
way a rep in that scene would answer, and checked against the outcome the contract
(PRODUCT.md, "The verdict") gives it. Seeds: 000 is the book chapter on the honest seller who
walks away, 001 the negotiation-tactic card on the walkaway, 002 the article on knowing when to
exit (with its partnership case study), 003 the Mad Men piece on walking away from a pitch.
"""

from __future__ import annotations

from datetime import date

from bot.domain.checklist import load_checklist
from bot.domain.model import AnswerValue, Outcome, Verdict
from bot.domain.verdict import decide

TODAY = date(2025, 4, 1)
CHECKLIST = load_checklist()

Answers = dict[str, AnswerValue]

# A deal in good health: every signal answered the reassuring way. Each scene changes only what
# its story changes.
HEALTHY: Answers = {
    "deal.stage": "negotiation",
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


def replay(scene: Answers, base: Answers = HEALTHY) -> Verdict:
    return decide(base | scene, today=TODAY, checklist=CHECKLIST)


def fired(v: Verdict) -> list[str]:
    return [r.signal for r in v.reasons]


def cautions(v: Verdict) -> list[str]:
    return [c.code for c in v.cautions]


# --- seed 000: the honest seller who walks away ------------------------------------------------


def test_champion_insists_on_autonomous_irreversible_use_case_after_adjacent_offer() -> None:
    """Seed 000, opening story: budget approved, strong champion, procurement moving, but the
    buyer wants the system to settle a high-stakes decision on its own with zero tolerance for
    error; offered the workable neighbour, they insist on the original, and the seller declines."""
    v = replay(
        {
            "deal.stage": "negotiation",
            "use_case.autonomous_irreversible": "yes",
            "use_case.buyer_will_move": "no",
        }
    )
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["unworkable_use_case"]
    assert "adjacent use case" in v.conditions[0].text


def test_same_buyer_accepting_the_adjacent_start_is_redirected() -> None:
    """Seed 000, the road not taken in the opening story: had the buyer agreed to begin with the
    adjacent use case instead, the seller sells that one rather than walking."""
    v = replay({"use_case.autonomous_irreversible": "yes", "use_case.buyer_will_move": "yes"})
    assert v.outcome is Outcome.REDIRECT
    assert fired(v) == ["adjacent_use_case"]


def test_buyer_not_yet_asked_about_the_adjacent_use_case_is_redirected_not_walked() -> None:
    """Seed 000, the first move in the opening story: before anyone knows whether the buyer will
    insist, the honest step is to offer the adjacent workable use case, and find out."""
    v = replay(
        {"use_case.autonomous_irreversible": "partly", "use_case.buyer_will_move": "unknown"}
    )
    assert v.outcome is Outcome.REDIRECT
    assert cautions(v) == ["find_out"]
    assert v.cautions[0].question == "use_case.buyer_will_move"


def test_champion_returns_a_year_and_a_half_later_to_start_with_the_workable_use_case() -> None:
    """Seed 000, end of the opening story: the champion, now at another company, calls back to
    start with the use case the seller recommended; nothing unworkable is asked, so sell it."""
    v = replay({"deal.stage": "prospecting"})
    assert v.outcome is Outcome.PROCEED
    assert v.record_line == "Proceeding: nothing calls for walking away."


def test_last_pilot_died_of_unclear_ownership_and_still_no_owner_can_be_named() -> None:
    """Seed 000, walk-away signals: the earlier pilot died because nobody owned it, and the buyer
    still cannot put a name against it, so this one would die the same way."""
    v = replay(
        {
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "unclear_ownership",
            "scar.still_present": "yes",
            "scar.addressable": "no",
            "scar.months_since": 10,
        }
    )
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["scar_not_removable"]
    assert v.conditions[0].text == "an operational owner is named"
    assert "unclear_ownership" in v.tags


def test_decision_path_ignored_and_the_committee_stays_out_of_reach() -> None:
    """Seed 000, walk-away signals: the earlier attempt skipped the people who decide, and the
    buyer still will not let the seller meet the committee."""
    v = replay(
        {
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "decision_path_ignored",
            "scar.still_present": "yes",
            "scar.addressable": "no",
            "scar.months_since": 8,
        }
    )
    assert v.outcome is Outcome.WALK
    assert v.conditions[0].text == "we can meet the people who decide"
    assert "decision_path_ignored" in v.tags


def test_same_scar_but_the_buyer_names_an_owner_now_goes_ahead() -> None:
    """Seed 000, the contrast drawn in the same passage: when the buyer is willing to remove the
    failure mode this time, the scar is workable and the deal should be sold."""
    v = replay(
        {
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "unclear_ownership",
            "scar.still_present": "yes",
            "scar.addressable": "yes",
            "scar.months_since": 10,
        }
    )
    assert v.outcome is Outcome.PROCEED


def test_pilot_hits_a_kill_criterion_written_into_the_pilot_contract() -> None:
    """Seed 000, walk-away signals: a running pilot meets one of the kill criteria agreed before
    it began; stopping is the system working, not a loss."""
    v = replay(
        {
            "deal.stage": "pilot",
            "pilot.in_flight": "yes",
            "pilot.kill_criteria_written": "yes",
            "pilot.kill_criteria_met": "yes",
        }
    )
    assert v.outcome is Outcome.STOP_PILOT
    assert fired(v) == ["kill_criteria_met"]


def test_pilot_with_no_kill_criteria_is_flagged_as_theatre_but_not_stopped() -> None:
    """Seed 000, closing argument: kill criteria a seller would never enforce are theatre; a
    pilot running without any written is a warning to fix, not a reason to stop."""
    v = replay(
        {"deal.stage": "pilot", "pilot.in_flight": "yes", "pilot.kill_criteria_written": "no"}
    )
    assert v.outcome is Outcome.PROCEED
    assert cautions(v) == ["kill_criteria_missing"]


def test_guaranteed_accuracy_on_unseen_data_with_the_pilot_refused() -> None:
    """Seed 000, walk-away signals: the buyer will only sign against a guaranteed accuracy on data
    nobody has seen, and turns down the measured pilot offered in its place."""
    v = replay({"terms.guarantee_demanded": "yes", "terms.accepts_measured_pilot": "no"})
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["guarantee_refused_pilot"]
    assert v.conditions[0].text == "they accept a measured pilot in place of the guarantee"


def test_guarantee_declined_and_the_measured_pilot_accepted() -> None:
    """Seed 000, same passage: the seller declines to promise the number and offers a pilot
    instead; the buyer takes the pilot, so the deal goes on."""
    v = replay({"terms.guarantee_demanded": "yes", "terms.accepts_measured_pilot": "yes"})
    assert v.outcome is Outcome.PROCEED


def test_fresh_scar_and_a_buyer_not_ready_for_evidence_is_deferred_not_abandoned() -> None:
    """Seed 000, walk-away signals: the last attempt failed only months ago and the organisation
    is in no state to weigh evidence; walking here is temporary, a deferral with a date."""
    v = replay(
        {
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "unrealistic_expectations",
            "scar.still_present": "no",
            "scar.months_since": 2,
            "buyer.evidence_receptive": "no",
        }
    )
    assert v.outcome is Outcome.DEFER
    assert v.recheck_on == date(2025, 8, 1)
    assert "1 August 2025" in v.record_line


def test_structural_scar_years_old_with_a_closed_buyer_is_deferred() -> None:
    """Seed 000, same signal, the structural half: the failure is old, but its cause is built into
    this attempt too and the buyer is not open to evidence, so wait rather than force it."""
    v = replay(
        {
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "data_not_ready",
            "scar.still_present": "yes",
            "scar.addressable": "yes",
            "scar.months_since": 30,
            "buyer.evidence_receptive": "no",
        }
    )
    assert v.outcome is Outcome.DEFER
    assert fired(v) == ["fresh_scar"]


def test_the_documented_walk_away_with_three_reasons() -> None:
    """Seed 000, documenting the walk-away: the internal note cites an unaddressed scar
    (unclear ownership), an unworkable use case and a refused measured pilot, and says to come
    back when an owner is named."""
    v = replay(
        {
            "use_case.autonomous_irreversible": "yes",
            "use_case.buyer_will_move": "no",
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "unclear_ownership",
            "scar.still_present": "yes",
            "scar.addressable": "no",
            "scar.months_since": 9,
            "terms.guarantee_demanded": "yes",
            "terms.accepts_measured_pilot": "no",
        }
    )
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["unworkable_use_case", "guarantee_refused_pilot", "scar_not_removable"]
    assert v.record_line.startswith("Walked away: ")
    assert "(unclear ownership)" in v.record_line
    assert "an operational owner is named." in v.record_line


def test_workable_scar_and_workable_use_case_are_sold_energetically() -> None:
    """Seed 000, on how rare walking should be: a buyer who was burned before, whose old failure
    mode is gone and who is open to evidence, with a workable use case, is simply sold to."""
    v = replay(
        {
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "no_measurement",
            "scar.still_present": "no",
            "scar.months_since": 14,
        }
    )
    assert v.outcome is Outcome.PROCEED
    assert v.reasons == ()


def test_quota_is_the_only_thing_keeping_the_deal_alive() -> None:
    """Seed 000, practical exercise: the rep admits quota is the only reason the deal is still in
    the pipeline; the tool says so plainly but leaves the call to the signals."""
    v = replay({"self.quota_only": "yes"})
    assert v.outcome is Outcome.PROCEED
    assert cautions(v) == ["quota_only"]


def test_worst_deal_in_the_pipeline_kept_alive_by_quota() -> None:
    """Seed 000, practical exercise, both halves: a deal failing a walk-away signal that only
    quota keeps open walks, with the quota caution on the record."""
    v = replay(
        {
            "use_case.autonomous_irreversible": "yes",
            "use_case.buyer_will_move": "no",
            "self.quota_only": "yes",
        }
    )
    assert v.outcome is Outcome.WALK
    assert cautions(v) == ["quota_only"]


# --- seed 001: the walkaway as a negotiating move ----------------------------------------------


def test_take_it_or_leave_it_with_no_terms_for_both_and_a_better_counterparty() -> None:
    """Seed 001: someone has put a take-it-or-leave-it on the table, the terms serve one side
    only, and a better counterparty is waiting; the strategic walkaway, done cordially."""
    v = replay(
        {
            "dynamics.deadlock": "yes",
            "dynamics.better_alternative": "yes",
            "terms.mutual_benefit": "no",
        }
    )
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["no_mutual_benefit"]
    assert cautions(v) == ["deadlock_with_alternative"]


def test_deadlock_alone_is_a_warning_not_a_walk() -> None:
    """Seed 001, the tactical slow walkaway: threatening to leave to break a deadlock is a bluff;
    the tool never turns a deadlock into a walk on its own, it flags the better alternative."""
    v = replay({"dynamics.deadlock": "yes", "dynamics.better_alternative": "yes"})
    assert v.outcome is Outcome.PROCEED
    assert cautions(v) == ["deadlock_with_alternative"]


def test_numbers_that_might_still_work_are_found_out_before_walking() -> None:
    """Seed 001, leaving the door open: when nobody is sure whether the numbers can work for both
    sides, the rep finds out before heading for the door."""
    v = replay({"dynamics.deadlock": "yes", "terms.mutual_benefit": "unsure"})
    assert v.outcome is Outcome.PROCEED
    assert [(c.code, c.question) for c in v.cautions] == [("find_out", "terms.mutual_benefit")]


# --- seed 002: knowing when to exit ------------------------------------------------------------


def test_terms_that_compromise_core_values() -> None:
    """Seed 002, non-negotiable values: the terms on the table would mean acting against the
    seller's ethics, so walking is a principled decision."""
    v = replay({"terms.values_compromised": "yes"})
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["values_compromised"]


def test_no_mutually_beneficial_outcome_in_sight() -> None:
    """Seed 002, no mutually beneficial outcome: the parties cannot find terms that serve both."""
    v = replay({"terms.mutual_benefit": "no"})
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["no_mutual_benefit"]


def test_hostile_deadlock_without_a_better_alternative() -> None:
    """Seed 002, unproductive dynamics: hostility and no cooperation, but nothing better to turn
    to and terms that could still serve both; keep going, eyes open."""
    v = replay({"dynamics.deadlock": "yes", "dynamics.better_alternative": "no"})
    assert v.outcome is Outcome.PROCEED
    assert v.cautions == ()


def test_partnership_stalemate_over_the_collaboration_model() -> None:
    """Seed 002, case study, first act: the established partner refuses the startup's
    collaboration model outright; with no terms that work for both, the startup steps away."""
    v = replay(
        {
            "deal.stage": "negotiation",
            "dynamics.deadlock": "yes",
            "terms.mutual_benefit": "no",
            "dynamics.better_alternative": "no",
        }
    )
    assert v.outcome is Outcome.WALK
    assert v.conditions[0].text == "terms appear that serve both sides"


def test_partnership_resumes_when_the_partner_returns_with_better_terms() -> None:
    """Seed 002, case study, second act: the partner comes back with more favourable terms that
    serve both sides; the re-engagement condition is met and the deal goes ahead."""
    v = replay({"deal.stage": "negotiation", "terms.mutual_benefit": "yes"})
    assert v.outcome is Outcome.PROCEED


# --- seed 003: walking away from a pitch -------------------------------------------------------


def test_client_refuses_security_and_insists_on_break_fix() -> None:
    """Seed 003, the MSP version: a prospect wants outdated systems kept, no security spend and a
    break-fix arrangement; the provider judges that diluting its standards is not on offer."""
    v = replay(
        {
            "deal.stage": "negotiation",
            "terms.values_compromised": "yes",
            "terms.mutual_benefit": "unsure",
        }
    )
    assert v.outcome is Outcome.WALK
    assert fired(v) == ["values_compromised"]
    assert cautions(v) == ["find_out"]


def test_client_rejects_the_bold_campaign_and_keeps_its_single_product() -> None:
    """Seed 003, the lipstick pitch: the client turns down the daring proposal and will not change
    its business model; the agency sees no terms that serve both and stands up to leave."""
    v = replay({"deal.stage": "evaluation", "terms.mutual_benefit": "no"})
    assert v.outcome is Outcome.WALK
