"""What the digest repository (storage/digest.py) hands out: frozen values, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.domain.model import Outcome


@dataclass(frozen=True)
class DigestManager:
    """Someone named as manager by at least one person in the workspace."""

    user_id: int
    slack_user_id: str
    tz: str | None
    profile_known: bool
    """False: Slack was never asked for this person's zone (the sweep asks before it decides)."""
    deactivated: bool


@dataclass(frozen=True)
class DigestClaim:
    manager_user_id: int
    week: str
    workspace_id: int
    job_key: str
    due_at: datetime


@dataclass(frozen=True)
class DigestInfo:
    manager_user_id: int
    week: str
    workspace_id: int
    job_key: str
    due_at: datetime
    queued_at: datetime | None
    channel_id: str | None
    ts: str | None
    chart_started_at: datetime | None
    chart_file_id: str | None
    sent_at: datetime | None
    ended: str | None


@dataclass(frozen=True)
class Line:
    """One record named in the digest."""

    record_id: int
    deal_name: str
    rep_slack_id: str
    outcome: Outcome
    at: datetime
    """When it happened: the check, the position asked, the comeback or the win."""
    reasons: tuple[str, ...] = ()
    recheck_on: date | None = None


@dataclass(frozen=True)
class Listed:
    """The first lines of a list, and how many there are in all."""

    lines: tuple[Line, ...]
    total: int


@dataclass(frozen=True)
class QuietRep:
    """A rep with many checks and not one walk, stop-pilot or defer among them."""

    slack_user_id: str
    checks: int


@dataclass(frozen=True)
class WeekMix:
    """One week of the chart: verdicts by outcome and comebacks (records re-engaged)."""

    starts: date
    outcomes: dict[Outcome, int]
    comebacks: int


@dataclass(frozen=True)
class DigestLists:
    """What only the digest shows, read in one go (the week's counts, comebacks and wins come
    from the team numbers, storage/insight.py)."""

    reps: int
    waiting: Listed
    walkaways: Listed
    rechecks_due: Listed
    quiet_reps: tuple[QuietRep, ...]
    weeks: tuple[WeekMix, ...]
