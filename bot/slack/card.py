"""The verdict card: the one message every capability adds to, so it lives on the shared edge.

Qualification posts it when a check ends; approvals (the manager's position), and later the
path back and team insight, each add their section through `Hooks.card_sections`, and any of
them can re-render the whole card with `refresh_card` when its own part changes. The card is
always rebuilt from the database, so a refresh from any process shows every section's truth.
"""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.model import Outcome, Verdict
from bot.slack.deps import Deps
from bot.slack.ids import Block as BlockId
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn
from storage.records import RecordDetail

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
_NEXT = {
    Outcome.PROCEED: "Nothing in your answers calls for walking away: keep going.",
    Outcome.WALK: "Leave the door open: the draft for the buyer says what would bring us back.",
    Outcome.DEFER: "Pause the deal for now: the draft for the buyer says when we will look again.",
    Outcome.STOP_PILOT: (
        "End the pilot before more time goes into it: the draft for the buyer says what a "
        "fresh start would need."
    ),
    Outcome.REDIRECT: (
        "Steer the buyer to a use case that can work: the draft for the buyer proposes it."
    ),
}
"""What to do next, under the header. The record line (the verdict's one-line summary kept for
the record, search and Home) is not repeated on the card: its reasons and its conditions are
the card's own sections, and a deferral's re-check date is in its conditions, so each fact is
stated once."""
_NEXT_WITH_CAUTIONS = "Nothing in your answers calls for walking away: settle the cautions first."


def verdict_card(
    verdict: Verdict, *, deal_name: str, record_id: int, conditions: bool = True
) -> Message:
    """The card's own blocks; `conditions=False` when a section lists them (Hooks)."""
    outcome = verdict.outcome
    title = f"{outcome.label}: {deal_name}"
    lead = _NEXT[outcome]
    if outcome is Outcome.PROCEED and verdict.cautions:
        lead = _NEXT_WITH_CAUTIONS
    blocks: list[Block] = [
        HeaderBlock(
            block_id=BlockId.VERDICT,
            text=plain_text(f"{outcome.label}: {deal_name}", LIMITS.HEADER),
        ),
        SectionBlock(text=MarkdownTextObject(text=f"{_EMOJI[outcome]} {lead}")),
    ]
    for heading, items in (
        ("Why", [r.text for r in verdict.reasons]),
        (
            "What would change the decision",
            [c.text for c in verdict.conditions] if conditions else [],
        ),
        ("Cautions", [c.text for c in verdict.cautions]),
    ):
        if items:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=_bullets(heading, items))))
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Record #{record_id}")]))
    return plain_text(title, 3000), blocks


def _bullets(heading: str, items: list[str]) -> str:
    """A heading and up to _LIST_ITEMS bullets sharing one section's 3000 characters."""
    shown = items[:_LIST_ITEMS]
    head = f"*{heading}*\n"
    more = f"\n_…and {len(items) - len(shown)} more_" if len(items) > len(shown) else ""
    room = LIMITS.SECTION_TEXT - len(head) - len(more)
    budget = room // max(len(shown), 1) - len("• \n")
    lines = "\n".join(f"• {safe_mrkdwn(sentence_case(item), budget)}" for item in shown)
    return f"{head}{lines}{more}"


def sentence_case(item: str) -> str:
    """Conditions are clauses ("re-check on …", "they accept …"); a bullet reads as a sentence."""
    return item[:1].upper() + item[1:]


def card_key(record_id: int) -> str:
    """The verdict card's post key (bot/slack/effects.py): its ts, for whoever re-renders it."""
    return f"card:{record_id}"


def card_ts(deps: Deps, record_id: int) -> str | None:
    """Where the record's verdict card is (its ts in the record's thread), once posted."""
    posted = deps.store.post_info(key=card_key(record_id))
    return posted.ts if posted is not None else None


def full_card(deps: Deps, record: RecordDetail, *, notice: str | None = None) -> Message:
    """The card with every capability's section under it, and a one-off notice at the foot."""
    text, blocks = verdict_card(
        record.verdict,
        deal_name=record.deal_name,
        record_id=record.id,
        conditions=not deps.hooks.lists_conditions,
    )
    for section in deps.hooks.card_sections:
        blocks += section(deps, record)
    if notice:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=notice)]))
    return text, blocks[: LIMITS.BLOCKS_PER_MESSAGE]


def refresh_card(
    client: WebClient, deps: Deps, *, record: RecordDetail, ts: str, notice: str | None = None
) -> None:
    """Re-render the rep's verdict card (the message at `ts` in the record's thread)."""
    if not record.channel_id:
        return
    text, blocks = full_card(deps, record, notice=notice)
    client.chat_update(channel=record.channel_id, ts=ts, text=text, blocks=blocks)
