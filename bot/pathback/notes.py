"""A note on one condition ("they named Priya as owner on the call"), in a small modal.

The button opens it inline (a trigger_id lasts 3 s); the submission stores the note inline,
since a modal must answer with its errors, and leaves re-rendering the card to the job queue.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field as PydanticField
from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.pathback.access import allow
from bot.slack.card import card_ts, refresh_card
from bot.slack.deps import Deps, actor_from
from bot.slack.errors import Refusal
from bot.slack.ids import Action, Field
from bot.slack.ids import Block as BlockId
from bot.slack.ids import View as ViewId
from bot.slack.inputs import note_input
from bot.slack.payloads import BadPayload, Ref
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn
from storage.conditions import NOTE_LIMIT

NOTE_BUTTON = re.compile(rf"^{Action.CONDITION_ADD_NOTE}:(\d+)$")


class NoteRef(Ref):
    record: int
    n: int = PydanticField(ge=0, le=1000)


def open_modal(client: WebClient, deps: Deps, body: dict[str, Any]) -> None:
    ref = NoteRef.load(body["actions"][0].get("value"))
    allow(client, deps, actor_from(body), ref.record)
    items = deps.store.conditions.for_record(record_id=ref.record)
    item = next((c for c in items if c.position == ref.n), None)
    if item is None:
        raise BadPayload("no such condition")
    view = View(
        type="modal",
        callback_id=ViewId.CONDITION_NOTE,
        private_metadata=ref.dump(),
        title=plain_text("Note on a condition", LIMITS.MODAL_TITLE),
        submit=plain_text("Save", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=f"_{safe_mrkdwn(item.text, 2000)}_")),
            note_input(
                BlockId.NOTE_INPUT,
                label="Note",
                placeholder="What you learnt, for whoever looks next",
                max_length=NOTE_LIMIT,
                initial=item.note,
            ),
        ],
    )
    if (body.get("view") or {}).get("type") == "modal":
        client.views_push(trigger_id=body["trigger_id"], view=view)
    else:
        client.views_open(trigger_id=body["trigger_id"], view=view)


def save(client: WebClient, deps: Deps, body: dict[str, Any]) -> int:
    """Store the note (Refusal / BadPayload for the modal's error); returns the record id."""
    view = body["view"]
    ref = NoteRef.load(view.get("private_metadata"))
    allow(client, deps, actor_from(body), ref.record)
    note = view["state"]["values"].get(BlockId.NOTE_INPUT, {}).get(Field.NOTE, {}).get("value")
    if not deps.store.conditions.set_note(record_id=ref.record, position=ref.n, note=note):
        raise Refusal("That condition is no longer on the record.")
    return ref.record


def refresh(client: WebClient, deps: Deps, record_id: int) -> None:
    ts = card_ts(deps, record_id)
    record = deps.store.get_record(record_id=record_id)
    if ts and record is not None:
        refresh_card(client, deps, record=record, ts=ts)
