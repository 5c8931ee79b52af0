"""Calendar helpers shared by the verdict rules and the drafts.

Re-check dates are promises to a buyer, so the arithmetic follows the calendar (31 January plus
one month is the last day of February) rather than a fixed number of days, and the words used to
show a date are the same in the internal record and in the message the buyer reads.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

DAYS_PER_MONTH = 365.25 / 12
"""An average month, used only for the fractional part of a month count such as 2.5."""

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
