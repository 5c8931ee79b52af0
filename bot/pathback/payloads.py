"""What the path back's buttons and modals carry (see bot/slack/payloads.py for why)."""

from __future__ import annotations

from pydantic import Field as PydanticField

from bot.slack.payloads import Ref


class ConditionRef(Ref):
    """One condition of one record: a tick button's value."""

    record: int
    n: int = PydanticField(ge=0, le=1000)


class RecordRef(Ref):
    """A record (They came back), and where the click came from, to re-render it after."""

    record: int
    channel: str | None = PydanticField(default=None, max_length=64)
    ts: str | None = PydanticField(default=None, max_length=64)
