"""The weekly digest fits Slack's limits whatever the week holds: hostile deal names, the longest
reasons, every list full and longer than shown, many reps to review."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.model import Outcome
from bot.insight.digest_blocks import digest_message
from storage.digest_info import DigestLists, Line, Listed, QuietRep
from storage.insight import NAMED, NamedRecord, _zero
from tests.slack.limits import assert_message_within_limits
from tests.slack.test_blocks_within_limits import NASTY

END = datetime(2026, 11, 30, 14, tzinfo=UTC)


@pytest.mark.parametrize("length", [1, 500, 5000])
def test_a_crowded_week_fits(length: int) -> None:
    name = (NASTY * (length // len(NASTY) + 1))[:length]
    line = Line(1, name, "U0123456789", Outcome.WALK, END, (name, name, name), date(2026, 11, 2))
    full = Listed((line,) * 8, 10_000)
    lists = DigestLists(
        reps=50,
        waiting=full,
        walkaways=full,
        rechecks_due=full,
        quiet_reps=tuple(QuietRep(f"U{n:010d}", 99) for n in range(50)),
        weeks=(),
    )
    named = NamedRecord(1, name, "U0123456789", name, Outcome.STOP_PILOT, END)
    numbers = dataclasses.replace(
        _zero(1, (1,), END - timedelta(days=7), END),
        verdict_mix=tuple((o, 10_000) for o in Outcome),
        comebacks=10_000,
        comeback_records=(named,) * NAMED,
        wins_after_walk=10_000,
        win_records=(named,) * NAMED,
    )
    text, blocks = digest_message(lists, numbers, end=END, today=END.date(), chart_follows=True)
    assert_message_within_limits(blocks, text)
    assert "<!channel>" not in str([b.to_dict() for b in blocks]), "the reps' text is escaped"
