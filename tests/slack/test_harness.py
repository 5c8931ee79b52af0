"""The Slack test harness must be trustworthy before the app's end-to-end tests lean on it.

These tests use a throwaway Bolt app, not the real one, so a harness fault shows up here on its
own instead of as a puzzling failure in a journey test.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.slack.fake_slack import RESPONSE_URL_METHOD, FakeSlack
from tests.slack.limits import assert_call_within_limits
from tests.slack.server import serve_bolt
from tests.slack.signed import SlackClient, button_click, submission

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


def _tiny_app(fake: FakeSlack) -> App:
    # Only the client carries the token: Bolt logs a warning when given both and uses the
    # client's anyway.
    app = App(signing_secret=SECRET, client=WebClient(token=TOKEN, base_url=fake.base_url))

    @app.command("/walkaway")
    def walkaway(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        if body["text"] == "respond":
            respond("Working on it")
            return
        client.chat_postMessage(channel=body["user_id"], text=f"Looking at {body['text']}")

    @app.action("answer")
    def answer(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        action = body["actions"][0]
        # The message was never posted, so the fake answers message_not_found. Letting that
        # raise would race Bolt: a listener error right after ack() resets the acknowledgement
        # to None and the request gets a 404 (see bot/listeners/errors.py).
        with contextlib.suppress(SlackApiError):
            client.chat_update(
                channel=body["container"]["channel_id"],
                ts=body["container"]["message_ts"],
                text=f"{body['user']['id']} chose {action['value']} at {action['action_ts']}",
            )

    @app.view("deal_modal")
    def deal_modal(ack: Ack, view: dict[str, Any], client: WebClient) -> None:
        ack()
        name = view["state"]["values"]["deal"]["name"]["value"]
        client.chat_postMessage(channel="C1", text=f"{name} / {view['private_metadata']}")

    @app.event("message")
    def message(event: dict[str, Any], request: BoltRequest, client: WebClient) -> None:
        retry = request.headers.get("x-slack-retry-num", ["0"])[0]
        client.chat_postMessage(channel=event["channel"], text=f"heard {event['text']} #{retry}")

    return app


@pytest.fixture
def slack(fake: FakeSlack) -> Iterator[SlackClient]:
    with serve_bolt(_tiny_app(fake), signing_secret=SECRET) as url:
        yield SlackClient(url, SECRET, response_url_base=fake.response_url_base)


def test_app_start_checks_its_token_against_the_fake(fake: FakeSlack) -> None:
    _tiny_app(fake)
    (call,) = fake.wait_for("auth.test")
    assert call.token == TOKEN


def test_signed_command_is_acked_and_listener_posts_through_fake(
    fake: FakeSlack, slack: SlackClient
) -> None:
    status, body = slack.command(text="Acme renewal", user_id="U42")
    assert (status, body) == (200, "")
    (post,) = fake.wait_for("chat.postMessage")
    assert post.args["channel"] == "U42"
    assert post.args["text"] == "Looking at Acme renewal"
    assert post.token == TOKEN
    assert_call_within_limits(post)


def test_bad_signature_is_rejected_and_nothing_is_posted(
    fake: FakeSlack, slack: SlackClient
) -> None:
    status, _ = slack.command(text="Acme", bad_signature=True)
    assert status == 401
    fake.assert_no_calls("chat.postMessage")


def test_stale_timestamp_is_rejected_even_when_correctly_signed(
    fake: FakeSlack, slack: SlackClient
) -> None:
    status, _ = slack.command(text="Acme", stale=True)
    assert status == 401
    fake.assert_no_calls("chat.postMessage")


def test_button_click_payload_reaches_the_action_listener(
    fake: FakeSlack, slack: SlackClient
) -> None:
    click = button_click(
        "U42", "T1", "D42", "1700000000.000100", "answer", "yes", "q1", action_ts="1.5"
    )
    assert slack.block_action(click).status == 200
    (update,) = fake.wait_for("chat.update")
    # Bolt's per-request client adds the workspace's team_id to every call it makes.
    assert update.args == {
        "channel": "D42",
        "ts": "1700000000.000100",
        "text": "U42 chose yes at 1.5",
        "team_id": "T1",
    }


def test_view_submission_payload_reaches_the_view_listener(
    fake: FakeSlack, slack: SlackClient
) -> None:
    payload = submission("U42", "T1", "deal_modal", '{"q": 3}', {"deal": {"name": "Acme"}})
    status, body = slack.view_submission(payload)
    assert (status, body) == (200, "")
    (post,) = fake.wait_for("chat.postMessage")
    assert post.args["text"] == 'Acme / {"q": 3}'


def test_event_and_its_retry_headers_reach_the_listener(
    fake: FakeSlack, slack: SlackClient
) -> None:
    event = {"type": "message", "channel_type": "im", "channel": "D42", "user": "U42"}
    assert slack.event({**event, "text": "first"}, event_id="Ev1").status == 200
    assert slack.event({**event, "text": "again"}, event_id="Ev1", retry_num=1).status == 200
    texts = sorted(call.args["text"] for call in fake.wait_for("chat.postMessage", count=2))
    assert texts == ["heard again #1", "heard first #0"]


def test_url_verification_echoes_the_challenge(slack: SlackClient) -> None:
    reply = slack.url_verification("abc123")
    assert reply.status == 200
    assert reply.json() == {"challenge": "abc123"}


def test_respond_is_recorded_by_the_fake_not_sent_to_slack(
    fake: FakeSlack, slack: SlackClient
) -> None:
    assert slack.command(text="respond").status == 200
    (reply,) = fake.wait_for(RESPONSE_URL_METHOD)
    assert reply.args["text"] == "Working on it"
    assert reply.args["_path"].startswith("/response/T1/")


def test_fake_records_json_and_form_bodies_alike(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    posted = client.chat_postMessage(channel="U7", text="hi", blocks=blocks)
    assert posted["channel"] == "DU7"
    client.users_info(user="U7")
    (post,) = fake.calls("chat.postMessage")
    (info,) = fake.calls("users.info")
    assert post.args["blocks"] == blocks
    assert info.args == {"user": "U7"}
    assert {post.token, info.token} == {TOKEN}


def test_fake_decodes_blocks_sent_as_form_fields(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    blocks = [{"type": "divider"}]
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(blocks)})
    assert fake.calls("chat.postMessage")[0].args["blocks"] == blocks


def test_message_timestamps_are_unique_and_increasing(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(5)]
    assert stamps == sorted(stamps, key=float)
    assert len(set(stamps)) == 5


def test_users_are_ordinary_members_unless_registered(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    assert client.users_info(user="U9")["user"]["is_admin"] is False
    fake.set_user("U9", is_admin=True, name="dana.lead")
    user = client.users_info(user="U9")["user"]
    assert (user["is_admin"], user["name"], user["real_name"]) == (True, "dana.lead", "Dana Lead")


def test_dm_open_views_and_members_answer_plausibly(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    assert client.conversations_open(users="U5")["channel"]["id"] == "DU5"
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Deal"}, "blocks": []}
    opened = client.views_open(trigger_id="1.2.3", view=view)["view"]
    assert opened["id"].startswith("V") and opened["title"] == view["title"]
    updated = client.views_update(view_id=opened["id"], view=view)["view"]
    assert updated["id"] == opened["id"]
    fake.set_members("C1", ["U1", "U2"])
    assert client.conversations_members(channel="C1")["members"] == ["U1", "U2"]
    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")["permalink"]
    assert link.endswith("/archives/C1/p1700000000000100")


def test_scripted_error_surfaces_as_slack_api_error(fake: FakeSlack) -> None:
    fake.fail_next("conversations.open", error="user_not_found")
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    with pytest.raises(SlackApiError) as raised:
        client.conversations_open(users="U404")
    assert raised.value.response["error"] == "user_not_found"
    assert client.conversations_open(users="U404")["ok"] is True


def test_scripted_rate_limit_is_retried_by_the_sdk_handler(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", retry_after=0)
    client = WebClient(
        token=TOKEN,
        base_url=fake.base_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    first, second = fake.calls("chat.postMessage")
    assert (first.error, second.error) == ("ratelimited", None)


def test_rate_limit_without_a_retry_handler_reaches_the_caller(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage")
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"


def test_wait_for_names_what_did_arrive_when_it_times_out(fake: FakeSlack) -> None:
    WebClient(token=TOKEN, base_url=fake.base_url).auth_test()
    with pytest.raises(AssertionError, match=r"got 0; calls so far: \['auth\.test'\]"):
        fake.wait_for("chat.postMessage", timeout=0.1)


def test_reset_forgets_calls_and_pending_failures(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    client.auth_test()
    fake.fail_next("auth.test", error="invalid_auth")
    fake.reset()
    assert fake.calls() == []
    assert client.auth_test()["ok"] is True
