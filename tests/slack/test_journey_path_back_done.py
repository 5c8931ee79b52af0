"""Issue 12's "done means", as one rep would live it: a walk-away, the clock reaching its
re-check date, the nudge, a snooze, a second nudge, *Mark met* on each condition in it, a
pre-filled re-check that now proceeds, the earlier record `re-engaged` and the manager told.

The three parts of the path back (conditions, nudges, re-checks) were built side by side; this
journey is where they meet. Signed requests to the real app, the recording fake Web API, the
clock moved by the test (scheduler ticks with `now`, never a sleep). Every call the app made is
checked against Block Kit's limits: the `world` fixture checks messages and views when the
journey ends, and the private replies sent through response_url are checked here.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from bot.domain.model import Outcome
from bot.search.payloads import SearchRecordRef
from bot.slack.dates import calendar_day
from storage.records import RecordDetail, RecordStatus
from tests.slack.fake_slack import RESPONSE_URL_METHOD
from tests.slack.limits import assert_message_within_limits
from tests.slack.signed import button_click
from tests.slack.test_journey_nudges import ZONE, due_moment, nudges_in, snooze, tick
from tests.slack.test_journey_recheck import (
    DEAL,
    MGR,
    SCAR_WALK,
    came_back_lines,
    set_manager,
    still_true,
    walk,
)
from tests.slack.world import REP, World, actions_of, text_of, wait_until

WALKED = {**SCAR_WALK, "terms.values_compromised": "yes"}
"""Two reasons to walk, so two conditions: the earlier failure (no owner) will not be addressed,
and the terms would compromise our values."""
CHANGED = {"scar.addressable": ("No", "yes"), "terms.values_compromised": ("Yes", "no")}
"""What the re-check answers differently (last time's label, the new value): the buyer names an
operational owner and the terms changed, so the deal proceeds."""


def record(world: World, record_id: int) -> RecordDetail:
    found = world.store().get_record(record_id=record_id)
    assert found is not None
    return found


def shown(world: World, message: dict[str, Any]) -> dict[str, Any]:
    """The message as the rep sees it now (updates applied)."""
    return next(m for m in world.fake.messages(world.dm) if m["ts"] == message["ts"])


def click_in_message(world: World, message: dict[str, Any], action_id: str) -> None:
    """Click a button as Slack sends it: the message's text and blocks travel with the click."""
    element = world.element(message, action_id=action_id)
    block_id = next(
        b.get("block_id", "")
        for b in message["blocks"]
        if b.get("type") == "actions" and element in b["elements"]
    )
    payload = button_click(
        REP,
        world.team,
        world.dm,
        message["ts"],
        element["action_id"],
        element.get("value", ""),
        block_id,
        message_text=str(message.get("text", "")),
        message_blocks=message["blocks"],
        response_url=world.slack.response_url(world.team),
    )
    assert world.slack.block_action(payload).status == 200
    world.settle()


def record_id_of_card(card: dict[str, Any]) -> int:
    """The record a verdict card is about, from its "Record #n" line."""
    found = re.search(r"Record #(\d+)", text_of(card))
    assert found is not None
    return int(found.group(1))


def ticks_offered(message: dict[str, Any]) -> list[str]:
    return [a["action_id"] for a in actions_of(message) if a["action_id"].startswith("condition_")]


def test_a_walk_away_comes_back_through_its_nudge_and_a_recheck_that_proceeds(
    world: World,
) -> None:
    # 1. A walk-away, with a manager: its re-check date is the workspace default, 90 days.
    world.fake.set_user(REP, tz=ZONE, real_name="Ria Reyes")
    set_manager(world)
    earlier = walk(world, answers=WALKED)
    walked = record(world, earlier)
    assert walked.outcome is Outcome.WALK
    due = walked.recheck_on
    assert due == walked.created_at.date() + timedelta(days=90)
    first_card = world.verdict()
    assert calendar_day(due) in text_of(first_card)
    conditions = world.store().conditions.for_record(record_id=earlier)
    assert len(conditions) == 2, "each reason to walk names what would change the decision"

    # 2. The clock reaches the date: two schedulers, one nudge, and not a minute early.
    assert tick(world, due_moment(due) - timedelta(minutes=2), processes=2) == 0
    assert nudges_in(world.fake, world.dm) == []
    assert tick(world, due_moment(due), processes=2) == 1
    assert tick(world, due_moment(due) + timedelta(hours=2), processes=2) == 0
    (first,) = nudges_in(world.fake, world.dm)
    said = text_of(first)
    assert DEAL in said and "*Walk away*" in said and calendar_day(due) in said
    assert "Why:" in said and "What would change the decision" in said
    assert len(ticks_offered(first)) >= 3 * len(conditions)  # Mark met, Not yet, … each

    # 3. Snooze two weeks: the date moves, the clock reaches it, a second nudge comes.
    snooze(world, first, "2w")
    later = due + timedelta(days=14)
    assert record(world, earlier).recheck_on == later
    assert any(f"comes on *{calendar_day(later)}*" in t for t in world.ephemeral_texts())
    assert "The re-check is now on" in text_of(shown(world, first))
    assert f"*Look again* {calendar_day(later)}" in text_of(shown(world, first_card))
    assert tick(world, due_moment(later) - timedelta(minutes=5), processes=2) == 0
    assert tick(world, due_moment(later), processes=2) == 1
    _, second = nudges_in(world.fake, world.dm)
    assert {"recheck_now", "nudge_snooze", "nudge_close"} <= {
        a["action_id"] for a in actions_of(second)
    }

    # 4. Mark met on each condition, in the nudge: each tick redraws the nudge's conditions
    # part (the rest stays); once all are met, a re-check is offered.
    mark = world.mark()
    for item in conditions:
        now = shown(world, second)
        assert f"condition_met:{item.position}" in ticks_offered(now)
        click_in_message(world, now, f"condition_met:{item.position}")
        assert f"condition_met:{item.position}" not in ticks_offered(shown(world, second))
        if item is not conditions[-1]:
            assert "time to look at it again" not in " ".join(world.ephemeral_texts())
    assert all(
        c.state.value == "met" for c in world.store().conditions.for_record(record_id=earlier)
    )
    assert all(c.changed_by == REP for c in world.store().conditions.for_record(record_id=earlier))
    nudge = shown(world, second)
    assert "All conditions are ticked" in text_of(nudge)
    assert "Time to look again" in text_of(nudge) and DEAL in text_of(nudge)
    assert "recheck_now" in {a["action_id"] for a in actions_of(nudge)}, "the nudge's buttons stay"
    card_now = shown(world, first_card)  # the card in the thread says the same, not "open"
    assert ":white_check_mark:" in text_of(card_now)
    assert not [t for t in ticks_offered(card_now) if t.startswith("condition_met:")]
    offers = [
        c.args
        for c in world.calls_since(mark)
        if c.method in (RESPONSE_URL_METHOD, "chat.postEphemeral")
        and any(e.get("action_id") == "recheck_now" for e in actions_of(c.args))
    ]
    assert len(offers) == 1, "offered privately once, when the last condition is met"
    assert "time to look at it again" in text_of(offers[0])
    assert world.element(offers[0], action_id="recheck_now")["value"] == str(earlier)

    # 5. Re-check now, from the nudge: each question shows last time's answer, Still true first.
    recheck_button = world.element(nudge, action_id="recheck_now")
    assert recheck_button["value"] == str(earlier)
    click_in_message(world, nudge, "recheck_now")
    asked = []
    for question_id in WALKED:
        if question_id in CHANGED:
            before, now_value = CHANGED[question_id]
            message = world.current_question(question_id)
            assert f"Last time: *{before}*" in text_of(message)
            assert actions_of(message)[0]["text"]["text"] == "Still true"
            world.answer(question_id, now_value)
        else:
            asked.append(still_true(world, question_id))
    assert all("Last time:" in text_of(m) for m in asked)
    assert all(actions_of(m)[0]["text"]["text"] == "Still true" for m in asked)

    # 6. The new card says what changed and links the earlier record.
    card = wait_until(
        lambda: next(
            (m for m in reversed(world.thread()) if "Proceed:" in str(m.get("text"))), None
        ),
        what="the re-check's card",
    )
    world.settle()
    card_says = text_of(card)
    assert "What changed since last time" in card_says
    assert "No → Yes" in card_says and "Yes → No" in card_says
    assert not [q for q in CHANGED if q in card_says]  # labels, never ids
    assert f"Re-check of record #{earlier}" in card_says
    link = next(e for e in actions_of(card) if e["action_id"] == "search_details")
    assert SearchRecordRef.load(link["value"]).record == earlier

    # The earlier record is re-engaged, once, whatever its snooze; the manager told once.
    back = record(world, earlier)
    assert back.status is RecordStatus.RE_ENGAGED
    assert [c.status for c in back.status_history].count(RecordStatus.RE_ENGAGED) == 1
    assert "owner is named" in str(back.status_history[-1].note)
    (line,) = came_back_lines(world.fake)
    assert line["text"] == f"{DEAL} came back: an operational owner is named."
    assert "thread_ts" not in line

    # What the earlier card, Details and search show for the earlier record.
    card_then = shown(world, first_card)
    assert not {"came_back", "recheck_date"} & {a["action_id"] for a in actions_of(card_then)}
    assert "Re-engaged" in text_of(card_then)
    assert "Look again" not in text_of(card_then), "no date: a re-engaged record is not nudged"
    assert [a["action_id"] for a in actions_of(card_then)].count("recheck_now") <= 1
    details = world.open_view(card, "search_details")
    details_say = text_of({"blocks": details["blocks"]})
    assert [a["action_id"] for a in actions_of(details)].count("recheck_now") == 1
    assert "This deal's checks" in details_say
    assert "re-engaged" in details_say.lower()
    assert f"re-check of #{earlier}" in details_say
    world.command(f"search {DEAL}")
    world.settle()
    results = text_of(world.private_replies()[-1])
    assert "re-engaged" in results.lower()
    assert "re-check on" not in results and "re-check on" not in details_say

    # The clock going on sends nothing more: a re-engaged record is not nudged.
    assert tick(world, due_moment(later) + timedelta(days=120), processes=2) == 0
    assert len(nudges_in(world.fake, world.dm)) == 2
    assert len(came_back_lines(world.fake)) == 1
    assert not [m for m in world.fake.messages("D" + MGR) if "Time to look again" in text_of(m)]

    # A busy rep clicks Re-check now on the old nudge again: the deal's latest check
    # (the proceed) is looked at again and still proceeds. Nothing came back this time: the
    # proceed is not marked re-engaged and the manager hears nothing more.
    click_in_message(world, shown(world, second), "recheck_now")
    for question_id in WALKED:
        still_true(world, question_id)
    wait_until(
        lambda: [m for m in world.thread() if "Re-check of record #" in text_of(m)][1:],
        what="the second re-check's card",
    )
    world.settle()
    proceed = record(world, record_id_of_card(card))
    assert proceed.status is RecordStatus.OPEN
    assert len(came_back_lines(world.fake)) == 1
    assert [c.status for c in record(world, earlier).status_history].count(
        RecordStatus.RE_ENGAGED
    ) == 1

    # 7. Every private reply within Block Kit's limits (the fixture checks everything else).
    for call in world.fake.calls(RESPONSE_URL_METHOD):
        assert_message_within_limits(call.args.get("blocks"), call.args.get("text"))
