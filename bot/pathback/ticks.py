"""What a tick (or a new re-check date) does, run from the job queue after the click's ack.

A click is applied at most once: the state change is conditional (storage/conditions.py) and
keyed by who clicked and when (Slack's action_ts), so a double click, a retried request or a
re-run job find it done and only re-render. Then the surface the button lives on is rebuilt:

- the verdict card (its header carries Block.VERDICT): rebuilt whole, from the database
  (bot/slack/card.py `refresh_card`), so every capability's part is current;
- a modal (*Details*): the conditions part of the view is replaced, through views.update;
- any other message (the nudge): its conditions part is replaced in `body["message"]`, the rest
  left exactly as Slack sent it, through chat.update. A message showing conditions through
  `condition_blocks` gets this for free; `rerender_conditions` is public for other callers.

After a tick in a modal or another message the card is rebuilt too (`card_too`): the rep
scrolling back to it sees the same state as the nudge they ticked in.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block, MarkdownTextObject, SectionBlock

from bot.domain.pathback import ConditionState, RecheckProblem, recheck_from_choice
from bot.pathback.access import CLOSED_STATUSES, Allowed, allow
from bot.pathback.condition_blocks import condition_blocks, replace_conditions, shown_in
from bot.pathback.payloads import ConditionRef
from bot.pathback.sections import RECHECK_BLOCK, recheck_button
from bot.slack.card import card_ts, refresh_card
from bot.slack.dates import calendar_day
from bot.slack.deps import Deps, actor_from, homes_changed
from bot.slack.errors import Refusal, is_transient
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.payloads import BadPayload
from bot.slack.text import safe_mrkdwn

log = logging.getLogger(__name__)

TICK = re.compile(
    rf"^({Action.CONDITION_MET}|{Action.CONDITION_NOT_YET}|{Action.CONDITION_NOT_RELEVANT}"
    rf"|{Action.CONDITION_REOPEN}):(\d+)$"
)
_STATES = {
    Action.CONDITION_MET: ConditionState.MET,
    Action.CONDITION_NOT_RELEVANT: ConditionState.NOT_RELEVANT,
    Action.CONDITION_REOPEN: ConditionState.OPEN,
}
ALL_MET = "Every condition of *{deal}* is met or set aside: time to look at it again?"


def clicked_at(action: dict[str, Any], body: dict[str, Any]) -> datetime | None:
    """When Slack says the click happened (action_ts), for the record and the click's key."""
    raw = action.get("action_ts") or body.get("action_ts")
    try:
        return datetime.fromtimestamp(float(raw), tz=UTC) if raw else None
    except (TypeError, ValueError):
        return None


def tick(client: WebClient, deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    action = body["actions"][0]
    matched = TICK.match(str(action.get("action_id")))
    if matched is None:
        raise BadPayload("not a condition button")
    ref = ConditionRef.load(action.get("value"))
    actor = actor_from(body)
    allowed = allow(client, deps, actor, ref.record)
    kind = Action(matched.group(1))
    key = f"tick:{actor.team_id}:{actor.user_id}:{action.get('action_ts') or ''}"
    now = clicked_at(action, body)
    if kind is Action.CONDITION_NOT_YET:
        changed = deps.store.conditions.not_yet(
            record_id=ref.record, position=ref.n, by_user_id=allowed.user_id, key=key, now=now
        )
    else:
        changed = deps.store.conditions.set_state(
            record_id=ref.record,
            position=ref.n,
            state=_STATES[kind],
            by_user_id=allowed.user_id,
            key=key,
            now=now,
        )
    rerender(client, deps, body, ref.record)
    if changed:
        homes_changed(deps, team_id=actor.team_id, users=[allowed.hit.rep_slack_user_id])
        if kind is Action.CONDITION_MET:
            _offer_recheck_when_all_met(deps, allowed, respond)


def _offer_recheck_when_all_met(deps: Deps, allowed: Allowed, respond: Respond) -> None:
    conditions = deps.store.conditions.for_record(record_id=allowed.hit.id)
    if not conditions or any(c.is_open for c in conditions):
        return
    if not any(c.state is ConditionState.MET for c in conditions):
        return
    text = ALL_MET.format(deal=safe_mrkdwn(allowed.hit.deal_name, 300))
    blocks = recheck_offer(text, allowed.hit.id)
    respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


def recheck_offer(text: str, record_id: int) -> list[Block]:
    """`text` (app-written mrkdwn, user text already escaped) over *Re-check now*
    (Action.RECHECK_NOW, value `str(record_id)`; the re-check flow handles it)."""
    return [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            block_id=f"{Action.RECHECK_NOW}:{record_id}", elements=[recheck_button(record_id)]
        ),
    ]


def change_recheck(client: WebClient, deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """The card's select: look again in 1, 3, 6 or 12 months (from the click's day), or never."""
    action = body["actions"][0]
    block_id = str(action.get("block_id") or "")
    if not block_id.startswith(RECHECK_BLOCK) or not block_id[len(RECHECK_BLOCK) :].isdigit():
        raise BadPayload("not a re-check select")
    record_id = int(block_id[len(RECHECK_BLOCK) :])
    choice = str((action.get("selected_option") or {}).get("value") or "")
    allowed = allow(client, deps, actor_from(body), record_id)
    today = (clicked_at(action, body) or datetime.now(UTC)).date()
    try:
        day = recheck_from_choice(choice, today=today)
    except RecheckProblem as problem:
        raise Refusal(f"{problem} Nothing was changed.") from None
    deps.store.pathback.set_recheck_on(record_id=record_id, day=day)
    rerender(client, deps, body, record_id)
    homes_changed(deps, team_id=actor_from(body).team_id, users=[allowed.hit.rep_slack_user_id])
    respond(
        text=_recheck_said(day),
        response_type="ephemeral",
        replace_original=False,
    )


def _recheck_said(day: date | None) -> str:
    if day is None:
        return "No re-check date now: nobody will be reminded about this deal."
    return f"I'll remind you to look again on {calendar_day(day)}."


def rerender(client: WebClient, deps: Deps, body: dict[str, Any], record_id: int) -> None:
    """Rebuild whatever the click came from (see the module docstring)."""
    view = body.get("view")
    if isinstance(view, dict) and view.get("id") and view.get("type") == "modal":
        fresh = _fresh_part(deps, view.get("blocks") or [], record_id)
        if fresh is not None:
            client.views_update(view_id=str(view["id"]), view=_view_with(view, fresh))
        card_too(client, deps, record_id)
        return
    message = body.get("message")
    if not isinstance(message, dict) or not message.get("ts"):
        return
    blocks = message.get("blocks") or []
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        return
    is_card = any(b.get("block_id") == BlockId.VERDICT for b in blocks)
    if is_card or card_ts(deps, record_id) == str(message["ts"]):
        refresh_card(client, deps, record=record, ts=str(message["ts"]))
        return
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    fresh = _fresh_part(deps, blocks, record_id)
    if channel and fresh is not None:
        rerender_conditions(
            client, channel=str(channel), message=message, record_id=record_id, blocks=fresh
        )
    card_too(client, deps, record_id)


def card_too(client: WebClient, deps: Deps, record_id: int) -> None:
    """The record's verdict card, after a change made elsewhere (the nudge, Details): the card
    in the rep's thread must not go on offering *Mark met* on a condition that is met. A card
    Slack no longer has (deleted) is not worth failing the click for; a passing error retries."""
    ts = card_ts(deps, record_id)
    record = deps.store.get_record(record_id=record_id) if ts else None
    if ts is None or record is None:
        return
    try:
        refresh_card(client, deps, record=record, ts=ts)
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning("could not redraw the card of record %s: %s", record_id, error)


def rerender_conditions(
    client: WebClient,
    *,
    channel: str,
    message: dict[str, Any],
    record_id: int,
    blocks: list[dict[str, Any]],
) -> None:
    """Update `message` (as Slack sent it in a click's body) with `blocks` in its place."""
    text = str(message.get("text") or "") or "What would change the decision, updated"
    client.chat_update(channel=channel, ts=str(message["ts"]), text=text, blocks=blocks)


def _fresh_part(
    deps: Deps, blocks: list[dict[str, Any]], record_id: int
) -> list[dict[str, Any]] | None:
    shown = shown_in(blocks, record_id)
    if shown is None:
        return None
    conditions = deps.store.conditions.for_record(record_id=record_id)
    record = deps.store.get_record(record_id=record_id)
    can_tick = shown.can_tick and record is not None and record.status not in CLOSED_STATUSES
    fresh = condition_blocks(
        conditions,
        record_id=record_id,
        can_tick=can_tick,
        only_open=shown.only_open,
        not_yet=shown.not_yet,
    )
    return replace_conditions(blocks, fresh, record_id)


def _view_with(view: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
    kept = ("type", "callback_id", "private_metadata", "title", "submit", "close")
    return {**{k: view[k] for k in kept if view.get(k)}, "blocks": blocks}
