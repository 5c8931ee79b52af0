"""The comparison behind a re-check's card: what changed, in words, from two answer sets."""

from __future__ import annotations

from datetime import date

from bot.domain.checklist import load_checklist
from bot.domain.model import AnswerValue, Outcome, Verdict
from bot.domain.recheck import came_back_line, compare, describe
from bot.domain.verdict import decide

CHECKLIST = load_checklist()
TODAY = date(2026, 12, 2)
SCAR_WALK: dict[str, AnswerValue] = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
    "scar.months_since": 12,
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}
NOW_PROCEEDS = {**SCAR_WALK, "scar.addressable": "yes"}
ORDER = tuple(q.id for q in CHECKLIST.questions)


def _verdict(answers: dict[str, AnswerValue]) -> Verdict:
    return decide(answers, today=TODAY, checklist=CHECKLIST)


def _label(qid: str, value: AnswerValue) -> str:
    return CHECKLIST.question(qid).label_for(value)


def _text(qid: str) -> str:
    return CHECKLIST.question(qid).text


def test_an_owner_named_is_the_one_change_and_the_condition_met() -> None:
    changes = compare(
        SCAR_WALK, _verdict(SCAR_WALK), NOW_PROCEEDS, _verdict(NOW_PROCEEDS), order=ORDER
    )
    assert [c.question_id for c in changes.answers] == ["scar.addressable"]
    assert (changes.answers[0].before, changes.answers[0].after) == ("no", "yes")
    assert changes.stopped == ("scar_not_removable",)
    assert changes.started == ()
    assert [c.text for c in changes.met] == ["an operational owner is named"]
    assert (changes.outcome_before, changes.outcome_after) == (Outcome.WALK, Outcome.PROCEED)
    assert came_back_line("Acme", changes) == "Acme came back: an operational owner is named."


def test_a_signal_that_fires_now_is_new_and_words_carry_no_ids() -> None:
    worse: dict[str, AnswerValue] = {**SCAR_WALK, "terms.values_compromised": "yes"}
    changes = compare(SCAR_WALK, _verdict(SCAR_WALK), worse, _verdict(worse), order=ORDER)
    assert changes.started == ("values_compromised",)
    assert changes.stopped == ()
    sections = dict(describe(changes, label=_label, question=_text))
    assert sections["New since last time"] == ["Terms that compromise our values"]
    line = sections["Answers that changed"][0]
    assert line.startswith(_text("terms.values_compromised"))
    assert "terms.values_compromised" not in line and "values_compromised" not in str(sections)


def test_questions_asked_only_once_are_said_so_and_nothing_changed_is_nothing() -> None:
    no_scar = {
        k: v
        for k, v in SCAR_WALK.items()
        if not k.startswith("scar.") or k == "scar.previous_attempt"
    }
    no_scar["scar.previous_attempt"] = "no"
    changes = compare(no_scar, _verdict(no_scar), SCAR_WALK, _verdict(SCAR_WALK), order=ORDER)
    lines = dict(describe(changes, label=_label, question=_text))["Answers that changed"]
    assert any("(not asked last time)" in line for line in lines)
    same = compare(SCAR_WALK, _verdict(SCAR_WALK), SCAR_WALK, _verdict(SCAR_WALK))
    assert same.nothing and describe(same, label=_label, question=_text) == []


def test_text_answers_differing_only_in_spacing_are_the_same() -> None:
    earlier: dict[str, AnswerValue] = {"a": "two  words"}
    verdict = _verdict(SCAR_WALK)
    assert compare(earlier, verdict, {"a": "two words"}, verdict).answers == ()


def test_the_line_without_a_met_condition_still_says_why_and_stays_short() -> None:
    walk = _verdict(SCAR_WALK)
    changes = compare(SCAR_WALK, walk, SCAR_WALK, walk)
    assert came_back_line("Acme", changes) == "Acme came back: the re-check now says walk away."
    assert len(came_back_line("A" * 1000, changes)) <= 300
