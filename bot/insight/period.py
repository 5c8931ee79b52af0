"""The period an export covers, from what a person typed (`--since`, `since:`).

Plain Python, shared by the command line and Slack, so both refuse the same inputs with the
same sentence: a date that is not YYYY-MM-DD, a start after the end, a day still to come.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

FORMAT_HINT = "use YYYY-MM-DD, e.g. 2026-03-31"


class PeriodError(ValueError):
    """One sentence saying what is wrong with the period asked for."""


@dataclass(frozen=True)
class Period:
    since: date | None = None
    until: date | None = None
    """Both days included; None: no bound on that side."""

    @property
    def start(self) -> datetime | None:
        """The first instant in the period (UTC midnight), for the query."""
        return datetime.combine(self.since, time(), tzinfo=UTC) if self.since else None

    @property
    def end(self) -> datetime | None:
        """The first instant after the period, so `until` counts its whole day."""
        if self.until is None:
            return None
        return datetime.combine(self.until + timedelta(days=1), time(), tzinfo=UTC)

    def words(self) -> str:
        if self.since and self.until:
            return f"from {self.since.isoformat()} to {self.until.isoformat()}"
        if self.since:
            return f"since {self.since.isoformat()}"
        if self.until:
            return f"until {self.until.isoformat()}"
        return "of all time"


def parse_day(text: str, *, name: str, today: date) -> date:
    """A calendar day typed as YYYY-MM-DD; another shape or a day to come is a PeriodError."""
    cleaned = text.strip()
    try:
        if len(cleaned) != 10:
            raise ValueError(cleaned)
        day = date.fromisoformat(cleaned)
    except ValueError:
        raise PeriodError(f"{name} {cleaned!r} is not a date: {FORMAT_HINT}.") from None
    if day > today:
        raise PeriodError(
            f"{name} {day.isoformat()} is in the future: no records can be from the future."
        )
    return day


def parse_period(
    since: str | None, until: str | None, *, today: date, names: tuple[str, str] | None = None
) -> Period:
    """The period between the two typed days (either may be left out)."""
    since_name, until_name = names or ("--since", "--until")
    start = parse_day(since, name=since_name, today=today) if since is not None else None
    end = parse_day(until, name=until_name, today=today) if until is not None else None
    if start and end and start > end:
        raise PeriodError(
            f"{since_name} {start.isoformat()} is after {until_name} {end.isoformat()}: "
            "the period would be empty."
        )
    return Period(since=start, until=end)
