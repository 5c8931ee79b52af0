"""When a re-check nudge is due: 9:30 in the rep's zone on the first business day from the date.

A rep reads a nudge the morning it arrives, so the rule is about their wall clock, across
daylight-saving changes, weekends and the deployment's holidays.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.nudge_time import (
    first_business_day,
    latest_begun_day,
    local_today,
    nudge_at,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def test_a_weekday_date_is_nudged_at_half_past_nine_local() -> None:
    # Tuesday 12 January 2027: London is on GMT, New York five hours behind.
    assert nudge_at(date(2027, 1, 12), LONDON) == datetime(2027, 1, 12, 9, 30, tzinfo=UTC)
    assert nudge_at(date(2027, 1, 12), NEW_YORK) == datetime(2027, 1, 12, 14, 30, tzinfo=UTC)
    assert nudge_at(date(2027, 1, 12), "Asia/Kolkata") == datetime(2027, 1, 12, 4, 0, tzinfo=UTC)


def test_a_saturday_or_sunday_date_waits_for_monday() -> None:
    monday = datetime(2027, 1, 18, 9, 30, tzinfo=UTC)
    assert nudge_at(date(2027, 1, 16), LONDON) == monday
    assert nudge_at(date(2027, 1, 17), LONDON) == monday


def test_holidays_are_skipped_like_weekends_even_several_in_a_row() -> None:
    christmas = {date(2026, 12, 25), date(2026, 12, 28), date(2027, 1, 1)}
    # Friday 25 Dec is a holiday, the weekend follows, Monday 28 is a holiday too.
    assert nudge_at(date(2026, 12, 25), LONDON, christmas) == datetime(
        2026, 12, 29, 9, 30, tzinfo=UTC
    )
    assert first_business_day(date(2027, 1, 1), christmas) == date(2027, 1, 4)
    assert first_business_day(date(2027, 1, 5), christmas) == date(2027, 1, 5)


def test_half_past_nine_stays_half_past_nine_across_daylight_saving() -> None:
    # Europe's clocks go forward on Sunday 28 March 2027.
    assert nudge_at(date(2027, 3, 26), LONDON) == datetime(2027, 3, 26, 9, 30, tzinfo=UTC)
    assert nudge_at(date(2027, 3, 29), LONDON) == datetime(2027, 3, 29, 8, 30, tzinfo=UTC)
    # America's went forward on 14 March: for two weeks New York is only four hours behind.
    assert nudge_at(date(2027, 3, 15), NEW_YORK) == datetime(2027, 3, 15, 13, 30, tzinfo=UTC)
    # And back in autumn (New York: 7 November 2027).
    assert nudge_at(date(2027, 11, 8), NEW_YORK) == datetime(2027, 11, 8, 14, 30, tzinfo=UTC)


def test_a_date_that_falls_on_the_dst_change_itself_is_moved_and_still_exists() -> None:
    # Sunday 31 October 2027 (clocks back in Europe) moves to Monday 1 November, GMT again.
    assert nudge_at(date(2027, 10, 31), LONDON) == datetime(2027, 11, 1, 9, 30, tzinfo=UTC)


def test_an_unknown_or_missing_zone_falls_back_to_utc() -> None:
    expected = datetime(2027, 1, 12, 9, 30, tzinfo=UTC)
    assert nudge_at(date(2027, 1, 12), None) == expected
    assert nudge_at(date(2027, 1, 12), "") == expected
    assert nudge_at(date(2027, 1, 12), "Mars/Olympus_Mons") == expected
    assert nudge_at(date(2027, 1, 12), "../../etc/passwd") == expected


def test_a_holiday_list_covering_every_day_does_not_loop_for_ever() -> None:
    start = date(2027, 1, 1)
    every_day = {date.fromordinal(start.toordinal() + n) for n in range(800)}
    assert first_business_day(start, every_day) == start


def test_the_newest_begun_date_is_fourteen_hours_ahead_of_utc() -> None:
    assert latest_begun_day(datetime(2027, 1, 12, 9, 59, tzinfo=UTC)) == date(2027, 1, 12)
    assert latest_begun_day(datetime(2027, 1, 12, 10, 0, tzinfo=UTC)) == date(2027, 1, 13)


def test_today_is_the_persons_own_date() -> None:
    late_evening_utc = datetime(2027, 1, 12, 23, 0, tzinfo=UTC)
    assert local_today(late_evening_utc, LONDON) == date(2027, 1, 12)
    assert local_today(late_evening_utc, "Asia/Tokyo") == date(2027, 1, 13)
    assert local_today(late_evening_utc, None) == date(2027, 1, 12)
