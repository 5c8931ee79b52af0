"""The numbers as Home words them (bot/insight/numbers_blocks.py): bars scaled to the most
frequent verdict, shares and medians in plain words, named lists that say how many are left."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.domain.labels import signal_label
from bot.domain.model import Outcome
from bot.insight.numbers_blocks import bars, positions_line, team
from storage.insight import NamedRecord, Numbers

AT = datetime(2026, 2, 10, tzinfo=UTC)
BASE = Numbers(
    workspace_id=1,
    rep_ids=(1, 2),
    since=datetime(2026, 1, 1, tzinfo=UTC),
    until=datetime(2026, 4, 1, tzinfo=UTC),
    checks_started=12,
    checks_finished=11,
    verdict_mix=(
        (Outcome.STOP_PILOT, 1),
        (Outcome.WALK, 20),
        (Outcome.DEFER, 5),
        (Outcome.REDIRECT, 0),
        (Outcome.PROCEED, 10),
    ),
    top_signals=(("unclear_ownership", 4),),
    positions=4,
    overrides=1,
    overridden_to=((Outcome.PROCEED, 1),),
    median_days_to_position=2.25,
    rechecks_done=2,
    rechecks_due=3,
    comebacks=7,
    comeback_records=tuple(
        NamedRecord(n, f"Deal {n}", "U0REP", "Ria", Outcome.WALK, AT) for n in range(5)
    ),
    wins_after_walk=0,
    win_records=(),
)


def _text(blocks: list[object]) -> str:
    return "\n".join(str(getattr(getattr(b, "text", None), "text", "")) for b in blocks)


def test_bars_scale_to_the_most_frequent_and_a_single_one_still_shows() -> None:
    assert bars(BASE).splitlines()[1:-1] == [
        "Walk away  ██████████ 20",
        "Stop pilot █········· 1",
        "Defer      ██········ 5",
        "Redirect   ·········· 0",
        "Proceed    █████····· 10",
    ]


def test_positions_say_the_share_what_overrides_chose_and_the_median() -> None:
    assert positions_line(BASE) == (
        "*Manager positions* 4 given, 1 override (25%), to Proceed (1)\n"
        "Median 2.2 days from a check's start to its position"
    )
    one_day = replace(BASE, median_days_to_position=1.0, overrides=0, overridden_to=())
    assert positions_line(one_day).endswith(
        "0 overrides (0%)\nMedian 1 day from a check's start to its position"
    )
    assert positions_line(replace(BASE, positions=0)) == (
        "*Manager positions* none given on these checks yet"
    )


def test_the_team_names_its_comebacks_and_says_how_many_more() -> None:
    text = _text(team(BASE, 90, 2))
    assert "*Came back* (7)\n• *Deal 0* · <@U0REP> · <!date^" in text
    assert "…and 2 more" in text
    assert f"*Top signals*\n1. {signal_label('unclear_ownership')} · 4" in text
    assert "Won after a walk" not in text  # none: not a heading with nothing under it
