"""The progress a rep reads on each question: the step, and the most questions still to come.

Shown as "step of total", it must never go back and the total must never grow while answers are
given, on every way through the shipped checklist.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from itertools import pairwise

import pytest

from bot.domain.checklist import Checklist, QuestionKind, load_checklist
from bot.domain.conversation import Conversation, remaining_span
from bot.domain.model import AnswerValue

CHECKLIST = load_checklist()


def span(answers: dict[str, AnswerValue]) -> tuple[int, int]:
    return remaining_span(CHECKLIST, answers)


def test_an_empty_check_can_take_ten_to_nineteen_questions() -> None:
    # Fewest: no pilot, nothing failed before, the use case workable, no guarantee demanded.
    # Most: a running pilot with written kill criteria, an old failure still present, a
    # guarantee demanded, and a use case that acts alone.
    assert span({}) == (10, 19)
    steps = Conversation(CHECKLIST).progress()
    assert (steps.step, steps.total, steps.shown()) == (1, 19, "1 of up to 19")


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"deal.stage": "evaluation"}, (9, 15)),
        ({"deal.stage": "pilot"}, (10, 18)),
        ({"deal.stage": "pilot", "use_case.autonomous_irreversible": "no"}, (9, 16)),
        ({"deal.stage": "renewal", "use_case.autonomous_irreversible": "partly"}, (9, 14)),
        (
            {
                "deal.stage": "renewal",
                "use_case.autonomous_irreversible": "no",
                "scar.previous_attempt": "yes",
                "scar.failure_mode": "other",
                "scar.still_present": "no",
            },
            (8, 9),
        ),
        (  # answered out of order, as the form allows: the earlier gap still counts
            {"deal.stage": "negotiation", "self.quota_only": "no"},
            (8, 14),
        ),
    ],
)
def test_the_span_counts_only_what_the_answers_so_far_leave_possible(
    answers: dict[str, AnswerValue], expected: tuple[int, int]
) -> None:
    assert span(answers) == expected


def test_the_last_question_of_a_settled_path_reads_as_an_exact_count() -> None:
    answers: dict[str, AnswerValue] = {
        "deal.stage": "evaluation",
        "use_case.autonomous_irreversible": "no",
        "scar.previous_attempt": "no",
        "buyer.evidence_receptive": "yes",
        "terms.guarantee_demanded": "no",
    }
    steps = Conversation.resume(CHECKLIST, answers).progress()
    assert steps.exact and steps.shown() == "6 of 10"


def _prompt_paths(conversation: Conversation) -> Iterator[list[tuple[int, int]]]:
    """Every way through the checklist's prompts, as the (step, total) shown at each question.

    Values that no later question tells apart lead to the same prompts, so one of each class is
    enough to visit every path of prompts; a number gets a stand-in.
    """
    question = conversation.next_question()
    steps = conversation.progress()
    here = (steps.step, steps.total)
    if question is None:
        yield []
        return
    if question.kind is QuestionKind.CHOICE:
        readers = [
            allowed
            for later in CHECKLIST.questions
            for qid, allowed in later.ask_if.items()
            if qid == question.id
        ]
        classes: dict[tuple[bool, ...], str] = {}
        for value in question.values:
            classes.setdefault(tuple(value in allowed for allowed in readers), value)
        values: list[object] = list(classes.values())
    else:
        values = ["3"]
    for value in values:
        for rest in _prompt_paths(conversation.answer(question.id, value).conversation):
            yield [here, *rest]


def test_on_every_path_of_prompts_the_step_rises_and_the_total_never_grows() -> None:
    paths = list(_prompt_paths(Conversation(CHECKLIST)))
    # 4 stage and pilot ways x 2 use-case ways x 3 earlier-failure ways x 2 guarantee ways
    assert len(paths) == 48
    for shown in paths:
        steps = [s for s, _ in shown]
        totals = [t for _, t in shown]
        assert steps == list(range(1, len(shown) + 1))
        assert all(b <= a for a, b in pairwise(totals)), totals
        assert totals[-1] == len(shown), "the last question shows the true length"
        assert 10 <= len(shown) <= 19


def test_on_random_full_answer_sets_the_total_never_grows() -> None:
    rng = random.Random(11)
    for _ in range(300):
        conversation = Conversation(CHECKLIST)
        totals = []
        while (question := conversation.next_question()) is not None:
            totals.append(conversation.progress().total)
            raw: object = rng.choice(question.values) if question.values else rng.randint(0, 30)
            conversation = conversation.answer(question.id, raw).conversation
        assert totals == sorted(totals, reverse=True)
        assert totals[-1] == len(conversation.answers)


def test_a_team_checklist_with_wide_branches_is_walked_without_blowing_up() -> None:
    # Forty questions, each asked only if the one before got a or b: 3^40 answer sets.
    abc = [{"value": v, "label": v.upper()} for v in "abc"]
    checklist = Checklist.model_validate(
        {
            "questions": [
                {
                    "id": f"q{n}",
                    "kind": "choice",
                    "text": f"Question {n}?",
                    "choices": abc,
                    **({"ask_if": {f"q{n - 1}": ["a", "b"]}} if n else {}),
                }
                for n in range(40)
            ]
        }
    )
    assert remaining_span(checklist, {}) == (1, 40)
    assert remaining_span(checklist, {"q0": "a", "q1": "c"}) == (0, 0)
