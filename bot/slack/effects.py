"""Slack effects that happen once, however often the work behind them runs.

A job may run several times: Slack failed mid-way and the job was put back, or its worker died.
Updating a message, publishing a view or opening a DM give the same result when done twice, so
those are simply done again. Posting a message is not: each post therefore goes through
`post_once` under a key naming what it is (`card:42`, `question:7:12`), recorded in the database
(storage/posts.py). A re-run finds the ts of what was already posted and moves on; one that finds
only the intent of an earlier attempt (the answer to it was lost) looks for the message in the
conversation, by the key in its metadata, before posting. Private replies through a
response_url are recorded per job the same way, but cannot be looked up: one whose outcome is
unknown is sent again, the lesser harm for a private note.

The job running now is known through a context variable set by the worker (`running_job`), so
steps deep in a capability need not pass it along.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse

from storage.posts import Intent, Posts

log = logging.getLogger(__name__)

POST_EVENT = "walkaway_post"
"""The metadata event type every post carries, with its key in the payload."""
LOOKBACK = timedelta(seconds=5)
"""Looked-up history starts this long before the intent, for clocks that disagree a little."""
HISTORY_PAGES = 5


@dataclass
class JobRun:
    key: str
    """The job's own key (storage.jobs), stable across its re-runs."""
    counter: Iterator[int] = field(default_factory=itertools.count)

    def next_key(self, what: str) -> str:
        """A key for the nth such effect of this job: the same on every re-run of it."""
        return f"{what}:{self.key}:{next(self.counter)}"


_RUNNING: ContextVar[JobRun | None] = ContextVar("walkaway_job", default=None)


@contextmanager
def running_job(key: str) -> Iterator[JobRun]:
    run = JobRun(key=key)
    token = _RUNNING.set(run)
    try:
        yield run
    finally:
        _RUNNING.reset(token)


def current_job() -> JobRun | None:
    return _RUNNING.get()


def owner() -> str | None:
    """The key claims are taken under: the running job's (None outside a job, e.g. inline)."""
    run = _RUNNING.get()
    return run.key if run is not None else None


@dataclass(frozen=True)
class Posted:
    channel: str
    ts: str
    new: bool = False
    """Posted by this call (not found done by an earlier one)."""


def post_once(
    client: WebClient,
    store: Posts,
    *,
    key: str,
    channel: str,
    text: str,
    blocks: Sequence[Block | dict[str, Any]] | None = None,
    thread_ts: str | None = None,
    prompt_of: int | None = None,
    thread_of: int | None = None,
    **extra: Any,
) -> Posted | None:
    """Post the message named `key` unless it is there already; None: another job is on it.

    `prompt_of` / `thread_of` name a qualification session whose open question / thread this
    post is: its ts is stored there in the same write as the post's own (storage/posts.py)."""
    where = {"prompt_of": prompt_of, "thread_of": thread_of}
    intent, earlier = store.intend_post(
        key=key, owner=owner(), channel_id=channel, thread_ts=thread_ts
    )
    if intent is Intent.DONE and earlier.ts and earlier.channel_id:
        return Posted(earlier.channel_id, earlier.ts)
    if intent is Intent.BUSY:
        log.info("post %s is being made by another job", key)
        return None
    if intent is Intent.CHECK:
        found = find_posted(
            client,
            channel=earlier.channel_id or channel,
            thread_ts=thread_ts,
            key=key,
            since=earlier.first_started_at,
        )
        if found is not None:
            store.posted(key=key, channel_id=found.channel, ts=found.ts, **where)
            return found
    try:
        response = client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=text,
            blocks=blocks,
            metadata={"event_type": POST_EVENT, "event_payload": {"key": key}},
            **extra,
        )
    except SlackApiError:
        # Slack answered, so nothing was posted: whoever tries next need not look first. (A
        # network error or a timeout keeps the intent: that post may have gone through.)
        store.forget_intent(key=key)
        raise
    posted = Posted(str(response["channel"]), str(response["ts"]), new=True)
    store.posted(key=key, channel_id=posted.channel, ts=posted.ts, **where)
    return posted


def post_for_job(
    client: WebClient,
    store: Posts,
    *,
    what: str,
    channel: str,
    text: str,
    blocks: Sequence[Block | dict[str, Any]] | None = None,
    thread_ts: str | None = None,
) -> Posted | None:
    """A message that belongs to this job alone (a reply, a share): once per job, not per run.

    Outside a job (inline work) there is no re-run to guard against, so it simply posts.
    """
    run = current_job()
    if run is None:
        response = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, blocks=blocks
        )
        return Posted(str(response["channel"]), str(response["ts"]), new=True)
    return post_once(
        client,
        store,
        key=run.next_key(what),
        channel=channel,
        text=text,
        blocks=blocks,
        thread_ts=thread_ts,
    )


def find_posted(
    client: WebClient, *, channel: str, thread_ts: str | None, key: str, since: datetime
) -> Posted | None:
    """The message carrying `key` in its metadata, posted since `since`, if Slack has it.

    Without the history scope for that kind of conversation (a workspace that has not granted a
    newer scope yet) nothing can be found, and the caller posts: at worst a message twice, never
    a message missing.
    """
    oldest = f"{(since - LOOKBACK).timestamp():.6f}"
    cursor: str | None = None
    try:
        for _ in range(HISTORY_PAGES):
            args: dict[str, Any] = {
                "channel": channel,
                "oldest": oldest,
                "include_all_metadata": True,
                "limit": 200,
            }
            if cursor:
                args["cursor"] = cursor
            if thread_ts:
                page = client.conversations_replies(ts=thread_ts, **args)
            else:
                page = client.conversations_history(**args)
            for message in page.get("messages") or []:
                if _carries(message, key):
                    return Posted(channel, str(message["ts"]))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
    except SlackApiError as error:
        if error.response.get("error") not in PERMANENT_LOOKUP_ERRORS:
            raise
        log.warning("cannot look for post %s in %s: %s", key, channel, error.response["error"])
    return None


PERMANENT_LOOKUP_ERRORS = frozenset(
    {"missing_scope", "channel_not_found", "not_in_channel", "thread_not_found"}
)


def _carries(message: Mapping[str, Any], key: str) -> bool:
    metadata = message.get("metadata")
    if not isinstance(metadata, Mapping) or metadata.get("event_type") != POST_EVENT:
        return False
    payload = metadata.get("event_payload")
    return isinstance(payload, Mapping) and payload.get("key") == key


class ResponseUrlError(Exception):
    """A response_url post Slack did not take; `status` tells a passing failure from the rest."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"response_url answered HTTP {status}: {body[:200]}")
        self.status = status


class DurableRespond(Respond):
    """`respond` for work in a job: each private reply is sent once per job, and a reply Slack
    refused for a passing reason raises (the job is put back) instead of vanishing.

    Bolt's own Respond returns the HTTP answer and raises nothing, so a reply lost to a 500 or a
    rate limit would be lost without trace.
    """

    def __init__(self, *, response_url: str | None, store: Posts | None) -> None:
        super().__init__(response_url=response_url)
        self._store = store

    def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        run = current_job()
        key = run.next_key("respond") if run is not None and self._store is not None else None
        if key is not None and self._store is not None:
            intent, _ = self._store.intend_post(
                key=key, owner=owner(), channel_id=None, thread_ts=None
            )
            if intent in (Intent.DONE, Intent.BUSY):
                return WebhookResponse(
                    url=self.response_url or "", status_code=200, body="ok", headers={}
                )
        response = super().__call__(*args, **kwargs)
        if response.status_code >= 300:
            raise ResponseUrlError(response.status_code, str(response.body))
        if key is not None and self._store is not None:
            self._store.posted(key=key, channel_id="response_url", ts="-")
        return response
