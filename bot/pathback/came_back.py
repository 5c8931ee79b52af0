"""*They came back*: the buyer returned, so the record becomes re-engaged, the person who said
so is offered a re-check, and the rep's manager (or the deal desk) is told in one line.

From the card or Details (a modal for the note) and from `/walkaway back <deal> [note]`, which
finds the rep's latest record of that deal; a name it cannot place is answered with the rep's
closest deal names, from their own records in this workspace only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.domain.model import Actor
from bot.domain.pathback import closest_names, name_key
from bot.pathback.access import allow, desk_of
from bot.pathback.payloads import RecordRef
from bot.pathback.ticks import recheck_offer
from bot.slack.card import card_ts, refresh_card
from bot.slack.deps import Deps, actor_from, homes_changed
from bot.slack.effects import post_for_job
from bot.slack.errors import Refusal
from bot.slack.ids import Block as BlockId
from bot.slack.ids import View as ViewId
from bot.slack.inputs import note_input
from bot.slack.names import names_for
from bot.slack.text import LIMITS, escape, plain_text, safe_mrkdwn, truncate
from storage.pathback import NOTE_LIMIT, DealRecord

ALREADY = "*{deal}* is marked re-engaged already: the buyer's return is on the record."
DONE = "Marked *{deal}* re-engaged: the buyer came back. Re-check it with what you knew?"
USAGE = "Say which deal: `/walkaway back <deal> [what happened]`."
CLOSEST = 3


def modal(deal_name: str, ref: RecordRef) -> View:
    return View(
        type="modal",
        callback_id=ViewId.CAME_BACK,
        private_metadata=ref.dump(),
        title=plain_text("They came back", LIMITS.MODAL_TITLE),
        submit=plain_text("Save", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"The buyer of *{safe_mrkdwn(deal_name, 300)}* came back. The record "
                    "becomes re-engaged, and your manager is told."
                )
            ),
            note_input(
                BlockId.NOTE_INPUT,
                label="What happened",
                placeholder="e.g. They named an owner and asked us back in",
                max_length=NOTE_LIMIT,
            ),
        ],
    )


def open_modal(client: WebClient, deps: Deps, body: dict[str, Any]) -> None:
    """The button's click, inline (a trigger_id lasts 3 s): the note modal, pushed over Details."""
    ref = RecordRef.load(body["actions"][0].get("value"))
    actor = actor_from(body)
    allowed = allow(client, deps, actor, ref.record, open_only=False)
    if allowed.hit.status == "re-engaged":
        raise Refusal(ALREADY.format(deal=safe_mrkdwn(allowed.hit.deal_name, 300)))
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id")
    where = RecordRef(record=ref.record, channel=channel, ts=message.get("ts"))
    view = modal(allowed.hit.deal_name, where)
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


@dataclass(frozen=True)
class Marked:
    record_id: int
    deal_name: str
    changed: bool


def mark(client: WebClient, deps: Deps, actor: Actor, record_id: int, note: str | None) -> Marked:
    """Store the return (once); Refusal for someone who may not."""
    allowed = allow(client, deps, actor, record_id, open_only=False)
    changed = deps.store.pathback.came_back(
        record_id=record_id, note=note, by_user_id=allowed.user_id
    )
    if changed:
        homes_changed(deps, team_id=actor.team_id, users=[allowed.hit.rep_slack_user_id])
    return Marked(record_id=record_id, deal_name=allowed.hit.deal_name, changed=changed)


def after_marked(
    client: WebClient, deps: Deps, *, actor: Actor, record_id: int, at: str | None
) -> None:
    """Re-render the card and tell the manager (or the deal desk), in the job after the mark."""
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        return
    ts = at or card_ts(deps, record_id)
    if ts:
        refresh_card(client, deps, record=record, ts=ts)
    note = next((c.note for c in reversed(record.status_history) if c.status == "re-engaged"), None)
    line = f"*{safe_mrkdwn(record.deal_name, 300)}* came back"
    line += f": {safe_mrkdwn(truncate(note, 500), 600)}" if note else "."
    hit = deps.store.search_hit(record_id=record_id, workspace_id=record.workspace_id)
    manager = hit.rep_manager_slack_id if hit is not None else None
    if manager and manager != actor.user_id:
        channel = str(client.conversations_open(users=manager)["channel"]["id"])
        text = f"{line} (said by <@{actor.user_id}>, for <@{record.rep_slack_user_id}>'s record)"
        post_for_job(client, deps.store, what="came_back_manager", channel=channel, text=text)
    elif manager is None and (desk := desk_of(deps, record_id)):
        naming = names_for(
            client, deps.store, workspace_id=record.workspace_id, slack_ids=[actor.user_id]
        )
        text = f"{line} (said by {naming(actor.user_id)})"
        post_for_job(client, deps.store, what="came_back_desk", channel=desk, text=text)


def said_back(client: WebClient, deps: Deps, body: dict[str, Any], respond: Respond) -> None:
    """The modal's job: the offer to re-check in the person's DM, then card and manager."""
    ref = RecordRef.load(body.get("meta"))
    actor = actor_from(body)
    record = deps.store.get_record(record_id=ref.record)
    if record is None:
        return
    text = DONE.format(deal=safe_mrkdwn(record.deal_name, 300))
    channel = str(client.conversations_open(users=actor.user_id)["channel"]["id"])
    post_for_job(
        client,
        deps.store,
        what="came_back",
        channel=channel,
        text=text,
        blocks=recheck_offer(text, ref.record),
    )
    after_marked(client, deps, actor=actor, record_id=ref.record, at=ref.ts)


# -- /walkaway back <deal> [note] -------------------------------------------------------------


def back_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    actor = actor_from(body)
    if not rest.strip():
        respond(text=USAGE, response_type="ephemeral")
        return
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    deals = deps.store.pathback.deals_of_rep(
        workspace_id=workspace_id, rep_user_id=deps.user_id(actor)
    )
    found = find_deal(rest, deals)
    if found is None:
        respond(text=unknown_deal(rest, deals), response_type="ephemeral")
        return
    deal, note = found
    marked = mark(client, deps, actor, deal.record_id, note or None)
    deal_words = safe_mrkdwn(deal.deal_name, 300)
    text = DONE.format(deal=deal_words) if marked.changed else ALREADY.format(deal=deal_words)
    respond(text=text, blocks=recheck_offer(text, deal.record_id), response_type="ephemeral")
    if marked.changed:
        after_marked(client, deps, actor=actor, record_id=deal.record_id, at=None)


def find_deal(text: str, deals: list[DealRecord]) -> tuple[DealRecord, str] | None:
    """The deal whose name the text starts with (the longest such name), and the rest: the note."""
    words = text.split()
    by_key = {name_key(d.deal_name): d for d in reversed(deals)}  # newest wins a shared key
    for size in range(len(words), 0, -1):
        deal = by_key.get(name_key(" ".join(words[:size])))
        if deal is not None:
            return deal, " ".join(words[size:])
    return None


def unknown_deal(text: str, deals: list[DealRecord]) -> str:
    if not deals:
        return "You have no walk-away records in this workspace yet, so there is no deal to mark."
    names = [d.deal_name for d in deals]
    closest = closest_names(text, names, limit=CLOSEST)
    shown = closest or names[:CLOSEST]
    listed = ", ".join(f"*{escape(truncate(n, 150))}*" for n in shown)
    heading = "Did you mean" if closest else "Your latest deals are"
    return (
        f"I can't find a deal called “{escape(truncate(text, 150))}” among your records. "
        f"{heading}: {listed}? Then `/walkaway back <deal> [what happened]`."
    )
