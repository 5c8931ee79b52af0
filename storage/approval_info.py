"""What the approvals repository returns, and how it is read from the rows behind it.

Kept apart from the repository (storage/approvals.py) so the value types every capability
reads (ApprovalInfo, Decision, ApprovalSettings) come without the writing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, or_, select
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Outcome
from storage.models import (
    Approval,
    Deal,
    QualificationSession,
    User,
    WalkawayRecord,
    Workspace,
)

SETTINGS_KEY = "approvals"
"""Our part of workspaces.settings; other features keep their own keys beside it."""
MAX_REASON = 3000
MIN_REMINDER_DAYS, MAX_REMINDER_DAYS = 1, 30


class Decision(StrEnum):
    """A manager's final position. Discuss is not one: see Approvals.start_discussion."""

    AGREE = "agree"
    OVERRIDE = "override"

    @property
    def label(self) -> str:
        return {"agree": "Agree", "override": "Override"}[self.value]


LEGACY_DISCUSS = "discuss"
"""How rows written before migration 0005 (or by a process still running older code during a
rolling deploy) stored a Discuss: in `decision`. Read as an open discussion, answerable."""


@dataclass(frozen=True)
class ApprovalSettings:
    """What a workspace admin chose in `/walkaway settings`."""

    deal_desk_channel_id: str | None = None
    hold_until_agreed: bool = False
    reminder_business_days: int | None = None
    """None: the deployment's WALKAWAY_REMINDER_BUSINESS_DAYS."""

    @classmethod
    def from_json(cls, data: object) -> ApprovalSettings:
        """Tolerates a hand-edited or older settings blob: a wrong type reads as the default."""
        if not isinstance(data, Mapping):
            return cls()
        channel = data.get("deal_desk_channel_id")
        days = data.get("reminder_business_days")
        return cls(
            deal_desk_channel_id=channel if isinstance(channel, str) and channel else None,
            hold_until_agreed=data.get("hold_until_agreed") is True,
            reminder_business_days=days
            if isinstance(days, int)
            and not isinstance(days, bool)
            and MIN_REMINDER_DAYS <= days <= MAX_REMINDER_DAYS
            else None,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "deal_desk_channel_id": self.deal_desk_channel_id,
            "hold_until_agreed": self.hold_until_agreed,
            "reminder_business_days": self.reminder_business_days,
        }


@dataclass(frozen=True)
class Manager:
    user_id: int
    slack_user_id: str


@dataclass(frozen=True)
class ApprovalInfo:
    """One approval with the record context every message about it needs."""

    id: int
    record_id: int
    workspace_id: int
    team_id: str
    deal_name: str
    outcome: Outcome
    rep_user_id: int
    rep_slack_id: str
    rep_channel_id: str | None
    """The rep's qualification thread, where they are told the decision."""
    rep_thread_ts: str | None
    card_ts: str | None
    approver_user_id: int | None
    approver_slack_id: str | None
    approver_channel_id: str | None
    ping_channel_id: str | None
    ping_ts: str | None
    hold_until_agreed: bool
    requested_at: datetime
    remind_after: datetime | None
    reminder_claimed_at: datetime | None
    decision: Decision | None
    decided_by: str | None
    """Slack user id of whoever answered."""
    decided_at: datetime | None
    override_outcome: Outcome | None
    reason: str | None
    discussion_by: str | None
    """Slack user id of whoever clicked Discuss first."""
    discussion_started_at: datetime | None
    discussion_channel_id: str | None
    """Where rep and manager talk: a group DM, or the ping's channel (then a thread on it)."""
    discussion_link: str | None

    @property
    def routed(self) -> bool:
        """Someone (a manager or the deal desk) has been chosen to answer."""
        return self.approver_user_id is not None or self.approver_channel_id is not None

    @property
    def discussing(self) -> bool:
        """A discussion was started and no final position has been taken yet."""
        return self.decision is None and self.discussion_started_at is not None

    @property
    def discussion_in_thread(self) -> bool:
        """The discussion is a thread on the ping (deal desk, or no group DM could be opened)."""
        return (
            self.discussion_channel_id is not None
            and self.discussion_channel_id == self.ping_channel_id
        )


@dataclass(frozen=True)
class Decided:
    won: bool
    """False when another click, retry or process had already answered; `approval` shows it."""
    approval: ApprovalInfo


@dataclass(frozen=True)
class Discussed:
    won: bool
    """False when a discussion was already started, or a final position already taken."""
    approval: ApprovalInfo


_Rep = aliased(User, name="rep")
_Approver = aliased(User, name="approver")
_Decider = aliased(User, name="decider")
_Discusser = aliased(User, name="discusser")
_QS = QualificationSession


_Found = Select[*tuple[Any, ...]]
"""An approval, its record, deal, team, rep, rep's thread, approver, decider and discusser."""


def approvals_query() -> _Found:
    return (
        select(
            Approval,
            WalkawayRecord,
            Deal.name,
            Workspace.team_id,
            _Rep.slack_user_id,
            _QS.channel_id,
            _QS.thread_ts,
            _Approver.slack_user_id,
            _Decider.slack_user_id,
            _Discusser.slack_user_id,
        )
        .join(WalkawayRecord, WalkawayRecord.id == Approval.record_id)
        .join(Deal, Deal.id == WalkawayRecord.deal_id)
        .join(Workspace, Workspace.id == WalkawayRecord.workspace_id)
        .join(_Rep, _Rep.id == WalkawayRecord.rep_user_id)
        .join(_QS, _QS.id == WalkawayRecord.session_id)
        .outerjoin(_Approver, _Approver.id == Approval.approver_user_id)
        .outerjoin(_Decider, _Decider.id == Approval.decided_by_user_id)
        .outerjoin(_Discusser, _Discusser.id == Approval.discussion_by_user_id)
    )


def info_of(found: Any) -> ApprovalInfo:
    (a, record, deal_name, team_id, rep, rep_channel, rep_thread, approver, decider, talker) = found
    discussion_by, discussion_at = talker, a.discussion_started_at
    decision, decided_by, decided_at = a.decision, decider, a.decided_at
    if decision == LEGACY_DISCUSS:
        discussion_by, discussion_at = discussion_by or decider, discussion_at or decided_at
        decision, decided_by, decided_at = None, None, None
    return ApprovalInfo(
        id=a.id,
        record_id=a.record_id,
        workspace_id=record.workspace_id,
        team_id=team_id,
        deal_name=deal_name,
        outcome=Outcome(record.outcome),
        rep_user_id=record.rep_user_id,
        rep_slack_id=rep,
        rep_channel_id=rep_channel,
        rep_thread_ts=rep_thread,
        card_ts=a.card_ts,
        approver_user_id=a.approver_user_id,
        approver_slack_id=approver,
        approver_channel_id=a.approver_channel_id,
        ping_channel_id=a.ping_channel_id,
        ping_ts=a.ping_ts,
        hold_until_agreed=a.hold_until_agreed,
        requested_at=a.requested_at,
        remind_after=a.remind_after,
        reminder_claimed_at=a.reminder_claimed_at,
        decision=Decision(decision) if decision else None,
        decided_by=decided_by,
        decided_at=decided_at,
        override_outcome=Outcome(a.override_outcome) if a.override_outcome else None,
        reason=a.reason,
        discussion_by=discussion_by,
        discussion_started_at=discussion_at,
        discussion_channel_id=a.discussion_channel_id
        or (a.ping_channel_id if a.decision == LEGACY_DISCUSS else None),
        discussion_link=a.discussion_link,
    )


def open_position() -> ColumnElement[bool]:
    """No final position yet: pending, under discussion, or a Discuss stored the old way."""
    return or_(Approval.decision.is_(None), Approval.decision == LEGACY_DISCUSS)


def rowcount(s: Session, statement: Any) -> int:
    result = cast("CursorResult[Any]", s.execute(statement))
    return result.rowcount
