"""Times as Slack shows them (each reader's own zone, a UTC fallback) and calendar days in words;
and one table of labels covering everything a record can be tagged or filtered by."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from bot.domain.labels import SIGNAL_LABELS, STATUS_LABELS, status_label
from bot.domain.search_query import SIGNALS, STATUSES
from bot.slack.dates import calendar_day, plain_when, slack_day, slack_when
from storage.records import RecordStatus

MOMENT = datetime(2026, 12, 1, 21, 26, tzinfo=UTC)


def test_an_instant_is_a_date_token_with_a_readable_utc_fallback() -> None:
    assert slack_when(MOMENT) == (
        "<!date^1796160360^{date_short_pretty} at {time}|1 Dec 2026 at 21:26 UTC>"
    )
    assert slack_day(MOMENT) == "<!date^1796160360^{date_short_pretty}|1 Dec 2026>"
    assert plain_when(MOMENT) == "1 Dec 2026 at 21:26 UTC"


def test_the_same_instant_in_another_zone_or_naive_is_the_same_token() -> None:
    paris = MOMENT.astimezone(timezone(timedelta(hours=1)))
    assert slack_when(paris) == slack_when(MOMENT)
    assert slack_when(MOMENT.replace(tzinfo=None)) == slack_when(MOMENT), "stored times are UTC"


def test_a_calendar_day_stays_the_same_day_for_every_reader() -> None:
    assert calendar_day(date(2027, 3, 2)) == "Tuesday 2 March 2027"
    assert "<!date" not in calendar_day(date(2027, 3, 2))


def test_every_status_and_filterable_signal_has_a_label() -> None:
    assert set(STATUS_LABELS) == {s.value for s in RecordStatus} == set(STATUSES)
    assert set(SIGNALS) <= set(SIGNAL_LABELS)
    assert status_label(RecordStatus.RE_ENGAGED) == "Re-engaged"
    assert status_label("open") == "Open"
