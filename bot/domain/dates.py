"""Calendar helpers shared by the verdict rules, the drafts and every reminder.

Re-check dates are promises to a buyer, so the arithmetic follows the calendar (31 January plus
one month is the last day of February) rather than a fixed number of days, and the words used to
show a date are the same in the internal record and in the message the buyer reads.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Collection
from datetime import date, datetime, timedelta

DAYS_PER_MONTH = 365.25 / 12
"""An average month, used only for the fractional part of a month count such as 2.5."""

_WEEKEND = (5, 6)
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def add_months(day: date, months: float) -> date:
    """Move by whole calendar months, then by the fraction as days.

    The day of the month is kept where the target month has it and clamped to its last day
    otherwise, so a deferral agreed on 31 August lands on 28 or 29 February, not in March.
    """
    whole = math.floor(months)
    index = day.month - 1 + whole
    year, month0 = divmod(index, 12)
    year += day.year
    last = calendar.monthrange(year, month0 + 1)[1]
    moved = date(year, month0 + 1, min(day.day, last))
    return moved + timedelta(days=round((months - whole) * DAYS_PER_MONTH))


def day_words(day: date) -> str:
    """'15 July 2025': unambiguous in every locale, and independent of the process locale."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def add_business_days(
    start: datetime, days: int, *, holidays: Collection[date] = frozenset()
) -> datetime:
    """The moment `days` business days (Monday to Friday, not a holiday) after `start`.

    A Friday-afternoon request with one day is due Monday afternoon: the weekend does not
    count, and neither does a listed holiday (WALKAWAY_HOLIDAYS). A request made on a day off
    starts counting from the next business day at 00:00, so a manager is never reminded
    before they had `days` full working days. Days are calendar days of `start`'s time zone
    (UTC as the app stores times), the same for weekends and holidays.
    """
    if days < 0:
        raise ValueError(f"business days cannot be negative, got {days}")
    if start.tzinfo is None:
        raise ValueError("give an aware datetime: a reminder time must be an instant")

    def day_off(moment: datetime) -> bool:
        return moment.weekday() in _WEEKEND or moment.date() in holidays

    moment = start
    if day_off(moment):
        moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        while day_off(moment):
            moment += timedelta(days=1)
    remaining = days
    while remaining:
        moment += timedelta(days=1)
        if not day_off(moment):
            remaining -= 1
    return moment
