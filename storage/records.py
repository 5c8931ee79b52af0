"""The frozen values the Store hands out.

Callers never see ORM objects: a detached ORM row lazy-loads (or fails) on attribute access from
another thread, while these are plain data that can cross threads and be cached freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from bot.domain.model import AnswerValue, Outcome, Verdict


class SessionStatus(StrEnum):
    OPEN = "open"
    COMPLETE = "complete"
    ABANDONED = "abandoned"


class RecordStatus(StrEnum):
    """Where a walk-away stands over time; every record starts open."""

    OPEN = "open"
    RE_ENGAGED = "re-engaged"
    WON = "won"
    LOST = "lost"
    CLOSED = "closed"


@dataclass(frozen=True)
class SessionInfo:
    id: int
    workspace_id: int
    deal_id: int
    deal_name: str
    rep_user_id: int
    status: SessionStatus
    checklist_hash: str
    channel_id: str | None
    thread_ts: str | None
    started_at: datetime
    updated_at: datetime
    prompt_ts: str | None = None
    """The question message currently waiting for an answer, in Slack."""
    resumed: bool = False
    """True when open_session found this rep's open session for the deal instead of starting one."""
    revision: int = 0
    """Changes with every answer, Back, Start over and Resume (storage.models)."""
    checklist_snapshot: dict[str, Any] | None = None
    """The checklist as the session began, when it was read with the row (a new or resumed
    session); None otherwise: `Store.session_snapshot` reads it when the hash differs."""


@dataclass(frozen=True)
class AnswerInfo:
    question_id: str
    value: AnswerValue
    note: str | None
    answered_by: str
    """The Slack user id, because history is shown to people, not joined against."""
    answered_at: datetime
    question_text: str
    superseded_at: datetime | None
    message_ts: str | None = None
    """The Slack message it was given on, when it was given on one (storage.models.Answer)."""


@dataclass(frozen=True)
class StatusChangeInfo:
    status: RecordStatus
    note: str | None
    changed_by: str | None
    """Slack user id of whoever changed it; None for changes made by the system."""
    changed_at: datetime


@dataclass(frozen=True)
class RecordSummary:
    id: int
    deal_name: str
    rep_slack_user_id: str
    outcome: Outcome
    status: RecordStatus
    created_at: datetime
    recheck_on: date | None
    record_line: str


@dataclass(frozen=True)
class RecordDetail(RecordSummary):
    """A summary plus everything needed to explain the decision long after the checklist changed."""

    workspace_id: int
    session_id: int
    verdict: Verdict
    answers: tuple[AnswerInfo, ...]
    notes: dict[str, str]
    checklist_hash: str
    checklist_snapshot: dict[str, Any]
    draft_text: str | None
    sent_text: str | None
    sent_at: datetime | None
    sent_by: str | None
    status_history: tuple[StatusChangeInfo, ...]
    channel_id: str | None
    thread_ts: str | None
    updated_at: datetime
    subject: str | None = None
    draft_short: str | None = None
    draft_length: str = "email"
    """Which draft the card shows and sends: 'email' (draft_text) or 'short' (draft_short)."""
    addressed_at: datetime | None = None
    """When the rep said who the draft is for (or skipped that); None: still to ask."""
    organisation: str | None = None
    contact: str | None = None
    """The deal's buyer as last given: organisation and the contact's first name."""

    @property
    def shown_draft(self) -> str | None:
        """The draft in the length the card shows."""
        if self.draft_length == "short" and self.draft_short:
            return self.draft_short
        return self.draft_text
