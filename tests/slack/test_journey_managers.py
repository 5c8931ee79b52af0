"""Managers take a position on walk, stop-pilot and defer verdicts, end to end.

Every journey goes through signed requests to the real app and the fake Web API: the rep runs
the check, the manager's DM (or the deal-desk channel) gets the ping, and clicks, modals and
`walkaway remind` runs act on it the way Slack and cron would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import URLError

import pytest
from slack_sdk import WebClient

from bot.app import scheduler
from bot.approvals.reminders import send_due_reminders
from bot.cli import main
from bot.domain.model import Outcome
from storage.approval_info import ApprovalInfo, ApprovalSettings, Decision
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD, FakeSlack, mpim_id
from tests.slack.limits import assert_call_within_limits
from tests.slack.signed import Response, button_click
from tests.slack.world import (
    REP,
    TOKEN,
    TrackingExecutor,
    World,
    actions_of,
    block_ids,
    running_app,
    sqlite_url,
    text_of,
    wait_until,
)
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)

MGR = "U0MGR"
OTHER = "U0OTHER"
DESK = "C0DESK"
DESK_MEMBER = "U0DESK"
DEAL = "Acme renewal"

WALK = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "no",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "yes",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}
PROCEED = {**WALK, "terms.values_compromised": "no"}
STOP_PILOT = {
    "deal.stage": "pilot",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "no",
    "buyer.evidence_receptive": "yes",
    "pilot.in_flight": "yes",
    "pilot.kill_criteria_written": "yes",
    "pilot.kill_criteria_met": "yes",
    **{k: v for k, v in PROCEED.items() if k.startswith(("terms.", "dynamics.", "self."))},
}
DEFER = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "no",
    "scar.months_since": "3",
    "buyer.evidence_receptive": "no",
    **{k: v for k, v in PROCEED.items() if k.startswith(("terms.", "dynamics.", "self."))},
}
TYPED = {"scar.months_since"}
"""Number questions, answered through the Answer… modal."""


# -- fixtures -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("postgres_databases").create())


@contextmanager
def serving(fake: FakeSlack, url: str) -> Iterator[World]:
    """A rep's world; every call the app made must fit Slack's limits once it is done."""
    with World.serving(fake, url) as world:
        yield world
        world.settle()
        for call in fake.calls():
            assert_call_within_limits(call)


@pytest.fixture
def on_any_db(fake: FakeSlack, database_url: str) -> Iterator[World]:
    """The rep's world on SQLite and on PostgreSQL."""
    with serving(fake, database_url) as world:
        yield world


# -- helpers --------------------------------------------------------------------------------


def reach_verdict(world: World, answers: dict[str, str] = WALK, deal: str = DEAL) -> None:
    world.start(deal)
    for question_id, value in answers.items():
        if question_id in TYPED:
            assert world.answer_in_modal(question_id, value).status == 200
            world.settle()
        else:
            world.answer(question_id, value)
    world.verdict()
    world.settle()


def set_manager(world: World, manager: str = MGR, name: str = "dana") -> Response:
    reply = world.command(f"manager <@{manager}|{name}>")
    assert reply.status == 200, reply
    world.settle()
    return reply


def ping_in(fake: FakeSlack, channel: str) -> dict[str, Any]:
    def find() -> dict[str, Any] | None:
        return next(
            (
                m
                for m in fake.messages(channel)
                if "thread_ts" not in m
                and {"approval_actions", "approval_status"} & set(block_ids(m))
            ),
            None,
        )

    found: dict[str, Any] = wait_until(find, what=f"the ping in {channel}")
    return found


def manager_dm(manager: str = MGR) -> str:
    return "D" + manager


GROUP = mpim_id([REP, MGR])
"""The group DM the fake opens for the rep and their manager."""


def click_in(
    world: World,
    channel: str,
    message: dict[str, Any],
    action_id: str,
    *,
    user: str,
    slack: Any = None,
) -> Response:
    """A click on a message in any channel (World.click assumes the clicker's own DM)."""
    element = world.element(message, action_id=action_id)
    block_id = next(
        b["block_id"]
        for b in message["blocks"]
        if b.get("type") == "actions" and element in b["elements"]
    )
    client = slack or world.slack
    payload = button_click(
        user,
        world.team,
        channel,
        message["ts"],
        action_id,
        element["value"],
        block_id,
        response_url=client.response_url(world.team),
    )
    reply: Response = client.block_action(payload)
    assert reply.status == 200, reply
    return reply


def positions_offered(message: dict[str, Any]) -> list[str]:
    """The position buttons on a message (Read the draft stays after an answer)."""
    return [a["action_id"] for a in actions_of(message) if a["action_id"] != "approval_read_draft"]


def replies_since(world: World, mark: int) -> list[str]:
    return [
        str(c.args.get("text", ""))
        for c in world.calls_since(mark)
        if c.method in (RESPONSE_URL_METHOD, "chat.postEphemeral")
    ]


def approval_of(world: World) -> ApprovalInfo:
    store = world.store()
    workspace_id = store.ensure_workspace(team_id=world.team)
    (record,) = store.list_records(workspace_id=workspace_id, limit=1)
    found = store.approvals.get(record_id=record.id)
    assert found is not None, "no approval was opened for the verdict"
    return found


def rep_notices(world: World) -> list[dict[str, Any]]:
    """Messages in the rep's thread after the verdict card and draft."""
    thread = world.thread()
    card_at = next(i for i, m in enumerate(thread) if "verdict" in block_ids(m))
    drafts = {"draft_actions", "recipient_actions"}  # the draft, or its question before it
    return [m for m in thread[card_at + 1 :] if not drafts & set(block_ids(m))]


def decision_text(world: World) -> str:
    return text_of(world.verdict())


def override_values(outcome: str | None, reason: str | None) -> dict[str, dict[str, Any]]:
    chosen = {"value": outcome} if outcome else None
    return {
        "override_outcome": {"outcome": {"type": "static_select", "selected_option": chosen}},
        "override_reason": {"reason": {"type": "plain_text_input", "value": reason}},
    }


def settings_values(channel: str | None, *, hold: bool, days: str) -> dict[str, dict[str, Any]]:
    return {
        "desk_channel": {"channel": {"type": "channels_select", "selected_channel": channel}},
        "hold": {
            "hold": {
                "type": "checkboxes",
                "selected_options": [{"value": "on"}] if hold else [],
            }
        },
        "reminder_days": {"days": {"type": "number_input", "value": days}},
    }


def save_settings(world: World, **values: Any) -> None:
    world.store().approvals.save_settings(
        workspace_id=world.store().ensure_workspace(team_id=world.team),
        settings=ApprovalSettings(**values),
    )


# -- who the manager is ---------------------------------------------------------------------


def test_rep_sets_a_manager_with_a_mention_and_can_read_it_back(world: World) -> None:
    mark = world.mark()
    set_manager(world)
    assert any("<@U0MGR> is your manager" in text for text in replies_since(world, mark))
    mark = world.mark()
    world.command("manager")
    world.settle()
    assert any(
        "Your manager for walk-away decisions is <@U0MGR>" in t for t in replies_since(world, mark)
    )
    store = world.store()
    rep_id = store.ensure_user(
        workspace_id=store.ensure_workspace(team_id=world.team), slack_user_id=REP
    )
    manager = store.approvals.manager_of(rep_user_id=rep_id)
    assert manager is not None and manager.slack_user_id == MGR


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"<@{REP}|me>", "your own manager"),
        ("<@U0BOT|helper>", "an app, not a person"),
        ("<@U0GONE|left>", "deactivated"),
        ("@dana", "Mention your manager with @"),
        ("<@U0MGR|dana> <@U0TWO|sam>", "exactly one person"),
        ("<!channel>", "Mention your manager with @"),
    ],
    ids=["self", "bot", "deactivated", "no-mention", "two", "channel-ping"],
)
def test_manager_command_refuses_what_cannot_be_a_manager(
    world: World, text: str, expected: str
) -> None:
    world.fake.set_user("U0BOT", is_bot=True)
    world.fake.set_user("U0GONE", deleted=True)
    mark = world.mark()
    world.command(f"manager {text}")
    world.settle()
    said = replies_since(world, mark)
    assert any(expected in reply for reply in said), said
    store = world.store()
    rep_id = store.ensure_user(
        workspace_id=store.ensure_workspace(team_id=world.team), slack_user_id=REP
    )
    assert store.approvals.manager_of(rep_user_id=rep_id) is None


# -- the ping -------------------------------------------------------------------------------


def test_a_walk_verdict_pings_the_manager_with_the_whole_story(world: World) -> None:
    set_manager(world)
    reach_verdict(world, deal="Acme <!channel> & co")
    ping = ping_in(world.fake, manager_dm())
    seen = text_of(ping)
    assert "<@U0REP>" in seen and "Walk away" in seen
    assert "Acme &lt;!channel&gt; &amp; co" in seen and "<!channel>" not in seen
    assert "The terms on the table would compromise our values." in seen  # reason
    assert "honour every one of them in good conscience" in seen  # condition
    assert "The draft begins" in seen and ">Hello," in seen
    assert positions_offered(ping) == [
        "approval_agree",
        "approval_discuss",
        "approval_override",
    ]
    assert world.fake.calls("conversations.open")[-1].args["users"] == MGR
    card = decision_text(world)
    assert "Waiting for <@U0MGR>" in card
    assert approval_of(world).ping_ts == ping["ts"]


@pytest.mark.parametrize(
    ("answers", "label"),
    [(WALK, "Walk away"), (STOP_PILOT, "Stop the pilot"), (DEFER, "Defer")],
    ids=["walk", "stop_pilot", "defer"],
)
def test_every_course_changing_verdict_asks_the_manager(
    world: World, answers: dict[str, str], label: str
) -> None:
    set_manager(world)
    reach_verdict(world, answers)
    ping = ping_in(world.fake, manager_dm())
    assert f"{label}: {DEAL}" in text_of(ping)
    assert approval_of(world).outcome.label == label


def test_a_proceed_verdict_asks_nobody(world: World) -> None:
    set_manager(world)
    reach_verdict(world, PROCEED)
    assert world.fake.messages(manager_dm()) == []
    assert "Waiting for" not in decision_text(world)


# -- decisions ------------------------------------------------------------------------------


def test_agree_is_stored_shown_in_the_dm_and_told_to_the_rep(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    click_in(world, manager_dm(), ping, "approval_agree", user=MGR)
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.AGREE
    assert approval.decided_by == MGR and approval.decided_at is not None
    updated = ping_in(world.fake, manager_dm())
    assert positions_offered(updated) == []
    assert "<@U0MGR> *agreed* with Walk away" in text_of(updated)
    (notice,) = rep_notices(world)
    assert "<@U0MGR> agrees with *Walk away* on *Acme renewal*" in text_of(notice)
    assert "agreed" in decision_text(world)


def test_discuss_opens_a_group_dm_of_rep_and_manager_with_the_context(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)
    world.settle()

    assert world.fake.calls("conversations.open")[-1].args["users"] == f"{REP},{MGR}"
    assert set(world.fake.members_of(GROUP)) >= {REP, MGR}
    (opener,) = world.fake.messages(GROUP)
    said = text_of(opener)
    assert "<@U0REP>, <@U0MGR> would like to talk about *Acme renewal*" in said
    assert "The verdict was *Walk away*" in said
    assert "The terms on the table would compromise our values." in said  # reason
    assert "What would change it" in said
    assert f"<https://fake-workspace.slack.com/archives/{manager_dm()}/p" in said  # the request
    assert "Discuss is not a position" in said
    assert world.fake.messages(manager_dm(), thread_ts=ping["ts"]) == []

    approval = approval_of(world)
    assert approval.decision is None and approval.discussing
    assert approval.discussion_by == MGR and approval.discussion_started_at is not None
    assert approval.discussion_channel_id == GROUP
    group_link = f"https://fake-workspace.slack.com/archives/{GROUP}/p"
    assert approval.discussion_link is not None and approval.discussion_link.startswith(group_link)

    updated = ping_in(world.fake, manager_dm())
    shown = text_of(updated)
    assert "*Under discussion* since <!date^" in shown and "started by <@U0MGR>" in shown
    assert f"<{approval.discussion_link}|Open the conversation>" in shown
    assert positions_offered(updated) == ["approval_agree", "approval_override"]

    (notice,) = rep_notices(world)
    told = text_of(notice)
    assert "<@U0MGR> wants to talk about *Acme renewal* before taking a position" in told
    assert f"<{approval.discussion_link}|open it>" in told
    card = decision_text(world)
    assert "*Under discussion*" in card and "can still agree or override" in card


def test_a_second_discuss_points_to_the_discussion_already_open(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)
    world.settle()
    mark = world.mark()
    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)  # the stale copy
    world.settle()
    (said,) = replies_since(world, mark)
    assert "already under discussion: <@U0MGR> started it (<!date^" in said
    assert f"archives/{GROUP}/p" in said
    assert {c.method for c in world.calls_since(mark)} == {RESPONSE_URL_METHOD}
    assert len(world.fake.messages(GROUP)) == 1
    assert len(rep_notices(world)) == 1


def test_when_no_group_dm_can_be_opened_the_thread_on_the_ping_takes_its_place(
    world: World,
) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    world.fake.fail_next("conversations.open", "missing_scope")
    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)
    world.settle()

    approval = approval_of(world)
    assert approval.discussing and approval.discussion_by == MGR, "the Discuss is kept"
    assert approval.discussion_channel_id == manager_dm() and approval.discussion_in_thread
    assert approval.discussion_link is None, "the rep could not open a link to the manager's DM"
    (opener,) = world.fake.messages(manager_dm(), thread_ts=ping["ts"])
    said = text_of(opener)
    assert "I couldn't start a group conversation with <@U0REP>" in said
    assert "`missing_scope`" in said and "they can't see this thread" in said
    assert "The terms on the table would compromise our values." in said  # reason
    (notice,) = rep_notices(world)
    told = text_of(notice)
    assert "I couldn't open a group conversation for you both" in told
    assert "message <@U0MGR> directly" in told
    assert manager_dm() not in told

    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_agree", user=MGR)
    world.settle()
    assert approval_of(world).decision is Decision.AGREE


def test_override_after_a_discussion_is_taken_and_closes_it(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)
    world.settle()
    manager = World(
        fake=world.fake,
        slack=world.slack,
        database_url=world.database_url,
        user=MGR,
        executor=world.executor,
    )
    view = manager.open_view(ping_in(world.fake, manager_dm()), "approval_override")
    done = manager.submit_view(view, override_values("defer", "Wait for their audit."))
    assert done.status == 200 and done.body == ""
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.OVERRIDE and approval.override_outcome is Outcome.DEFER
    assert approval.discussion_by == MGR
    _, closing = world.fake.messages(GROUP)
    assert "*overrode* Walk away: wants *Defer* instead" in text_of(closing)
    notice = rep_notices(world)[-1]
    assert "they want *Defer* instead" in text_of(notice)
    shown = text_of(ping_in(world.fake, manager_dm()))
    assert positions_offered(ping_in(world.fake, manager_dm())) == []
    assert "After a discussion started by <@U0MGR>" in shown


def test_override_needs_an_outcome_and_a_reason_and_the_rep_sees_both(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    manager = World(
        fake=world.fake,
        slack=world.slack,
        database_url=world.database_url,
        user=MGR,
        executor=world.executor,
    )
    view = manager.open_view(ping, "approval_override")
    assert view["callback_id"] == "override_view"
    choices = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    assert "walk" not in choices and "proceed" in choices

    missing_reason = manager.submit_view(view, override_values("proceed", "   "))
    assert missing_reason.json()["response_action"] == "errors"
    assert "override_reason" in missing_reason.json()["errors"]
    missing_outcome = manager.submit_view(view, override_values(None, "Their CFO signed."))
    assert "override_outcome" in missing_outcome.json()["errors"]
    assert approval_of(world).decision is None

    reason = "Their CFO signed the data-sharing terms. <!here> take note"
    done = manager.submit_view(view, override_values("proceed", reason))
    assert done.status == 200 and done.body == ""
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.OVERRIDE
    assert approval.override_outcome is not None and approval.override_outcome.value == "proceed"
    assert approval.reason == reason
    (notice,) = rep_notices(world)
    said = text_of(notice)
    assert "they want *Proceed* instead" in said
    assert "&lt;!here&gt; take note" in said and "<!here>" not in said
    assert "wants *Proceed* instead" in text_of(ping_in(world.fake, manager_dm()))


def test_someone_other_than_the_manager_is_refused_and_nothing_changes(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    mark = world.mark()
    for action in ("approval_agree", "approval_discuss", "approval_override"):
        click_in(world, manager_dm(), ping, action, user=OTHER)
    world.settle()
    said = replies_since(world, mark)
    assert len(said) == 3 and all("Only <@U0MGR>" in text for text in said), said
    assert approval_of(world).decision is None
    methods = {c.method for c in world.calls_since(mark)}
    assert methods == {RESPONSE_URL_METHOD}, methods


def test_the_rep_cannot_answer_for_their_own_manager(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    mark = world.mark()
    click_in(world, manager_dm(), ping, "approval_agree", user=REP)
    world.settle()
    assert any("your own verdict" in text for text in replies_since(world, mark))
    assert approval_of(world).decision is None


def test_a_later_click_shows_who_decided_and_when(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    click_in(world, manager_dm(), ping, "approval_agree", user=MGR)
    world.settle()
    mark = world.mark()
    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)  # the stale copy
    world.settle()
    (said,) = replies_since(world, mark)
    assert "Already answered: *Agree* by <@U0MGR> (<!date^" in said
    assert approval_of(world).decision is Decision.AGREE
    assert len(rep_notices(world)) == 1


def _race_clicks(clicks: list[Callable[[], object]]) -> None:
    barrier = threading.Barrier(len(clicks), timeout=30)

    def run(click: Callable[[], object]) -> None:
        barrier.wait()
        click()

    threads = [threading.Thread(target=run, args=(c,)) for c in clicks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_two_simultaneous_clicks_record_one_decision(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    mark = world.mark()
    _race_clicks(
        [
            lambda: click_in(world, manager_dm(), ping, "approval_agree", user=MGR),
            lambda: click_in(world, manager_dm(), ping, "approval_discuss", user=MGR),
            lambda: click_in(world, manager_dm(), ping, "approval_agree", user=MGR),
        ]
    )
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.AGREE, "Discuss is not a position; one Agree is"
    discussed = approval.discussion_started_at is not None  # only if it came before the Agree
    told = [text_of(m) for m in rep_notices(world)]
    assert sum("agrees with *Walk away*" in t for t in told) == 1
    assert sum("wants to talk" in t for t in told) <= discussed  # not if the Agree overtook it
    assert len(world.fake.messages(GROUP)) in ((0,) if not discussed else (1, 2))
    closings = world.fake.messages(GROUP)[1:]  # after the opener, which shows the answer too
    assert sum("*agreed*" in text_of(m) for m in closings) <= 1
    if discussed:
        assert positions_offered(world.fake.messages(GROUP)[0]) == []
    ping_updates = [
        c
        for c in world.calls_since(mark)
        if c.method == "chat.update" and c.args.get("channel") == manager_dm()
    ]
    assert len(ping_updates) == 1 + discussed
    losers = [t for t in replies_since(world, mark) if "Already answered" in t]
    assert len(losers) == 2 - discussed
    assert positions_offered(ping_in(world.fake, manager_dm())) == []


def test_clicks_racing_through_two_app_processes_record_one_decision(
    on_any_db: World,
) -> None:
    world = on_any_db
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    other_process = TrackingExecutor()
    with running_app(world.fake, world.database_url, executor=other_process) as second:
        mark = world.mark()
        _race_clicks(
            [
                lambda: click_in(world, manager_dm(), ping, "approval_agree", user=MGR),
                lambda: click_in(
                    world, manager_dm(), ping, "approval_agree", user=MGR, slack=second
                ),
            ]
        )
        world.settle()
        other_process.wait_idle()
    other_process.shutdown()
    approval = approval_of(world)
    assert approval.decision is Decision.AGREE
    assert len(rep_notices(world)) == 1
    losers = [t for t in replies_since(world, mark) if "Already answered" in t]
    assert len(losers) == 1
    assert "*agreed*" in text_of(ping_in(world.fake, manager_dm()))


def test_discuss_racing_through_two_app_processes_opens_one_discussion(
    on_any_db: World,
) -> None:
    world = on_any_db
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    other_process = TrackingExecutor()
    with running_app(world.fake, world.database_url, executor=other_process) as second:
        mark = world.mark()
        _race_clicks(
            [
                lambda: click_in(world, manager_dm(), ping, "approval_discuss", user=MGR),
                lambda: click_in(
                    world, manager_dm(), ping, "approval_discuss", user=MGR, slack=second
                ),
            ]
        )
        world.settle()
        other_process.wait_idle()
    other_process.shutdown()
    assert approval_of(world).discussing
    assert len(world.fake.messages(GROUP)) == 1
    assert len(rep_notices(world)) == 1
    pointed = [t for t in replies_since(world, mark) if "already under discussion" in t]
    assert len(pointed) == 1


# -- hold until agreed ----------------------------------------------------------------------


def test_hold_mode_keeps_the_draft_unsent_until_the_manager_agrees(world: World) -> None:
    save_settings(world, hold_until_agreed=True)
    set_manager(world)
    reach_verdict(world)
    assert "The draft is on hold until your manager agrees" in decision_text(world)
    draft = world.draft()
    mark = world.mark()
    world.click(draft, action_id="mark_sent")
    world.settle()
    said = replies_since(world, mark)
    assert any("on hold until your manager agrees" in text for text in said), said
    assert approval_of(world).decision is None
    store = world.store()
    record_id = approval_of(world).record_id
    detail = store.get_record(record_id=record_id)
    assert detail is not None and detail.sent_at is None

    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_agree", user=MGR)
    world.settle()
    assert "the draft can go to the buyer" in decision_text(world)
    (notice,) = rep_notices(world)
    assert "The draft is unlocked" in text_of(notice)
    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    detail = store.get_record(record_id=record_id)
    assert detail is not None and detail.sent_at is not None


def test_hold_mode_after_discuss_then_agree_the_draft_can_be_sent(world: World) -> None:
    save_settings(world, hold_until_agreed=True)
    set_manager(world)
    reach_verdict(world)
    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_discuss", user=MGR)
    world.settle()
    (opener,) = world.fake.messages(GROUP)
    assert "stays on hold until it is agreed" in text_of(opener)
    (discussing,) = rep_notices(world)
    assert "once they *Agree*, *Mark as sent* unlocks" in text_of(discussing)
    card = decision_text(world)
    assert "*Under discussion*" in card and "Talking it over is not an answer yet" in card

    mark = world.mark()
    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    said = replies_since(world, mark)
    assert any("They asked to talk it over first, which is not an answer yet" in t for t in said)
    record_id = approval_of(world).record_id
    detail = world.store().get_record(record_id=record_id)
    assert detail is not None and detail.sent_at is None

    updated = ping_in(world.fake, manager_dm())
    click_in(world, manager_dm(), updated, "approval_agree", user=MGR)
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.AGREE and approval.discussion_by == MGR
    assert "the draft can go to the buyer" in decision_text(world)
    agreed = rep_notices(world)[-1]
    assert "After talking it through, <@U0MGR> agrees with *Walk away*" in text_of(agreed)
    assert "The draft is unlocked" in text_of(agreed)
    _, closing = world.fake.messages(GROUP)
    assert "*agreed* with Walk away" in text_of(closing)
    assert "The draft can go to the buyer." in text_of(closing)

    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    detail = world.store().get_record(record_id=record_id)
    assert detail is not None and detail.sent_at is not None


def test_without_hold_mode_the_draft_can_be_sent_before_the_manager_answers(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    assert "on hold" not in decision_text(world)
    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    detail = world.store().get_record(record_id=approval_of(world).record_id)
    assert detail is not None and detail.sent_at is not None


def test_hold_after_an_override_explains_why_the_draft_stays_unsent(world: World) -> None:
    save_settings(world, hold_until_agreed=True)
    set_manager(world)
    reach_verdict(world)
    world.store().approvals.decide(
        record_id=approval_of(world).record_id,
        decision=Decision.OVERRIDE,
        by_user_id=world.store().ensure_user(
            workspace_id=world.store().ensure_workspace(team_id=world.team), slack_user_id=MGR
        ),
        override_outcome=Outcome.DEFER,
        reason="Wait for the audit",
    )
    mark = world.mark()
    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    assert any("overrode the verdict and wants Defer" in t for t in replies_since(world, mark))


# -- no manager: pick one, or the deal desk ---------------------------------------------------


def _pick(world: World, selected: str) -> None:
    card = world.verdict()
    block_id = next(b for b in block_ids(card) if b.startswith("pick_manager|"))
    payload = button_click(
        world.user,
        world.team,
        world.dm,
        card["ts"],
        "pick_manager",
        "",
        block_id,
        response_url=world.slack.response_url(world.team),
    )
    payload["actions"][0] = {
        "type": "users_select",
        "action_id": "pick_manager",
        "block_id": block_id,
        "selected_user": selected,
        "action_ts": f"{time.time():.6f}",
    }
    assert world.slack.block_action(payload).status == 200
    world.settle()


def test_with_no_manager_and_no_desk_the_card_asks_the_rep_to_pick(world: World) -> None:
    world.fake.set_user("U0BOT", is_bot=True)
    reach_verdict(world)
    card = world.verdict()
    assert "Who is your manager?" in text_of(card)
    (picker,) = [a for a in actions_of(card) if a["action_id"] == "pick_manager"]
    assert picker["type"] == "users_select"
    assert world.fake.messages(manager_dm()) == []

    mark = world.mark()
    _pick(world, "U0BOT")
    assert any("an app, not a person" in t for t in replies_since(world, mark))
    assert not approval_of(world).routed

    mark = world.mark()
    _pick(world, MGR)
    assert any("Saved <@U0MGR> as your manager" in t for t in replies_since(world, mark))
    ping = ping_in(world.fake, manager_dm())
    assert actions_of(ping)
    card_now = text_of(world.verdict())
    assert "Waiting for <@U0MGR>" in card_now and "Who is your manager?" not in card_now
    store = world.store()
    rep_id = store.ensure_user(
        workspace_id=store.ensure_workspace(team_id=world.team), slack_user_id=REP
    )
    manager = store.approvals.manager_of(rep_user_id=rep_id)
    assert manager is not None and manager.slack_user_id == MGR


def test_a_rep_without_a_manager_goes_to_the_deal_desk_where_only_members_answer(
    world: World,
) -> None:
    save_settings(world, deal_desk_channel_id=DESK)
    world.fake.set_members(DESK, [DESK_MEMBER, "U0LEAD"])
    for person, name in ((REP, "Dana Reyes"), (DESK_MEMBER, "Priya Nair"), ("U0LEAD", "Lee")):
        world.fake.set_user(person, name=name, real_name=name)
    reach_verdict(world)
    ping = ping_in(world.fake, DESK)
    assert "Any member of this channel can answer" in text_of(ping)
    assert "Dana Reyes reached *Walk away*" in text_of(ping), "named in the channel"
    assert "<@" not in text_of(ping), "nobody is pinged by the request"
    assert "Waiting for the deal desk (<#C0DESK>)" in decision_text(world)

    mark = world.mark()
    click_in(world, DESK, ping, "approval_agree", user=OTHER)
    world.settle()
    said = replies_since(world, mark)
    assert any("Only members of the deal desk (<#C0DESK>)" in t for t in said), said
    assert approval_of(world).decision is None
    assert world.fake.calls("conversations.members")

    click_in(world, DESK, ping, "approval_discuss", user=DESK_MEMBER)
    world.settle()
    approval = approval_of(world)
    assert approval.discussing and approval.discussion_by == DESK_MEMBER
    assert approval.discussion_in_thread
    assert not world.fake.calls("conversations.open")[1:], "a desk thread needs no group DM"
    (opener,) = world.fake.messages(DESK, thread_ts=ping["ts"])
    assert "<@U0REP>, Priya Nair would like to talk" in text_of(opener), "the rep is asked"
    assert "Reply in this thread" in text_of(opener)
    (notice,) = rep_notices(world)
    told = text_of(notice)
    assert "a thread in <#C0DESK>: <https://fake-workspace.slack.com/archives/C0DESK/" in told
    assert "If you're not in that channel, join it to reply" in told
    updated = ping_in(world.fake, DESK)
    assert positions_offered(updated) == ["approval_agree", "approval_override"]

    click_in(world, DESK, updated, "approval_agree", user="U0LEAD")
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.AGREE and approval.decided_by == "U0LEAD"
    _, closing = world.fake.messages(DESK, thread_ts=ping["ts"])
    assert "Lee *agreed* with Walk away" in text_of(closing)
    answered = text_of(ping_in(world.fake, DESK))
    assert answered.index("Lee *agreed* with Walk away") < answered.index("Dana Reyes reached")
    in_desk = [
        json.dumps([c.args.get("text"), c.args.get("blocks")])
        for c in world.fake.calls()
        if c.method in ("chat.postMessage", "chat.update") and c.args.get("channel") == DESK
    ]
    assert len(in_desk) >= 5  # request, opener, its update, closing, request updates
    mentions = sorted({m for text in in_desk for m in re.findall(r"<@\w+>", text)})
    assert mentions == ["<@U0REP>"], "only the opener, which asks the rep to talk, mentions"
    assert all("<@U0REP>" not in t for t in in_desk if "would like to talk" not in t)


# -- settings -------------------------------------------------------------------------------


def test_settings_are_refused_to_someone_who_is_not_an_admin(world: World) -> None:
    mark = world.mark()
    world.command("settings")
    world.settle()
    said = replies_since(world, mark)
    assert any("Only workspace admins and owners" in t for t in said), said
    assert not world.fake.calls("views.open")


def test_an_admin_sets_the_desk_hold_and_reminder_days_in_the_modal(world: World) -> None:
    world.fake.set_user(REP, is_admin=True)
    world.command("settings")
    view = {"private_metadata": "", **world.fake.wait_for("views.open")[-1].args["view"]}
    assert view["callback_id"] == "approval_settings_view"
    assert view["blocks"][1]["element"]["type"] == "channels_select"
    bad = world.submit_view(view, settings_values(DESK, hold=True, days="0"))
    assert "reminder_days" in bad.json()["errors"]
    good = world.submit_view(view, settings_values(DESK, hold=True, days="3"))
    assert good.status == 200
    world.settle()
    saved = world.store().approvals.settings(
        workspace_id=world.store().ensure_workspace(team_id=world.team)
    )
    assert saved == ApprovalSettings(
        deal_desk_channel_id=DESK, hold_until_agreed=True, reminder_business_days=3
    )
    assert "Walk-away settings saved" in world.fake.calls("chat.postMessage")[-1].args["text"]

    world.fake.set_user(REP, is_admin=False)
    refused = world.submit_view(view, settings_values(None, hold=False, days="2"))
    assert "Only workspace admins" in json.dumps(refused.json())


# -- reminders ------------------------------------------------------------------------------


def _remind(fake: FakeSlack, url: str, now: datetime, cwd: Path) -> subprocess.Popen[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": fake.base_url,
    }
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "walkaway"), "remind", "--now", now.isoformat()],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_pending_decision_is_reminded_exactly_once_by_two_cron_processes(
    fake: FakeSlack, database_url: str, tmp_path: Path
) -> None:
    with serving(fake, database_url) as world:
        set_manager(world)
        reach_verdict(world)
        ping = ping_in(fake, manager_dm())
        approval = approval_of(world)
    assert approval.remind_after is not None
    assert approval.remind_after - approval.requested_at >= timedelta(days=2)

    early = _remind(fake, database_url, approval.requested_at + timedelta(hours=1), tmp_path)
    out, err = early.communicate(timeout=60)
    assert early.returncode == 0, err
    assert "sent 0 reminder(s)" in out

    later = approval.remind_after + timedelta(minutes=1)
    runs = [_remind(fake, database_url, later, tmp_path) for _ in range(2)]
    outputs = [run.communicate(timeout=60) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], [err for _, err in outputs]
    lines = [out.strip().splitlines() for out, _ in outputs]
    assert sorted(said[0] for said in lines) == [
        "walkaway: sent 0 reminder(s)",
        "walkaway: sent 1 reminder(s)",
    ]
    # The tick also sweeps for re-check nudges (this walk's re-check is months away) and weekly
    # digests (off in this workspace).
    assert [said[1:] for said in lines] == [
        ["walkaway: sent 0 nudge(s)", "walkaway: sent 0 digest(s)"]
    ] * 2
    (reminder,) = fake.messages(manager_dm(), thread_ts=ping["ts"])
    assert "Reminder: <@U0REP>'s *Walk away* on *Acme renewal*" in text_of(reminder)
    (call,) = [c for c in fake.calls("chat.postMessage") if c.args.get("thread_ts") == ping["ts"]]
    assert call.args.get("reply_broadcast") is True
    assert_call_within_limits(call)

    again = _remind(fake, database_url, later + timedelta(days=30), tmp_path)
    out, _ = again.communicate(timeout=60)
    assert "sent 0 reminder(s)" in out


def test_serving_processes_remind_once_between_them(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    due = approval_of(world).remind_after
    assert due is not None
    stores = [Store.open(world.database_url, migrate=False) for _ in range(2)]
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    loops = [
        scheduler(client, store, every=0.02, clock=lambda: due + timedelta(minutes=1)).start()
        for store in stores
    ]
    try:
        wait_until(
            lambda: world.fake.messages(manager_dm(), thread_ts=ping["ts"]), what="a reminder"
        )
        time.sleep(0.3)  # many more polls by both loops
    finally:
        for loop in loops:
            loop.stop()
        for store in stores:
            store.close()
    assert len(world.fake.messages(manager_dm(), thread_ts=ping["ts"])) == 1
    assert approval_of(world).reminder_claimed_at is not None


def test_a_discussion_is_reminded_once_where_both_talk_not_as_if_nobody_looked(
    world: World,
) -> None:
    save_settings(world, hold_until_agreed=True)
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    pending = approval_of(world)
    assert pending.remind_after is not None
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    store = world.store()
    assert send_due_reminders(client, store, now=pending.remind_after + timedelta(minutes=1)) == 1
    (waiting,) = world.fake.messages(manager_dm(), thread_ts=ping["ts"])
    assert "has been waiting for your position" in text_of(waiting)

    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_discuss", user=MGR)
    world.settle()
    discussing = approval_of(world)
    assert discussing.discussion_started_at is not None and discussing.remind_after is not None
    assert discussing.remind_after - discussing.discussion_started_at >= timedelta(days=2)
    assert discussing.reminder_claimed_at is None, "the discussion gets a nudge of its own"
    early = discussing.remind_after - timedelta(hours=1)
    assert send_due_reminders(client, store, now=early) == 0

    due = discussing.remind_after + timedelta(minutes=1)
    assert [send_due_reminders(client, store, now=due) for _ in range(2)] == [1, 0]
    _, nudge = world.fake.messages(GROUP)
    said = text_of(nudge)
    assert "Reminder: <@U0MGR> started discussing <@U0REP>'s *Walk away*" in said
    assert "there is no position yet" in said and "stays on hold" in said
    assert f"<https://fake-workspace.slack.com/archives/{manager_dm()}/p" in said
    assert "waiting for your position" not in said
    assert len(world.fake.messages(manager_dm(), thread_ts=ping["ts"])) == 1, "not re-asked"
    refreshed = ping_in(world.fake, manager_dm())
    assert positions_offered(refreshed) == [
        "approval_agree",
        "approval_override",
    ]

    click_in(world, manager_dm(), refreshed, "approval_agree", user=MGR)
    world.settle()
    assert send_due_reminders(client, store, now=due + timedelta(days=30)) == 0


def test_the_record_shows_the_managers_position(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    set_manager(world)
    reach_verdict(world)
    world.store().approvals.decide(
        record_id=approval_of(world).record_id,
        decision=Decision.OVERRIDE,
        by_user_id=world.store().ensure_user(
            workspace_id=world.store().ensure_workspace(team_id=world.team), slack_user_id=MGR
        ),
        override_outcome=Outcome.PROCEED,
        reason="Their CFO signed.",
    )
    monkeypatch.setenv("DATABASE_URL", world.database_url)
    with pytest.raises(SystemExit) as done:
        main(["records", "show", str(approval_of(world).record_id)])
    assert done.value.code == 0
    shown = capsys.readouterr().out
    assert "Manager: Override by U0MGR on " in shown
    assert "(wants Proceed): Their CFO signed." in shown


def test_a_ping_lost_to_a_network_error_is_sent_again_once_and_nobody_is_left_waiting(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    set_manager(world)
    sent = WebClient.chat_postMessage
    dropped: list[str] = []

    def flaky_network(self: WebClient, **kwargs: Any) -> Any:
        if kwargs.get("channel") == manager_dm() and not dropped:
            dropped.append(str(kwargs["channel"]))
            raise URLError(ConnectionResetError("connection reset by peer"))
        return sent(self, **kwargs)

    monkeypatch.setattr(WebClient, "chat_postMessage", flaky_network)
    reach_verdict(world)
    world.settle()

    assert dropped == [manager_dm()]
    (ping,) = world.fake.messages(manager_dm())
    assert actions_of(ping), "the manager can answer"
    card = text_of(world.verdict())
    assert "Waiting for <@U0MGR>" in card
    assert "couldn't reach" not in card
    assert approval_of(world).routed and approval_of(world).ping_ts == ping["ts"]


def test_a_ping_slack_will_never_deliver_asks_the_rep_to_pick_and_picking_pings(
    world: World,
) -> None:
    set_manager(world)
    *first, last = WALK.items()
    world.start(DEAL)
    for question_id, value in first:
        world.answer(question_id, value)
    world.settle()
    world.fake.fail_next("conversations.open", "account_inactive")  # the manager's DM
    world.answer(*last)
    world.verdict()
    world.settle()

    assert world.fake.messages(manager_dm()) == []
    card = text_of(world.verdict())
    assert "I couldn't reach <@U0MGR> (Slack said `account_inactive`)" in card
    assert "pick your manager above" in card
    assert not approval_of(world).routed, "not left waiting on a ping nobody got"

    other = "U0MGR2"
    _pick(world, other)
    assert actions_of(ping_in(world.fake, manager_dm(other)))
    assert f"Waiting for <@{other}>" in text_of(world.verdict())
