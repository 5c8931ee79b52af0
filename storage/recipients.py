"""Who a deal's buyer messages are for, and the drafts written for them.

The recipient belongs to the deal, not to one check: the next check of the same deal starts
from it. The drafts belong to the record; a record's draft waits (addressed_at NULL) until the
rep has said who it is for or skipped the question, so a thread repaired later still asks.
"""

from __future__ import annotations

from sqlalchemy import select, update

from storage import queries as q
from storage import search
from storage.base import Repo
from storage.columns import utcnow
from storage.errors import InvalidValueError
from storage.models import Deal, QualificationSession, User, WalkawayRecord

LENGTHS = ("email", "short")


class Recipients(Repo):
    def deal_recipient(self, *, deal_id: int) -> tuple[str | None, str | None]:
        """The deal's buyer as last given: (organisation, contact first name)."""
        with self._reads() as s:
            deal = s.get_one(Deal, deal_id)
            return deal.buyer_organisation, deal.buyer_contact

    def address_record(
        self, *, record_id: int, organisation: str | None, contact: str | None, remember: bool
    ) -> bool:
        """Say who the record's draft is for (`remember`: keep it on the deal) or skip that.

        True the first time the record is addressed; later calls (a double click, a change of
        recipient on the card) only update the deal and return False.
        """
        with self._write() as s:
            record = q.record_row(s, record_id, lock=True)
            if remember:
                deal = s.get_one(Deal, record.deal_id)
                deal.buyer_organisation, deal.buyer_contact = organisation, contact
            first = s.scalar(
                update(WalkawayRecord)
                .where(WalkawayRecord.id == record_id, WalkawayRecord.addressed_at.is_(None))
                .values(addressed_at=utcnow())
                .returning(WalkawayRecord.id)
            )
            return first is not None

    def replace_drafts(
        self, *, record_id: int, subject: str | None, email: str | None, short: str | None
    ) -> bool:
        """Keep drafts written afresh (a new recipient); a sent draft is never rewritten."""
        with self._write() as s:
            record = q.record_row(s, record_id, lock=True)
            if record.sent_at is not None:
                return False
            record.subject, record.draft_text, record.draft_short = subject, email, short
            record.updated_at = utcnow()
            search.refresh(s, record_id)
            return True

    def set_draft_length(self, *, record_id: int, length: str) -> None:
        """Which draft the card shows, copies and marks as sent: 'email' or 'short'."""
        if length not in LENGTHS:
            raise InvalidValueError(f"unknown draft length {length!r} (use {', '.join(LENGTHS)})")
        with self._write() as s:
            record = q.record_row(s, record_id, lock=True)
            record.draft_length = None if length == "email" else length

    def deal_of_session(self, *, session_id: int) -> int:
        with self._reads() as s:
            return s.get_one(QualificationSession, session_id).deal_id

    def slack_id_of(self, *, user_id: int) -> str:
        """The Slack user id of a person the store knows (a check's rep, to sign its draft)."""
        with self._reads() as s:
            return s.get_one(User, user_id).slack_user_id

    def remember_recipient(
        self, *, deal_id: int, organisation: str | None, contact: str | None
    ) -> None:
        """Keep who the deal's buyer messages are for, before any record exists (the console)."""
        with self._write() as s:
            deal = s.get_one(Deal, deal_id)
            deal.buyer_organisation, deal.buyer_contact = organisation, contact

    def display_name_of(self, *, workspace_id: int, slack_user_id: str) -> str | None:
        """The name a person goes by here (the console keeps the rep's signature line in it)."""
        with self._reads() as s:
            return s.scalar(
                select(User.display_name).where(
                    User.workspace_id == workspace_id, User.slack_user_id == slack_user_id
                )
            )
