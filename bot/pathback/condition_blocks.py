"""Block Kit for a record's conditions as items to tick: on the verdict card, in *Details*,
and in the nudge (which builds its message with `condition_blocks` too).

Every block this module builds carries a block_id `cond:<record>:<flags>:<n>`, so whoever
re-renders a message or view after a tick (bot/pathback/ticks.py) finds the conditions part in
whatever surrounds it, replaces exactly that, and builds it again the way it was shown
(the flags: `t` tick buttons, `o` only the open ones, `y` with *Not yet*).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.pathback import ConditionState
from bot.pathback.payloads import ConditionRef
from bot.slack.card import sentence_case
from bot.slack.dates import slack_when
from bot.slack.ids import Action
from bot.slack.names import MENTIONS, Naming
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn, truncate
from storage.conditions import ConditionInfo

PREFIX = "cond"
MAX_ITEMS = 10
"""Two blocks each (the sentence, its buttons): room left for the rest of a 50-block message."""
HEADING = "*What would change the decision*"
_EMOJI = {
    ConditionState.OPEN: ":white_medium_square:",
    ConditionState.MET: ":white_check_mark:",
    ConditionState.NOT_RELEVANT: ":heavy_minus_sign:",
}


@dataclass(frozen=True)
class Shown:
    """How a conditions part was shown, read back from its block ids."""

    record_id: int
    can_tick: bool
    only_open: bool
    not_yet: bool

    @property
    def flags(self) -> str:
        return (
            "".join(
                f
                for f, on in (("t", self.can_tick), ("o", self.only_open), ("y", self.not_yet))
                if on
            )
            or "-"
        )


def condition_blocks(
    conditions: Sequence[ConditionInfo],
    *,
    record_id: int,
    can_tick: bool,
    only_open: bool = False,
    not_yet: bool = False,
    who: Naming = MENTIONS,
) -> list[Block]:
    """The conditions with their state (who, when), and, with can_tick, their buttons:
    *Mark met* / *No longer relevant* on an open one (and *Not yet*, for the nudge), *Reopen*
    on a ticked one. `only_open` leaves out the ticked ones (the nudge asks about what is left).
    At most 2 * MAX_ITEMS + 2 blocks."""
    shown = Shown(record_id, can_tick, only_open, not_yet)
    base = f"{PREFIX}:{record_id}:{shown.flags}"
    items = [c for c in conditions if c.is_open or not only_open]
    if not items:
        text = (
            f"{HEADING}\nAll conditions are ticked: each is met or no longer relevant."
            if conditions
            else "No conditions on this record."
        )
        return [SectionBlock(block_id=f"{base}:h", text=MarkdownTextObject(text=text))]
    hidden = len(items) - MAX_ITEMS
    items = items[:MAX_ITEMS]
    if not can_tick:
        lines = "\n".join(item_line(c, who) for c in items)
        more = f"\n_…and {hidden} more_" if hidden > 0 else ""
        text = truncate(f"{HEADING}\n{lines}{more}", LIMITS.SECTION_TEXT)
        return [SectionBlock(block_id=f"{base}:h", text=MarkdownTextObject(text=text))]
    blocks: list[Block] = [
        SectionBlock(block_id=f"{base}:h", text=MarkdownTextObject(text=HEADING))
    ]
    for item in items:
        blocks.append(
            SectionBlock(
                block_id=f"{base}:{item.position}",
                text=MarkdownTextObject(text=item_line(item, who)),
            )
        )
        blocks.append(
            ActionsBlock(block_id=f"{base}:{item.position}:a", elements=_buttons(item, shown))
        )
    if hidden > 0:
        blocks.append(
            SectionBlock(
                block_id=f"{base}:more",
                text=MarkdownTextObject(text=f"_…and {hidden} more, in the record's Details_"),
            )
        )
    return blocks


def item_line(item: ConditionInfo, who: Naming = MENTIONS) -> str:
    """':white_check_mark: An owner is named — Met, by Dana, 2 Dec 2026 at 10:00'."""
    line = f"{_EMOJI[item.state]} {safe_mrkdwn(sentence_case(item.text), 900)}"
    if not item.is_open and item.changed_at is not None:
        line += f"\n_{item.state.label} · {who(item.changed_by)}, {slack_when(item.changed_at)}_"
    elif item.checked_at is not None:
        line += f"\n_Not yet · {who(item.checked_by)} looked {slack_when(item.checked_at)}_"
    elif item.changed_at is not None:
        line += f"\n_Reopened · {who(item.changed_by)}, {slack_when(item.changed_at)}_"
    if item.note:
        line += f"\n_{safe_mrkdwn(item.note, 600)}_"
    return line


def _buttons(item: ConditionInfo, shown: Shown) -> list[ButtonElement]:
    value = ConditionRef(record=shown.record_id, n=item.position).dump()
    n = item.position

    def button(action: Action, label: str, style: str | None = None) -> ButtonElement:
        return ButtonElement(
            action_id=f"{action}:{n}",
            text=plain_text(label, LIMITS.BUTTON_TEXT),
            value=value,
            style=style,
        )

    note = button(Action.CONDITION_ADD_NOTE, "Edit note" if item.note else "Add a note")
    if not item.is_open:
        return [button(Action.CONDITION_REOPEN, "Reopen"), note]
    buttons = [button(Action.CONDITION_MET, "Mark met", "primary")]
    if shown.not_yet:
        buttons.append(button(Action.CONDITION_NOT_YET, "Not yet"))
    buttons.append(button(Action.CONDITION_NOT_RELEVANT, "No longer relevant"))
    return [*buttons, note]


# -- finding the part again ------------------------------------------------------------------


def shown_in(blocks: Sequence[Mapping[str, Any]], record_id: int) -> Shown | None:
    """How the conditions of `record_id` were shown in these blocks (None: they are not)."""
    start = f"{PREFIX}:{record_id}:"
    for block in blocks:
        block_id = str(block.get("block_id") or "")
        if block_id.startswith(start):
            flags = block_id[len(start) :].split(":")[0]
            return Shown(record_id, "t" in flags, "o" in flags, "y" in flags)
    return None


def replace_conditions(
    blocks: Sequence[Mapping[str, Any]], fresh: Sequence[Block], record_id: int
) -> list[dict[str, Any]]:
    """`blocks` with the conditions part of `record_id` replaced by `fresh`, where it was."""
    start = f"{PREFIX}:{record_id}:"
    out: list[dict[str, Any]] = []
    placed = False
    for block in blocks:
        if str(block.get("block_id") or "").startswith(start):
            if not placed:
                out += [b.to_dict() for b in fresh]
                placed = True
            continue
        out.append(dict(block))
    return out
