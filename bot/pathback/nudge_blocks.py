"""The nudge's Block Kit: the deal, when and why it was walked from, what would bring us back
(with *Met* / *Not yet*), and *Re-check now*, *Snooze* and *Close for good*.

The same builder renders the nudge again after a click, from the record as it is now: once the
record moved on (snoozed, re-dated, closed, re-engaged) the buttons give way to a line saying
so, and a click on an old copy shows that line instead of changing anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    StaticSelectElement,
)

from bot.domain.model import Verdict
from bot.pathback.condition_blocks import condition_blocks
from bot.pathback.payloads import NudgeRef
from bot.pathback.snooze import PERIODS, moved_on
from bot.slack.dates import calendar_day, slack_day
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.names import Naming
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn
from storage.conditions import ConditionInfo
from storage.records import RecordDetail

MAX_REASONS = 6
MAX_CONDITIONS = 10
"""Two blocks each (the text, its buttons): with the rest, well under a message's 50."""
LINE = 600
REASONS_TEXT = 2700


def nudge_message(
    record: RecordDetail,
    conditions: Sequence[ConditionInfo],
    *,
    due_on: date,
    who: Naming,
    instead_of_rep: bool = False,
) -> tuple[str, list[Block]]:
    """The nudge for `record`'s re-check on `due_on`, as things stand now."""
    deal = safe_mrkdwn(record.deal_name, 200)
    text = f"Time to look again at {plain_text(record.deal_name, 200)}"
    blocks: list[Block] = [
        HeaderBlock(text=plain_text(f"Time to look again: {record.deal_name}", 150))
    ]
    rep = who(record.rep_slack_user_id)
    opener = (
        f"{rep} has left the workspace, so their re-check comes to you.\n" if instead_of_rep else ""
    )
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(
                text=f"{opener}*{deal}* was *{record.outcome.label}* on "
                f"{slack_day(record.created_at)}{f' (rep {rep})' if instead_of_rep else ''}; "
                "the re-check date was "
                f"*{calendar_day(due_on)}*."
            )
        )
    )
    blocks.append(SectionBlock(text=MarkdownTextObject(text=_why(record.verdict))))
    blocks += render_conditions(record, conditions, who)
    state = moved_on(record.status, record.recheck_on, due_on)
    if state is None:
        blocks.append(actions(record.id, due_on, block=f"{BlockId.NUDGE_ACTIONS}:{record.id}"))
    else:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=state)))
    return text, blocks


def _why(verdict: Verdict) -> str:
    if not verdict.reasons:
        return f"*Why:* {safe_mrkdwn(verdict.record_line, LINE)}"
    each = REASONS_TEXT // MAX_REASONS  # the section holds them all
    lines = [f"• {safe_mrkdwn(r.text, each)}" for r in verdict.reasons[:MAX_REASONS]]
    if len(verdict.reasons) > MAX_REASONS:
        lines.append(f"• …and {len(verdict.reasons) - MAX_REASONS} more")
    return "*Why:*\n" + "\n".join(lines)


def render_conditions(
    record: RecordDetail, conditions: Sequence[ConditionInfo], who: Naming
) -> list[Block]:
    """What is still open, with *Met* / *Not yet* (bot/pathback/condition_blocks.py, whose
    tick handler re-renders just this part of the nudge after a click)."""
    if not conditions:
        return []
    return [
        DividerBlock(),
        *condition_blocks(
            conditions, record_id=record.id, can_tick=True, only_open=True, not_yet=True, who=who
        ),
    ]


def actions(record_id: int, due_on: date, *, block: str) -> ActionsBlock:
    """*Re-check now*, *Snooze* and *Close for good* for a record shown due on `due_on`."""
    return ActionsBlock(
        block_id=block,
        elements=[
            ButtonElement(
                text="Re-check now",
                action_id=Action.RECHECK_NOW,
                value=str(record_id),
                style="primary",
            ),
            snooze_select(record_id, due_on),
            ButtonElement(
                text="Close for good",
                action_id=Action.NUDGE_CLOSE,
                value=NudgeRef(r=record_id, d=due_on).dump(),
            ),
        ],
    )


def snooze_select(record_id: int, due_on: date) -> StaticSelectElement:
    return StaticSelectElement(
        action_id=Action.NUDGE_SNOOZE,
        placeholder=plain_text("Snooze", LIMITS.OPTION_TEXT),
        options=[
            Option(
                text=plain_text(f"Snooze {words}", LIMITS.OPTION_TEXT),
                value=NudgeRef(r=record_id, d=due_on, p=code).dump(),
            )
            for code, words in PERIODS.items()
        ],
    )
