"""When a manager's weekly digest is due, and which week it is: plain arguments only.

An admin picks a weekday and an hour; each manager gets it at that hour of that day in their own
time zone (the IANA name Slack keeps in their profile; unknown or missing falls back to UTC, as
the nudges do). The week is the ISO week of the manager's local date, so "once a week" means
once per (manager, ISO week) wherever the manager is. A digest whose moment passed while no
process was running (a deploy, an outage) is still sent later in the same week: late is better
than lost; a week that ended without it is not sent afterwards, the next one covers the news.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.nudge_time import zone

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_WEEKDAY = 0
DEFAULT_HOUR = 9
WEEK = timedelta(days=7)


class DigestSettingsProblem(ValueError):
    """A weekday or hour no digest can be sent on; the message is a sentence for the admin."""


@dataclass(frozen=True)
class DigestSettings:
    """A workspace's digest: off unless an admin turns it on."""

    enabled: bool = False
    weekday: int = DEFAULT_WEEKDAY
    """0 is Monday, as `date.weekday()` counts."""
    hour: int = DEFAULT_HOUR
    """0-23, the manager's own wall clock."""
    since: datetime | None = None
    """When it was last turned on: a moment before it is not owed (turned on on a Wednesday
    for Mondays, the first digest comes next Monday, not at once)."""

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise DigestSettingsProblem("The digest's day must be one of the seven weekdays.")
        if not 0 <= self.hour <= 23:
            raise DigestSettingsProblem("The digest's hour must be between 0:00 and 23:00.")


def iso_week(day: date) -> str:
    """'2026-W49': the ISO year and week (the ISO year differs from the calendar year near 1
    January: 2027-01-01 is in 2026-W53)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class Due:
    week: str
    at: datetime
    """The instant (UTC) the week's digest was due; its news is the seven days before."""


def digest_due(now: datetime, tz_name: str | None, settings: DigestSettings) -> Due | None:
    """This week's digest for a manager in `tz_name`, if its moment has come by `now`.

    The wall-clock hour is kept across daylight-saving changes; an hour that does not exist on
    the day the clocks go forward resolves as Python's zoneinfo resolves it (an hour later).
    """
    if not settings.enabled:
        return None
    tz = zone(tz_name)
    local = now.astimezone(tz)
    monday = local.date() - timedelta(days=local.weekday())
    day = monday + timedelta(days=settings.weekday)
    moment = datetime.combine(day, time(settings.hour), tzinfo=tz).astimezone(UTC)
    if moment > now or (settings.since is not None and moment < settings.since):
        return None
    return Due(week=iso_week(local.date()), at=moment)
