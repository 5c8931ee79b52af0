"""*Close for good*'s modal: lost or closed, and a note for the record's history.

A nudge's last button: the deal will not come back (lost to a competitor, the project
cancelled), so the re-checks stop. The record keeps its history; search shows the new status.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    RadioButtonsElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.pathback.payloads import CloseRef
from bot.slack.ids import Block as BlockId
from bot.slack.ids import Field
from bot.slack.ids import View as ViewId
from bot.slack.inputs import note_input
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn
from storage.records import RecordDetail, RecordStatus

NOTE_LIMIT = 1000
CHOICES = {
    RecordStatus.LOST: "Lost: they went another way",
    RecordStatus.CLOSED: "Closed: no longer a deal to pursue",
}


def close_modal(record: RecordDetail, meta: CloseRef) -> View:
    return View(
        type="modal",
        callback_id=ViewId.CLOSE_FOR_GOOD,
        title=plain_text("Close for good", LIMITS.MODAL_TITLE),
        submit=plain_text("Close it", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        private_metadata=meta.dump(),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{safe_mrkdwn(record.deal_name, 200)}* will get no more re-checks."
                )
            ),
            InputBlock(
                block_id=BlockId.RECORD_STATUS,
                label=plain_text("What became of it?", 2000),
                element=RadioButtonsElement(
                    action_id=Field.STATUS,
                    options=[
                        Option(text=plain_text(words, LIMITS.OPTION_TEXT), value=status.value)
                        for status, words in CHOICES.items()
                    ],
                ),
            ),
            note_input(
                BlockId.RECORD_STATUS_NOTE,
                label="A note for the record",
                placeholder="e.g. They signed with another vendor in May",
                max_length=NOTE_LIMIT,
            ),
        ],
    )


def close_values(
    values: dict[str, Any],
) -> tuple[RecordStatus | None, str | None, dict[str, str] | None]:
    """(status, note, None), or the errors to show on the form."""
    picked = (
        (values.get(BlockId.RECORD_STATUS, {}).get(Field.STATUS) or {}).get("selected_option") or {}
    ).get("value")
    note = (values.get(BlockId.RECORD_STATUS_NOTE, {}).get(Field.NOTE) or {}).get("value") or ""
    try:
        status: RecordStatus | None = RecordStatus(str(picked))
    except ValueError:
        status = None
    if status not in CHOICES:
        return None, None, {BlockId.RECORD_STATUS: "Pick lost or closed."}
    return status, note.strip()[:NOTE_LIMIT] or None, None
