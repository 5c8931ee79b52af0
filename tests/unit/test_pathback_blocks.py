"""The conditions part's Block Kit: within Slack's limits however many and however long, and
found again and replaced in whatever message or view holds it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.domain.model import Outcome
from bot.domain.pathback import (
    ConditionState,
    RecheckProblem,
    add_months,
    first_recheck,
    parse_recheck_days,
    recheck_from_choice,
)
from bot.pathback.condition_blocks import condition_blocks, replace_conditions, shown_in
from storage.conditions import ConditionInfo
from tests.slack.limits import assert_message_within_limits

WHEN = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def item(
    n: int, state: ConditionState = ConditionState.OPEN, text: str = "An owner is named"
) -> ConditionInfo:
    ticked = state is not ConditionState.OPEN
    return ConditionInfo(
        record_id=7,
        position=n,
        signal="scar.owner",
        text=text,
        state=state,
        changed_by="U0REP" if ticked else None,
        changed_at=WHEN if ticked else None,
        note="<!channel> note" if ticked else None,
    )


@pytest.mark.parametrize("can_tick", [True, False])
def test_many_long_conditions_stay_within_the_limits(can_tick: bool) -> None:
    many = [item(n, text="x" * 5000 + " <!here>") for n in range(30)]
    blocks = condition_blocks(many, record_id=7, can_tick=can_tick, not_yet=True)
    assert_message_within_limits([b.to_dict() for b in blocks], "card")
    assert len(blocks) <= 22
    assert "<!here>" not in str([b.to_dict() for b in blocks])


def test_buttons_follow_the_state_and_the_nudge_gets_not_yet() -> None:
    blocks = [
        b.to_dict()
        for b in condition_blocks(
            [item(0), item(1, ConditionState.MET)], record_id=7, can_tick=True, not_yet=True
        )
    ]
    ids = [e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert ids == [
        "condition_met:0",
        "condition_not_yet:0",
        "condition_not_relevant:0",
        "condition_add_note:0",
        "condition_reopen:1",
        "condition_add_note:1",
    ]
    only_open = condition_blocks(
        [item(0), item(1, ConditionState.MET)], record_id=7, can_tick=True, only_open=True
    )
    assert "Met" not in str([b.to_dict() for b in only_open])


def test_the_part_is_found_and_replaced_where_it_was() -> None:
    part = [
        b.to_dict() for b in condition_blocks([item(0)], record_id=7, can_tick=True, not_yet=True)
    ]
    message = [{"type": "header", "block_id": "nudge"}, *part, {"type": "actions", "block_id": "x"}]
    shown = shown_in(message, 7)
    assert shown is not None and shown.can_tick and shown.not_yet and not shown.only_open
    assert shown_in(message, 8) is None
    fresh = condition_blocks([item(0, ConditionState.MET)], record_id=7, can_tick=True)
    replaced = replace_conditions(message, fresh, 7)
    assert replaced[0]["block_id"] == "nudge" and replaced[-1]["block_id"] == "x"
    assert "condition_reopen:0" in str(replaced)


def test_recheck_dates() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert recheck_from_choice("12", today=date(2026, 12, 2)) == date(2027, 12, 2)
    assert recheck_from_choice("never", today=date(2026, 12, 2)) is None
    with pytest.raises(RecheckProblem):
        recheck_from_choice("24", today=date(2026, 12, 2))
    with pytest.raises(RecheckProblem, match="7 and 730"):
        parse_recheck_days("731")
    with pytest.raises(RecheckProblem, match="whole number"):
        parse_recheck_days("ninety")
    made = date(2026, 12, 2)
    assert first_recheck(Outcome.WALK, None, made_on=made, default_days=90) == date(2027, 3, 2)
    assert first_recheck(Outcome.DEFER, date(2027, 1, 5), made_on=made, default_days=90) == date(
        2027, 1, 5
    )
    assert first_recheck(Outcome.PROCEED, None, made_on=made, default_days=90) is None
