"""The conversation engine, driven by nothing but answers."""

from __future__ import annotations

import pytest

from bot.domain.checklist import load_checklist, parse_checklist
from bot.domain.conversation import Conversation, InvalidAnswer, Steps, split_applicable
from tests.unit.test_checklist import _shipped_text

CHECKLIST = load_checklist()


def _answer_all(conversation: Conversation, answers: dict[str, object]) -> Conversation:
    for qid, value in answers.items():
        conversation = conversation.answer(qid, value).conversation
    return conversation


def test_first_question_is_the_deal_stage_and_branches_are_skipped() -> None:
    conversation = Conversation(CHECKLIST)
    assert conversation.next_question() is not None
    assert conversation.next_question().id == "deal.stage"  # type: ignore[union-attr]
    conversation = _answer_all(
        conversation, {"deal.stage": "evaluation", "use_case.autonomous_irreversible": "no"}
    )
    # buyer_will_move only follows yes/partly; pilot questions only follow stage=pilot.
    assert conversation.next_question().id == "scar.previous_attempt"  # type: ignore[union-attr]
    asked = [q.id for q in conversation.pending()]
    assert "pilot.in_flight" not in asked and "scar.failure_mode" not in asked


def test_a_full_path_through_the_pilot_branch_completes() -> None:
    answers: dict[str, object] = {
        "deal.stage": "pilot",
        "use_case.autonomous_irreversible": "partly",
        "use_case.buyer_will_move": "unknown",
        "scar.previous_attempt": "yes",
        "scar.failure_mode": "no_measurement",
        "scar.still_present": "yes",
        "scar.addressable": "yes",
        "scar.months_since": "4",
        "buyer.evidence_receptive": "unsure",
        "pilot.in_flight": "yes",
        "pilot.kill_criteria_written": "yes",
        "pilot.kill_criteria_met": "no",
        "terms.guarantee_demanded": "yes",
        "terms.accepts_measured_pilot": "yes",
        "terms.values_compromised": "no",
        "terms.mutual_benefit": "yes",
        "dynamics.deadlock": "no",
        "dynamics.better_alternative": "no",
        "self.quota_only": "no",
    }
    conversation = Conversation(CHECKLIST)
    for qid, value in answers.items():
        question = conversation.next_question()
        assert question is not None and question.id == qid
        conversation = conversation.answer(qid, value).conversation
    assert conversation.is_complete
    assert conversation.answers["scar.months_since"] == 4
    assert conversation.progress() == Steps(answered=19, fewest=0, most=0)


@pytest.mark.parametrize(
    ("qid", "raw", "message"),
    [
        ("deal.stage", "maybe", "'maybe' is not one of the answers to deal.stage"),
        ("deal.stage", "", "is not one of the answers"),
        ("deal.stage", None, "is not one of the answers"),
    ],
)
def test_wrong_choice_is_rejected_and_state_is_unchanged(
    qid: str, raw: object, message: str
) -> None:
    conversation = Conversation(CHECKLIST)
    with pytest.raises(InvalidAnswer, match=message):
        conversation.answer(qid, raw)
    assert conversation.answers == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-1", "cannot be below 0"),
        (-3, "cannot be below 0"),
        ("soon", "'soon' is not a number"),
        ("", "is not a number"),
        (True, "not true/false"),
        ("nan", "finite"),
    ],
)
def test_bad_month_counts_are_rejected_with_a_clear_message(raw: object, message: str) -> None:
    conversation = _answer_all(Conversation(CHECKLIST), {"scar.previous_attempt": "yes"})
    before = dict(conversation.answers)
    with pytest.raises(InvalidAnswer, match=message):
        conversation.answer("scar.months_since", raw)
    assert dict(conversation.answers) == before


def test_numbers_labels_and_positions_are_accepted_for_choices() -> None:
    conversation = Conversation(CHECKLIST)
    assert conversation.answer("deal.stage", "Pilot").value == "pilot"
    assert conversation.answer("deal.stage", "3").value == "pilot"
    assert conversation.answer("deal.stage", " renewal ").value == "renewal"
    later = _answer_all(conversation, {"scar.previous_attempt": "yes"})
    assert later.answer("scar.months_since", "2.5").value == 2.5


def test_empty_text_answer_is_rejected() -> None:
    extended = parse_checklist(
        _shipped_text() + "\n  - id: team.champion\n    kind: text\n    text: Champion?\n"
    )
    conversation = Conversation(extended)
    with pytest.raises(InvalidAnswer, match="needs a few words"):
        conversation.answer("team.champion", "   ")
    assert conversation.answer("team.champion", " Dana ").value == "Dana"


def test_answering_a_question_that_does_not_apply_is_refused() -> None:
    with pytest.raises(InvalidAnswer, match="does not apply"):
        Conversation(CHECKLIST).answer("scar.failure_mode", "other")
    with pytest.raises(InvalidAnswer, match="no question 'nope'"):
        Conversation(CHECKLIST).answer("nope", "yes")


def test_changing_an_earlier_answer_drops_answers_that_no_longer_apply() -> None:
    conversation = _answer_all(
        Conversation(CHECKLIST),
        {
            "deal.stage": "pilot",
            "use_case.autonomous_irreversible": "no",
            "scar.previous_attempt": "yes",
            "scar.failure_mode": "data_not_ready",
            "scar.still_present": "no",
            "scar.months_since": 12,
        },
    )
    result = conversation.answer("scar.previous_attempt", "no")
    assert set(result.dropped) == {"scar.failure_mode", "scar.still_present", "scar.months_since"}
    assert "scar.failure_mode" not in result.conversation.answers
    assert result.conversation.next_question().id == "buyer.evidence_receptive"  # type: ignore[union-attr]


def test_back_forgets_the_last_answer_and_asks_it_again() -> None:
    conversation = _answer_all(
        Conversation(CHECKLIST),
        {"deal.stage": "renewal", "use_case.autonomous_irreversible": "yes"},
    )
    back = conversation.back()
    assert back.next_question().id == "use_case.autonomous_irreversible"  # type: ignore[union-attr]
    assert back.answers == {"deal.stage": "renewal"}
    assert Conversation(CHECKLIST).back().answers == {}


def test_changed_answer_becomes_the_latest_for_back() -> None:
    conversation = _answer_all(
        Conversation(CHECKLIST),
        {"deal.stage": "renewal", "use_case.autonomous_irreversible": "no"},
    )
    conversation = conversation.answer("deal.stage", "evaluation").conversation
    assert conversation.last_answered == "deal.stage"


def test_resume_and_split_ignore_answers_whose_branch_is_closed() -> None:
    answers = {"deal.stage": "evaluation", "pilot.in_flight": "yes", "scar.previous_attempt": "no"}
    kept, ignored = split_applicable(CHECKLIST, answers)
    assert kept == {"deal.stage": "evaluation", "scar.previous_attempt": "no"}
    assert ignored == {"pilot.in_flight": "yes"}
    assert Conversation.resume(CHECKLIST, answers).answers == kept
