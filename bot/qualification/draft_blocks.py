"""Block Kit for the buyer draft under a verdict: who it is for, the draft, its buttons.

One message carries the draft from start to end, posted once under `draft:<record>`: first it
asks who the message is for (*Add recipient* or *Skip*), then it shows the draft with its
subject line, in the email or the short-note length, and finally who sent it and when. Each
state is drawn from the stored record alone, so any job can redraw it.

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

from bot.domain.drafts import Length, Recipient, word_count
from bot.domain.mailto import mailto_url
from bot.qualification.payloads import LengthRef, RecordRef
from bot.slack.dates import slack_when
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.text import LIMITS, escape, truncate
from storage.records import RecordDetail

Message = tuple[str, list[Block]]

ASK_TEXT = "Who is this message for?"


def draft_card(record: RecordDetail) -> Message:
    """The draft message as the record stands: the question, the draft, or the sent draft."""
    if record.sent_at is None and record.addressed_at is None:
        return recipient_question(record)
    if record.sent_at is not None:
        return draft_message(
            record_id=record.id,
            draft=record.sent_text or record.shown_draft or "",
            sent_at=record.sent_at,
            sent_by=record.sent_by,
        )
    return _draft(record)


def recipient_question(record: RecordDetail) -> Message:
    """Before the draft: one step, skippable, remembered for the deal's later checks."""
    ref = RecordRef(record=record.id).dump()
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{ASK_TEXT}* Add the buyer's organisation and your contact's first name, "
                "and the draft greets them by name and speaks of their organisation. I'll "
                "remember them for this deal's next checks."
            )
        ),
        ActionsBlock(
            block_id=BlockId.RECIPIENT_ACTIONS,
            elements=[
                ButtonElement(
                    text="Add recipient", action_id=Action.ADD_RECIPIENT, value=ref, style="primary"
                ),
                ButtonElement(text="Skip", action_id=Action.SKIP_RECIPIENT, value=ref),
            ],
        ),
    ]
    return f"{ASK_TEXT} The draft to the buyer comes next.", blocks


def _for_whom(record: RecordDetail) -> str:
    who = Recipient.of(record.organisation, record.contact).describe()
    return escape(who) if who else "the buyer"


def _draft(record: RecordDetail) -> Message:
    length = Length(record.draft_length) if record.draft_short else Length.EMAIL
    body = record.shown_draft or ""
    kind = "Short note" if length is Length.SHORT else "Draft email"
    subject = record.subject or ""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"*{kind} to {_for_whom(record)}*")),
    ]
    if length is Length.EMAIL and subject:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=truncate(f"*Subject:* {escape(subject)}", LIMITS.SECTION_TEXT)
                )
            )
        )
    blocks += [SectionBlock(text=MarkdownTextObject(text=p)) for p in _sections(_quote(body))]
    ref = RecordRef(record=record.id).dump()
    other = Length.EMAIL if length is Length.SHORT else Length.SHORT
    fallback = record.draft_short if length is Length.EMAIL else None
    blocks += [
        ActionsBlock(
            block_id=BlockId.DRAFT_ACTIONS,
            elements=[
                ButtonElement(
                    text="Open in email",
                    action_id=Action.OPEN_EMAIL,
                    url=mailto_url(subject=subject, body=body, fallback=fallback),
                    style="primary",
                ),
                ButtonElement(text="Copy text", action_id=Action.COPY_TEXT, value=ref),
                ButtonElement(text="Edit draft", action_id=Action.EDIT_DRAFT, value=ref),
                ButtonElement(text="Mark as sent", action_id=Action.MARK_SENT, value=ref),
            ],
        ),
        ActionsBlock(
            block_id=BlockId.DRAFT_OPTIONS,
            elements=[
                *(
                    [
                        ButtonElement(
                            text="Show short note" if other is Length.SHORT else "Show email",
                            action_id=Action.DRAFT_LENGTH,
                            value=LengthRef(record=record.id, length=other.value).dump(),
                        )
                    ]
                    if record.draft_short
                    else []
                ),
                ButtonElement(
                    text="Change recipient"
                    if record.contact or record.organisation
                    else "Add recipient",
                    action_id=Action.ADD_RECIPIENT,
                    value=ref,
                ),
            ],
        ),
        ContextBlock(elements=[MarkdownTextObject(text=_about(length, body))]),
    ]
    return f"{kind} to the buyer", blocks


def _about(length: Length, body: str) -> str:
    words = word_count(body)
    if length is Length.SHORT:
        return f"{words} words, for chat or LinkedIn. *Show email* gives the longer version."
    return (
        f"{words} words, with its subject. *Show short note* gives a version for chat or LinkedIn."
    )


def draft_message(
    *, record_id: int, draft: str, sent_at: datetime | None = None, sent_by: str | None = None
) -> Message:
    """A draft as sent (who and when), or, for older callers, a plain draft with the buttons."""
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


def copy_text_message(draft: str, *, subject: str | None = None) -> Message:
    """Plain text inside a code block: Slack leaves it unformatted, so it pastes cleanly."""
    text = f"Subject: {subject}\n\n{draft}" if subject else draft
    body = escape(text).replace("`" * 3, "'" * 3)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=part)) for part in _sections(body, wrap="`" * 3)
    ]
    return "Draft as plain text", blocks
