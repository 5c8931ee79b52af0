"""Each status change carries its record's workspace and rep, indexed with its status and time.

A team's comebacks and wins over a period (storage/insight.py) are the status changes of its
reps' records. Without these columns they were read by joining the period's changes of every
workspace to the team's records, the biggest cost of a manager's App Home numbers at a million
records. With them, they are one short index range per rep and status:
`ix_record_status_changes_workspace_rep_status_at` (workspace_id, rep_user_id, status,
changed_at, record_id), read from the index alone.

The columns copy `walkaway_records.workspace_id` and `.rep_user_id`, which never change once a
record is made; every code path that writes a status change fills them (storage/walkaways.py,
rechecks.py, pathback.py, nudges.py), and this revision fills the rows already there. They are
nullable because SQLite cannot add a NOT NULL column without a default short of rebuilding the
table.

On SQLite the foreign keys are written inline (`ADD COLUMN ... REFERENCES`), as SQLite cannot add
a constraint to a table; PostgreSQL adds them as named constraints. Downgrade drops the index
and the columns, in place on both (the table's SQL on SQLite is then exactly what it was).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "record_status_changes"
INDEX = "ix_record_status_changes_workspace_rep_status_at"
COLUMNS = (("workspace_id", "workspaces"), ("rep_user_id", "users"))


def upgrade() -> None:
    sqlite = op.get_context().dialect.name == "sqlite"
    for column, parent in COLUMNS:
        op.add_column(
            TABLE,
            sa.Column(
                column,
                sa.Integer(),
                sa.ForeignKey(f"{parent}.id", name=f"fk_{TABLE}_{column}_{parent}"),
                nullable=True,
            ),
            inline_references=sqlite,
        )
    # UPDATE ... FROM: one join (PostgreSQL hashes it; SQLite 3.33+ reads each record by key).
    op.execute(
        sa.text(
            f"UPDATE {TABLE} SET workspace_id = r.workspace_id, rep_user_id = r.rep_user_id "
            f"FROM walkaway_records AS r WHERE r.id = {TABLE}.record_id"
        )
    )
    op.create_index(
        INDEX, TABLE, ["workspace_id", "rep_user_id", "status", "changed_at", "record_id"]
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name=TABLE)
    sqlite = op.get_context().dialect.name == "sqlite"
    for column, parent in reversed(COLUMNS):
        if not sqlite:
            op.drop_constraint(f"fk_{TABLE}_{column}_{parent}", TABLE, type_="foreignkey")
        # SQLite 3.35+ drops a column whose REFERENCES is its own (not a table constraint) in
        # place, leaving the table's SQL as it was before the upgrade.
        op.drop_column(TABLE, column)
