"""The conversation a check was started from: kept, linked, and shown on its record.

A check started with *Check this deal* (bot/qualification/shortcut.py) carries its message
(channel and ts) in the start modal's private_metadata. The job that starts the check keeps it
on the session (`store.contexts`, written once: the first message stays) and then asks Slack
for the message's permalink: in the job, after the DM thread is open, so neither opening the
modal nor starting the check waits on it. A refusal (the app cannot see that conversation:
`channel_not_found`, a deleted message) leaves the context without a link, and the record says
so in words rather than with a link made up from the ids; a passing failure retries the job,
whose re-run finds the check already started and asks again.

Shown through the hooks: on the verdict card (`card_section`) and in Details
(`details_section`), as "From this conversation".
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject

from bot.domain.model import Actor
from bot.slack.deps import Deps
from bot.slack.errors import is_transient
from bot.slack.text import escape
from storage.contexts import ContextInfo
from storage.records import RecordDetail, SessionStatus

log = logging.getLogger(__name__)

_CHANNEL = re.compile(r"[CDG][A-Z0-9]{2,40}")
_TS = re.compile(r"\d{1,12}\.\d{1,8}")
META_KEY = "from_message"
"""The start modal's private_metadata key for the message a shortcut was run on."""


def metadata_for(channel_id: str, message_ts: str) -> str | None:
    """The start modal's private_metadata naming the message (None: not a message we know)."""
    if not (_CHANNEL.fullmatch(channel_id) and _TS.fullmatch(message_ts)):
        return None
    return json.dumps({META_KEY: {"channel": channel_id, "ts": message_ts}})


def message_of(body: dict[str, Any]) -> tuple[str, str] | None:
    """(channel, ts) of the message a submitted start modal came from; None for Home's modal
    or for metadata that is not ours."""
    raw = (body.get("view") or {}).get("private_metadata")
    try:
        loaded = json.loads(raw) if isinstance(raw, str) and raw else None
    except ValueError:
        return None
    found = loaded.get(META_KEY) if isinstance(loaded, dict) else None
    if not isinstance(found, dict):
        return None
    channel, ts = found.get("channel"), found.get("ts")
    if isinstance(channel, str) and isinstance(ts, str) and metadata_for(channel, ts):
        return channel, ts
    return None


def keep(client: WebClient, deps: Deps, body: dict[str, Any], *, actor: Actor, deal: str) -> None:
    """After the check of `deal` started: keep the message it came from, and its link.

    Repeatable: the context is written once, the link set once. A deal whose latest check was
    already finished got its verdict shown again instead of a new check: nothing to keep.
    """
    source = message_of(body)
    if source is None:
        return
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    session = deps.store.latest_session(
        workspace_id=workspace_id, rep_user_id=deps.user_id(actor), deal_name=deal
    )
    if session is None or session.status is not SessionStatus.OPEN:
        return
    channel, ts = source
    kept = deps.store.contexts.keep(session_id=session.id, channel_id=channel, message_ts=ts)
    if kept.permalink is not None or (kept.channel_id, kept.message_ts) != source:
        return  # linked already, or the open check keeps the message it was started from
    link = permalink(client, channel, ts)
    if link is not None:
        deps.store.contexts.set_link(session_id=session.id, permalink=link)


def permalink(client: WebClient, channel: str, ts: str) -> str | None:
    """The message's link as Slack gives it; None when Slack refuses (a passing failure raises,
    so the job is retried)."""
    try:
        url = client.chat_getPermalink(channel=channel, message_ts=ts).get("permalink")
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.info("no permalink for %s/%s: %s", channel, ts, error.response.get("error"))
        return None
    return url if link_ok(url) else None


def link_ok(url: object) -> bool:
    """Only a plain https URL goes into <url|label>: anything else could break the link."""
    return (
        isinstance(url, str)
        and url.startswith("https://")
        and len(url) <= 500
        and not any(ch in url for ch in "|<> \n")
    )


def context_line(context: ContextInfo) -> str:
    """ "From this conversation", linked; in words when Slack gave no link."""
    if context.permalink and link_ok(context.permalink):
        return f":link: <{context.permalink}|From this conversation>"
    where = (
        "a direct message"
        if context.channel_id.startswith("D")
        else f"<#{escape(context.channel_id)}>"
    )
    return f":link: From a conversation in {where} (Slack gave no link to the message)"


def _blocks(deps: Deps, record: RecordDetail) -> list[Block]:
    context = deps.store.contexts.of_session(session_id=record.session_id)
    if context is None:
        return []
    return [ContextBlock(elements=[MarkdownTextObject(text=context_line(context))])]


def card_section(deps: Deps, record: RecordDetail) -> list[Block]:
    """Under the verdict card: the conversation the check was started from."""
    return _blocks(deps, record)


def details_section(deps: Deps, actor: Actor, record: RecordDetail) -> list[Block]:
    """In the record's Details: the same line, for anyone who may read the record."""
    return _blocks(deps, record)
