"""What the approval buttons and modals carry (see bot/slack/payloads.py for why)."""

from __future__ import annotations

from bot.slack.payloads import Ref


class ApprovalRef(Ref):
    """Agree / Discuss / Override on a manager's ping."""

    record: int


class OverrideMeta(Ref):
    """The Override modal: which record, and where its ping lives."""

    record: int


PICK_PREFIX = "pick_manager|"


def pick_block_id(record_id: int) -> str:
    """A user select carries no value, so the record rides in its block_id."""
    return f"{PICK_PREFIX}{record_id}"


def record_from_pick_block(block_id: str) -> int | None:
    head, _, tail = block_id.partition("|")
    if head + "|" != PICK_PREFIX or not tail.isdigit():
        return None
    return int(tail)
