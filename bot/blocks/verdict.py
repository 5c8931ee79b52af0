"""Block Kit for the end of a qualification: the verdict card, the draft and its buttons."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.blocks.text import LIMITS, escape, plain_text, safe_mrkdwn, truncate
from bot.domain.model import Outcome, Verdict
from bot.ids import Action
from bot.ids import Block as BlockId
from bot.payloads import RecordRef

Message = tuple[str, list[Block]]

_EMOJI = {
    Outcome.PROCEED: ":large_green_circle:",
    Outcome.REDIRECT: ":twisted_rightwards_arrows:",
    Outcome.DEFER: ":hourglass_flowing_sand:",
    Outcome.WALK: ":door:",
    Outcome.STOP_PILOT: ":octagonal_sign:",
}
_LIST_ITEMS = 12
"""Enough for every signal the rules can fire, while keeping each section under 3000 chars."""


def verdict_card(verdict: Verdict, *, deal_name: str, record_id: int) -> Message:
    outcome = verdict.outcome
    title = f"{outcome.label}: {deal_name}"
    blocks: list[Block] = [
        HeaderBlock(
            block_id=BlockId.VERDICT,
            text=plain_text(f"{outcome.label}: {deal_name}", LIMITS.HEADER),
        ),
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{_EMOJI[outcome]} {safe_mrkdwn(verdict.record_line, 2900)}"
            )
        ),
    ]
    for heading, items in (
        ("Why", [r.text for r in verdict.reasons]),
        ("What would change the decision", [c.text for c in verdict.conditions]),
        ("Cautions", [c.text for c in verdict.cautions]),
    ):
        if items:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=_bullets(heading, items))))
    if verdict.recheck_on:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=f"*Re-check on* {verdict.recheck_on:%A %d %B %Y}")
            )
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Record #{record_id}")]))
    return plain_text(title, 3000), blocks


def _bullets(heading: str, items: list[str]) -> str:
    """A heading and up to _LIST_ITEMS bullets sharing one section's 3000 characters."""
    shown = items[:_LIST_ITEMS]
    head = f"*{heading}*\n"
    more = f"\n_…and {len(items) - len(shown)} more_" if len(items) > len(shown) else ""
    room = LIMITS.SECTION_TEXT - len(head) - len(more)
    budget = room // max(len(shown), 1) - len("• \n")
    lines = "\n".join(f"• {safe_mrkdwn(item, budget)}" for item in shown)
    return f"{head}{lines}{more}"


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
                        text=f":outbox_tray: Marked as sent{who} on {sent_at:%d %b %Y %H:%M} UTC"
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
