"""The path back's parts of the verdict card and of *Details* (Hooks.card_sections and
Hooks.details_sections, wired in bot/app.py).

On the card: the conditions to tick, when to look again (with the select that changes it; only
while the record is open, as only an open record is nudged) and *They came back*. In Details:
the conditions and *They came back*; the re-check day is already in Details' first line, so it
is not said twice. A proceed walked away from nothing: none.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain.dates import day_words
from bot.domain.labels import status_label
from bot.domain.model import Actor, Outcome
from bot.domain.pathback import choice_label, recheck_choices
from bot.pathback.access import CLOSED_STATUSES, may_tick_without_asking
from bot.pathback.condition_blocks import condition_blocks
from bot.pathback.payloads import RecordRef
from bot.slack.dates import calendar_day
from bot.slack.deps import Deps
from bot.slack.ids import Action
from bot.slack.text import LIMITS, plain_text
from storage.records import RecordDetail, RecordStatus

RECHECK_BLOCK = f"{Action.RECHECK_DATE}:"
"""+ the record id: the block holding the card's re-check select."""
CAME_BACK_BLOCK = f"{Action.CAME_BACK}:"


def card_section(deps: Deps, record: RecordDetail) -> list[Block]:
    if record.outcome is Outcome.PROCEED:
        return []
    closed = record.status in CLOSED_STATUSES
    conditions = deps.store.conditions.for_record(record_id=record.id)
    blocks = condition_blocks(conditions, record_id=record.id, can_tick=not closed)
    if record.status is RecordStatus.OPEN:  # only an open record is nudged (storage/nudges.py)
        blocks.append(recheck_block(record, can_change=True))
    blocks += came_back_blocks(record)
    return blocks


def details_section(deps: Deps, actor: Actor, record: RecordDetail) -> list[Block]:
    if record.outcome is Outcome.PROCEED:
        return []
    hit = deps.store.search_hit(record_id=record.id, workspace_id=record.workspace_id)
    can_tick = hit is not None and may_tick_without_asking(deps, actor, hit)
    conditions = deps.store.conditions.for_record(record_id=record.id)
    return [
        *condition_blocks(conditions, record_id=record.id, can_tick=can_tick),
        *came_back_blocks(record),
    ]


def recheck_line(record: RecordDetail) -> str:
    if record.recheck_on is None:
        return "*Look again* No date: nobody will be reminded."
    if any(day_words(record.recheck_on) in c.text for c in record.verdict.conditions):
        return "*Look again* on the day the conditions name."
    return f"*Look again* {calendar_day(record.recheck_on)}"


def recheck_block(record: RecordDetail, *, can_change: bool) -> Block:
    select = None
    if can_change:
        select = StaticSelectElement(
            action_id=Action.RECHECK_DATE,
            placeholder=plain_text("Change", 150),
            options=[
                Option(value=choice, text=plain_text(choice_label(choice), LIMITS.OPTION_TEXT))
                for choice in recheck_choices()
            ],
        )
    return SectionBlock(
        block_id=f"{RECHECK_BLOCK}{record.id}",
        text=MarkdownTextObject(text=recheck_line(record)),
        accessory=select,
    )


def came_back_blocks(record: RecordDetail) -> list[Block]:
    """*They came back*; once re-engaged, a line saying so and the offer to re-check instead
    (the re-check flow's own section offers *Re-check now* on open records only)."""
    if record.status is RecordStatus.RE_ENGAGED:
        said = ":leftwards_arrow_with_hook: *Re-engaged*: this deal came back."
        return [
            ContextBlock(elements=[MarkdownTextObject(text=said)]),
            ActionsBlock(
                block_id=f"{CAME_BACK_BLOCK}{record.id}",
                elements=[recheck_button(record.id)],
            ),
        ]
    blocks: list[Block] = [
        ActionsBlock(
            block_id=f"{CAME_BACK_BLOCK}{record.id}",
            elements=[
                ButtonElement(
                    action_id=Action.CAME_BACK,
                    text=plain_text("They came back", LIMITS.BUTTON_TEXT),
                    value=RecordRef(record=record.id).dump(),
                )
            ],
        )
    ]
    if record.status in CLOSED_STATUSES:
        blocks.insert(
            0,
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"Closed as *{status_label(record.status)}*: nothing left to tick."
                    )
                ]
            ),
        )
    return blocks


def recheck_button(record_id: int) -> ButtonElement:
    """*Re-check now*: its handler is the re-check flow's (Action.RECHECK_NOW)."""
    return ButtonElement(
        action_id=Action.RECHECK_NOW,
        text=plain_text("Re-check now", LIMITS.BUTTON_TEXT),
        value=str(record_id),
        style="primary",
    )
