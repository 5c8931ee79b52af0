"""Files shared once: what `post_once` (bot/slack/effects.py) is for messages, for a file.

slack_sdk's `files_upload_v2` is three calls (files.getUploadURLExternal, the bytes sent to
the URL it gives, files.completeUploadExternal, which shares the file in the channel). An
attempt can die, or lose Slack's answer (a timeout), after the last call shared the file, and a
re-run would share it again. So an upload is done as a post is (storage/posts.py): an intent
under the upload's key first; then the upload, with a reference made from the key in the file's
name (`report-2026-12-03-1a2b3c4d.csv`: a message cannot carry metadata when Slack posts it
for a file, but the file's name shows in the conversation's history); then the intent closed.
A re-run that finds an intent whose outcome is unknown looks in the conversation's history for
a file carrying the reference, shared since that intent, and only uploads when there is none.

What this cannot see: Slack shares the file in the background once the upload is completed,
usually within seconds. A re-run that looks before that share shows in the history (a timeout
answered after the job's quick retry) still uploads again. And where the app may not read the
conversation's history (a workspace that has not granted `im:history` for the DM) nothing can
be found, so the file is shared again rather than not at all: the lesser harm.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, cast

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.effects import HISTORY_PAGES, LOOKBACK, PERMANENT_LOOKUP_ERRORS, owner
from bot.slack.errors import RetryLater
from storage.posts import Intent, Posts

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Shared:
    channel: str
    new: bool = False
    """False: an earlier attempt had shared it (found by its intent or in the history)."""


class UploadBusy(Exception):
    """Another attempt is uploading this file right now."""


def reference(key: str) -> str:
    """The tag in the file's name that names the upload (8 hex characters of its key)."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:8]


def named(filename: str, key: str) -> str:
    """`report-2026-12-03.csv` → `report-2026-12-03-1a2b3c4d.csv`."""
    path = PurePosixPath(filename)
    return f"{path.stem}-{reference(key)}{path.suffix}"


def upload_once(
    client: WebClient,
    store: Posts,
    *,
    key: str,
    channel: str,
    content: str,
    filename: str,
    title: str,
    initial_comment: str,
) -> Shared:
    """Share `content` as a file in `channel` unless this upload (`key`) was shared already.

    Raises RetryLater when another attempt holds the upload right now (it may still share it).
    """
    intent, earlier = store.intend_post(key=key, owner=owner(), channel_id=channel, thread_ts=None)
    if intent is Intent.DONE and earlier.channel_id:
        return Shared(earlier.channel_id)
    if intent is Intent.BUSY:
        raise RetryLater(UploadBusy(f"upload {key} is being made by another attempt"))
    suffix = f"-{reference(key)}{PurePosixPath(filename).suffix}"
    if intent is Intent.CHECK:
        found = find_shared(client, channel=channel, suffix=suffix, since=earlier.first_started_at)
        if found is not None:
            store.posted(key=key, channel_id=channel, ts=found)
            return Shared(channel)
    try:
        response = client.files_upload_v2(
            channel=channel,
            content=content,
            filename=named(filename, key),
            title=title,
            initial_comment=initial_comment,
        )
    except SlackApiError:
        # Slack answered with an error, so nothing was shared: the next attempt need not look.
        store.forget_intent(key=key)
        raise
    files = response.get("files") or []
    file_id = str(files[0].get("id")) if files and isinstance(files[0], Mapping) else None
    # The intent is closed with the file's id: the share's message ts is not known yet.
    store.posted(key=key, channel_id=channel, ts=file_id or "shared")
    return Shared(channel, new=True)


def find_shared(client: WebClient, *, channel: str, suffix: str, since: datetime) -> str | None:
    """The ts of a message in `channel` since `since` sharing a file named `…{suffix}`."""
    message = shared_message(client, channel=channel, suffix=suffix, since=since)
    return str(message["ts"]) if message is not None else None


def shared_file_id(message: Mapping[str, Any], suffix: str) -> str | None:
    """The id of the file named `…{suffix}` that `message` shares."""
    files = message.get("files") or []
    return next(
        (
            str(f.get("id"))
            for f in files
            if isinstance(f, Mapping) and str(f.get("name", "")).endswith(suffix)
        ),
        None,
    )


def shared_message(
    client: WebClient, *, channel: str, suffix: str, since: datetime
) -> Mapping[str, Any] | None:
    """The message in `channel` since `since` that shares a file named `…{suffix}`, if Slack
    shows one (none where the app may not read the history: the caller then shares again)."""
    oldest = f"{(since - LOOKBACK).timestamp():.6f}"
    cursor: str | None = None
    try:
        for _ in range(HISTORY_PAGES):
            args: dict[str, Any] = {"channel": channel, "oldest": oldest, "limit": 200}
            if cursor:
                args["cursor"] = cursor
            page = client.conversations_history(**args)
            for message in page.get("messages") or []:
                if _shares(message, suffix):
                    return cast(Mapping[str, Any], message)
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not cursor:
                return None
    except SlackApiError as error:
        if error.response.get("error") not in PERMANENT_LOOKUP_ERRORS:
            raise
        log.warning("cannot look for file *%s in %s: %s", suffix, channel, error.response["error"])
    return None


def _shares(message: Mapping[str, Any], suffix: str) -> bool:
    files = message.get("files")
    return isinstance(files, list) and any(
        isinstance(f, Mapping) and str(f.get("name", "")).endswith(suffix) for f in files
    )
