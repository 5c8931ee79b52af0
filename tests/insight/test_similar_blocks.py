"""The card's *Similar past walks* blocks: one line per record with what happened since, within
Slack's limits whatever the deal is called, and nothing at all when there is nothing to show."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.domain.model import Outcome
from bot.insight.similar import similar_blocks
from storage.records import RecordStatus
from storage.similar import SimilarRecord
from tests.slack.limits import assert_message_within_limits

MADE = datetime(2026, 2, 1, 9, 30, tzinfo=UTC)
LATER = datetime(2026, 4, 12, 15, tzinfo=UTC)


def walk(
    record_id: int, status: RecordStatus, *, shared: int = 1, deal: str = "Globex"
) -> SimilarRecord:
    return SimilarRecord(
        id=record_id,
        deal_name=deal,
        created_at=MADE,
        outcome=Outcome.WALK,
        status=status,
        shared=("scar_not_removable", "values_compromised", "no_mutual_benefit")[:shared],
        status_at=LATER,
    )


def texts(blocks: list[object]) -> list[str]:
    dumped = [b.to_dict() for b in blocks]  # type: ignore[attr-defined]
    return [d["text"]["text"] for d in dumped if d.get("type") == "section"]


def test_nothing_at_all_when_no_record_is_similar() -> None:
    assert similar_blocks([], fired=2) == []


def test_each_line_says_what_happened_since_and_how_much_is_shared() -> None:
    found = [
        walk(1, RecordStatus.OPEN, shared=3),
        walk(2, RecordStatus.RE_ENGAGED, shared=2),
        walk(3, RecordStatus.WON),
        walk(4, RecordStatus.LOST),
        walk(5, RecordStatus.CLOSED),
    ]
    lines = texts(similar_blocks(found, fired=3))
    assert lines[0].startswith("*Globex* · Walk away · <!date^")
    assert "\nStill open · all 3 signals shared" in lines[0]
    assert "\nCame back <!date^1776006000^{date_short_pretty}|12 Apr 2026> · 2 of 3" in lines[1]
    assert "\nWon <!date^" in lines[2] and "1 of 3 signals shared" in lines[2]
    assert "\nLost <!date^" in lines[3]
    assert "\nClosed <!date^" in lines[4]
    one = texts(similar_blocks([walk(6, RecordStatus.OPEN)], fired=1))
    assert one[0].endswith("Still open · same signal")
    two = texts(similar_blocks([walk(7, RecordStatus.OPEN, shared=2)], fired=2))
    assert two[0].endswith("both signals shared")


def test_details_is_searchs_button_with_the_record() -> None:
    blocks = [b.to_dict() for b in similar_blocks([walk(42, RecordStatus.OPEN)], fired=1)]
    button = blocks[-1]["accessory"]
    assert button["action_id"] == "search_details"
    assert json.loads(button["value"]) == {"record": 42}
    assert [b.get("block_id") for b in blocks] == [None, "similar", "similar:42"]


def test_a_hostile_or_huge_deal_name_stays_inert_and_within_limits() -> None:
    hostile = "<!channel> *Acme* & <@U123> " + "x" * 5000
    blocks = similar_blocks([walk(1, RecordStatus.OPEN, deal=hostile)], fired=1)
    assert_message_within_limits([b.to_dict() for b in blocks], "card")
    line = texts(blocks)[0]
    assert "<!channel>" not in line and "<@U123>" not in line
    assert "&lt;!channel&gt;" in line
    assert len(line) < 600
