"""*Check this deal*: the message shortcut that starts a check from a conversation.

Slack sends a `message_action` payload; the app opens the start modal at once (the trigger_id
lasts 3 s) with the deal name taken from the message, the submission starts the DM check as
`/walkaway <deal>` does, and the message's permalink is kept with the check and shown on its
card and in Details.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

from tests.slack.signed import Response, submission
from tests.slack.test_journey_managers import TYPED, WALK
from tests.slack.test_journey_search import button, open_details, search
from tests.slack.world import World, text_of, wait_until

CHANNEL = "C0DEALS"
_ts = itertools.count(1)


def shortcut_payload(
    world: World, message: dict[str, Any], *, channel: str = CHANNEL
) -> dict[str, Any]:
    """A message shortcut run on `message` in `channel`, as Slack posts it."""
    ts = f"{int(time.time()) - 60}.{next(_ts):06d}"
    return {
        "type": "message_action",
        "token": "verification-token-unused",
        "action_ts": f"{time.time():.6f}",
        "team": {"id": world.team, "domain": "fake-workspace"},
        "user": {"id": world.user, "username": "rep", "name": "rep", "team_id": world.team},
        "channel": {"id": channel, "name": "deals"},
        "is_enterprise_install": False,
        "enterprise": None,
        "callback_id": "check_this_deal",
        "trigger_id": f"{next(_ts)}.{int(time.time())}.{secrets.token_hex(16)}",
        "response_url": world.slack.response_url(world.team),
        "message_ts": ts,
        "message": {"type": "message", "user": "U0BUYERSIDE", "ts": ts, **message},
        "api_app_id": "A1",
    }


def run_shortcut(world: World, message: dict[str, Any], **options: Any) -> dict[str, Any]:
    """Run *Check this deal* on a message; the modal the app opened."""
    opened = len(world.fake.calls("views.open"))
    reply = world.slack.interaction(shortcut_payload(world, message, **options))
    assert reply.status == 200, reply
    view: dict[str, Any] = world.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
    return view


def name_field(view: dict[str, Any]) -> dict[str, Any]:
    (block,) = [b for b in view["blocks"] if b["type"] == "input"]
    return block


def submit_name(world: World, view: dict[str, Any], name: str) -> Response:
    field = name_field(view)
    values = {field["block_id"]: {field["element"]["action_id"]: name}}
    payload = submission(
        world.user, world.team, view["callback_id"], view.get("private_metadata", ""), values
    )
    return world.slack.view_submission(payload)


def start_from_message(world: World, text: str) -> dict[str, Any]:
    """Shortcut on a message, submit the name as filled in, wait for the first question."""
    view = run_shortcut(world, {"text": text})
    asked = len(world.open_questions())
    reply = submit_name(world, view, name_field(view)["element"]["initial_value"])
    assert reply.status == 200 and reply.json()["response_action"] == "update", reply
    wait_until(lambda: len(world.open_questions()) > asked, what="the first question")
    world.settle()
    return view


def finish_walk(world: World) -> dict[str, Any]:
    for question_id, value in WALK.items():
        if question_id in TYPED:
            assert world.answer_in_modal(question_id, value).status == 200
            world.settle()
        else:
            world.answer(question_id, value)
    card = world.verdict()
    world.settle()
    return card


def test_the_shortcut_opens_the_start_modal_named_from_the_messages_first_line(
    world: World,
) -> None:
    view = run_shortcut(
        world,
        {"text": "*Acme renewal*: pilot stalled, <@U0BUYERSIDE> wants a discount\nmore below"},
    )

    assert view["callback_id"] == "start_check_view"  # Home's modal, and its submission path
    field = name_field(view)
    assert field["element"]["initial_value"] == "Acme renewal: pilot stalled, wants a discount"
    assert "first line" in field["hint"]["text"]
    assert world.fake.messages(world.dm) == []  # nothing starts before the rep submits


def test_submitting_starts_the_dm_check_and_its_card_links_the_conversation(world: World) -> None:
    start_from_message(world, "Globex expansion — can we still win this?")

    assert "Globex expansion" in text_of(world.opening())
    assert world.current_question("deal.stage")["thread_ts"] == world.opening()["ts"]
    (asked,) = world.fake.calls("chat.getPermalink")
    assert asked.args["channel"] == CHANNEL

    card = finish_walk(world)
    link = f"<https://fake-workspace.slack.com/archives/{CHANNEL}/p"
    assert "|From this conversation>" in text_of(card) and link in text_of(card)

    details = open_details(world, button(search(world, "globex"), "search_details"))
    shown = text_of({"blocks": details["blocks"]})
    assert "From this conversation" in shown and link in shown


def test_a_permalink_slack_refuses_still_starts_the_check_and_links_nothing(world: World) -> None:
    world.fake.fail_next("chat.getPermalink", "channel_not_found")

    start_from_message(world, "Initech pilot")

    assert "Initech pilot" in text_of(world.opening())
    card = finish_walk(world)
    says = text_of(card)
    assert f"From a conversation in <#{CHANNEL}> (Slack gave no link" in says
    assert "|From this conversation>" not in says and "slack.com/archives" not in says


def test_a_passing_permalink_failure_is_retried_after_the_check_started(world: World) -> None:
    world.fake.fail_next("chat.getPermalink", "internal_error")

    start_from_message(world, "Hooli platform deal")
    wait_until(lambda: len(world.fake.calls("chat.getPermalink")) >= 2, what="a second ask")
    world.settle()

    # The retried job neither opened a second thread nor asked the first question twice.
    openings = [m for m in world.fake.messages(world.dm) if "thread_ts" not in m]
    assert len(openings) == 1
    assert len(world.open_questions()) == 1
    card = finish_walk(world)
    assert "|From this conversation>" in text_of(card)


def test_a_message_without_words_gives_an_empty_field_and_says_why(world: World) -> None:
    only_file = {"text": "", "files": [{"id": "F1", "name": "proposal.pdf"}]}
    view = run_shortcut(world, only_file)
    field = name_field(view)
    assert not field["element"].get("initial_value")
    assert "no text to take a name from" in field["hint"]["text"]

    broadcast = run_shortcut(world, {"text": "<!here> :rotating_light:"})
    assert not name_field(broadcast)["element"].get("initial_value")
    assert "only mentions, links or emoji" in name_field(broadcast)["hint"]["text"]

    # The field is editable: submitting it empty says what to type; a typed name starts.
    reply = submit_name(world, view, "  ")
    assert reply.json()["response_action"] == "errors"
    assert "deal's name" in next(iter(reply.json()["errors"].values()))
    assert submit_name(world, view, "Umbrella renewal").status == 200
    world.current_question("deal.stage")
    assert "Umbrella renewal" in text_of(world.opening())


def test_slack_markup_in_the_message_never_reaches_slack_as_markup(world: World) -> None:
    view = run_shortcut(
        world, {"text": "<!channel> <https://evil.example|Stark & Co> &lt;b&gt; deal"}
    )
    name = name_field(view)["element"]["initial_value"]
    assert name == "Stark & Co <b> deal"  # what the person saw, raw: a field is not parsed

    asked = len(world.open_questions())
    assert submit_name(world, view, name).status == 200
    wait_until(lambda: len(world.open_questions()) > asked, what="the first question")
    world.settle()
    opening = text_of(world.opening())
    assert "Stark &amp; Co &lt;b&gt; deal" in opening
    assert "<!channel>" not in opening and "evil.example" not in opening


def test_a_second_shortcut_on_an_open_check_keeps_the_first_conversation(world: World) -> None:
    start_from_message(world, "Acme renewal")
    first = world.fake.calls("chat.getPermalink")[0].args["message_ts"]

    view = run_shortcut(world, {"text": "Acme renewal"}, channel="C0OTHER")
    assert submit_name(world, view, "Acme renewal").status == 200
    world.settle()

    assert [c.args["message_ts"] for c in world.fake.calls("chat.getPermalink")] == [first]
    store = world.store()
    context = store.contexts.of_session(session_id=world.session_id())
    assert context is not None and context.channel_id == CHANNEL
