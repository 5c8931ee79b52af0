"""The path back, end to end: conditions ticked on the card and in Details, the re-check date
and its workspace default, and *They came back* (the button and `/walkaway back`).

Every journey goes through signed requests to the real app and the recording fake Web API;
every call the app made is checked against Block Kit's limits when the journey ends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.domain.pathback import add_months
from bot.pathback.access import forget_members
from bot.pathback.condition_blocks import condition_blocks
from bot.slack.dates import calendar_day
from storage.records import RecordStatus
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import Response, button_click
from tests.slack.test_journey_managers import (
    DEAL,
    DESK,
    DESK_MEMBER,
    MGR,
    OTHER,
    PROCEED,
    reach_verdict,
    save_settings,
    set_manager,
    settings_values,
)
from tests.slack.world import REP, TOKEN, World, actions_of, text_of, wait_until

CONDITION = "The terms change so that we can honour every one of them in good conscience"


@pytest.fixture(autouse=True)
def _fresh_desk_cache() -> Iterator[None]:
    forget_members()
    yield
    forget_members()


# -- helpers --------------------------------------------------------------------------------


def record_id(world: World) -> int:
    workspace = world.store().ensure_workspace(team_id=world.team)
    return world.store().list_records(workspace_id=workspace, limit=1)[0].id


def press(
    world: World,
    message: dict[str, Any],
    action_id: str,
    *,
    user: str = REP,
    action_ts: str | None = None,
    option: str | None = None,
) -> Response:
    """Click `action_id` in `message` (the blocks travel with the click, as Slack sends them)."""
    element = world.element(message, action_id=action_id)
    block_id = next(
        b.get("block_id", "")
        for b in message["blocks"]
        if (b.get("type") == "actions" and element in b["elements"])
        or b.get("accessory") == element
    )
    payload = button_click(
        user,
        world.team,
        world.dm,
        message["ts"],
        element["action_id"],
        element.get("value", ""),
        block_id,
        action_ts,
        message_blocks=message["blocks"],
        response_url=world.slack.response_url(world.team),
    )
    if option is not None:
        clicked = payload["actions"][0]
        del clicked["value"], clicked["text"]
        clicked.update(type="static_select", selected_option={"value": option})
    reply = world.slack.block_action(payload)
    assert reply.status == 200, reply
    world.settle()
    return reply


def condition_state(world: World, n: int = 0) -> Any:
    return world.store().conditions.for_record(record_id=record_id(world))[n]


def said(world: World, mark: int) -> list[str]:
    return [
        str(c.args.get("text", ""))
        for c in world.calls_since(mark)
        if c.method in ("chat.postEphemeral", "chat.postMessage") or "response" in c.method
    ]


# -- conditions you can tick ----------------------------------------------------------------


def test_the_card_lists_each_condition_once_with_buttons_and_the_rep_marks_it_met(
    world: World,
) -> None:
    reach_verdict(world)
    card = world.verdict()
    assert text_of(card).count(CONDITION) == 1, "the card states each condition once"
    assert "What would change the decision" in text_of(card)
    ids = {e["action_id"] for e in actions_of(card)}
    assert {"condition_met:0", "condition_not_relevant:0", "came_back"} <= ids
    mark = world.mark()
    press(world, card, "condition_met:0")
    item = condition_state(world)
    assert item.state == "met" and item.changed_by == REP
    card = world.verdict()
    assert ":white_check_mark:" in text_of(card) and "Met" in text_of(card)
    assert {e["action_id"] for e in actions_of(card)} >= {"condition_reopen:0"}
    # The only condition is met: a re-check is offered, with the record id on the button.
    offers = [
        c
        for c in world.calls_since(mark)
        if any(e.get("action_id") == "recheck_now" for e in actions_of(c.args))
    ]
    assert offers and world.element(offers[0].args, action_id="recheck_now")["value"] == str(
        record_id(world)
    )


def test_a_double_click_applies_once_and_reopen_undoes_it(world: World) -> None:
    reach_verdict(world)
    card = world.verdict()
    stamp = f"{datetime(2026, 12, 2, 10, 0, tzinfo=UTC).timestamp():.6f}"
    press(world, card, "condition_met:0", action_ts=stamp)
    first = condition_state(world)
    press(world, card, "condition_met:0", action_ts=stamp)  # the same click, replayed
    press(world, card, "condition_met:0")  # a stale second click
    again = condition_state(world)
    assert again.changed_at == first.changed_at == datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    press(world, world.verdict(), "condition_reopen:0")
    assert condition_state(world).state == "open"


def test_the_manager_may_tick_and_a_stranger_is_refused(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    card = world.verdict()
    mark = world.mark()
    press(world, card, "condition_not_relevant:0", user=OTHER)
    assert condition_state(world).state == "open"
    assert any("Nothing was changed" in t and "their manager" in t for t in said(world, mark))
    press(world, card, "condition_not_relevant:0", user=MGR)
    item = condition_state(world)
    assert item.state == "not_relevant" and item.changed_by == MGR


def test_a_deal_desk_member_may_tick_a_desk_record(world: World) -> None:
    save_settings(world, deal_desk_channel_id=DESK)
    world.fake.set_members(DESK, [DESK_MEMBER])
    reach_verdict(world)
    card = world.verdict()
    mark = world.mark()
    press(world, card, "condition_met:0", user=OTHER)
    assert condition_state(world).state == "open"
    assert any("deal desk" in t for t in said(world, mark))
    press(world, card, "condition_met:0", user=DESK_MEMBER)
    assert condition_state(world).changed_by == DESK_MEMBER
    lookups = world.fake.calls("conversations.members")
    assert len(lookups) == 1, "the desk's members are read once, then cached"


def test_a_click_on_a_closed_record_says_so_and_changes_nothing(world: World) -> None:
    reach_verdict(world)
    card = world.verdict()
    rep_id = world.store().ensure_user(
        workspace_id=world.store().ensure_workspace(team_id=world.team), slack_user_id=REP
    )
    world.store().set_status(
        record_id=record_id(world), status="lost", note="Went elsewhere", by_user_id=rep_id
    )
    mark = world.mark()
    press(world, card, "condition_met:0")
    assert condition_state(world).state == "open"
    assert any("closed" in t and "Nothing was changed" in t for t in said(world, mark))


def test_details_shows_the_conditions_once_and_a_tick_there_updates_the_view(
    world: World,
) -> None:
    reach_verdict(world)
    world.command(f"search {DEAL}")
    world.settle()
    results = world.private_replies()[-1]
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.recheck_on is not None
    assert f"re-check on {calendar_day(record.recheck_on)}" in text_of(results)
    details = world.element(results, action_id="search_details")
    opened = len(world.fake.calls("views.open"))
    payload = button_click(
        REP,
        world.team,
        world.dm,
        "1.1",
        "search_details",
        details["value"],
        "results",
        response_url=world.slack.response_url(world.team),
        is_ephemeral=True,
    )
    world.slack.block_action(payload)
    call = world.fake.wait_for("views.open", count=opened + 1)[-1]
    view = call.result["view"] if call.result else {}
    assert text_of(view).count(CONDITION) == 1
    button = world.element(view, action_id="condition_met:0")
    block_id = next(
        b["block_id"]
        for b in view["blocks"]
        if b.get("type") == "actions" and button in b["elements"]
    )
    click = button_click(
        REP, world.team, world.dm, "0", button["action_id"], button["value"], block_id
    )
    for gone in ("message", "response_url", "channel"):
        click.pop(gone, None)
    click["container"] = {"type": "view", "view_id": view["id"]}
    click["view"] = view
    assert world.slack.block_action(click).status == 200
    world.settle()
    assert condition_state(world).state == "met"
    updated = world.fake.view(view["id"])
    assert ":white_check_mark:" in text_of(updated)
    assert updated["callback_id"] == "record_details_view"


# -- a date to look again ------------------------------------------------------------------


def test_a_walk_gets_the_default_and_the_rep_changes_it_on_the_card(world: World) -> None:
    reach_verdict(world)
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.recheck_on is not None
    assert record.recheck_on == record.created_at.date() + timedelta(days=90)
    assert calendar_day(record.recheck_on) in text_of(world.verdict())
    stamp = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    press(world, world.verdict(), "recheck_date", option="3", action_ts=f"{stamp.timestamp():.6f}")
    changed = world.store().get_record(record_id=record_id(world))
    assert changed is not None and changed.recheck_on == add_months(date(2026, 12, 2), 3)
    assert calendar_day(date(2027, 3, 2)) in text_of(world.verdict())
    press(world, world.verdict(), "recheck_date", option="never")
    never = world.store().get_record(record_id=record_id(world))
    assert never is not None and never.recheck_on is None
    mark = world.mark()
    press(world, world.verdict(), "recheck_date", option="5")  # not one we offer
    assert any("1, 3, 6 or 12 months" in t for t in said(world, mark))


def test_a_proceed_gets_no_date_and_no_path_back(world: World) -> None:
    reach_verdict(world, PROCEED)
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.recheck_on is None
    ids = {e["action_id"] for e in actions_of(world.verdict())}
    assert not {"came_back", "recheck_date"} & ids


def test_an_admin_sets_re_check_after_in_the_settings_modal_within_its_range(
    world: World,
) -> None:
    world.fake.set_user(REP, is_admin=True)
    world.command("settings")
    view = {"private_metadata": "", **world.fake.wait_for("views.open")[-1].args["view"]}
    days = next(b for b in view["blocks"] if b.get("block_id") == "recheck_days")
    assert days["element"]["initial_value"] == "90"
    values = settings_values(None, hold=False, days="3")
    bad = world.submit_view(view, {**values, "recheck_days": {"days": {"value": "3"}}})
    assert "7 and 730" in bad.json()["errors"]["recheck_days"]
    good = world.submit_view(view, {**values, "recheck_days": {"days": {"value": "30"}}})
    assert good.status == 200
    world.settle()
    workspace = world.store().ensure_workspace(team_id=world.team)
    assert world.store().pathback.recheck_days(workspace_id=workspace) == 30
    assert "re-check after 30 days" in world.fake.calls("chat.postMessage")[-1].args["text"]
    reach_verdict(world)
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.recheck_on == record.created_at.date() + timedelta(30)


# -- they came back --------------------------------------------------------------------------


def test_they_came_back_from_the_card_marks_it_offers_a_recheck_and_tells_the_manager(
    world: World,
) -> None:
    set_manager(world)
    reach_verdict(world)
    card = world.verdict()
    opened = len(world.fake.calls("views.open"))
    press(world, card, "came_back")
    view = world.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
    assert view["callback_id"] == "came_back_view"
    mark = world.mark()
    reply = world.submit_view(
        view, {"note_input": {"note": {"type": "plain_text_input", "value": "Owner named"}}}
    )
    assert reply.status == 200
    world.settle()
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.status is RecordStatus.RE_ENGAGED
    assert record.status_history[-1].note == "Owner named"
    assert record.status_history[-1].changed_by == REP
    posts = [c for c in world.calls_since(mark) if c.method == "chat.postMessage"]
    offer = next(c for c in posts if "re-engaged" in str(c.args.get("text")))
    assert world.element(offer.args, action_id="recheck_now")["value"] == str(record.id)
    told = [c for c in posts if "came back: Owner named" in str(c.args.get("text"))]
    assert len(told) == 1 and told[0].args["channel"] != world.dm
    wait_until(
        lambda: "recheck_now" in {e["action_id"] for e in actions_of(world.verdict())},
        what="the card offering a re-check",
    )
    again = world.submit_view(view, {"note_input": {"note": {"value": "twice"}}})
    assert "re-engaged already" in json.dumps(again.json())


def test_walkaway_back_marks_the_reps_latest_record_and_an_unknown_deal_gets_close_names(
    world: World, fake: FakeSlack
) -> None:
    reach_verdict(world)
    mark = world.mark()
    world.command("back acme renewl")
    world.settle()
    assert any("Did you mean" in t and f"*{DEAL}*" in t for t in said(world, mark))
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.status is RecordStatus.OPEN
    # Another rep's (and another workspace's) deals are never offered.
    other = World(
        fake=fake, slack=world.slack, database_url=world.database_url, user=OTHER, team="T2"
    )
    mark = world.mark()
    other.command("back acme renewl")
    world.settle()
    assert any("no walk-away records" in t for t in said(world, mark))
    mark = world.mark()
    world.command(f"back {DEAL.upper()} They called: an owner is named")
    world.settle()
    record = world.store().get_record(record_id=record_id(world))
    assert record is not None and record.status is RecordStatus.RE_ENGAGED
    assert record.status_history[-1].note == "They called: an owner is named"
    offers = [c for c in world.calls_since(mark) if "recheck_now" in json.dumps(c.args)]
    assert offers


def test_a_tick_in_another_message_replaces_only_its_conditions_part(
    world: World, fake: FakeSlack
) -> None:
    """What the nudge relies on: its own message, with `condition_blocks` in it, re-rendered
    after a *Not yet* with everything else as it was."""
    reach_verdict(world)
    record = record_id(world)
    part = condition_blocks(
        world.store().conditions.for_record(record_id=record),
        record_id=record,
        can_tick=True,
        not_yet=True,
        only_open=True,
    )
    blocks = [
        {"type": "section", "block_id": "nudge_head", "text": {"type": "mrkdwn", "text": "Hi"}},
        *[b.to_dict() for b in part],
    ]
    posted = WebClient(token=TOKEN, base_url=fake.base_url).chat_postMessage(
        channel=world.dm, text="Time to look again", blocks=blocks
    )
    nudge = next(m for m in fake.messages(world.dm) if m["ts"] == posted["ts"])
    stamp = f"{datetime(2026, 12, 3, 9, 30, tzinfo=UTC).timestamp():.6f}"
    press(world, nudge, "condition_not_yet:0", action_ts=stamp)
    press(world, nudge, "condition_not_yet:0", action_ts=stamp)  # replayed: counted once
    item = condition_state(world)
    assert item.state == "open" and item.checked_by == REP
    assert item.checked_at == datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
    shown = next(m for m in fake.messages(world.dm) if m["ts"] == posted["ts"])
    assert shown["blocks"][0]["block_id"] == "nudge_head"
    assert "Not yet" in text_of(shown) and "condition_not_yet:0" in json.dumps(shown)
    press(world, shown, "condition_met:0")
    shown = next(m for m in fake.messages(world.dm) if m["ts"] == posted["ts"])
    assert "All conditions are ticked" in text_of(shown)


def test_a_note_on_a_condition_is_kept_through_a_tick_and_shown_on_the_card(
    world: World,
) -> None:
    reach_verdict(world)
    opened = len(world.fake.calls("views.open"))
    press(world, world.verdict(), "condition_add_note:0")
    view = world.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
    assert view["callback_id"] == "condition_note_view"
    note = {"note_input": {"note": {"type": "plain_text_input", "value": "<!here> Legal agreed"}}}
    assert world.submit_view(view, note).status == 200
    world.settle()
    press(world, world.verdict(), "condition_met:0")
    item = condition_state(world)
    assert item.state == "met" and item.note == "<!here> Legal agreed"
    card = text_of(world.verdict())
    assert "&lt;!here&gt; Legal agreed" in card and "<!here>" not in card
    stranger = world.submit_view(view, note, user=OTHER)
    assert "Nothing was changed" in json.dumps(stranger.json())
