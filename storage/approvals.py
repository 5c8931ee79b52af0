"""Managers, workspace approval settings, and the manager's position on a walk-away record.

An approval moves from pending to a final position (Agree or Override), optionally by way of
a discussion: Discuss is a request to talk, not a position, so it leaves Agree and Override open.

Several app processes (and `walkaway remind` from cron) act on the same approval at once: a
manager double-clicks, two load-balanced processes receive Agree and Discuss, two cron hosts
wake together. Every state change is therefore one conditional UPDATE whose WHERE clause is the
rule itself (`decision IS NULL`, `discussion_started_at IS NULL`, `reminder_claimed_at IS
NULL`), and the row count says who won. No lock is held across a Slack call, so a slow Web API
never blocks another process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Select, or_, select, update
from sqlalchemy.orm import Session, aliased, sessionmaker

from bot.domain.model import Outcome
from storage import queries as q
from storage.columns import utcnow
from storage.errors import InvalidValueError, NotFoundError
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


def _approvals() -> _Found:
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


def _info(found: Any) -> ApprovalInfo:
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


def _open_position() -> ColumnElement[bool]:
    """No final position yet: pending, under discussion, or a Discuss stored the old way."""
    return or_(Approval.decision.is_(None), Approval.decision == LEGACY_DISCUSS)


def _rowcount(s: Session, statement: Any) -> int:
    result = cast("CursorResult[Any]", s.execute(statement))
    return result.rowcount


class Approvals:
    """Reached as `store.approvals`; shares the Store's session factories and their locking."""

    def __init__(self, *, reads: sessionmaker[Session], writes: sessionmaker[Session]) -> None:
        self._reads = reads
        self._writes = writes

    @contextmanager
    def _write(self) -> Iterator[Session]:
        with self._writes.begin() as session:
            yield session

    # -- managers -------------------------------------------------------------------------

    def set_manager(self, *, rep_user_id: int, manager_user_id: int | None) -> None:
        """None clears it; the same workspace and not oneself, checked here as well as in Slack."""
        if manager_user_id == rep_user_id:
            raise InvalidValueError("a rep cannot be their own manager")
        with self._write() as s:
            rep = s.get(User, rep_user_id)
            if rep is None:
                raise NotFoundError(f"no user {rep_user_id}")
            if manager_user_id is not None:
                manager = s.get(User, manager_user_id)
                if manager is None or manager.workspace_id != rep.workspace_id:
                    raise InvalidValueError("the manager must be in the rep's workspace")
            rep.manager_user_id = manager_user_id

    def manager_of(self, *, rep_user_id: int) -> Manager | None:
        boss = aliased(User)
        query = (
            select(boss.id, boss.slack_user_id)
            .select_from(User)
            .join(boss, boss.id == User.manager_user_id)
            .where(User.id == rep_user_id)
        )
        with self._reads() as s:
            found = s.execute(query).first()
            return Manager(user_id=found[0], slack_user_id=found[1]) if found else None

    # -- workspace settings ---------------------------------------------------------------

    def settings(self, *, workspace_id: int) -> ApprovalSettings:
        with self._reads() as s:
            blob = s.scalar(select(Workspace.settings).where(Workspace.id == workspace_id))
            return ApprovalSettings.from_json((blob or {}).get(SETTINGS_KEY))

    def save_settings(self, *, workspace_id: int, settings: ApprovalSettings) -> None:
        """Replace our key only, under a row lock, so a concurrent save of another feature's
        settings is neither lost nor overwritten."""
        days = settings.reminder_business_days
        if days is not None and not MIN_REMINDER_DAYS <= days <= MAX_REMINDER_DAYS:
            raise InvalidValueError(
                f"reminders need {MIN_REMINDER_DAYS}-{MAX_REMINDER_DAYS} business days"
            )
        with self._write() as s:
            row = s.scalar(select(Workspace).where(Workspace.id == workspace_id).with_for_update())
            if row is None:
                raise NotFoundError(f"no workspace {workspace_id}")
            row.settings = {**(row.settings or {}), SETTINGS_KEY: settings.to_json()}

    # -- the approval itself --------------------------------------------------------------

    def open(
        self,
        *,
        record_id: int,
        approver_user_id: int | None,
        approver_channel_id: str | None,
        hold_until_agreed: bool,
        card_ts: str | None,
    ) -> tuple[ApprovalInfo, bool]:
        """Create the record's approval, or return the existing one; True when created here.

        Only the caller that created it sends the ping, so a retried verdict never pings twice.
        """
        if approver_user_id is not None and approver_channel_id is not None:
            raise InvalidValueError("an approval goes to a manager or a channel, not both")
        with self._write() as s:
            q.record_row(s, record_id)
            new = Approval(
                record_id=record_id,
                approver_user_id=approver_user_id,
                approver_channel_id=approver_channel_id,
                hold_until_agreed=hold_until_agreed,
                card_ts=card_ts,
                requested_at=utcnow(),
            )
            row = q.insert_or_get(s, new, select(Approval).where(Approval.record_id == record_id))
            created = row is new
        return self._require(record_id), created

    def route(self, *, record_id: int, approver_user_id: int) -> bool:
        """Give an approval nobody was asked for (no manager, no deal desk) to this manager.

        False when another pick got there first; the caller then leaves the ping to it.
        """
        with self._write() as s:
            return (
                _rowcount(
                    s,
                    update(Approval)
                    .where(
                        Approval.record_id == record_id,
                        Approval.approver_user_id.is_(None),
                        Approval.approver_channel_id.is_(None),
                        Approval.ping_ts.is_(None),
                        Approval.decision.is_(None),
                    )
                    .values(approver_user_id=approver_user_id),
                )
                == 1
            )

    def unroute(self, *, record_id: int) -> None:
        """Forget a deal-desk channel the ping could not be posted to, so the rep can pick."""
        with self._write() as s:
            s.execute(
                update(Approval)
                .where(Approval.record_id == record_id, Approval.ping_ts.is_(None))
                .values(approver_channel_id=None, approver_user_id=None)
            )

    def mark_pinged(
        self, *, record_id: int, channel_id: str, ts: str, at: datetime, remind_after: datetime
    ) -> None:
        with self._write() as s:
            changed = _rowcount(
                s,
                update(Approval)
                .where(Approval.record_id == record_id)
                .values(
                    ping_channel_id=channel_id,
                    ping_ts=ts,
                    requested_at=at,
                    remind_after=remind_after,
                ),
            )
            if changed != 1:
                raise NotFoundError(f"no approval for record {record_id}")

    def get(self, *, record_id: int) -> ApprovalInfo | None:
        with self._reads() as s:
            found = s.execute(_approvals().where(Approval.record_id == record_id)).first()
            return _info(found) if found else None

    def decide(
        self,
        *,
        record_id: int,
        decision: Decision,
        by_user_id: int,
        at: datetime | None = None,
        override_outcome: Outcome | None = None,
        reason: str | None = None,
    ) -> Decided:
        """Store the first final answer; every later one (any process) gets won=False and the
        first. A discussion in progress does not stop it: talking is how a position is reached.

        The WHERE clause "no final position yet" is the whole rule: on PostgreSQL a second
        UPDATE blocks on the row lock and then re-checks it; on SQLite writers take turns.
        """
        reason = reason.strip() if reason and reason.strip() else None
        if decision is Decision.OVERRIDE and (override_outcome is None or reason is None):
            raise InvalidValueError("an override needs the outcome wanted instead and a reason")
        if decision is not Decision.OVERRIDE:
            override_outcome = None
        if reason is not None and len(reason) > MAX_REASON:
            raise InvalidValueError(f"a reason is at most {MAX_REASON} characters")
        with self._write() as s:
            won = (
                _rowcount(
                    s,
                    update(Approval)
                    .where(Approval.record_id == record_id, _open_position())
                    .values(
                        decision=decision.value,
                        decided_by_user_id=by_user_id,
                        decided_at=at or utcnow(),
                        override_outcome=override_outcome.value if override_outcome else None,
                        reason=reason,
                    ),
                )
                == 1
            )
        return Decided(won=won, approval=self._require(record_id))

    def start_discussion(
        self, *, record_id: int, by_user_id: int, at: datetime, remind_after: datetime
    ) -> Discussed:
        """Mark the approval as under discussion, if it is the first Discuss and no final
        position was taken; only the winner sets up the conversation.

        The reminder is re-armed for `remind_after` (and its claim released): a discussion with
        no position after that long gets one nudge of its own, even if the pending request was
        already reminded. A reminder due while nobody had looked is thereby not sent as if
        nobody had.
        """
        with self._write() as s:
            won = (
                _rowcount(
                    s,
                    update(Approval)
                    .where(
                        Approval.record_id == record_id,
                        Approval.decision.is_(None),
                        Approval.discussion_started_at.is_(None),
                    )
                    .values(
                        discussion_by_user_id=by_user_id,
                        discussion_started_at=at,
                        remind_after=remind_after,
                        reminder_claimed_at=None,
                    ),
                )
                == 1
            )
        return Discussed(won=won, approval=self._require(record_id))

    def set_discussion_place(self, *, record_id: int, channel_id: str, link: str | None) -> None:
        """Remember where the discussion is; the first place stored stays."""
        with self._write() as s:
            s.execute(
                update(Approval)
                .where(Approval.record_id == record_id, Approval.discussion_channel_id.is_(None))
                .values(discussion_channel_id=channel_id, discussion_link=link)
            )

    # -- reminders ------------------------------------------------------------------------

    def claim_due_reminders(self, *, now: datetime, limit: int = 100) -> list[ApprovalInfo]:
        """Claim the approvals whose reminder is due; each is handed to exactly one caller.

        Pending and under-discussion approvals alike (the caller words them differently); a
        final position ends reminders. Candidates are read first, then each is claimed with its
        own conditional UPDATE, so two cron hosts waking together split the work instead of
        both sending everything.
        """
        due = (
            Approval.decision.is_(None),
            Approval.reminder_claimed_at.is_(None),
            Approval.ping_ts.is_not(None),
            Approval.remind_after <= now,
        )
        with self._reads() as s:
            candidates = list(
                s.scalars(
                    select(Approval.record_id)
                    .where(*due)
                    .order_by(Approval.remind_after, Approval.id)
                    .limit(limit)
                )
            )
        claimed: list[ApprovalInfo] = []
        for record_id in candidates:
            with self._write() as s:
                won = _rowcount(
                    s,
                    update(Approval)
                    .where(Approval.record_id == record_id, *due)
                    .values(reminder_claimed_at=now),
                )
            if won == 1:
                claimed.append(self._require(record_id))
        return claimed

    def release_reminder(self, *, record_id: int) -> None:
        """Give back a claim whose reminder could not be delivered, so the next run retries."""
        with self._write() as s:
            s.execute(
                update(Approval)
                .where(Approval.record_id == record_id, Approval.decision.is_(None))
                .values(reminder_claimed_at=None)
            )

    def _require(self, record_id: int) -> ApprovalInfo:
        found = self.get(record_id=record_id)
        if found is None:
            raise NotFoundError(f"no approval for record {record_id}")
        return found
