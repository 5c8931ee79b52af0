"""Properties of the verdict over answer sets drawn from the checklist itself.

Two generators: one answers any question with any of its values (so plenty of answers are ignored
by the branches), the other walks the checklist like a conversation and stops or skips anywhere
(partial answer sets are valid input).
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.checklist import Question, QuestionKind, load_checklist
from bot.domain.conversation import split_applicable
from bot.domain.model import AnswerValue, Outcome, Verdict
from bot.domain.signals import SIGNAL_IDS
from bot.domain.verdict import decide

CHECKLIST = load_checklist()
PRECEDENCE = list(Outcome)

Answers = dict[str, AnswerValue]


def values_for(question: Question) -> st.SearchStrategy[AnswerValue]:
    if question.kind is QuestionKind.CHOICE:
        return st.sampled_from(question.values)
    if question.kind is QuestionKind.NUMBER:
        return st.one_of(
            st.integers(min_value=0, max_value=60),
            st.floats(min_value=0, max_value=60, allow_nan=False, allow_infinity=False),
        )
    return st.text(min_size=1, max_size=30)


any_answers: st.SearchStrategy[Answers] = st.fixed_dictionaries(
    {}, optional={q.id: values_for(q) for q in CHECKLIST.questions}
)


@st.composite
def conversation_answers(draw: st.DrawFn) -> Answers:
    answers: Answers = {}
    for question in CHECKLIST.questions:
        if question.applies(answers) and draw(st.integers(0, 4)) > 0:
            answers[question.id] = draw(values_for(question))
    return answers


answer_sets = st.one_of(any_answers, conversation_answers())
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


@given(answers=answer_sets, today=days)
def test_exactly_one_outcome_with_reasons_to_match(answers: Answers, today: date) -> None:
    v = decide(answers, today=today, checklist=CHECKLIST)
    assert isinstance(v.outcome, Outcome)
    if v.outcome is Outcome.PROCEED:
        assert v.reasons == () and v.conditions == ()
    else:
        assert len(v.reasons) >= 1 and len(v.conditions) >= 1
        assert v.reasons[0].outcome is v.outcome
    assert [c.signal for c in v.conditions] == [r.signal for r in v.reasons]


@given(answers=answer_sets, today=days)
def test_reasons_run_in_precedence_then_table_order(answers: Answers, today: date) -> None:
    v = decide(answers, today=today, checklist=CHECKLIST)
    keys = [(PRECEDENCE.index(r.outcome), SIGNAL_IDS.index(r.signal)) for r in v.reasons]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


@given(answers=answer_sets, today=days, data=st.data())
def test_answer_order_never_matters(answers: Answers, today: date, data: st.DataObject) -> None:
    shuffled = dict(data.draw(st.permutations(list(answers.items()))))
    assert decide(shuffled, today=today, checklist=CHECKLIST) == decide(
        answers, today=today, checklist=CHECKLIST
    )
    assert decide(shuffled, today=today) == decide(answers, today=today)


@given(answers=any_answers, today=days)
def test_ignored_answers_never_change_the_decision(answers: Answers, today: date) -> None:
    kept, _ignored = split_applicable(CHECKLIST, answers)
    with_checklist = decide(answers, today=today, checklist=CHECKLIST)
    on_kept_only = decide(kept, today=today)
    assert with_checklist.outcome is on_kept_only.outcome
    assert with_checklist.reasons == on_kept_only.reasons
    assert with_checklist.conditions == on_kept_only.conditions
    if with_checklist.outcome is not Outcome.PROCEED:
        assert with_checklist.record_line == on_kept_only.record_line


@given(answers=answer_sets, today=days)
def test_only_a_deferral_has_a_recheck_date_a_month_or_more_out(
    answers: Answers, today: date
) -> None:
    v = decide(answers, today=today, checklist=CHECKLIST)
    if v.outcome is Outcome.DEFER:
        assert v.recheck_on is not None
        assert today + timedelta(days=30) <= v.recheck_on <= today + timedelta(days=190)
    else:
        assert v.recheck_on is None


@given(answers=answer_sets, today=days)
def test_tags_name_every_fired_signal_and_the_outcome(answers: Answers, today: date) -> None:
    v = decide(answers, today=today, checklist=CHECKLIST)
    assert v.tags[-1] == v.outcome.value
    assert [t for t in v.tags if t in SIGNAL_IDS] == [r.signal for r in v.reasons]


@given(answers=answer_sets, today=days)
def test_cautions_never_repeat_a_question(answers: Answers, today: date) -> None:
    v = decide(answers, today=today, checklist=CHECKLIST)
    asked = [c.question for c in v.cautions if c.question is not None]
    assert len(asked) == len(set(asked))


@settings(max_examples=50)
@given(answers=answer_sets, today=days)
def test_every_verdict_survives_storage(answers: Answers, today: date) -> None:
    v = decide(answers, today=today, checklist=CHECKLIST)
    assert Verdict.from_dict(v.to_dict()) == v
    assert v.record_line.endswith(".") and "\n" not in v.record_line
