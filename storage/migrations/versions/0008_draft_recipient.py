"""Addressed drafts: who a deal's messages are for, and each draft's subject and short note.

- deals.buyer_organisation, deals.buyer_contact: the buyer's organisation and the contact's
  first name, learnt before the first draft and offered again for the deal's later checks.
- walkaway_records.subject and draft_short: the email's subject line and the note for chat or
  LinkedIn (draft_text stays the email); draft_length, which of the two the card shows
  (NULL: the email); addressed_at, when the rep said who it is for or skipped the question
  (NULL: the draft still waits for that answer).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (
    ("deals", "buyer_organisation", sa.Text()),
    ("deals", "buyer_contact", sa.Text()),
    ("walkaway_records", "subject", sa.Text()),
    ("walkaway_records", "draft_short", sa.Text()),
    ("walkaway_records", "draft_length", sa.String(length=8)),
    ("walkaway_records", "addressed_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    for table, column, kind in _COLUMNS:
        op.add_column(table, sa.Column(column, kind, nullable=True))
    # Records drafted before this revision were shown at once: nothing waits on them.
    op.execute(sa.text("UPDATE walkaway_records SET addressed_at = created_at"))


def downgrade() -> None:
    for table, column, _ in reversed(_COLUMNS):
        if op.get_bind().dialect.name == "sqlite":  # in place, as 0007 explains
            op.execute(sa.text(f'ALTER TABLE {table} DROP COLUMN "{column}"'))
        else:
            op.drop_column(table, column)
