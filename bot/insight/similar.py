"""Similar past walks on the verdict card (Hooks.card_sections, wired in bot/app.py).

A verdict other than *proceed* shows up to three earlier records of the workspace that share
its fired signals (storage/similar.py ranks them: most signals shared, then the newest), each
with its deal, date, outcome and what happened since, and *Details*: search's own button
(Action.SEARCH_DETAILS with the record's id, as the re-check's *Earlier check* sends it), so
its handler opens the record in one hop. Nothing is shown when no earlier record shares a
signal: the card never carries a heading over an empty list.
"""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.labels import status_label
from bot.domain.model import Outcome
from bot.slack.dates import slack_day
from bot.slack.deps import Deps
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn
from storage.records import RecordDetail, RecordStatus
from storage.similar import SimilarRecord

SHOWN = 3
HEADING = "*Similar past walks* · earlier deals here with signals in common"
DETAILS = "Details"
DEAL_LIMIT = 300
_SINCE = {
    RecordStatus.OPEN: "Still open",
    RecordStatus.RE_ENGAGED: "Came back",
}


def card_section(deps: Deps, record: RecordDetail) -> list[Block]:
    if record.outcome is Outcome.PROCEED:
        return []
    signals = [reason.signal for reason in record.verdict.reasons]
    found = deps.store.similar.similar_records(
        workspace_id=record.workspace_id, record_id=record.id, signals=signals, limit=SHOWN
    )
    return similar_blocks(found, fired=len(dict.fromkeys(signals)))


def similar_blocks(found: list[SimilarRecord], *, fired: int) -> list[Block]:
    """The heading and one line per record, each with its *Details*; nothing when none."""
    if not found:
        return []
    blocks: list[Block] = [
        DividerBlock(),  # apart from the card's own buttons above it
        ContextBlock(block_id=BlockId.SIMILAR, elements=[MarkdownTextObject(text=HEADING)]),
    ]
    for similar in found:
        blocks.append(
            SectionBlock(
                block_id=f"{BlockId.SIMILAR}:{similar.id}",
                text=MarkdownTextObject(text=line(similar, fired=fired)),
                accessory=ButtonElement(
                    text=plain_text(DETAILS, LIMITS.BUTTON_TEXT),
                    action_id=Action.SEARCH_DETAILS,
                    value=json.dumps({"record": similar.id}),
                ),
            )
        )
    return blocks


def line(similar: SimilarRecord, *, fired: int) -> str:
    """'*Globex renewal* · Walk away · Mar 3' over 'Came back Apr 12 · 2 of 3 signals shared'."""
    head = (
        f"*{safe_mrkdwn(similar.deal_name, DEAL_LIMIT)}* · {similar.outcome.label}"
        f" · {slack_day(similar.created_at)}"
    )
    return f"{head}\n{since(similar)} · {shared_words(len(similar.shared), fired)}"


def since(similar: SimilarRecord) -> str:
    """What happened to it since: still open, came back, won, lost or closed (and when)."""
    words = _SINCE.get(similar.status) or status_label(similar.status)
    if similar.status is not RecordStatus.OPEN and similar.status_at is not None:
        words += f" {slack_day(similar.status_at)}"
    return words


def shared_words(shared: int, fired: int) -> str:
    if fired <= 1:
        return "same signal"
    if shared >= fired:
        return "both signals shared" if fired == 2 else f"all {fired} signals shared"
    return f"{shared} of {fired} signals shared"
