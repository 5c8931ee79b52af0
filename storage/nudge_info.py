"""What the nudges repository (storage/nudges.py) hands out: frozen values, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.model import Outcome


@dataclass(frozen=True)
class NudgeCandidate:
    """An open record whose re-check date may have come for its rep, not yet claimed."""

    record_id: int
    workspace_id: int
    due_on: date
    rep_user_id: int
    tz: str | None
    profile_known: bool
    """False: Slack was never asked for this rep's zone (the sweep asks before it decides)."""


@dataclass(frozen=True)
class NudgeClaim:
    record_id: int
    due_on: date
    workspace_id: int
    job_key: str


@dataclass(frozen=True)
class NudgeInfo:
    record_id: int
    due_on: date
    workspace_id: int
    job_key: str
    claimed_at: datetime
    queued_at: datetime | None
    posted_at: datetime | None
    channel_id: str | None
    ts: str | None
    sent_to: str | None
    ended: str | None
    snoozed_to: date | None
    acted_by: str | None
    acted_at: datetime | None


@dataclass(frozen=True)
class DueRecord:
    """A line of a due list: enough to show it and its buttons without loading the record."""

    record_id: int
    deal_name: str
    outcome: Outcome
    recheck_on: date
    rep_slack_user_id: str
    created_at: datetime


@dataclass(frozen=True)
class DueWindow:
    today: date
    """The person's own today (their zone)."""
    through: date
    shown: list[DueRecord]
    total: int


@dataclass(frozen=True)
class Profile:
    tz: str | None
    deactivated: bool
    fetched_at: datetime
