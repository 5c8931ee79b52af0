"""The export's period: both days included, bad input refused with one sentence."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.insight.period import PeriodError, parse_period

TODAY = date(2026, 6, 15)


def test_both_days_are_included_and_either_may_be_left_out() -> None:
    period = parse_period("2026-01-01", "2026-03-31", today=TODAY)
    assert period.start == datetime(2026, 1, 1, tzinfo=UTC)
    assert period.end == datetime(2026, 4, 1, tzinfo=UTC)  # the whole of the 31st
    assert period.words() == "from 2026-01-01 to 2026-03-31"
    assert parse_period(None, None, today=TODAY).start is None
    assert parse_period(None, "2026-06-15", today=TODAY).words() == "until 2026-06-15"
    assert parse_period("2026-06-15", "2026-06-15", today=TODAY).since == TODAY  # one day


@pytest.mark.parametrize(
    ("since", "until", "says"),
    [
        ("2026-1-1", None, "--since '2026-1-1' is not a date: use YYYY-MM-DD"),
        ("20260101", None, "is not a date"),
        (None, "yesterday", "--until 'yesterday' is not a date"),
        ("2026-06-16", None, "--since 2026-06-16 is in the future: no records can be from"),
        ("2026-05-02", "2026-05-01", "--since 2026-05-02 is after --until 2026-05-01"),
    ],
)
def test_bad_input_is_one_sentence(since: str | None, until: str | None, says: str) -> None:
    with pytest.raises(PeriodError) as refused:
        parse_period(since, until, today=TODAY)
    assert says in str(refused.value) and "\n" not in str(refused.value)
