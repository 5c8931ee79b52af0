"""The nudge on the re-check date, over signed HTTP with the fake Web API and a clock moved by
the test (never a sleep): it comes once at 9:30 the rep's time, however many schedulers tick; a
snooze moves it and a second one comes; *Close for good* ends it; a rep who left is replaced by
their manager; a post Slack refused for a passing reason is retried. Every message the app sent
is checked against Block Kit's limits when each test ends (the `world` fixture)."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.app import scheduler
from bot.domain.nudge_time import nudge_at
from bot.pathback.nudges import post_nudge
from bot.slack.effects import running_job
from storage.nudge_info import NudgeClaim
from storage.records import RecordDetail, RecordStatus
from storage.repository import Store
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_journey_managers import (
    DEFER,
    DESK,
    DESK_MEMBER,
    MGR,
    click_in,
    manager_dm,
    reach_verdict,
    save_settings,
    set_manager,
)
from tests.slack.world import REP, TOKEN, World, actions_of, block_ids, text_of

ZONE = "America/New_York"


def the_record(world: World) -> RecordDetail:
    store = world.store()
    workspace = store.ensure_workspace(team_id=world.team)
    (summary,) = store.list_records(workspace_id=workspace)
    record = store.get_record(record_id=summary.id)
    assert record is not None
    return record


def tick(world: World, now: datetime, *, processes: int = 1) -> int:
    """`processes` schedulers, each on its own Store as separate hosts would be, tick at `now`."""
    stores = [Store.open(world.database_url) for _ in range(processes)]
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    try:
        sent = [scheduler(client, s).tick(now).get("nudge(s)", 0) for s in stores]
    finally:
        for store in stores:
            store.close()
    world.settle()
    return sum(sent)


def nudges_in(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [
        m
        for m in fake.messages(channel)
        if "thread_ts" not in m and "Time to look again" in text_of(m)
    ]


def due_moment(day: date) -> datetime:
    return nudge_at(day, ZONE) + timedelta(minutes=1)


def snooze(world: World, message: dict[str, Any], code: str, *, user: str = REP) -> None:
    menu = next(e for e in actions_of(message) if e.get("action_id") == "nudge_snooze")
    option = next(o for o in menu["options"] if json.loads(o["value"])["p"] == code)
    if user != REP:
        world.user = user
    try:
        assert world.pick(message, menu, option).status == 200
    finally:
        world.user = REP
    world.settle()


def walked_away(world: World) -> RecordDetail:
    world.fake.set_user(REP, tz=ZONE, real_name="Ria Reyes")
    set_manager(world)
    reach_verdict(world, DEFER)
    record = the_record(world)
    assert record.recheck_on is not None
    return record


def test_the_nudge_comes_once_on_the_date_then_a_snooze_brings_a_second(world: World) -> None:
    record = walked_away(world)
    due = record.recheck_on
    assert due is not None
    assert tick(world, due_moment(due) - timedelta(minutes=2), processes=2) == 0
    assert nudges_in(world.fake, world.dm) == []

    assert tick(world, due_moment(due), processes=2) == 1, "two schedulers, one nudge"
    assert tick(world, due_moment(due) + timedelta(hours=1), processes=2) == 0
    (nudge,) = nudges_in(world.fake, world.dm)
    said = text_of(nudge)
    assert "Acme renewal" in said and "*Defer*" in said
    assert "Why:" in said and "What would change the decision" in said
    ids = [a["action_id"] for a in actions_of(nudge)]
    assert {"recheck_now", "nudge_snooze", "nudge_close"} <= set(ids)
    assert any(i.startswith("condition_met:") for i in ids)
    assert next(a for a in actions_of(nudge) if a["action_id"] == "recheck_now")["value"] == str(
        record.id
    )

    snooze(world, nudge, "2w")
    later = due + timedelta(days=14)
    assert the_record(world).recheck_on == later
    (redrawn,) = nudges_in(world.fake, world.dm)
    assert "nudge_snooze" not in [a["action_id"] for a in actions_of(redrawn)]
    assert "The re-check is now on" in text_of(redrawn)
    assert any("Snoozed: the next nudge" in t for t in world.ephemeral_texts())

    snooze(world, nudge, "3m")  # the old copy, clicked again: nothing moves twice
    assert the_record(world).recheck_on == later
    assert "The re-check is now on" in world.ephemeral_texts()[-1]

    assert tick(world, due_moment(later) - timedelta(minutes=5)) == 0
    assert tick(world, due_moment(later), processes=2) == 1
    _, second = nudges_in(world.fake, world.dm)
    assert "nudge_snooze" in [a["action_id"] for a in actions_of(second)]


def test_close_for_good_records_lost_and_a_later_snooze_says_it_is_closed(world: World) -> None:
    record = walked_away(world)
    assert record.recheck_on is not None
    tick(world, due_moment(record.recheck_on))
    (nudge,) = nudges_in(world.fake, world.dm)
    view = world.open_view(nudge, "nudge_close")
    assert view["callback_id"] == "close_for_good_view"
    values = {
        "record_status": {
            "status": {"type": "radio_buttons", "selected_option": {"value": "lost"}}
        },
        "record_status_note": {"note": {"type": "plain_text_input", "value": "Went with Globex"}},
    }
    assert world.submit_view(view, values).status == 200
    world.settle()
    closed = the_record(world)
    assert closed.status is RecordStatus.LOST
    assert closed.status_history[-1].note == "Went with Globex"
    (redrawn,) = nudges_in(world.fake, world.dm)
    assert "closed for good" in text_of(redrawn)

    snooze(world, nudge, "1m")
    assert the_record(world).recheck_on == record.recheck_on
    assert "closed for good (lost). Nothing was snoozed." in world.ephemeral_texts()[-1]
    assert tick(world, due_moment(record.recheck_on) + timedelta(days=60)) == 0


def test_a_rep_who_left_has_their_nudge_sent_to_their_manager(world: World) -> None:
    record = walked_away(world)
    assert record.recheck_on is not None
    world.fake.set_user(REP, tz=ZONE, deleted=True)
    tick(world, due_moment(record.recheck_on))
    assert nudges_in(world.fake, world.dm) == []
    (nudge,) = nudges_in(world.fake, manager_dm())
    assert "has left the workspace, so their re-check comes to you" in text_of(nudge)
    click_in(world, manager_dm(), nudge, "nudge_close", user=MGR)  # the manager may act
    world.settle()


def test_a_post_refused_as_account_inactive_goes_to_the_manager_instead(world: World) -> None:
    record = walked_away(world)
    assert record.recheck_on is not None
    tick(world, due_moment(record.recheck_on) - timedelta(minutes=10))  # the manager reminder
    world.fake.fail_next("chat.postMessage", "account_inactive")
    tick(world, due_moment(record.recheck_on))
    assert nudges_in(world.fake, world.dm) == []
    assert len(nudges_in(world.fake, manager_dm())) == 1


def test_a_rep_slack_no_longer_knows_has_their_nudge_sent_to_their_manager(
    world: World,
) -> None:
    record = walked_away(world)
    assert record.recheck_on is not None
    tick(world, due_moment(record.recheck_on) - timedelta(minutes=10))  # the manager reminder
    world.fake.fail_next("users.info", "user_not_found")
    tick(world, due_moment(record.recheck_on))
    assert nudges_in(world.fake, world.dm) == []
    assert len(nudges_in(world.fake, manager_dm())) == 1


def test_a_post_slack_fails_for_a_passing_reason_is_retried_and_sent_once(world: World) -> None:
    record = walked_away(world)
    assert record.recheck_on is not None
    tick(world, due_moment(record.recheck_on) - timedelta(minutes=10))  # the manager reminder
    world.fake.fail_next("chat.postMessage", "internal_error", times=3)
    tick(world, due_moment(record.recheck_on))
    assert len(nudges_in(world.fake, world.dm)) == 1
    failed = [c for c in world.fake.calls("chat.postMessage") if c.error]
    assert len(failed) == 3


def test_walkaway_due_and_home_list_the_reps_and_the_managers_re_checks(world: World) -> None:
    record = walked_away(world)
    assert record.recheck_on is not None
    soon = date.today() + timedelta(days=3)
    store = world.store()
    assert store.snooze_record(
        record_id=record.id, from_date=record.recheck_on, to_date=soon, by=REP, at=record.created_at
    )

    mark = world.mark()
    assert world.command("due").status == 200
    world.settle()
    (reply,) = [c.args for c in world.calls_since(mark) if "blocks" in c.args]
    assert "Acme renewal" in text_of(reply) and "Re-checks due" in text_of(reply)
    assert f"due_actions:{record.id}" in block_ids(reply)

    world.user = MGR
    try:
        mark = world.mark()
        world.command("due")
        world.settle()
        (seen,) = [c.args for c in world.calls_since(mark) if "blocks" in c.args]
        assert f"rep <@{REP}>" in text_of(seen)
        world.command("due 999")
        world.settle()
        assert "from 0 to 365" in world.ephemeral_texts()[-1]
    finally:
        world.user = REP

    home = world.home()
    assert f"due_actions:{record.id}" in [b.get("block_id") for b in home["blocks"]]
    assert "Re-checks due" in text_of(home)
    assert world.command("Due diligence review").status == 200  # still a deal name


def test_a_nudge_job_that_died_after_posting_does_not_post_again(world: World) -> None:
    """The job's process died between Slack's answer and the nudge marked posted: its re-run
    finds the post by its key and only records it."""
    record = walked_away(world)
    assert record.recheck_on is not None
    store = Store.open(world.database_url)
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    try:
        claims = nudge_claims(store, record)
        payload = {"record": record.id, "due_on": record.recheck_on.isoformat()}
        real = store.nudge_posted

        def die(**_: Any) -> None:
            raise KeyboardInterrupt("the process was killed here")

        store.nudge_posted = die  # type: ignore[method-assign]
        with pytest.raises(KeyboardInterrupt), running_job(claims[0].job_key):
            post_nudge(store, client, payload)
        store.nudge_posted = real  # type: ignore[method-assign]
        with running_job(claims[0].job_key):
            post_nudge(store, client, payload)
        with running_job(claims[0].job_key):
            post_nudge(store, client, payload)
        nudge = store.get_nudge(record_id=record.id, due_on=record.recheck_on)
        assert nudge is not None and nudge.posted_at is not None
    finally:
        store.close()
    assert len(nudges_in(world.fake, world.dm)) == 1


def nudge_claims(store: Store, record: RecordDetail) -> list[NudgeClaim]:
    assert record.recheck_on is not None
    claim = NudgeClaim(record.id, record.recheck_on, record.workspace_id, "crash" + "0" * 27)
    return store.claim_nudges(claims=[claim], at=due_moment(record.recheck_on))


def test_a_rep_who_left_with_no_manager_has_their_nudge_sent_to_the_deal_desk(
    world: World,
) -> None:
    save_settings(world, deal_desk_channel_id=DESK)
    world.fake.set_user(REP, tz=ZONE, real_name="Ria Reyes")
    reach_verdict(world, DEFER)
    record = the_record(world)
    assert record.recheck_on is not None
    tick(world, due_moment(record.recheck_on) - timedelta(minutes=10))
    world.fake.set_user(REP, tz=ZONE, real_name="Ria Reyes", deleted=True)
    tick(world, due_moment(record.recheck_on))
    assert nudges_in(world.fake, world.dm) == []
    (nudge,) = nudges_in(world.fake, DESK)
    said = text_of(nudge)
    assert "has left the workspace" in said
    assert f"<@{REP}>" not in said, "named in the channel, not mentioned"
    click_in(world, DESK, nudge, "nudge_close", user=DESK_MEMBER)  # a desk member may close it
    world.settle()
    assert not any("Only the rep" in t for t in world.ephemeral_texts())
