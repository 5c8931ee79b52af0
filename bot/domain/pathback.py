"""The path back's plain rules: a condition's states, the re-check choices and their dates.

No Slack or storage here, so the card, the nudge, the terminal and the storage layer all read
the same words and compute the same days.
"""

from __future__ import annotations

import calendar
import difflib
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum

from bot.domain.model import Outcome


class ConditionState(StrEnum):
    """Where one re-engagement condition stands; every condition starts open."""

    OPEN = "open"
    MET = "met"
    NOT_RELEVANT = "not_relevant"

    @property
    def label(self) -> str:
        return CONDITION_LABELS[self]


CONDITION_LABELS = {
    ConditionState.OPEN: "Open",
    ConditionState.MET: "Met",
    ConditionState.NOT_RELEVANT: "No longer relevant",
}

DEFAULT_RECHECK_DAYS = 90
"""A walk, stop-pilot or redirect is looked at again this long after it was made, unless the
workspace's admins chose another number (`/walkaway settings`)."""
MIN_RECHECK_DAYS = 7
MAX_RECHECK_DAYS = 730

RECHECK_MONTHS = (1, 3, 6, 12)
"""What the card's select offers, besides never."""
NEVER = "never"

GETS_DEFAULT_RECHECK = frozenset({Outcome.WALK, Outcome.STOP_PILOT, Outcome.REDIRECT})
"""A deferral keeps its verdict's own date; a proceed needs none."""


class RecheckProblem(ValueError):
    """A re-check choice or setting outside what the app accepts; the text says the range."""


def check_recheck_days(days: int) -> int:
    if not MIN_RECHECK_DAYS <= days <= MAX_RECHECK_DAYS:
        raise RecheckProblem(
            f"Choose between {MIN_RECHECK_DAYS} and {MAX_RECHECK_DAYS} days (you gave {days})."
        )
    return days


def parse_recheck_days(raw: str | None) -> int:
    """The settings modal's number, checked here: Slack's own min and max are advisory."""
    try:
        days = int((raw or "").strip())
    except ValueError:
        raise RecheckProblem(
            f"Give a whole number of days, {MIN_RECHECK_DAYS} to {MAX_RECHECK_DAYS}."
        ) from None
    return check_recheck_days(days)


def first_recheck(
    outcome: Outcome, verdict_recheck: date | None, *, made_on: date, default_days: int
) -> date | None:
    """The re-check date a new record gets: the deferral's own, the default for other noes."""
    if outcome is Outcome.DEFER:
        return verdict_recheck
    if outcome in GETS_DEFAULT_RECHECK:
        return made_on + timedelta(days=default_days)
    return None


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day (31 January + 1 month: 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def recheck_from_choice(choice: str, *, today: date) -> date | None:
    """The card's select value ("1", "3", "6", "12" or "never") as a day; None for never.

    Anything else raises RecheckProblem: the select only offers these, so another value was
    not built by us.
    """
    if choice == NEVER:
        return None
    try:
        months = int(choice)
    except ValueError:
        months = 0
    if months not in RECHECK_MONTHS:
        raise RecheckProblem("Pick 1, 3, 6 or 12 months, or never.")
    day = add_months(today, months)
    check_recheck_days((day - today).days)
    return day


def choice_label(choice: str) -> str:
    if choice == NEVER:
        return "Never"
    months = int(choice)
    return "In 1 month" if months == 1 else f"In {months} months"


def recheck_choices() -> tuple[str, ...]:
    return (*(str(m) for m in RECHECK_MONTHS), NEVER)


def name_key(name: str) -> str:
    """How deal names compare: case and spacing aside (as storage keys deals)."""
    return " ".join(name.split()).casefold()


def closest_names(typed: str, names: Sequence[str], *, limit: int = 3) -> list[str]:
    """The names nearest what was typed, best first; the typed text may run on past the name
    (`/walkaway back acme renewl they called`), so each of its first words' prefixes is tried.
    Empty when nothing is near (a ratio under 0.5)."""
    words = typed.split()
    scored: dict[str, float] = {}
    for size in range(1, min(len(words), 6) + 1):
        start = name_key(" ".join(words[:size]))
        for name in names:
            ratio = difflib.SequenceMatcher(None, start, name_key(name)).ratio()
            scored[name] = max(scored.get(name, 0.0), ratio)
    ranked = sorted(scored, key=lambda n: -scored[n])
    return [n for n in ranked if scored[n] >= 0.5][:limit]
