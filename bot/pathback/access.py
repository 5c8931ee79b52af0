"""Who may tick a record's conditions, change its re-check date or say the buyer came back.

The rep, their manager, and, for a record whose approval went to a deal-desk channel, that
channel's members. Desk members are read with conversations.members and kept a minute, so a
rep ticking four conditions in a row costs one lookup; when Slack cannot answer, the last list
read is used, and with none the click is refused (nothing changes) rather than guessed.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.labels import status_label
from bot.domain.model import Actor
from bot.slack.deps import Deps
from bot.slack.errors import Refusal
from storage.records import RecordStatus
from storage.search import SearchHit

log = logging.getLogger(__name__)

NOT_FOUND = "I can't find that walk-away record in this workspace."
CLOSED_STATUSES = frozenset({RecordStatus.WON, RecordStatus.LOST, RecordStatus.CLOSED})
MEMBERS_TTL = 60.0
"""Seconds a deal desk's member list is trusted."""
_MAX_PAGES = 20

_members: dict[str, tuple[float, frozenset[str]]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Allowed:
    """The record as the person allowed to act on it sees it."""

    hit: SearchHit
    user_id: int
    """The actor's stored id, for who changed what."""


def record_in_workspace(deps: Deps, actor: Actor, record_id: int) -> SearchHit:
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    hit = deps.store.search_hit(record_id=record_id, workspace_id=workspace_id)
    if hit is None:
        raise Refusal(NOT_FOUND)
    return hit


def closed_refusal(hit: SearchHit) -> Refusal | None:
    if hit.status not in CLOSED_STATUSES:
        return None
    return Refusal(
        f"This record is closed (*{status_label(hit.status)}*), so its conditions and re-check "
        "stay as they are. Nothing was changed."
    )


def allow(
    client: WebClient, deps: Deps, actor: Actor, record_id: int, *, open_only: bool = True
) -> Allowed:
    """The record, if `actor` may act on it (and, with open_only, it is not closed); else a
    Refusal saying who may and that nothing changed."""
    hit = record_in_workspace(deps, actor, record_id)
    if open_only and (closed := closed_refusal(hit)) is not None:
        raise closed
    if actor.user_id not in (hit.rep_slack_user_id, hit.rep_manager_slack_id):
        desk = desk_of(deps, record_id)
        if desk is None or not is_desk_member(client, desk, actor.user_id):
            who = f"<@{hit.rep_slack_user_id}>, their manager"
            who += f" or the deal desk (<#{desk}>)" if desk else ""
            raise Refusal(f"Only {who} can change this record. Nothing was changed.")
    return Allowed(hit=hit, user_id=deps.user_id(actor))


def desk_of(deps: Deps, record_id: int) -> str | None:
    """The deal-desk channel this record's approval went to, if it went to one."""
    approval = deps.store.approvals.get(record_id=record_id)
    return approval.approver_channel_id if approval is not None else None


def may_tick_without_asking(deps: Deps, actor: Actor, hit: SearchHit) -> bool:
    """Whether to show tick buttons to `actor` (no Slack call: a desk member is checked on the
    click). Shown to the rep, their manager, and anyone when a deal desk may answer."""
    if hit.status in CLOSED_STATUSES:
        return False
    if actor.user_id in (hit.rep_slack_user_id, hit.rep_manager_slack_id):
        return True
    return desk_of(deps, hit.id) is not None


def is_desk_member(client: WebClient, channel: str, user_id: str) -> bool:
    now = time.monotonic()
    with _lock:
        cached = _members.get(channel)
    if cached is not None and cached[0] > now:
        return user_id in cached[1]
    try:
        members = _read_members(client, channel)
    except SlackApiError as error:
        log.warning("members of %s unreadable: %s", channel, error.response.get("error"))
        if cached is not None:
            return user_id in cached[1]  # the last list read beats refusing everyone
        raise Refusal(
            f"I couldn't check who is in <#{channel}>, so I changed nothing. Try again shortly."
        ) from None
    with _lock:
        _members[channel] = (now + MEMBERS_TTL, members)
    return user_id in members


def forget_members() -> None:
    """Drop the cached member lists (tests that change a desk's members)."""
    with _lock:
        _members.clear()


def _read_members(client: WebClient, channel: str) -> frozenset[str]:
    found: set[str] = set()
    cursor: str | None = None
    for _ in range(_MAX_PAGES):
        page = client.conversations_members(channel=channel, cursor=cursor, limit=200)
        found.update(str(m) for m in page.get("members") or [])
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if cursor is None:
            break
    return frozenset(found)
