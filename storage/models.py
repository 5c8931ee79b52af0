"""The schema, as typed SQLAlchemy models.

Statuses and outcomes are plain strings guarded by CHECK constraints rather than database enums:
adding a status then needs no enum-type migration on PostgreSQL, and SQLite enforces the same
rule. Nothing here is ever deleted by the app, so foreign keys carry no cascades.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from bot.domain.model import AnswerValue
from storage.columns import UTCDateTime, json_type, utcnow
from storage.records import RecordStatus, SessionStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SLACK_ID = String(64)
"""Slack ids are short ('T0123ABCD', '1712345678.123456'); 64 leaves room without inviting abuse."""


def _in(column: str, values: type[SessionStatus] | type[RecordStatus]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, TypeEngine[Any]]] = {
        datetime: UTCDateTime(),
        date: Date(),
    }


class Workspace(Base):
    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[str] = mapped_column(SLACK_ID, unique=True)
    name: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(json_type(), default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("workspace_id", "slack_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    slack_user_id: Mapped[str] = mapped_column(SLACK_ID)
    display_name: Mapped[str | None] = mapped_column(Text)
    manager_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (UniqueConstraint("workspace_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    name: Mapped[str] = mapped_column(Text)
    name_key: Mapped[str] = mapped_column(Text)
    """Casefolded and whitespace-collapsed, so 'Acme  Corp' and 'acme corp' are one deal."""
    buyer_organisation: Mapped[str | None] = mapped_column(Text)
    buyer_contact: Mapped[str | None] = mapped_column(Text)  # the first name (migration 0008)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualificationSession(Base):
    __tablename__ = "qualification_sessions"
    __table_args__ = (
        CheckConstraint(_in("status", SessionStatus), name="status"),
        Index(
            "ix_qualification_sessions_workspace_rep_status",
            "workspace_id",
            "rep_user_id",
            "status",
        ),
        # A double-clicked /walkaway from two processes must resume one session, not fork two.
        Index(
            "uq_qualification_sessions_one_open_per_rep_deal",
            "deal_id",
            "rep_user_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # A reply typed in the DM thread is matched to its session by (channel, thread).
        Index("ix_qualification_sessions_channel_thread", "channel_id", "thread_ts"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    rep_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=SessionStatus.OPEN.value)
    checklist_hash: Mapped[str] = mapped_column(String(128))
    checklist_snapshot: Mapped[dict[str, Any]] = mapped_column(json_type(), deferred=True)
    """The wording as asked (old records read right after an edit); deferred: session_snapshot."""
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    thread_ts: Mapped[str | None] = mapped_column(SLACK_ID)
    prompt_ts: Mapped[str | None] = mapped_column(SLACK_ID)
    """The ts of the question message now waiting for an answer (typed replies answer it)."""
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    """Counts every change to the answers (answer, Back, Start over, Resume): the question on
    show at one revision is posted once, under a key naming it (storage.posts)."""
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]


class Answer(Base):
    """One answer as given. Changed or retracted answers are superseded, never deleted."""

    __tablename__ = "answers"
    __table_args__ = (
        Index("ix_answers_session_id", "session_id"),
        # The database, not just the code, guarantees one live answer per question.
        Index(
            "uq_answers_one_current_per_question",
            "session_id",
            "question_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("qualification_sessions.id"))
    question_id: Mapped[str] = mapped_column(String(128))
    value: Mapped[AnswerValue] = mapped_column(json_type())
    note: Mapped[str | None] = mapped_column(Text)
    answered_by_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    question_text: Mapped[str] = mapped_column(Text)
    superseded_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(64))  # given on (None: form, console)


class VerdictRow(Base):
    __tablename__ = "verdicts"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("qualification_sessions.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(json_type())
    """Verdict.to_dict(): reasons, conditions and cautions exactly as they were shown."""
    recheck_on: Mapped[date | None]
    record_line: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WalkawayRecord(Base):
    __tablename__ = "walkaway_records"
    __table_args__ = (
        CheckConstraint(_in("status", RecordStatus), name="status"),
        Index("ix_walkaway_records_workspace_created", "workspace_id", "created_at"),
        # Search filters (storage.search): each narrows one workspace's records newest first.
        Index(
            "ix_walkaway_records_workspace_outcome_created", "workspace_id", "outcome", "created_at"
        ),
        Index(
            "ix_walkaway_records_workspace_status_created", "workspace_id", "status", "created_at"
        ),
        Index(
            "ix_walkaway_records_workspace_rep_created", "workspace_id", "rep_user_id", "created_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("qualification_sessions.id"), unique=True)
    verdict_id: Mapped[int] = mapped_column(ForeignKey("verdicts.id"))
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id"))
    rep_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=RecordStatus.OPEN.value)
    recheck_on: Mapped[date | None]
    draft_text: Mapped[str | None] = mapped_column(Text)  # the email; see migration 0008
    draft_short: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    draft_length: Mapped[str | None] = mapped_column(String(8))  # shown: 'short' or the email
    addressed_at: Mapped[datetime | None]  # None: the draft waits to learn who it is for
    sent_text: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    sent_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RecordStatusChange(Base):
    __tablename__ = "record_status_changes"
    __table_args__ = (CheckConstraint(_in("status", RecordStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("walkaway_records.id"), index=True)
    # The record's own workspace and rep, copied (0022): a team's changes are one index range.
    workspace_id: Mapped[int | None] = mapped_column(ForeignKey("workspaces.id"))
    rep_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Base):
    """A claimed key (Slack retry id, button click id); the primary key makes the claim atomic."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    owner: Mapped[str | None] = mapped_column(String(64))
    """The job that took the claim: its own re-run (after a crash or a Slack failure) carries
    on where it stopped instead of taking itself for a duplicate."""
    note: Mapped[str | None] = mapped_column(String(255))
    """What the claimer decided when it claimed, for its re-run to decide the same."""


class SlackPost(Base):
    """A message the app posts once, under a key naming what it is ("card:42").

    Written before the post (the intent) and completed with its ts after: a re-run that finds
    only the intent (the process died, or Slack's answer was lost) looks in the conversation
    for the message carrying this key before posting again, from `first_started_at` on.
    """

    __tablename__ = "slack_posts"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str | None] = mapped_column(String(64))
    """The job posting it; another job leaves a fresh intent to its owner."""
    channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    thread_ts: Mapped[str | None] = mapped_column(SLACK_ID)
    ts: Mapped[str | None] = mapped_column(SLACK_ID)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_started_at: Mapped[datetime | None] = mapped_column()
    posted_at: Mapped[datetime | None] = mapped_column()


class Approval(Base):
    """A manager's (or deal desk's) position on a walk, stop-pilot or defer verdict.

    One row per record. `decision` is the final position, Agree or Override, and the first one
    wins (a conditional UPDATE on `decision IS NULL`). Discuss is not a position: it fills the
    `discussion_*` columns (the first Discuss wins the same way) and leaves `decision` open, so
    the manager can still agree or override once they have talked. The reminder is claimed
    with a conditional UPDATE on `reminder_claimed_at IS NULL`, so several processes can race
    on any of these without double effects.

    The CHECK on `decision` still admits 'discuss': rows written before migration 0005 held it
    there, and tightening the constraint would rebuild the table on SQLite for no gain.
    """

    __tablename__ = "approvals"
    __table_args__ = (
        CheckConstraint(
            "decision IS NULL OR decision IN ('agree', 'discuss', 'override')", name="decision"
        ),
        # An override always says what the manager wants instead, and why.
        CheckConstraint(
            "decision IS NULL OR decision <> 'override' "
            "OR (override_outcome IS NOT NULL AND reason IS NOT NULL)",
            name="override_complete",
        ),
        Index("ix_approvals_pending_remind", "decided_at", "remind_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("walkaway_records.id"), unique=True)
    approver_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """The rep's manager; None when the ping went to the deal-desk channel."""
    approver_channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    """The deal-desk channel used when the rep has no manager."""
    ping_channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    ping_ts: Mapped[str | None] = mapped_column(SLACK_ID)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    remind_after: Mapped[datetime | None]
    reminder_claimed_at: Mapped[datetime | None]
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    override_outcome: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    card_ts: Mapped[str | None] = mapped_column(SLACK_ID)
    """The rep's verdict card (in the session's thread), updated as the decision moves on."""
    hold_until_agreed: Mapped[bool] = mapped_column(default=False, server_default=false())
    """The workspace's hold setting as it was when the verdict was shown, so flipping the
    setting later never locks (or unlocks) a draft whose card already said otherwise."""
    discussion_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    """Who clicked Discuss first; with discussion_started_at, set once and never cleared."""
    discussion_started_at: Mapped[datetime | None]
    discussion_channel_id: Mapped[str | None] = mapped_column(SLACK_ID)
    """Where the two talk: a group DM of rep and manager, or the ping's own channel (its thread)
    for a deal-desk ping or when the group DM could not be opened. None: not set up (yet)."""
    discussion_link: Mapped[str | None] = mapped_column(String(1000))
    """Slack's permalink to the discussion's first message, shown to rep and manager."""


class RecordSearch(Base):
    """One record's searchable text, rebuilt by storage.search in the transaction that changes it.

    A denormalised copy on purpose: the words live in five tables (deals, verdicts, answers,
    status changes, records), and a full-text index needs them in one row. Migration 0004 adds
    what only one backend can have, so it is not modelled here: on SQLite a `search_key` column
    and the FTS5 table it feeds through triggers, on PostgreSQL a generated `tsvector` column
    with its GIN index (storage.search.UNMODELLED names them all).
    """

    __tablename__ = "record_search"
    __table_args__ = (Index("ix_record_search_workspace_record", "workspace_id", "record_id"),)

    record_id: Mapped[int] = mapped_column(
        ForeignKey("walkaway_records.id"), primary_key=True, autoincrement=False
    )
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))
    deal: Mapped[str] = mapped_column(Text)
    reasons: Mapped[str] = mapped_column(Text)
    """The reasons as shown, then the one-line internal record."""
    conditions: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    """Notes on the answers, then the notes left with each status change."""
    messages: Mapped[str] = mapped_column(Text)
    """The buyer draft and, when it differs, the text as sent."""
    facets: Mapped[str] = mapped_column(Text)
    """The rep, outcome, status and tags as indexable words (storage.search.facet): SQLite's
    FTS5 index filters with them; PostgreSQL filters with B-tree indexes and ignores them."""


class RecordTag(Base):
    """The verdict's tags (fired signals, the old failure mode, the outcome), one row each.

    A table rather than a JSON list so `signal:` filters use an index on both backends.
    """

    __tablename__ = "record_tags"
    __table_args__ = (
        Index("ix_record_tags_workspace_tag_record", "workspace_id", "tag", "record_id"),
    )

    record_id: Mapped[int] = mapped_column(ForeignKey("walkaway_records.id"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(64), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"))


class Job(Base):
    """Work a listener has acknowledged to Slack and left for a worker (bot/worker.py).

    A row lives from the ack until a worker has finished it, then it is deleted, so the table
    holds only what is waiting or running. A row claimed by a process that died is claimed again
    once its claim is older than the worker's stale limit; `attempts` bounds how often.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_claimed_at", "claimed_at"),
        Index("uq_jobs_key", "key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(json_type())
    """The Slack request body as Bolt parsed it: the worker re-reads it as the listener would."""
    enqueued_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column()
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    """claimed_at is kept fresh by the claimer's heartbeat, so a dead claimer shows in seconds."""
    attempts: Mapped[int] = mapped_column(default=0)
    key: Mapped[str | None] = mapped_column(String(32))
    """Unique per job and stable across its re-runs (ids can be reused once a job is deleted):
    the owner its claims and posts are recorded under."""
    run_after: Mapped[datetime | None] = mapped_column()
    """Not before: set when a failed attempt was put back with a delay."""
    failures: Mapped[int] = mapped_column(default=0, server_default="0")
    """Attempts that failed and were put back (a worker dying mid-job is not one)."""
    last_error: Mapped[str | None] = mapped_column(String(200))
