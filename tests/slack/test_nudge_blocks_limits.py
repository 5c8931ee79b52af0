"""The nudge, the due lists and *Close for good* fit Slack's limits whatever a record holds:
a hostile deal name, dozens of long reasons and conditions, a list longer than shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.model import Outcome
from bot.pathback.close_modal import close_modal
from bot.pathback.due import DueList
from bot.pathback.due_blocks import due_blocks
from bot.pathback.nudge_blocks import nudge_message
from bot.pathback.payloads import CloseRef
from bot.slack.names import MENTIONS, Naming
from storage.conditions import ConditionInfo, ConditionState
from storage.nudge_info import DueRecord
from storage.records import RecordDetail, RecordStatus
from tests.slack.limits import assert_message_within_limits, assert_view_within_limits
from tests.slack.test_blocks_within_limits import NASTY, crowded_verdict

NOW = datetime(2027, 1, 12, 10, tzinfo=UTC)
DUE = date(2027, 1, 12)


def record(items: int, length: int, status: RecordStatus = RecordStatus.OPEN) -> RecordDetail:
    return RecordDetail(
        id=99_999_999,
        deal_name=NASTY,
        rep_slack_user_id="U1",
        outcome=Outcome.WALK,
        status=status,
        created_at=NOW - timedelta(days=90),
        recheck_on=DUE,
        record_line=NASTY,
        workspace_id=1,
        session_id=1,
        verdict=crowded_verdict(items, length),
        answers=(),
        notes={},
        checklist_hash="",
        checklist_snapshot={},
        draft_text=None,
        sent_text=None,
        sent_at=None,
        sent_by=None,
        status_history=(),
        channel_id="D1",
        thread_ts="1",
        updated_at=NOW,
    )


def conditions(shown: RecordDetail) -> list[ConditionInfo]:
    return [
        ConditionInfo(shown.id, n, c.signal, c.text, ConditionState.OPEN, None, None, NASTY[:900])
        for n, c in enumerate(shown.verdict.conditions)
    ]


@pytest.mark.parametrize(("items", "length"), [(0, 10), (1, 5000), (12, 400), (60, 3000)])
@pytest.mark.parametrize("status", [RecordStatus.OPEN, RecordStatus.LOST])
def test_the_nudge_fits_and_pings_nobody(items: int, length: int, status: RecordStatus) -> None:
    for who in (MENTIONS, Naming({"U1": NASTY[:60]})):
        shown = record(items, length, status)
        text, blocks = nudge_message(
            shown, conditions(shown), due_on=DUE, who=who, instead_of_rep=True
        )
        assert_message_within_limits(blocks, text)
        rendered = str([b.to_dict() for b in blocks])
        assert "<!channel>" not in rendered


def test_a_long_due_list_fits_a_message_and_home_and_says_how_many_more() -> None:
    lines = [
        DueRecord(10_000_000 + n, NASTY, Outcome.DEFER, DUE - timedelta(days=n), "U1", NOW)
        for n in range(10)
    ]
    due = DueList(today=DUE, through=DUE + timedelta(days=14), shown=lines, total=5000)
    blocks = due_blocks(due, viewer="U2")
    assert_message_within_limits(blocks, "10 re-checks due")
    assert_view_within_limits({"type": "home", "blocks": [b.to_dict() for b in blocks]})
    assert "and 4990 more" in str([b.to_dict() for b in blocks])
    assert "<!channel>" not in str([b.to_dict() for b in blocks])


def test_close_for_good_fits_a_modal() -> None:
    meta = CloseRef(r=99_999_999, d=DUE, c="C" * 64, t="1" * 64, home=True)
    assert_view_within_limits(close_modal(record(1, 10), meta))
