"""Block Kit of the due lists: `/walkaway due` (a private reply) and the App Home section.

Each line is the deal, its outcome, its date (or how overdue it is) and, for a manager's reps,
whose it is, with *Re-check now* and *Snooze*; at most `MAX_SHOWN` lines and "…and K more".
Two blocks a line keep Home, shared with the other sections, far under its 100 blocks.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.pathback.due import DueList
from bot.pathback.nudge_blocks import snooze_select
from bot.slack.dates import calendar_day
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.text import safe_mrkdwn
from storage.nudge_info import DueRecord


def due_blocks(due: DueList, *, viewer: str, empty_line: bool = True) -> list[Block]:
    """The list for `viewer` (their own lines say no rep); nothing at all when empty and
    `empty_line` is off (App Home shows no section for someone with nothing due)."""
    if not due.shown:
        if not empty_line:
            return []
        return [
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"Nothing to re-check through {calendar_day(due.through)}. "
                    "Each re-check date brings a reminder that morning."
                )
            )
        ]
    blocks: list[Block] = [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*Re-checks due* (overdue, and through {calendar_day(due.through)})"
            )
        )
    ]
    for line in due.shown:
        blocks += _line(due, line, viewer)
    if due.more:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f"…and {due.more} more. `/walkaway due` lists the soonest; "
                        "`walkaway due --json` in a terminal lists them all."
                    )
                ]
            )
        )
    return blocks


def _line(due: DueList, line: DueRecord, viewer: str) -> list[Block]:
    late = (due.today - line.recheck_on).days
    if late > 0:
        when = f"*overdue* since {calendar_day(line.recheck_on)}"
    elif late == 0:
        when = "due *today*"
    else:
        when = f"due {calendar_day(line.recheck_on)}"
    whose = "" if line.rep_slack_user_id == viewer else f" · rep <@{line.rep_slack_user_id}>"
    return [
        SectionBlock(
            text=MarkdownTextObject(
                text=f"*{safe_mrkdwn(line.deal_name, 200)}* · {line.outcome.label} · {when}{whose}"
            )
        ),
        ActionsBlock(
            block_id=f"{BlockId.DUE_ACTIONS}:{line.record_id}",
            elements=[
                ButtonElement(
                    text="Re-check now", action_id=Action.RECHECK_NOW, value=str(line.record_id)
                ),
                snooze_select(line.record_id, line.recheck_on),
            ],
        ),
    ]
