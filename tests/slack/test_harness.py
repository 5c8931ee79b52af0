"""The Slack test harness must be trustworthy before the app's end-to-end tests lean on it.

These tests use a throwaway Bolt app, not the real one, so a harness fault shows up here on its
own instead of as a puzzling failure in a journey test.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.models.metadata import Metadata
from slack_sdk.webhook import WebhookClient

from tests.slack.fake_slack import DEFAULT_KINDS, RESPONSE_URL_METHOD, FakeSlack, Fault
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


# -- chaos ------------------------------------------------------------------------------------


class _ChaosOffOnRetry(RetryHandler):
    """One of the SDK's own retry handlers, which also switches chaos off once it decides to
    retry: the retry is then seen to succeed, proving the fault was one that handler retries.
    """

    def __init__(self, inner: RetryHandler, fake: FakeSlack) -> None:
        super().__init__(inner.max_retry_count, inner.interval_calculator)
        self.inner = inner
        self.fake = fake

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return bool(
            self.inner._can_retry(state=state, request=request, response=response, error=error)
        )

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        self.fake.chaos(0)
        self.inner.prepare_for_next_attempt(
            state=state, request=request, response=response, error=error
        )


def _client(fake: FakeSlack, *handlers: RetryHandler, timeout: int = 5) -> WebClient:
    """A client with exactly these retry handlers (none at all unless given)."""
    return WebClient(
        token=TOKEN, base_url=fake.base_url, timeout=timeout, retry_handlers=list(handlers)
    )


@pytest.mark.parametrize(
    ("handler", "kind"),
    [
        (RateLimitErrorRetryHandler(max_retry_count=1), "429"),
        (ServerErrorRetryHandler(max_retry_count=1), "500"),
        (ConnectionErrorRetryHandler(max_retry_count=1), "reset"),
    ],
    ids=["429-rate-limit-handler", "500-server-error-handler", "reset-connection-handler"],
)
def test_chaos_faults_are_retried_by_the_sdk_handler_made_for_them(
    fake: FakeSlack, handler: RetryHandler, kind: str
) -> None:
    fake.rate_limit_retry_after = 0  # the handler still sleeps up to a second on top
    fake.chaos(1.0, kinds=[kind])
    posted = _client(fake, _ChaosOffOnRetry(handler, fake)).chat_postMessage(
        channel="C1", text="hi"
    )
    assert posted["ok"] is True
    first, second = fake.calls("chat.postMessage")
    assert (first.error, second.error) == (kind, None)
    assert fake.faults() == [Fault("chat.postMessage", kind)]
    assert [m["text"] for m in fake.messages("C1")] == ["hi"], "a failed call posts nothing"


@pytest.mark.parametrize(("kind", "status", "retry_after"), [("429", 429, "1"), ("500", 500, None)])
def test_chaos_http_errors_reach_a_client_without_handlers_as_slack_api_errors(
    fake: FakeSlack, kind: str, status: int, retry_after: str | None
) -> None:
    fake.chaos(1.0, kinds=[kind])
    with pytest.raises(SlackApiError) as raised:
        _client(fake).chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == status
    assert raised.value.response.headers.get("Retry-After") == retry_after


def test_chaos_ratelimited_in_the_body_is_not_retried_and_raises(fake: FakeSlack) -> None:
    fake.chaos(1.0, kinds=["ratelimited"])
    client = _client(fake, RateLimitErrorRetryHandler(max_retry_count=2))
    with pytest.raises(SlackApiError) as raised:
        client.chat_postMessage(channel="C1", text="hi")
    assert (raised.value.response.status_code, raised.value.response["error"]) == (
        200,
        "ratelimited",
    )
    (call,) = fake.calls("chat.postMessage")
    assert call.error == "ratelimited"


def test_chaos_reset_is_a_connection_error_before_anything_was_done(fake: FakeSlack) -> None:
    fake.chaos(1.0, kinds=["reset"])
    # ConnectionResetError covers http.client.RemoteDisconnected, which is what arrives.
    with pytest.raises(ConnectionResetError):
        _client(fake).chat_postMessage(channel="C1", text="hi")
    # The SDK's default handlers retry a reset once; under constant chaos that fails too.
    with pytest.raises(ConnectionResetError):
        WebClient(token=TOKEN, base_url=fake.base_url).chat_postMessage(channel="C1", text="hi")
    assert [c.error for c in fake.calls("chat.postMessage")] == ["reset"] * 3
    assert fake.messages("C1") == []


def test_chaos_timeout_loses_the_answer_but_the_message_is_posted(fake: FakeSlack) -> None:
    fake.timeout_delay = 3.0
    fake.chaos(1.0, kinds=["timeout"])
    # The SDK's default client: its connection-error handler does not retry a read timeout.
    client = WebClient(token=TOKEN, base_url=fake.base_url, timeout=1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.chat_postMessage(channel="C1", text="did it go?")
    assert time.monotonic() - started < fake.timeout_delay, "the client gave up, not the fake"
    (call,) = fake.calls("chat.postMessage")
    assert (call.error, call.late) == (None, True)
    assert call.result is not None and call.result["ok"] is True
    assert [m["text"] for m in fake.messages("C1")] == ["did it go?"]
    assert fake.faults() == [Fault("chat.postMessage", "timeout")]


def test_chaos_timeout_is_only_slow_for_a_patient_client(fake: FakeSlack) -> None:
    fake.timeout_delay = 0.2
    fake.chaos(1.0, kinds=["timeout"])
    posted = _client(fake, timeout=5).chat_postMessage(channel="C1", text="hi")
    assert posted["ts"] == fake.messages("C1")[0]["ts"]


def test_chaos_rate_is_respected_and_kinds_drawn_evenly(fake: FakeSlack) -> None:
    kinds = ["429", "500", "ratelimited"]  # the fast ones: no delay, no retry without handlers
    fake.chaos(0.25, seed=20240601, kinds=kinds)
    client = _client(fake)
    failed = 0
    for n in range(1000):
        try:
            client.chat_postMessage(channel="C1", text=str(n))
        except SlackApiError:
            failed += 1
    assert 200 <= failed <= 300
    faults = fake.faults()
    assert len(faults) == failed == sum(c.error is not None for c in fake.calls())
    assert len(fake.messages("C1")) == 1000 - failed
    shares = Counter(fault.kind for fault in faults)
    assert set(shares) == set(kinds)
    assert all(0.2 <= count / failed <= 0.47 for count in shares.values()), shares


def _fates(fake: FakeSlack, seed: int) -> list[Fault]:
    fake.reset()
    fake.chaos(0.5, seed=seed, kinds=["500", "ratelimited"])
    client = _client(fake)
    for n in range(40):
        with contextlib.suppress(SlackApiError):
            client.users_info(user=f"U{n}")
    return fake.faults()


def test_chaos_with_a_seed_repeats_the_same_faults(fake: FakeSlack) -> None:
    first = _fates(fake, seed=3)
    assert first == _fates(fake, seed=3)
    assert first != _fates(fake, seed=4)


def test_chaos_spares_auth_test_and_keeps_to_the_methods_named(fake: FakeSlack) -> None:
    client = _client(fake)
    fake.chaos(1.0, kinds=["500"])
    assert client.auth_test()["ok"] is True, "Bolt's start-up call is exempt by default"
    fake.chaos(1.0, kinds=["500"], methods={"users.info", "auth.test"})
    assert client.chat_postMessage(channel="C1", text="hi")["ok"] is True
    with pytest.raises(SlackApiError):
        client.users_info(user="U1")
    with pytest.raises(SlackApiError):
        client.auth_test()
    assert fake.faults() == [Fault("users.info", "500"), Fault("auth.test", "500")]


def test_chaos_off_and_reset_end_it(fake: FakeSlack) -> None:
    client = _client(fake)
    fake.chaos(1.0, kinds=["ratelimited"])
    fake.chaos(0)
    assert client.chat_postMessage(channel="C1", text="a")["ok"] is True
    fake.chaos(1.0, kinds=["ratelimited"])
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="b")
    fake.reset()
    assert fake.faults() == []
    assert client.chat_postMessage(channel="C1", text="c")["ok"] is True


def test_scripted_failures_come_before_chaos(fake: FakeSlack) -> None:
    fake.chaos(1.0, kinds=["500"])
    fake.fail_next("chat.postMessage", "channel_not_found")
    client = _client(fake)
    errors = []
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.chat_postMessage(channel="C1", text="hi")
        errors.append(raised.value.response["error"])
    assert errors == ["channel_not_found", "internal_error"]
    assert [c.error for c in fake.calls()] == ["channel_not_found", "500"]
    assert fake.faults() == [Fault("chat.postMessage", "500")], "the scripted one took no draw"


def test_chaos_reaches_response_url_posts(fake: FakeSlack) -> None:
    url = f"{fake.response_url_base}T1/1/abc"
    fake.chaos(1.0, kinds=["500"], methods={RESPONSE_URL_METHOD})
    assert WebhookClient(url, retry_handlers=[]).send(text="hi").status_code == 500
    fake.chaos(1.0, kinds=["reset"], methods={RESPONSE_URL_METHOD})
    with pytest.raises(ConnectionResetError):
        WebhookClient(url, retry_handlers=[]).send(text="hi")
    assert [c.error for c in fake.calls(RESPONSE_URL_METHOD)] == ["500", "reset"]


@pytest.mark.parametrize(
    ("rate", "kinds", "error"),
    [
        (1.5, DEFAULT_KINDS, ValueError),
        (0.5, ["503"], ValueError),
        (0.5, [], ValueError),
        (0.5, "500", TypeError),  # a bare string would otherwise read as kinds "5" and "0"
    ],
)
def test_chaos_refuses_settings_it_cannot_honour(
    fake: FakeSlack, rate: float, kinds: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        fake.chaos(rate, kinds=kinds)


# -- history and replies ----------------------------------------------------------------------

_MARK = {"event_type": "walkaway_card", "event_payload": {"deal": "d1"}}


def _texts(messages: list[dict[str, Any]]) -> list[str]:
    return [m["text"] for m in messages]


def test_history_is_newest_first_with_metadata_only_when_asked(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    client.chat_postMessage(channel="C1", text="plain")
    client.chat_postMessage(channel="C1", text="marked", metadata=_MARK)
    # The SDK's model and a JSON string (what a form-encoded call must send) read the same.
    model = Metadata(event_type="walkaway_card", event_payload={"deal": "d2"})
    client.chat_postMessage(channel="C1", text="model", metadata=model)
    client.api_call(
        "chat.postMessage",
        params={"channel": "C1", "text": "form", "metadata": json.dumps(_MARK)},
    )
    bare = client.conversations_history(channel="C1")
    assert _texts(bare["messages"]) == ["form", "model", "marked", "plain"]
    assert not any("metadata" in m for m in bare["messages"])
    assert (bare["has_more"], bare["response_metadata"]["next_cursor"]) == (False, "")
    full = client.conversations_history(channel="C1", include_all_metadata=True)["messages"]
    assert [m.get("metadata") for m in full] == [_MARK, model.to_dict(), _MARK, None]


def test_history_pages_with_a_cursor_as_the_sdk_iterates_them(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    for n in range(5):
        client.chat_postMessage(channel="C1", text=str(n))
    first = client.conversations_history(channel="C1", limit=2)
    assert (_texts(first["messages"]), first["has_more"]) == (["4", "3"], True)
    # A message posted between pages does not shift the pages already promised.
    client.chat_postMessage(channel="C1", text="late")
    cursor = first["response_metadata"]["next_cursor"]
    second = client.conversations_history(channel="C1", limit=2, cursor=cursor)
    assert _texts(second["messages"]) == ["2", "1"]
    pages = [
        _texts(page["messages"]) for page in client.conversations_history(channel="C1", limit=4)
    ]
    assert pages == [["late", "4", "3", "2"], ["1", "0"]]
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.conversations_history(channel="C1", cursor="not-a-cursor")


def test_history_keeps_to_oldest_and_latest(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    stamps = [client.chat_postMessage(channel="C1", text=str(n))["ts"] for n in range(4)]
    between = client.conversations_history(channel="C1", oldest=stamps[0], latest=stamps[3])
    assert _texts(between["messages"]) == ["2", "1"]
    inclusive = client.conversations_history(
        channel="C1", oldest=stamps[1], latest=stamps[2], inclusive=True
    )
    assert _texts(inclusive["messages"]) == ["2", "1"]
    assert _texts(client.conversations_history(channel="C1", oldest=stamps[2])["messages"]) == ["3"]


def test_thread_replies_stay_in_the_thread_unless_broadcast(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    parent = client.chat_postMessage(channel="C1", text="card", metadata=_MARK)["ts"]
    client.chat_postMessage(channel="C1", text="quiet", thread_ts=parent, metadata=_MARK)
    client.chat_postMessage(channel="C1", text="loud", thread_ts=parent, reply_broadcast=True)
    client.chat_postMessage(channel="C1", text="after")

    history = client.conversations_history(channel="C1")["messages"]
    assert _texts(history) == ["after", "loud", "card"]
    loud, card = history[1], history[2]
    assert (loud["subtype"], loud["thread_ts"]) == ("thread_broadcast", parent)
    assert (card["thread_ts"], card["reply_count"], card["reply_users"]) == (parent, 2, ["UBOT"])

    thread = client.conversations_replies(channel="C1", ts=parent)["messages"]
    assert _texts(thread) == ["card", "quiet", "loud"]
    assert all(m["thread_ts"] == parent for m in thread)
    assert not any("metadata" in m for m in thread)
    marked = client.conversations_replies(channel="C1", ts=parent, include_all_metadata=True)
    assert [m.get("metadata") for m in marked["messages"]] == [_MARK, _MARK, None]
    # What a person sees is unchanged: the parent stays a plain top-level post.
    assert "thread_ts" not in fake.messages("C1")[0]


def test_replies_answer_from_any_message_in_the_thread(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    parent = client.chat_postMessage(channel="C1", text="card")["ts"]
    replies = [
        client.chat_postMessage(channel="C1", text=f"r{n}", thread_ts=parent)["ts"]
        for n in range(3)
    ]
    alone = client.chat_postMessage(channel="C1", text="alone")["ts"]
    via_reply = client.conversations_replies(channel="C1", ts=replies[1])
    assert _texts(via_reply["messages"]) == ["card", "r0", "r1", "r2"]
    assert _texts(client.conversations_replies(channel="C1", ts=alone)["messages"]) == ["alone"]
    since = client.conversations_replies(channel="C1", ts=parent, oldest=replies[0])
    assert _texts(since["messages"]) == ["card", "r1", "r2"], "the parent always leads"
    first = client.conversations_replies(channel="C1", ts=parent, limit=2)
    assert (_texts(first["messages"]), first["has_more"]) == (["card", "r0"], True)
    cursor = first["response_metadata"]["next_cursor"]
    rest = client.conversations_replies(channel="C1", ts=parent, limit=2, cursor=cursor)
    assert (_texts(rest["messages"]), rest["has_more"]) == (["r1", "r2"], False)
    with pytest.raises(SlackApiError, match="thread_not_found"):
        client.conversations_replies(channel="C1", ts="1600000000.000100")


def test_replies_under_a_parent_the_fake_never_saw_come_back_alone(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    user_message = "1690000000.000100"  # a rep's message, known to the test only as an event
    client.chat_postMessage(channel="C1", text="on it", thread_ts=user_message)
    thread = client.conversations_replies(channel="C1", ts=user_message)["messages"]
    assert _texts(thread) == ["on it"]
    assert client.conversations_history(channel="C1")["messages"] == []


def test_a_post_to_a_user_is_read_back_from_their_dm(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    assert client.chat_postMessage(channel="U42", text="hi", metadata=_MARK)["channel"] == "DU42"
    dm = client.conversations_history(channel="DU42", include_all_metadata=True)["messages"]
    assert [(m["text"], m["metadata"]) for m in dm] == [("hi", _MARK)]
    with pytest.raises(SlackApiError, match="channel_not_found"):
        client.conversations_history(channel="U42")
    assert client.conversations_history(channel="C404")["messages"] == []


def test_update_keeps_metadata_unless_cleared_and_delete_removes(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    ts = client.chat_postMessage(channel="C1", text="v1", metadata=_MARK)["ts"]
    client.chat_update(channel="C1", ts=ts, text="v2")

    def shown() -> list[dict[str, Any]]:
        history = client.conversations_history(channel="C1", include_all_metadata=True)
        messages: list[dict[str, Any]] = history["messages"]
        return messages

    assert [(m["text"], m.get("metadata")) for m in shown()] == [("v2", _MARK)]
    client.chat_update(channel="C1", ts=ts, text="v3", metadata={})
    assert [(m["text"], m.get("metadata")) for m in shown()] == [("v3", None)]
    client.chat_delete(channel="C1", ts=ts)
    assert shown() == []
    with pytest.raises(SlackApiError, match="message_not_found"):
        client.chat_delete(channel="C1", ts=ts)


def test_malformed_metadata_is_refused_as_slack_refuses_it(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    with pytest.raises(SlackApiError, match="invalid_metadata_format"):
        client.chat_postMessage(channel="C1", text="hi", metadata={"event_payload": {}})
    assert fake.messages("C1") == []


def test_files_upload_v2_goes_through_the_external_upload_flow(fake: FakeSlack) -> None:
    client = WebClient(token=TOKEN, base_url=fake.base_url)
    done = client.files_upload_v2(
        channel="DU1", content="a,b\n1,2\n", filename="x.csv", initial_comment="Here"
    )
    assert done["file"]["name"] == "x.csv"
    (upload,) = fake.uploaded_files()
    assert upload["content"] == "a,b\n1,2\n" and upload["channel_id"] == "DU1"
    assert upload["initial_comment"] == "Here" and upload["length"] == len("a,b\n1,2\n")
    assert [c.method for c in fake.calls()] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
