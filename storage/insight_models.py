"""The indexes the team numbers read (storage/insight.py, migrations 0015 and 0022).

Kept out of storage/models.py, which is full; they join the same tables' metadata.
"""

from __future__ import annotations

from sqlalchemy import Index

from storage.models import Approval, QualificationSession, RecordStatusChange, WalkawayRecord

Index(
    "ix_qualification_sessions_workspace_rep_started",
    QualificationSession.workspace_id,
    QualificationSession.rep_user_id,
    QualificationSession.started_at,
)
"""Checks started by a team in a period: one range per rep, not every session they ever had."""
Index("ix_approvals_approver_user_id", Approval.approver_user_id)
"""Whether someone was ever asked for a position (Home's sentence for a manager left with no
reps), read on every Home view, so an index lookup, not a scan of every approval."""
Index(
    "ix_walkaway_records_workspace_rep_id_outcome",
    WalkawayRecord.workspace_id,
    WalkawayRecord.rep_user_id,
    WalkawayRecord.id,
    WalkawayRecord.outcome,
)
"""A team's records with their verdicts from the index alone: the comebacks and wins join the
period's status changes to them (PostgreSQL hashed every record of the team from the heap:
25 ms of 52 for a 10-rep team at 200,000 records, 2 ms with this)."""
Index(
    "ix_record_status_changes_workspace_rep_status_at",
    RecordStatusChange.workspace_id,
    RecordStatusChange.rep_user_id,
    RecordStatusChange.status,
    RecordStatusChange.changed_at,
    RecordStatusChange.record_id,
)
"""A team's comebacks and wins over a period: one range per rep and status, read from the index
alone, instead of every workspace's changes of the period checked against the set of the team's
records, their whole history (SQLite at 1,000,000 records: 17 ms for a 10-rep team's 90 days)."""
