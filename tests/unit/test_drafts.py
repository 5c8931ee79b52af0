"""The drafted walk-away message, checked for the five qualities PRODUCT.md asks of it.

1. it opens on the buyer's success, not the seller's limits; 2. it names the reasons in the
buyer's terms; 3. it says what would change the decision; 4. it offers something useful;
5. it stays cordial (the tone checker finds nothing). Plus the internal record and the template
environment itself.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import UndefinedError

from bot.domain.checklist import QuestionKind, load_checklist
from bot.domain.dates import day_words
from bot.domain.drafts import (
    EMAIL_WORDS,
    SHORT_WORDS,
    Draft,
    DraftError,
    Length,
    Recipient,
    Signature,
    buyer_terms,
    environment,
    render_draft,
    render_record,
    word_count,
    write_draft,
)
from bot.domain.model import AnswerValue, Condition, Outcome, Reason, Verdict
from bot.domain.signals import SIGNAL_IDS
from bot.domain.tone import check_tone
from bot.domain.verdict import decide

TODAY = date(2025, 3, 10)
CHECKLIST = load_checklist()

Answers = dict[str, AnswerValue]

KILL_MET: Answers = {
    "deal.stage": "pilot",
    "pilot.in_flight": "yes",
    "pilot.kill_criteria_written": "yes",
    "pilot.kill_criteria_met": "yes",
}
UNWORKABLE: Answers = {"use_case.autonomous_irreversible": "yes", "use_case.buyer_will_move": "no"}
GUARANTEE: Answers = {"terms.guarantee_demanded": "yes", "terms.accepts_measured_pilot": "no"}
SCAR: Answers = {
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
    "scar.months_since": 11,
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

CASES: dict[str, tuple[Outcome, Answers]] = {
    "stop pilot": (Outcome.STOP_PILOT, KILL_MET),
    "stop pilot with walk and defer signals": (Outcome.STOP_PILOT, KILL_MET | VALUES | FRESH),
    "walk: unworkable use case": (Outcome.WALK, UNWORKABLE),
    "walk: guarantee with pilot refused": (Outcome.WALK, GUARANTEE),
    "walk: scar not removable": (Outcome.WALK, SCAR),
    "walk: values": (Outcome.WALK, VALUES),
    "walk: no mutual benefit": (Outcome.WALK, NO_MUTUAL),
    "walk: every walk signal": (Outcome.WALK, UNWORKABLE | GUARANTEE | SCAR | VALUES | NO_MUTUAL),
    "walk with a fresh scar": (Outcome.WALK, SCAR | {"buyer.evidence_receptive": "no"}),
    "walk with a redirect": (Outcome.WALK, NO_MUTUAL | ADJACENT),
    "defer: fresh scar": (Outcome.DEFER, FRESH),
    "defer: structural scar, months unknown": (
        Outcome.DEFER,
        {
            "scar.previous_attempt": "yes",
            "scar.still_present": "yes",
            "scar.addressable": "yes",
            "buyer.evidence_receptive": "no",
        },
    ),
    "defer with a redirect": (Outcome.DEFER, FRESH | ADJACENT),
    "redirect: buyer will move": (Outcome.REDIRECT, ADJACENT),
    "redirect: buyer undecided": (
        Outcome.REDIRECT,
        {"use_case.autonomous_irreversible": "yes", "use_case.buyer_will_move": "unknown"},
    ),
}

# What the buyer reads for each signal: words from the buyer-side phrasing, never the rep's
# (the email's full wording, or the brief one the short note and a crowded email use).
BUYER_REASON: dict[str, tuple[str, ...]] = {
    "kill_criteria_met": ("tell us to stop",),
    "unworkable_use_case": ("the one nobody can take back",),
    "guarantee_refused_pilot": ("a promise no honest vendor can make",),
    "scar_not_removable": ("still part of this plan",),
    "values_compromised": ("commitments i couldn't honour in good conscience",),
    "no_mutual_benefit": ("well for both sides",),
    "fresh_scar": ("want time before trusting a new attempt", "trust takes time to rebuild"),
    "adjacent_use_case": ("builds the track record",),
}

# The substance each condition must carry, in the rep's condition and in the buyer's draft alike.
CONDITION_SUBSTANCE = {
    "kill_criteria_met": ["new pilot"],
    "unworkable_use_case": ["adjacent use case", "each action"],
    "guarantee_refused_pilot": ["measured pilot"],
    "values_compromised": ["good conscience"],
    "no_mutual_benefit": ["both sides"],
    "fresh_scar": ["evidence"],
    "adjacent_use_case": ["adjacent use case", "each action"],
}
MODE_SUBSTANCE = {
    "unclear_ownership": "operational owner",
    "decision_path_ignored": "meet the people who",
    "unrealistic_expectations": "measurable targets",
    "data_not_ready": "the data is ready",
    "no_measurement": "success measures",
    "other": "earlier attempt",
    None: "earlier attempt",
}

SUCCESS_WORDS = ("success", "succeed", "outcome", "result")
SELLER_LIMITS = (
    "we can't",
    "we cannot",
    "we won't",
    "we don't",
    "unable",
    "not able",
    "our policy",
    "our quota",
    "our capacity",
    "not a fit for us",
    "limitation",
)
OFFERS = ("diagnostic", "what to look for in any vendor", "read-out", "introduction")


DEAL = "Acme renewal"
DANA = Recipient.of("Globex Logistics", "Dana")
SAM = Signature.of("Sam Ortiz", "Account Executive")


def write(answers: Answers, **names: Any) -> tuple[Verdict, Draft]:
    v = decide(answers, today=TODAY, checklist=CHECKLIST)
    draft = write_draft(
        v,
        deal_name=names.get("deal_name", DEAL),
        answers=answers,
        recipient=names.get("recipient", DANA),
        signature=names.get("signature", SAM),
    )
    assert draft is not None
    return v, draft


def draft_for(answers: Answers, **names: Any) -> tuple[Verdict, str]:
    v, draft = write(answers, **names)
    return v, draft.email


def first_sentence(draft: str) -> str:
    body = draft.split("\n", 1)[1].strip()
    return re.split(r"(?<=[.!?])\s", body, maxsplit=1)[0]


def substance(signal: str, answers: Answers) -> list[str]:
    if signal == "scar_not_removable":
        mode = answers.get("scar.failure_mode")
        return [MODE_SUBSTANCE[mode if isinstance(mode, str) else None]]
    return CONDITION_SUBSTANCE[signal]


def assert_five_qualities(
    v: Verdict, draft: str, answers: Answers, *, length: Length = Length.EMAIL
) -> None:
    """The five qualities; the short note carries the lead reason and its condition only."""
    lowered = draft.lower()
    opening = first_sentence(draft).lower()
    # 1. the buyer's success first, the seller's limits nowhere in the opening
    assert any(word in opening for word in SUCCESS_WORDS), opening
    assert not any(limit in opening for limit in SELLER_LIMITS), opening
    # 2. every fired signal (the lead one in a short note), in the buyer's words
    reasons = v.reasons if length is Length.EMAIL else v.reasons[:1]
    for reason in reasons:
        assert any(words in lowered for words in BUYER_REASON[reason.signal]), reason.signal
    for reason in v.reasons:
        assert reason.text not in draft, "the rep's sentence must not reach the buyer"
    # 3. what would change the decision, for every fired signal (the lead one in a short note)
    conditions = v.conditions if length is Length.EMAIL else v.conditions[:1]
    for condition in conditions:
        for words in substance(condition.signal, answers):
            assert words in condition.text, (condition.signal, words)
            assert words in lowered, (condition.signal, words)
    if v.recheck_on is not None and any(c.signal == "fresh_scar" for c in conditions):
        assert day_words(v.recheck_on) in draft
    # 4. something useful on the way out
    assert any(offer in lowered for offer in OFFERS)
    # 5. cordial
    assert check_tone(draft) == []


def assert_sendable(draft: Draft) -> None:
    """Within the word limits, addressed, signed, and free of the internal deal name."""
    assert word_count(draft.email) <= EMAIL_WORDS, (word_count(draft.email), draft.email)
    assert word_count(draft.short) <= SHORT_WORDS, (word_count(draft.short), draft.short)
    for text in (draft.subject, draft.email, draft.short):
        assert DEAL.lower() not in text.lower(), text
        assert "None" not in text
    assert draft.email.startswith("Hi Dana,\n") and draft.short.startswith("Hi Dana,\n")
    assert draft.email.endswith("Sam Ortiz\nAccount Executive\n")
    assert draft.short.endswith("Sam Ortiz\n")
    assert draft.subject.startswith("Globex Logistics: ")


@pytest.mark.parametrize(("outcome", "answers"), CASES.values(), ids=CASES.keys())
@pytest.mark.parametrize("length", list(Length))
def test_every_draft_has_the_five_qualities(
    outcome: Outcome, answers: Answers, length: Length
) -> None:
    v, draft = write(answers)
    assert v.outcome is outcome
    assert_five_qualities(v, draft.text(length), answers, length=length)
    assert_sendable(draft)


@pytest.mark.parametrize("mode", [*MODE_SUBSTANCE])
def test_scar_draft_names_what_removes_each_failure_mode(mode: str | None) -> None:
    answers = (
        SCAR | {"scar.failure_mode": mode}
        if mode
        else {k: v for k, v in SCAR.items() if k != "scar.failure_mode"}
    )
    v, draft = draft_for(answers)
    assert v.outcome is Outcome.WALK
    assert_five_qualities(v, draft, answers)


def test_deferral_draft_gives_the_recheck_date_and_the_way_back_sooner() -> None:
    v, draft = draft_for(FRESH)
    assert v.recheck_on == date(2025, 6, 10)
    assert "I'll check back in around 10 June 2025" in draft
    assert "ended only 3 months ago" in draft
    assert "measured pilot" in draft


def test_fresh_scar_under_a_walk_offers_evidence_without_a_date() -> None:
    v, draft = draft_for(SCAR | {"buyer.evidence_receptive": "no"})
    assert v.outcome is Outcome.WALK and v.recheck_on is None
    assert "evidence" in draft
    assert "check back" not in draft


def test_several_conditions_are_listed_one_per_line() -> None:
    _, draft = draft_for(UNWORKABLE | GUARANTEE)
    assert "I'd be glad to pick this back up if:\n- we start with the adjacent" in draft
    assert "\n- a measured pilot with agreed targets" in draft
    assert "Here is why:\n- On irreversible decisions" in draft


def test_greeting_and_sign_off_use_the_names_given() -> None:
    _, draft = write(VALUES | {"deal.stage": "negotiation"})
    assert draft.email.startswith("Hi Dana,\n\n")
    assert draft.email.endswith("Wishing you every success,\nSam Ortiz\nAccount Executive\n")
    assert "the project we've been shaping" in draft.email
    assert "your team at Globex Logistics" in draft.email
    assert draft.subject == "Globex Logistics: an honest view on the plan as it stands"


def test_without_names_the_draft_stays_neutral() -> None:
    _, draft = write(
        VALUES | {"deal.stage": "renewal"}, recipient=Recipient(), signature=Signature()
    )
    assert draft.email.startswith("Hello,\n\n")
    assert draft.email.endswith("Wishing you every success.\n")
    assert draft.short.startswith("Hello,\n") and draft.short.endswith("All the best.\n")
    assert draft.subject == "An honest view on the plan as it stands"
    for text in (draft.email, draft.short):
        assert "None" not in text and DEAL not in text
        assert "our next term together" in text


def test_the_deal_name_is_used_only_when_nothing_else_is_known() -> None:
    _, unknown = write(VALUES, recipient=Recipient(), deal_name="the Q3 claims rollout")
    assert "the Q3 claims rollout" in unknown.email
    _, with_org = write(VALUES, recipient=Recipient.of("Globex", None))
    assert DEAL not in with_org.email and "your project" in with_org.email


def test_a_rep_line_gives_the_name_and_the_title() -> None:
    assert Signature.parse("Sam Ortiz, Account Executive, EMEA") == Signature(
        "Sam Ortiz", "Account Executive, EMEA"
    )
    assert Signature.parse("  Sam   Ortiz ") == Signature("Sam Ortiz", None)
    assert Signature.parse("") == Signature(None, None)


def test_long_names_still_fit_the_word_limits() -> None:
    every = UNWORKABLE | GUARANTEE | VALUES | NO_MUTUAL | FRESH | ADJACENT
    _, draft = write(
        every | {"deal.stage": "renewal"},
        recipient=Recipient.of(
            "The Northern Regional Freight and Logistics Cooperative", "Alexandra"
        ),
        signature=Signature.of("Samantha Ortiz-Whitfield", "Senior Enterprise Account Executive"),
    )
    assert word_count(draft.email) <= EMAIL_WORDS
    assert word_count(draft.short) <= SHORT_WORDS


def test_proceed_has_no_buyer_draft() -> None:
    v = decide({"deal.stage": "evaluation"}, today=TODAY, checklist=CHECKLIST)
    assert render_draft(v, deal_name="x", answers={}) is None


def test_draft_is_plain_text_not_html_escaped() -> None:
    v = decide(VALUES, today=TODAY)
    draft = render_draft(v, deal_name="R&D <phase 2>", answers=VALUES)
    assert draft is not None and "R&D <phase 2>" in draft


def test_stored_verdict_drafts_the_same_message() -> None:
    v, draft = draft_for(FRESH | ADJACENT)
    again = write_draft(
        Verdict.from_dict(v.to_dict()),
        deal_name=DEAL,
        answers=FRESH | ADJACENT,
        recipient=DANA,
        signature=SAM,
    )
    assert again is not None and again.email == draft


def test_every_signal_has_buyer_wording_and_a_test_oracle() -> None:
    terms = buyer_terms()
    assert set(terms.reasons) == set(terms.conditions) == set(SIGNAL_IDS)
    assert set(BUYER_REASON) == set(SIGNAL_IDS)


def test_a_signal_without_buyer_wording_fails_loudly() -> None:
    v = Verdict(
        outcome=Outcome.WALK,
        reasons=(Reason("retired_signal", "Gone.", Outcome.WALK),),
        conditions=(Condition("retired_signal", "never"),),
        cautions=(),
        recheck_on=None,
        record_line="Walked away.",
    )
    with pytest.raises(DraftError, match="retired_signal"):
        render_draft(v, deal_name="x", answers={})


# --- the template environment ------------------------------------------------------------------


def test_one_environment_is_built_and_reused() -> None:
    assert environment() is environment()
    env = environment()
    assert env.autoescape is False and env.trim_blocks and env.lstrip_blocks


def test_a_template_using_a_missing_variable_raises() -> None:
    with pytest.raises(UndefinedError, match="nobody"):
        environment().from_string("Hello {{ nobody }}").render()


def test_a_draft_template_rendered_without_its_context_raises() -> None:
    template = environment().get_template("drafts/walk.md.j2")
    with pytest.raises(UndefinedError):
        template.render(deal_name="x", buyer_name=None, rep_name=None)


@pytest.mark.parametrize("outcome", [o for o in Outcome if o.has_buyer_draft])
def test_every_outcome_with_a_draft_has_a_template(outcome: Outcome) -> None:
    environment().get_template(f"drafts/{outcome.value}.md.j2")


# --- the internal record -----------------------------------------------------------------------


def test_record_carries_everything_a_teammate_searches_for() -> None:
    answers = FRESH | {"self.quota_only": "yes", "terms.mutual_benefit": "unsure"}
    v = decide(answers, today=TODAY, checklist=CHECKLIST)
    record = render_record(v, deal_name="Acme claims", rep_name="Sam Ortiz")
    assert record.startswith("Walk-away record: Acme claims\nRep: Sam Ortiz\n")
    assert "Outcome: Defer (defer)" in record
    assert f"Record: {v.record_line}" in record
    assert f"- [fresh_scar] {v.reasons[0].text}" in record
    assert f"- [fresh_scar] {v.conditions[0].text}" in record
    assert "- [quota_only] Quota is the only thing" in record
    assert "- [find_out: terms.mutual_benefit] Find out before you go further" in record
    assert "Re-check on: 2025-06-10 (10 June 2025)" in record
    assert record.rstrip().endswith("Tags: fresh_scar, data_not_ready, defer")


def test_record_of_a_proceed_is_short() -> None:
    v = decide({}, today=TODAY)
    record = render_record(v, deal_name="Acme")
    assert record == (
        "Walk-away record: Acme\n"
        "Outcome: Proceed (proceed)\n"
        "Record: Proceeding: nothing calls for walking away.\n"
        "Tags: proceed\n"
    )


# --- any answer set ----------------------------------------------------------------------------


def _values(qid: str) -> st.SearchStrategy[AnswerValue]:
    question = CHECKLIST.question(qid)
    if question.kind is QuestionKind.NUMBER:
        return st.integers(min_value=0, max_value=40)
    return st.sampled_from(question.values)


@st.composite
def conversations(draw: st.DrawFn) -> Answers:
    answers: Answers = {}
    for question in CHECKLIST.questions:
        if question.applies(answers) and draw(st.integers(0, 3)) > 0:
            answers[question.id] = draw(_values(question.id))
    return answers


@settings(max_examples=150, deadline=None)
@given(answers=conversations())
def test_any_decision_to_change_course_drafts_a_cordial_message(answers: Answers) -> None:
    v = decide(answers, today=TODAY, checklist=CHECKLIST)
    draft = write_draft(v, deal_name=DEAL, answers=answers, recipient=DANA, signature=SAM)
    if v.outcome is Outcome.PROCEED:
        assert draft is None
        return
    assert draft is not None
    for length in Length:
        assert_five_qualities(v, draft.text(length), answers, length=length)
    assert_sendable(draft)
