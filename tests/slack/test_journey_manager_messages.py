"""What the manager and the rep read says what is true, end to end.

The request and the rep's card describe the workspace's real mode (the draft is held until an
Agree only with hold-until-agreed on); once a position is taken, or a discussion is open, the
request's top line says so; Agree and Override work in the discussion as on the request, and a
position given in one place shows in the other; the request shows the draft's start and opens
the whole of it.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.approvals.reminders import send_due_reminders
from storage.approval_info import Decision
from tests.slack.fake_slack import RESPONSE_URL_METHOD
from tests.slack.test_journey_managers import (
    DESK,
    DESK_MEMBER,
    GROUP,
    MGR,
    approval_of,
    click_in,
    manager_dm,
    override_values,
    ping_in,
    positions_offered,
    reach_verdict,
    rep_notices,
    replies_since,
    save_settings,
    set_manager,
)
from tests.slack.world import REP, TOKEN, World, text_of


def top_line(message: dict[str, Any]) -> str:
    """The first thing under the header: what a manager reads before anything else."""
    header, top, *_ = message["blocks"]
    assert header["type"] == "header"
    return str(top["text"]["text"])


def card_text(world: World) -> str:
    return text_of(world.verdict())


def as_manager(world: World) -> World:
    return World(
        fake=world.fake,
        slack=world.slack,
        database_url=world.database_url,
        user=MGR,
        executor=world.executor,
    )


def sent(world: World) -> bool:
    detail = world.store().get_record(record_id=approval_of(world).record_id)
    assert detail is not None
    return detail.sent_at is not None


def opened_view(world: World, before: int) -> dict[str, Any]:
    view: dict[str, Any] = world.fake.wait_for("views.open", count=before + 1)[-1].args["view"]
    return view


@pytest.mark.parametrize("hold", [True, False], ids=["hold-until-agreed", "no-hold"])
def test_the_request_and_the_card_describe_the_workspace_s_real_mode(
    world: World, hold: bool
) -> None:
    save_settings(world, hold_until_agreed=hold)
    mark = world.mark()
    set_manager(world)
    (set_reply,) = replies_since(world, mark)
    reach_verdict(world)

    ping = ping_in(world.fake, manager_dm())
    top, whole = top_line(ping), text_of(ping)
    assert top.startswith("<@U0REP> reached *Walk away* on *Acme renewal* and asks for your")
    assert "before anything goes to the buyer" not in whole + card_text(world) + set_reply
    if hold:
        assert "The draft waits for your position: it stays locked until you agree." in top
        assert "on hold until your manager agrees" in card_text(world)
        assert "waits for their Agree" in set_reply
    else:
        assert "They may send the draft now; your position is recorded for the team." in top
        assert "waits for" not in whole and "locked" not in whole
        card = card_text(world)
        assert "You may send the draft when you're ready" in card and "on hold" not in card
        assert "You can send the draft meanwhile" in set_reply

    mark = world.mark()
    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    assert sent(world) is not hold, "Mark as sent is held exactly when the request says so"
    if hold:
        assert any("on hold until your manager agrees" in t for t in replies_since(world, mark))

    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_discuss", user=MGR)
    world.settle()
    discussing = ping_in(world.fake, manager_dm())
    assert top_line(discussing).startswith(":speech_balloon: *Under discussion* since <!date^")
    assert "started by <@U0MGR>" in top_line(discussing)
    (opener,) = world.fake.messages(GROUP)
    (notice,) = [m for m in rep_notices(world) if "wants to talk" in text_of(m)]
    if hold:
        assert "stays on hold until it is agreed" in text_of(opener)
        assert "once they *Agree*, *Mark as sent* unlocks" in text_of(notice)
    else:
        assert "Nothing is held: the draft may go to the buyer now" in text_of(opener)
        assert "Nothing is locked: you may send the draft" in text_of(notice)
        assert "on hold" not in text_of(opener) + text_of(notice)

    click_in(world, manager_dm(), discussing, "approval_agree", user=MGR)
    world.settle()
    agreed = ping_in(world.fake, manager_dm())
    top = top_line(agreed)
    assert top.startswith(":white_check_mark: <@U0MGR> *agreed* with Walk away · <!date^"), top
    assert "asks for your position" not in text_of(agreed)
    assert positions_offered(agreed) == []
    assert ("The draft is unlocked" in top) is hold
    if hold:
        world.click(world.draft(), action_id="mark_sent")
        world.settle()
        assert sent(world)


def test_agree_in_the_group_dm_is_the_same_position_and_shows_on_the_request(
    world: World,
) -> None:
    set_manager(world)
    reach_verdict(world)
    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_discuss", user=MGR)
    world.settle()
    (opener,) = world.fake.messages(GROUP)
    assert positions_offered(opener) == ["approval_agree", "approval_override"]
    assert "answers with *Agree* or *Override*, below or on <https://" in text_of(opener)

    mark = world.mark()
    click_in(world, GROUP, opener, "approval_agree", user=REP)
    world.settle()
    assert any("your own verdict" in t for t in replies_since(world, mark))
    assert approval_of(world).decision is None, "the rep cannot answer for their manager"

    click_in(world, GROUP, opener, "approval_agree", user=MGR)
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.AGREE and approval.decided_by == MGR
    opener_now, closing = world.fake.messages(GROUP)
    assert positions_offered(opener_now) == []
    assert text_of(opener_now).index("*agreed* with Walk away") < text_of(opener_now).index(
        "would like to talk"
    ), "the answer heads the opener"
    assert "<@U0MGR> *agreed* with Walk away" in text_of(closing)
    ping = ping_in(world.fake, manager_dm())
    assert positions_offered(ping) == []
    assert top_line(ping).startswith(":white_check_mark: <@U0MGR> *agreed* with Walk away")
    (_, agreed_notice) = rep_notices(world)
    assert "After talking it through, <@U0MGR> agrees with *Walk away*" in text_of(agreed_notice)

    mark = world.mark()
    click_in(world, GROUP, opener, "approval_agree", user=MGR)  # the stale copy
    world.settle()
    (said,) = replies_since(world, mark)
    assert "Already answered: *Agree* by <@U0MGR>" in said
    assert len(world.fake.messages(GROUP)) == 2 and len(rep_notices(world)) == 2


def test_override_from_the_group_dm_updates_the_request_and_the_discussion(
    world: World,
) -> None:
    set_manager(world)
    reach_verdict(world)
    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_discuss", user=MGR)
    world.settle()
    (opener,) = world.fake.messages(GROUP)
    before = len(world.fake.calls("views.open"))
    click_in(world, GROUP, opener, "approval_override", user=MGR)
    view = opened_view(world, before)
    assert view["callback_id"] == "override_view"
    done = as_manager(world).submit_view(view, override_values("defer", "Their audit ends soon."))
    assert done.status == 200 and done.body == ""
    world.settle()
    approval = approval_of(world)
    assert approval.decision is Decision.OVERRIDE and approval.decided_by == MGR
    ping = ping_in(world.fake, manager_dm())
    assert top_line(ping).startswith(":leftwards_arrow_with_hook: <@U0MGR> *overrode* Walk away")
    assert positions_offered(ping) == []
    opener_now, closing = world.fake.messages(GROUP)
    assert positions_offered(opener_now) == [] and "*overrode*" in text_of(opener_now)
    assert "wants *Defer* instead" in text_of(closing)


def test_the_request_shows_the_draft_s_start_and_opens_the_whole_draft(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    record = world.store().get_record(record_id=approval_of(world).record_id)
    assert record is not None
    draft = record.draft_text
    assert draft is not None and len(draft) > 300
    (excerpt_block,) = [
        b for b in ping["blocks"] if b["type"] == "section" and "The draft begins" in str(b)
    ]
    quoted = excerpt_block["text"]["text"].split("\n")[1:]
    excerpt = "\n".join(line.removeprefix(">") for line in quoted)
    assert len(excerpt) <= 300 and excerpt.endswith("…")
    words = excerpt.removesuffix("…").split()
    assert draft.split()[: len(words)] == words, "the draft's own words, cut after a whole one"
    assert [a["action_id"] for a in ping["blocks"][-1]["elements"]][-1] == "approval_read_draft"

    view = as_manager(world).open_view(ping, "approval_read_draft")
    assert view["type"] == "modal" and view["title"]["text"] == "The draft"
    shown = "\n\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")
    assert shown == draft.strip().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert "On the record: Walked away" in text_of({"blocks": view["blocks"], "text": ""})

    click_in(world, manager_dm(), ping, "approval_discuss", user=MGR)
    world.settle()
    (opener,) = world.fake.messages(GROUP)
    before = len(world.fake.calls("views.open"))
    mark = world.mark()
    click_in(world, GROUP, opener, "approval_read_draft", user=REP)  # the rep reads it too
    assert opened_view(world, before)["title"]["text"] == "The draft"
    world.settle()
    assert not [c for c in world.calls_since(mark) if c.method == RESPONSE_URL_METHOD]


def test_the_request_fits_a_phone_screen(world: World) -> None:
    """Few blocks, short texts: a long ping is one nobody reads on a phone."""
    set_manager(world)
    reach_verdict(world)
    ping = ping_in(world.fake, manager_dm())
    kinds = [b["type"] for b in ping["blocks"]]
    assert kinds == ["header", "section", "section", "section", "context", "actions"], kinds
    assert len(text_of(ping)) < 1100


def test_the_deal_desk_reminder_names_the_rep_without_pinging_them(world: World) -> None:
    save_settings(world, deal_desk_channel_id=DESK)
    world.fake.set_members(DESK, [DESK_MEMBER])
    world.fake.set_user(REP, name="Dana Reyes", real_name="Dana Reyes")
    reach_verdict(world)
    ping = ping_in(world.fake, DESK)
    due = approval_of(world).remind_after
    assert due is not None
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    assert send_due_reminders(client, world.store(), now=due + timedelta(minutes=1)) == 1
    (reminder,) = world.fake.messages(DESK, thread_ts=ping["ts"])
    said = text_of(reminder)
    assert "Reminder: Dana Reyes's *Walk away* on *Acme renewal*" in said
    assert "<@" not in said, "the reminder is broadcast to the channel"


def test_a_held_draft_asked_of_the_deal_desk_says_the_desk_not_a_manager(world: World) -> None:
    save_settings(world, deal_desk_channel_id=DESK, hold_until_agreed=True)
    world.fake.set_members(DESK, [DESK_MEMBER])
    reach_verdict(world)
    top = top_line(ping_in(world.fake, DESK))
    assert "The draft waits for the deal desk's position: it stays locked until the desk" in top
    card = card_text(world)
    assert "on hold until the deal desk agrees" in card
    assert "until your manager agrees" not in card
    mark = world.mark()
    world.click(world.draft(), action_id="mark_sent")
    world.settle()
    assert any("on hold until the deal desk agrees" in t for t in replies_since(world, mark))
    assert not sent(world)
