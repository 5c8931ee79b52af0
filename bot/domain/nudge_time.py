"""When a re-check nudge is due: the rep's morning on the first business day from the date.

A re-check date is a calendar day agreed with the buyer ("look again on 15 March"), not an
instant. A nudge that arrived at 02:00 or on a Saturday would be read on Monday under a pile of
other messages, so it is sent at 9:30 in the rep's own time zone on the first business day on or
after that date: weekends and the deployment's holidays (WALKAWAY_HOLIDAYS) are skipped, as the
manager reminders skip them. The zone is the IANA name Slack keeps in the rep's profile; an
unknown or missing one falls back to UTC rather than failing, because a nudge an hour off is
better than none.

Plain arguments only (a date, a zone name, a set of dates), so the rule can be tested and
reasoned about without Slack or storage.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

NUDGE_HOUR = time(9, 30)
"""Local wall-clock time a nudge is sent: after the first coffee, before the first call."""
EARLIEST_OFFSET = timedelta(hours=14)
"""The most any zone is ahead of UTC (Line Islands): a date has begun somewhere this early."""
_WEEKEND = (5, 6)
MAX_SKIPPED_DAYS = 366
"""A holiday list covering every day of a year is a configuration mistake, not a reason to
loop for ever: the nudge then simply comes on the date itself."""


def zone(name: str | None) -> tzinfo:
    """The zone Slack named, or UTC when it is missing or unknown to this machine."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def is_business_day(day: date, holidays: Collection[date] = frozenset()) -> bool:
    return day.weekday() not in _WEEKEND and day not in holidays


def first_business_day(day: date, holidays: Collection[date] = frozenset()) -> date:
    """`day` itself if people work on it, else the next day they do."""
    moved = day
    for _ in range(MAX_SKIPPED_DAYS):
        if is_business_day(moved, holidays):
            return moved
        moved += timedelta(days=1)
    return day


def nudge_at(
    recheck_on: date, tz_name: str | None, holidays: Collection[date] = frozenset()
) -> datetime:
    """The instant (aware, UTC) the nudge for `recheck_on` is due for a rep in `tz_name`.

    Wall-clock 9:30 is kept across daylight-saving changes: on the Monday after Europe's clocks
    go forward it is 07:30 UTC, the Friday before, 08:30. (No zone changes its clocks at 9:30,
    so the time always exists.)
    """
    day = first_business_day(recheck_on, holidays)
    local = datetime.combine(day, NUDGE_HOUR, tzinfo=zone(tz_name))
    return local.astimezone(UTC)


def latest_begun_day(now: datetime) -> date:
    """The newest calendar date that has begun anywhere on Earth at `now`: re-check dates up to
    this one may be due for some rep, later ones for nobody yet."""
    return (now.astimezone(UTC) + EARLIEST_OFFSET).date()


def local_today(now: datetime, tz_name: str | None) -> date:
    """The date it is for the person in `tz_name` (what "due today" means to them)."""
    return now.astimezone(zone(tz_name)).date()
