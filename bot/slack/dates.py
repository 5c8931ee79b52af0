"""Times and dates as Slack shows them: each reader sees their own time zone.

An instant (a check started, a position given, a draft sent) is written as Slack's date token,
`<!date^UNIX^{date_short_pretty} at {time}|fallback>`: the client renders it in the reader's
zone and language ("Today at 9:26 AM" in New York, "Today at 15:26" in Paris), so a rep and a
manager on two continents both read the time they lived through. The fallback after the `|`,
shown by clients that cannot render the token (notifications, old apps, search snippets), is a
readable UTC time, because one fixed zone is the only honest choice when the reader is unknown.

A calendar day (a re-check date agreed with the buyer) is not an instant: turned into one it
would move to the day before for a reader west of UTC. So a day is written in words, the same
words the record and the buyer's draft use (bot.domain.dates.day_words), never as a token.

The tokens only render in mrkdwn. Plain-text fields (modal titles, buttons, option text, a
notification's `text`) get `plain_when`, the fallback alone.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.domain.dates import day_words

__all__ = ["calendar_day", "plain_when", "slack_day", "slack_when"]

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SHORT_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _utc(moment: datetime) -> datetime:
    """Stored times are UTC (storage.columns); a naive one is taken as UTC, never as local."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _short_day(moment: datetime) -> str:
    return f"{moment.day} {_SHORT_MONTHS[moment.month - 1]} {moment.year}"


def plain_when(moment: datetime) -> str:
    """'1 Dec 2026 at 21:26 UTC': for plain-text fields, and the fallback of `slack_when`."""
    at = _utc(moment)
    return f"{_short_day(at)} at {at:%H:%M} UTC"


def slack_when(moment: datetime) -> str:
    """An instant in mrkdwn: date and time in the reader's own zone."""
    at = _utc(moment)
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} at {{time}}|{plain_when(at)}>"


def slack_day(moment: datetime) -> str:
    """The day an instant fell on, in the reader's own zone ('Yesterday', 'Dec 1'): for lists
    where the hour would be noise."""
    at = _utc(moment)
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}}|{_short_day(at)}>"


def calendar_day(day: date) -> str:
    """A calendar day in words, 'Tuesday 15 December 2026': the same for every reader."""
    return f"{_WEEKDAYS[day.weekday()]} {day_words(day)}"
