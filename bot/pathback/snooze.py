"""How far a snooze moves a re-check date, and what a click on an old nudge is told.

Pure functions over a record's state, so the listener, the nudge and the due lists agree on the
words.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.domain.dates import add_months
from bot.domain.labels import status_label
from bot.slack.dates import calendar_day
from storage.records import RecordStatus

PERIODS: dict[str, str] = {"2w": "2 weeks", "1m": "1 month", "3m": "3 months"}
"""Snooze choices, by the code the option carries."""


def snoozed_until(today: date, period: str) -> date:
    """The new re-check date, counted from today (not from the old date: a snooze clicked a
    week late still gives the time asked for)."""
    if period == "2w":
        return today + timedelta(days=14)
    if period == "1m":
        return add_months(today, 1)
    if period == "3m":
        return add_months(today, 3)
    raise ValueError(f"unknown snooze period {period!r}")


def moved_on(status: RecordStatus, recheck_on: date | None, shown: date) -> str | None:
    """Why a nudge (or a due list line) for `shown` no longer applies, in words; None: it does."""
    if status is RecordStatus.CLOSED or status is RecordStatus.LOST:
        return f"This record is closed for good ({status_label(status).lower()})."
    if status is not RecordStatus.OPEN:
        return f"This record has moved on: it is *{status_label(status)}* now."
    if recheck_on is None:
        return "This record has no re-check date any more."
    if recheck_on != shown:
        return f"The re-check is now on *{calendar_day(recheck_on)}*."
    return None
