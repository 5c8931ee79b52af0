"""The approval rules that need no Slack: business days, mentions, override and settings input."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.approvals import (
    BadMention,
    OverrideInput,
    OverrideProblem,
    SettingsProblem,
    add_business_days,
    draft_excerpt,
    needs_position,
    override_choices,
    parse_mention,
    parse_settings,
    pick_block_id,
    record_from_pick_block,
)
from bot.domain.model import Outcome


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, d) for d in range(2, 9))


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(MON), 2, at(WED)),
        (at(FRI, 15), 1, at(MON + timedelta(days=7), 15)),
        (at(THU, 9), 2, at(MON + timedelta(days=7), 9)),
        (at(FRI), 5, at(FRI + timedelta(days=7))),
        (at(WED), 0, at(WED)),
    ],
    ids=["mon+2", "fri+1-skips-weekend", "thu+2", "fri+5", "zero"],
)
def test_business_days_skip_weekends(start: datetime, days: int, due: datetime) -> None:
    assert add_business_days(start, days) == due


@pytest.mark.parametrize("start", [at(SAT, 10), at(SUN, 23, 59)], ids=["saturday", "sunday"])
def test_a_weekend_request_counts_from_monday_morning(start: datetime) -> None:
    assert add_business_days(start, 1) == at(TUE + timedelta(days=7), 0)
    assert add_business_days(start, 0) == at(MON + timedelta(days=7), 0)


def test_business_days_refuse_naive_times_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_days(datetime(2026, 3, 2, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        add_business_days(at(MON), -1)


@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=30),
)
def test_the_due_moment_is_on_a_weekday_after_exactly_that_many_weekdays(
    start: datetime, days: int
) -> None:
    due = add_business_days(start, days)
    assert due > start
    assert due.weekday() < 5
    weekdays = sum(
        1
        for n in range(1, (due.date() - start.date()).days + 1)
        if (start.date() + timedelta(days=n)).weekday() < 5
    )
    if start.weekday() < 5:
        assert weekdays == days
        assert due.time() == start.time()
    else:  # counting starts at Monday 00:00, so Monday itself is one of the days passed
        assert weekdays == days + 1
        assert due.time() == datetime.min.time()


@pytest.mark.parametrize(
    ("text", "user"),
    [("<@U0MGR|dana>", "U0MGR"), ("<@W123ABC>", "W123ABC"), ("  <@U0MGR|dana.k>  ", "U0MGR")],
)
def test_a_mention_as_slack_sends_it_names_one_user(text: str, user: str) -> None:
    assert parse_mention(text) == user


@pytest.mark.parametrize(
    "text",
    ["@dana", "dana", "<#C123|deals>", "<@U0MGR|dana> and <@U0TWO|sam>", "<@U0MGR> please", ""],
)
def test_anything_but_one_mention_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(BadMention, match=r"manager|one"):
        parse_mention(text)


def test_only_course_changing_verdicts_need_a_position() -> None:
    assert {o for o in Outcome if needs_position(o)} == {
        Outcome.WALK,
        Outcome.STOP_PILOT,
        Outcome.DEFER,
    }


def test_an_override_needs_another_outcome_and_a_reason() -> None:
    ok = OverrideInput.parse(outcome="proceed", reason="  Their CFO signed. ", current=Outcome.WALK)
    assert ok == OverrideInput(outcome=Outcome.PROCEED, reason="Their CFO signed.")
    with pytest.raises(OverrideProblem) as missing:
        OverrideInput.parse(outcome="proceed", reason="   ", current=Outcome.WALK)
    assert missing.value.field == "reason"
    with pytest.raises(OverrideProblem) as same:
        OverrideInput.parse(outcome="walk", reason="why not", current=Outcome.WALK)
    assert same.value.field == "outcome"
    with pytest.raises(OverrideProblem) as unknown:
        OverrideInput.parse(outcome=None, reason="x", current=Outcome.WALK)
    assert unknown.value.field == "outcome"
    assert Outcome.WALK not in override_choices(Outcome.WALK)


def test_settings_input_is_checked_again_on_the_server() -> None:
    saved = parse_settings(channel="C0DESK", hold=True, days="3")
    assert (saved.deal_desk_channel_id, saved.hold_until_agreed, saved.reminder_business_days) == (
        "C0DESK",
        True,
        3,
    )
    for bad in ("0", "31", "two", None):
        with pytest.raises(SettingsProblem):
            parse_settings(channel=None, hold=False, days=bad)


def test_the_draft_excerpt_is_the_first_lines_and_says_when_it_was_cut() -> None:
    draft = "\n".join(f"Line {n}" for n in range(1, 11))
    excerpt = draft_excerpt(draft, lines=3)
    assert excerpt == "Line 1\nLine 2\nLine 3\n…"
    assert draft_excerpt("Short.") == "Short."
    assert draft_excerpt("   ") is None
    long_line = draft_excerpt("x" * 2000, chars=100)
    assert long_line is not None and len(long_line) <= 102


def test_the_picker_block_id_round_trips_the_record() -> None:
    assert record_from_pick_block(pick_block_id(42)) == 42
    assert record_from_pick_block("pick_manager|x") is None
    assert record_from_pick_block("verdict") is None
