"""post_once against the fake Web API: a message whose first attempt's answer was lost is found,
not posted again, however many attempts came between."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

import storage.posts
from bot.slack.effects import POST_EVENT, post_once, running_job
from storage.columns import utcnow
from storage.posts import Intent
from storage.repository import Store
from tests.slack.fake_slack import FakeSlack


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'posts.db'}")
    yield opened
    opened.close()


def _posts(fake: FakeSlack, key: str) -> list[dict[str, object]]:
    return [
        m
        for m in fake.messages("C1")
        if (m.get("metadata") or {}).get("event_payload", {}).get("key") == key
    ]


def test_a_post_whose_answer_was_lost_is_found_after_a_failed_lookup_seconds_later(
    fake: FakeSlack, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    key = "card:1"
    first = utcnow()
    # Attempt 1 posted, and its answer was lost (a timeout): the intent has no ts.
    intent, _ = store.intend_post(
        key=key, owner="job-1", channel_id="C1", thread_ts=None, now=first
    )
    assert intent is Intent.POST
    client.chat_postMessage(
        channel="C1",
        text="the card",
        metadata={"event_type": POST_EVENT, "event_payload": {"key": key}},
    )
    # Attempt 2, ten seconds on, took the intent over; its lookup failed (Slack rate-limited
    # conversations.history too), so it recorded nothing.
    intent, _ = store.intend_post(
        key=key, owner="job-1", channel_id="C1", thread_ts=None, now=first + timedelta(seconds=10)
    )
    assert intent is Intent.CHECK
    # Attempt 3, ten seconds after that, must still find what attempt 1 posted.
    later = first + timedelta(seconds=20)
    monkeypatch.setattr(storage.posts, "utcnow", lambda: later)
    with running_job("job-1"):
        found = post_once(client, store, key=key, channel="C1", text="the card")

    assert found is not None and not found.new
    assert len(_posts(fake, key)) == 1
    assert len(fake.calls("conversations.history")) == 1
    info = store.post_info(key=key)
    assert info is not None and info.ts == found.ts


def test_a_post_slack_refused_is_posted_by_the_next_attempt_without_a_lookup(
    fake: FakeSlack, store: Store
) -> None:
    client = WebClient(token="xoxb-test", base_url=fake.base_url)
    fake.fail_next("chat.postMessage", "internal_error")
    with running_job("job-2"), pytest.raises(SlackApiError):
        post_once(client, store, key="card:2", channel="C1", text="the card")
    with running_job("job-2"):
        posted = post_once(client, store, key="card:2", channel="C1", text="the card")

    assert posted is not None and posted.new
    assert len(_posts(fake, "card:2")) == 1
    assert fake.calls("conversations.history") == []
