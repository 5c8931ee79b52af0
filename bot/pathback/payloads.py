"""What the path back's buttons and modals carry (see bot/slack/payloads.py for why).

A nudge's re-check date travels with its click: a change applies only while the record still is
open on that date, so an old nudge or a second click changes nothing.
"""

from __future__ import annotations

from datetime import date

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


class NudgeRef(Ref):
    """A record as a nudge (or a due list line) showed it: its id and its re-check date."""

    r: int = PydanticField(ge=1)
    d: date
    p: str | None = PydanticField(default=None, max_length=4)
    """A snooze option: how long (bot.pathback.snooze.PERIODS)."""


class CloseRef(Ref):
    """Close for good's modal: the record, its date, and the message to update after."""

    r: int = PydanticField(ge=1)
    d: date
    c: str | None = PydanticField(default=None, max_length=64)
    t: str | None = PydanticField(default=None, max_length=64)
    home: bool = False
