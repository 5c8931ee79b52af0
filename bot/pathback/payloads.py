"""What the nudge's and the due lists' buttons and modals carry (bot/slack/payloads.py).

The re-check date the person saw travels with the click: a change applies only while the record
still is open on that date, so an old nudge or a second click changes nothing.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field as PydanticField

from bot.slack.payloads import Ref


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
