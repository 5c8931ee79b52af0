"""Every failed Web API attempt is counted by method and error, whoever makes the call.

The client is the app's own (`bot.app.web_client`: its retry handlers, the counting one first)
pointed at the fake Web API, which answers as Slack does: `ok: false` with HTTP 200, HTTP 429
with Retry-After, HTTP 5xx, or no answer in time.
"""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot.app import web_client
from bot.config import Settings
from bot.slack.metrics import PROCESS
from tests.slack.fake_slack import FakeSlack
from tests.slack.world import TOKEN


def count(method: str, error: str) -> float:
    labels = {"method": method, "error": error}
    return PROCESS.get_sample_value("walkaway_slack_api_errors_total", labels) or 0.0


def client(fake: FakeSlack, timeout: int = 15):  # type: ignore[no-untyped-def]
    return web_client(
        Settings(
            slack_bot_token=SecretStr(TOKEN),
            slack_api_url=fake.base_url,
            walkaway_slack_timeout=timeout,
        )
    )


def test_an_ok_false_answer_is_counted_under_slacks_error_code(fake: FakeSlack) -> None:
    before = count("chat.update", "message_not_found")
    fake.fail_next("chat.update", error="message_not_found")
    with pytest.raises(SlackApiError):
        client(fake).chat_update(channel="D1", ts="1.2", text="x")
    assert count("chat.update", "message_not_found") - before == 1


def test_a_rate_limit_slack_sdk_rides_out_is_still_counted_once(fake: FakeSlack) -> None:
    before = count("chat.postMessage", "ratelimited")
    fake.fail_next("chat.postMessage", error="ratelimited", retry_after=0)  # HTTP 429
    posted = client(fake).chat_postMessage(channel="U1", text="hello")
    assert posted["ok"] is True  # the retry handler waited and tried again
    assert count("chat.postMessage", "ratelimited") - before == 1


def test_a_server_error_without_a_slack_code_is_counted_by_its_status(fake: FakeSlack) -> None:
    before = count("views.publish", "http_502")
    fake.fail_next("views.publish", error="", status=502)  # a proxy's 502: no Slack code
    with pytest.raises(SlackApiError):
        client(fake).views_publish(user_id="U1", view={"type": "home", "blocks": []})
    assert count("views.publish", "http_502") - before == 1


def test_no_answer_in_time_is_counted_as_a_timeout(fake: FakeSlack) -> None:
    before = count("conversations.open", "timeout")
    release = fake.hold_next("conversations.open")
    try:
        with pytest.raises(Exception, match="timed out"):
            client(fake, timeout=1).conversations_open(users="U1")
    finally:
        release.set()
    # slack_sdk's connection handler does not retry a timeout: one attempt, one count.
    assert count("conversations.open", "timeout") - before == 1
