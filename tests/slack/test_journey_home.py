"""App Home as a place to start from: *Start a check* (a modal asking the deal, then the DM
thread), unfinished checks with *Resume*, and, for a manager, the positions waiting for them
with the buttons to answer. Home is published again when what it shows changes."""

from __future__ import annotations

from typing import Any

from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import button_click, submission
from tests.slack.test_journey_managers import MGR, WALK, approval_of, reach_verdict, set_manager
from tests.slack.world import REP, World, text_of, wait_until


def home_of(world: World, user: str) -> dict[str, Any]:
    """`user` opens the Home tab; the view the app published for them."""
    published = len(publishes(world.fake, user))
    event = {"type": "app_home_opened", "user": user, "channel": "D" + user, "tab": "home"}
    assert world.slack.event(event, team_id=world.team).status == 200
    found: list[dict[str, Any]] = wait_until(
        lambda: publishes(world.fake, user)[published:], what=f"a Home view for {user}"
    )
    return found[-1]


def publishes(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [c.args["view"] for c in fake.calls("views.publish") if c.args.get("user_id") == user]


def button_in(view: dict[str, Any], action_id: str) -> tuple[dict[str, Any], str]:
    """A button on the Home view, with the block it sits in."""
    for block in view["blocks"]:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element, str(block["block_id"])
    raise AssertionError(f"no {action_id} button on Home: {text_of(view)}")


def click_home(world: World, user: str, element: dict[str, Any], block_id: str) -> None:
    """A click in the Home tab, as Slack sends it: a view container, no message, no
    response_url; a trigger_id for a modal."""
    payload = button_click(
        user, world.team, "D" + user, "0", element["action_id"], element["value"], block_id
    )
    for key in ("message", "response_url", "channel"):
        payload.pop(key, None)
    payload["container"] = {"type": "view", "view_id": "VHOME"}
    payload["view"] = {"id": "VHOME", "type": "home", "callback_id": "", "state": {"values": {}}}
    assert world.slack.block_action(payload).status == 200


def start_from_home(world: World, deal: str) -> dict[str, Any]:
    """Click *Start a check*, type the deal in the modal, submit; Slack's answer to it."""
    element, block_id = button_in(home_of(world, REP), "home_start_check")
    opened = len(world.fake.calls("views.open"))
    click_home(world, REP, element, block_id)
    modal = world.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
    assert modal["callback_id"] == "start_check_view"
    (field,) = [b for b in modal["blocks"] if b["type"] == "input"]
    values = {field["block_id"]: {field["element"]["action_id"]: deal}}
    payload = submission(world.user, world.team, modal["callback_id"], "", values)
    reply = world.slack.view_submission(payload)
    assert reply.status == 200, reply
    answer: dict[str, Any] = reply.json() if reply.body else {}
    return answer


def test_a_rep_starts_a_check_from_home_and_it_opens_in_the_dm(world: World) -> None:
    answer = start_from_home(world, "Acme renewal")

    assert answer["response_action"] == "update"
    assert "Opening the check of *Acme renewal*" in text_of(answer["view"])
    question = world.current_question("deal.stage")
    assert question["thread_ts"] == world.opening()["ts"]
    world.settle()
    # The Home the rep is looking at now lists the check they just started, with Resume.
    assert "*Your unfinished walk-away checks*" in text_of(publishes(world.fake, REP)[-1])
    assert "Acme renewal" in text_of(world.opening())
    # Exactly as /walkaway Acme renewal would: the same deal name resumes that check.
    world.answer("deal.stage", "renewal")
    world.settle()
    home = home_of(world, REP)
    assert "Acme renewal" in text_of(home) and "1 answer(s) saved" in text_of(home)
    assert any(b.get("accessory", {}).get("action_id") == "resume" for b in home["blocks"])


def test_a_deal_name_is_needed_and_the_modal_says_so(world: World) -> None:
    answer = start_from_home(world, "   ")
    assert answer["response_action"] == "errors"
    assert "deal's name" in next(iter(answer["errors"].values()))
    world.settle()
    assert world.fake.messages(world.dm) == []


def test_a_finished_deal_started_from_home_shows_its_verdict_in_the_dm(world: World) -> None:
    reach_verdict(world, WALK, deal="Acme renewal")
    before = world.mark()

    start_from_home(world, "Acme renewal")
    world.settle()

    posted = [c for c in world.calls_since(before) if c.method == "chat.postMessage"]
    assert [c.args["channel"] for c in posted] == [world.dm]
    assert "Your latest check of *Acme renewal* is finished" in text_of(posted[0].args)
    assert any(
        e.get("action_id") == "start_new_check"
        for b in posted[0].args["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
    )


def test_home_is_published_again_when_a_check_finishes(world: World) -> None:
    home_of(world, REP)
    world.start("Acme renewal")
    before = len(publishes(world.fake, REP))

    for question_id, value in WALK.items():
        world.answer(question_id, value)
    world.verdict()
    world.settle()

    fresh = publishes(world.fake, REP)[before:]
    assert fresh, "the rep's Home was not republished after the verdict"
    shown = text_of(fresh[-1])
    assert "*Your latest verdicts*" in shown and "Walk away" in shown
    assert "*Your unfinished walk-away checks*" not in shown and "Acme renewal" in shown


def test_a_manager_answers_a_waiting_position_from_home(world: World) -> None:
    set_manager(world)
    reach_verdict(world, WALK)
    assert "Waiting for your position" not in text_of(home_of(world, REP))

    home = home_of(world, MGR)
    shown = text_of(home)
    assert "*Waiting for your position*" in shown and "Acme renewal" in shown
    agree, block_id = button_in(home, "approval_agree")
    assert button_in(home, "approval_discuss") and button_in(home, "approval_override")
    before = len(publishes(world.fake, MGR))

    click_home(world, MGR, agree, block_id)
    world.settle()

    approval = approval_of(world)
    assert approval.decision is not None and approval.decision.value == "agree"
    assert approval.decided_by == MGR
    fresh = publishes(world.fake, MGR)[before:]
    assert fresh, "the manager's Home was not republished after the position"
    assert "Waiting for your position" not in text_of(fresh[-1])
