"""Managers, workspace approval settings, and the manager's position on a walk-away record.

An approval moves from pending to a final position (Agree or Override), optionally by way of
a discussion: Discuss is a request to talk, not a position, so it leaves Agree and Override open.

Several app processes (and `walkaway tick` from cron) act on the same approval at once: a
manager double-clicks, two load-balanced processes receive Agree and Discuss, two cron hosts
wake together. Every state change is therefore one conditional UPDATE whose WHERE clause is the
rule itself (`decision IS NULL`, `discussion_started_at IS NULL`, `reminder_claimed_at IS
NULL`), and the row count says who won. No lock is held across a Slack call, so a slow Web API
never blocks another process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import aliased

from bot.domain.model import Outcome
from storage import queries as q
from storage.approval_info import (
    MAX_REASON,
    MAX_REMINDER_DAYS,
    MIN_REMINDER_DAYS,
    SETTINGS_KEY,
    ApprovalInfo,
    ApprovalSettings,
    Decided,
    Decision,
    Discussed,
    Manager,
    approvals_query,
    info_of,
    open_position,
    rowcount,
)
from storage.base import StorePart
from storage.columns import utcnow
from storage.errors import InvalidValueError, NotFoundError
from storage.models import (
    Approval,
    IdempotencyKey,
    User,
    Workspace,
)


def decided_key(record_id: int) -> str:
    """Claimed by the job that stored the final position, so its re-run announces it."""
    return f"decided:{record_id}"


def discussing_key(record_id: int) -> str:
    """Claimed by the job that started the discussion, so its re-run sets it up."""
    return f"discussing:{record_id}"


class Approvals(StorePart):
    """Reached as `store.approvals`; shares the Store's session factories and their locking."""

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
                rowcount(
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
            changed = rowcount(
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
            found = s.execute(approvals_query().where(Approval.record_id == record_id)).first()
            return info_of(found) if found else None

    def decide(
        self,
        *,
        record_id: int,
        decision: Decision,
        by_user_id: int,
        at: datetime | None = None,
        override_outcome: Outcome | None = None,
        reason: str | None = None,
        owner: str | None = None,
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
                rowcount(
                    s,
                    update(Approval)
                    .where(Approval.record_id == record_id, open_position())
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
            if won and owner:
                s.add(IdempotencyKey(key=decided_key(record_id), owner=owner, created_at=utcnow()))
        return Decided(won=won, approval=self._require(record_id))

    def start_discussion(
        self,
        *,
        record_id: int,
        by_user_id: int,
        at: datetime,
        remind_after: datetime,
        owner: str | None = None,
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
                rowcount(
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
            if won and owner:
                key = discussing_key(record_id)
                s.add(IdempotencyKey(key=key, owner=owner, created_at=utcnow()))
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

    def due_reminders(self, *, now: datetime, limit: int = 100) -> list[ApprovalInfo]:
        """The approvals whose reminder is due and not yet sent, oldest due first.

        Pending and under-discussion approvals alike (the caller words them differently); a final
        position ends reminders. Nothing is claimed here: the caller posts each reminder once
        under its key (storage.posts) and then marks it sent, so a process dying between the two
        leaves it due, and the next run finds it posted and only marks it.
        """
        with self._reads() as s:
            found = s.execute(
                approvals_query()
                .where(
                    Approval.decision.is_(None),
                    Approval.reminder_claimed_at.is_(None),
                    Approval.ping_ts.is_not(None),
                    Approval.remind_after <= now,
                )
                .order_by(Approval.remind_after, Approval.id)
                .limit(limit)
            ).all()
            return [info_of(row) for row in found]

    def waiting_for(self, *, approver_user_id: int, limit: int = 20) -> list[ApprovalInfo]:
        """The approvals routed to this person with no final position yet, oldest first:
        what their App Home offers to answer (pending and under discussion alike)."""
        with self._reads() as s:
            found = s.execute(
                approvals_query()
                .where(Approval.decision.is_(None), Approval.approver_user_id == approver_user_id)
                .order_by(Approval.requested_at, Approval.id)
                .limit(limit)
            ).all()
            return [info_of(row) for row in found]

    def mark_reminded(self, *, record_id: int, at: datetime) -> None:
        with self._write() as s:
            s.execute(
                update(Approval)
                .where(Approval.record_id == record_id, Approval.reminder_claimed_at.is_(None))
                .values(reminder_claimed_at=at)
            )

    def _require(self, record_id: int) -> ApprovalInfo:
        found = self.get(record_id=record_id)
        if found is None:
            raise NotFoundError(f"no approval for record {record_id}")
        return found
