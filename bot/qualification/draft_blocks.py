"""Block Kit for the buyer draft under a verdict: the draft, its buttons, and its plain text.

The verdict card itself is shared by every capability that adds to it: bot/slack/card.py.
"""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.qualification.payloads import RecordRef
from bot.slack.dates import slack_when
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.text import LIMITS, escape, truncate

Message = tuple[str, list[Block]]


def draft_message(
    *, record_id: int, draft: str, sent_at: datetime | None = None, sent_by: str | None = None
) -> Message:
    """The buyer-facing draft; once sent, the buttons give way to who sent it and when."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="*Draft message to the buyer*")),
        *(SectionBlock(text=MarkdownTextObject(text=part)) for part in _sections(_quote(draft))),
    ]
    if sent_at is None:
        ref = RecordRef(record=record_id).dump()
        blocks.append(
            ActionsBlock(
                block_id=BlockId.DRAFT_ACTIONS,
                elements=[
                    ButtonElement(text="Edit draft", action_id=Action.EDIT_DRAFT, value=ref),
                    ButtonElement(
                        text="Mark as sent", action_id=Action.MARK_SENT, value=ref, style="primary"
                    ),
                    ButtonElement(text="Copy text", action_id=Action.COPY_TEXT, value=ref),
                ],
            )
        )
    else:
        who = f" by <@{sent_by}>" if sent_by else ""
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":outbox_tray: Marked as sent{who} · {slack_when(sent_at)}"
                    )
                ]
            )
        )
    return "Draft message to the buyer", blocks


def _quote(draft: str) -> str:
    return "\n".join(f">{line}" if line else ">" for line in escape(draft).splitlines())


_SECTION_BUDGET = LIMITS.SECTION_TEXT - 10
_MAX_SECTIONS = 8
"""An edited draft is capped at 3000 characters, which escaped and quoted fits in far fewer."""


def _sections(escaped: str, *, wrap: str = "") -> list[str]:
    """Split already-escaped text on line breaks into section-sized parts, never mid-entity."""
    parts: list[str] = []
    current = ""
    budget = _SECTION_BUDGET - 2 * len(wrap)
    for line in escaped.splitlines():
        while len(line) > budget:
            head = truncate(line, budget)[:-1]
            parts.append(head)
            line = line[len(head) :]
        if current and len(current) + 1 + len(line) > budget:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return [f"{wrap}{part}{wrap}" for part in parts[:_MAX_SECTIONS] if part]


def copy_text_message(draft: str) -> Message:
    """Plain text inside a code block: Slack leaves it unformatted, so it pastes cleanly."""
    body = escape(draft).replace("`" * 3, "'" * 3)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=part)) for part in _sections(body, wrap="`" * 3)
    ]
    return "Draft as plain text", blocks
