"""When a manager's weekly digest is due: their weekday and hour in their own zone, once per ISO
week, late rather than lost within the week, never for a moment before it was turned on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.domain.digest_time import DigestSettings, DigestSettingsProblem, digest_due, iso_week

MONDAY_9 = DigestSettings(enabled=True, weekday=0, hour=9)
BERLIN = "Europe/Berlin"


def at(text: str, tz: str = BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(tz))


def test_due_from_the_hour_on_the_weekday_in_the_managers_zone() -> None:
    assert digest_due(at("2026-11-30T08:59"), BERLIN, MONDAY_9) is None
    due = digest_due(at("2026-11-30T09:00"), BERLIN, MONDAY_9)
    assert due is not None and due.week == "2026-W49"
    assert due.at == datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    later = digest_due(at("2026-12-03T15:00"), BERLIN, MONDAY_9)
    assert later == due, "a missed Monday is still this week's digest, due at the same moment"
    assert digest_due(at("2026-11-29T23:00"), BERLIN, MONDAY_9) is not None  # last week's
    assert digest_due(at("2026-11-29T23:00"), BERLIN, MONDAY_9).week == "2026-W48"  # type: ignore[union-attr]


def test_off_is_never_due_and_a_moment_before_turning_on_is_not_owed() -> None:
    assert digest_due(at("2026-11-30T10:00"), BERLIN, DigestSettings()) is None
    turned_on = DigestSettings(enabled=True, since=at("2026-12-02T12:00"))
    assert digest_due(at("2026-12-03T10:00"), BERLIN, turned_on) is None
    assert digest_due(at("2026-12-07T09:00"), BERLIN, turned_on) is not None


def test_the_wall_clock_hour_is_kept_across_daylight_saving() -> None:
    before = digest_due(at("2026-03-23T09:00"), BERLIN, MONDAY_9)
    after = digest_due(at("2026-03-30T09:00"), BERLIN, MONDAY_9)
    assert before is not None and before.at.hour == 8  # CET, UTC+1
    assert after is not None and after.at.hour == 7  # CEST, UTC+2


def test_an_unknown_zone_is_utc_and_the_iso_year_wraps() -> None:
    due = digest_due(datetime(2026, 11, 30, 9, tzinfo=UTC), "Mars/Olympus", MONDAY_9)
    assert due is not None and due.at == datetime(2026, 11, 30, 9, tzinfo=UTC)
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


@pytest.mark.parametrize(("weekday", "hour"), [(7, 9), (-1, 9), (0, 24)])
def test_a_weekday_or_hour_out_of_range_is_refused_in_a_sentence(weekday: int, hour: int) -> None:
    with pytest.raises(DigestSettingsProblem, match="must be"):
        DigestSettings(enabled=True, weekday=weekday, hour=hour)
