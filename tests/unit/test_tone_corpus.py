"""The tone check on a corpus of realistic walk-away messages (tone_corpus.yml).

Every message is held to its expected kinds of fault, exactly: a faulty one must show each kind
it was written with and no other, a good one must pass. A held-out message the rules are known
to get wrong is marked `miss: true` in the corpus; those are listed by the bench and allowed
here, and a message marked as a miss that the rules now get right must lose its mark, so the
marks stay honest.

Issue 11's targets (95% of faulty messages flagged, at most 5% of good ones) are held on the
messages the rules were written or widened with (dev and rounds 1 to 5). The sets never used
to change the rules (blind to blind4, each written by another author who saw neither the rules
nor the corpus; blind3 after the fault reader was frozen, blind4 after both readers were) are
held to the figures measured, so a change that makes fresh wording fare worse fails here.
"""

from __future__ import annotations

import pytest

from tests.unit.tone_corpus import (
    FALSE_ALARM_TARGET,
    RECALL_TARGET,
    Scored,
    load_corpus,
    per_kind,
    rates,
    score,
)

MESSAGES = load_corpus()
SCORED = {s.message.id: s for s in score(MESSAGES)}


def test_the_corpus_is_big_enough_and_has_a_held_out_set() -> None:
    faulty = [m for m in MESSAGES if m.faulty]
    good = [m for m in MESSAGES if not m.faulty]
    assert len(faulty) >= 40 and len(good) >= 40
    for name in HELD_OUT:
        held_out = [m for m in MESSAGES if m.set == name]
        assert sum(m.faulty for m in held_out) >= 15 and sum(not m.faulty for m in held_out) >= 15


@pytest.mark.parametrize("message_id", [m.id for m in MESSAGES if m.faulty and not m.miss])
def test_each_faulty_message_shows_exactly_its_kinds(message_id: str) -> None:
    scored: Scored = SCORED[message_id]
    assert scored.found == scored.message.kinds


@pytest.mark.parametrize("message_id", [m.id for m in MESSAGES if not m.faulty and not m.miss])
def test_each_good_message_passes(message_id: str) -> None:
    assert SCORED[message_id].found == frozenset()


def test_messages_marked_as_misses_are_still_missed() -> None:
    fixed = [s.message.id for s in SCORED.values() if s.message.miss and s.exact]
    assert fixed == [], "these now score right: remove their `miss: true`"


HELD_OUT: dict[str, tuple[int, int]] = {
    "blind": (20, 1),
    "blind2": (17, 1),
    "blind3": (28, 3),
    "blind4": (29, 0),
}
"""Per set never used to change the rules: (faulty flagged, good flagged), as measured on the
check that first met them and, for blind and blind2, again once the fault reader was added at
commit ade5ab5 (the rules alone: 13 and 1, 11 and 2). blind3 was measured once on ade5ab5, of
30 each: 29 and 5. Four of its five false alarms were the missing-conditions rule, so the path
reader was built next; with it, 28 and 3 (the one faulty message lost was caught only by that
rule's false complaint). blind4 was measured once, on ca02845, after both readers were frozen:
29 and 0. The check may only do better."""


def test_the_messages_the_rules_were_written_with_meet_the_targets() -> None:
    seen = rates([s for s in SCORED.values() if s.message.set not in HELD_OUT])
    assert seen.recall >= RECALL_TARGET
    assert seen.false_alarm_rate <= FALSE_ALARM_TARGET


@pytest.mark.parametrize("name", HELD_OUT)
def test_the_held_out_sets_do_no_worse_than_measured(name: str) -> None:
    flagged, false_alarms = HELD_OUT[name]
    held_out = rates([s for s in SCORED.values() if s.message.set == name])
    assert held_out.flagged >= flagged
    assert held_out.false_alarms <= false_alarms


def test_every_kind_of_fault_is_in_the_corpus() -> None:
    assert all(k.expected >= 2 for k in per_kind(list(SCORED.values())))
