"""Keeping the search index current: one record's search row and tags, rebuilt from the rows
it summarises inside the transaction that changed them (see storage/search/__init__.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    delete,
    select,
)
from sqlalchemy.orm import Session

from storage.models import (
    Answer,
    Deal,
    RecordSearch,
    RecordStatusChange,
    RecordTag,
    User,
    VerdictRow,
    WalkawayRecord,
)
from storage.search.results import SearchCriteria

UNMODELLED = {
    "tables": frozenset(
        {
            "record_search_fts",
            "record_search_fts_data",
            "record_search_fts_idx",
            "record_search_fts_docsize",
            "record_search_fts_config",
        }
    ),
    "columns": frozenset(
        {("record_search", "search_key"), ("record_search", "document")}
        | {("record_search", name) for name in ("terms_a", "terms_b", "terms_c", "filters")}
    ),
    "indexes": frozenset(
        {"uq_record_search_search_key", "ix_record_search_document"}
        | {f"ix_record_search_{name}" for name in ("terms_a", "terms_b", "terms_c", "filters")}
    ),
}
"""What migration 0004 builds for one backend only, outside the models: an FTS5 virtual table
and its shadow tables cannot be SQLAlchemy models, and neither the SQLite key column nor the
PostgreSQL tsvectors (migrations 0004 and 0020) exist on the other backend. env.py and the
schema test skip these names."""


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Alembic's include_object hook: leave the UNMODELLED search objects out of comparisons.

    Without it, autogenerate would offer to drop the FTS5 tables, the key column and the
    tsvector (they exist in the database but not in the models).
    """
    if type_ == "table":
        return name not in UNMODELLED["tables"]
    if type_ == "column":
        owner = getattr(getattr(obj, "table", None), "name", None)
        return (owner, name) not in UNMODELLED["columns"]
    if type_ == "index":
        return name not in UNMODELLED["indexes"]
    return True


_R = WalkawayRecord


def facet(kind: str, workspace_id: int, value: str) -> str:
    """One filter value as an FTS5 word: `o`utcome, `s`tatus, `t`ag or `r`ep, per workspace.

    Hex keeps any value a single token (the tokenizer splits on `_` and `-`), and the final 0
    keeps the porter stemmer off it (it only trims letters), so document and query agree
    exactly. Migration 0004 builds the same words for records it backfills.
    """
    return f"{kind}{workspace_id}x{value.encode().hex()}0"


def compose(
    *,
    deal: str,
    verdict_data: dict[str, Any],
    record_line: str,
    answer_notes: Sequence[str],
    status_notes: Sequence[str],
    draft_text: str | None,
    sent_text: str | None,
    workspace_id: int,
    rep_user_id: int,
    outcome: str,
    status: str,
    tags: Sequence[str],
) -> dict[str, str]:
    """The text columns of one record's search row (migration 0004 repeats this for backfill)."""
    facets = [
        facet("r", workspace_id, str(rep_user_id)),
        facet("o", workspace_id, outcome),
        facet("s", workspace_id, status),
        *(facet("t", workspace_id, tag) for tag in tags),
    ]
    return {
        "deal": deal,
        "reasons": "\n".join([*(r["text"] for r in verdict_data["reasons"]), record_line]),
        "conditions": "\n".join(c["text"] for c in verdict_data["conditions"]),
        "notes": "\n".join([*answer_notes, *status_notes]),
        "messages": "\n".join(dict.fromkeys(t for t in (draft_text, sent_text) if t)),
        "facets": " ".join(facets),
    }


def refresh(s: Session, record_id: int) -> None:
    """Rebuild the record's search row and tags; call inside the transaction that changed it."""
    record = s.get_one(_R, record_id)
    deal = s.scalars(select(Deal.name).where(Deal.id == record.deal_id)).one()
    verdict = s.get_one(VerdictRow, record.verdict_id)
    answer_notes = s.scalars(
        select(Answer.note)
        .where(
            Answer.session_id == record.session_id,
            Answer.superseded_at.is_(None),
            Answer.note.is_not(None),
        )
        .order_by(Answer.id)
    ).all()
    status_notes = s.scalars(
        select(RecordStatusChange.note)
        .where(RecordStatusChange.record_id == record_id, RecordStatusChange.note.is_not(None))
        .order_by(RecordStatusChange.id)
    ).all()
    tags = list(dict.fromkeys(str(t)[:64] for t in verdict.data.get("tags", ())))
    columns = compose(
        deal=deal,
        verdict_data=verdict.data,
        record_line=verdict.record_line,
        answer_notes=[n for n in answer_notes if n],
        status_notes=[n for n in status_notes if n],
        draft_text=record.draft_text,
        sent_text=record.sent_text,
        workspace_id=record.workspace_id,
        rep_user_id=record.rep_user_id,
        outcome=record.outcome,
        status=record.status,
        tags=tags,
    )
    row = s.get(RecordSearch, record_id)
    if row is None:
        s.add(RecordSearch(record_id=record_id, workspace_id=record.workspace_id, **columns))
    else:
        for name, value in columns.items():
            if getattr(row, name) != value:  # an unchanged row is not re-indexed
                setattr(row, name, value)
    have = set(s.scalars(select(RecordTag.tag).where(RecordTag.record_id == record_id)))
    if have - set(tags):
        s.execute(
            delete(RecordTag).where(
                RecordTag.record_id == record_id, RecordTag.tag.not_in(set(tags))
            )
        )
    s.add_all(
        RecordTag(record_id=record_id, tag=tag, workspace_id=record.workspace_id)
        for tag in tags
        if tag not in have
    )


def facet_groups(s: Session, workspace_id: int, criteria: SearchCriteria) -> list[list[str]] | None:
    """The filters as facet words, one list per kind (any of it, every kind); None when a rep
    filter names nobody in this workspace (nothing can match). Both backends' searches read
    these (FTS5's facets column, PostgreSQL's facet vector)."""
    groups: list[list[str]] = []
    for kind, values in (
        ("o", criteria.outcomes),
        ("s", criteria.statuses),
        ("t", criteria.tags),
    ):
        if values:
            groups.append([facet(kind, workspace_id, v) for v in values])
    if criteria.rep_slack_ids:
        reps = s.scalars(
            select(User.id).where(
                User.workspace_id == workspace_id, User.slack_user_id.in_(criteria.rep_slack_ids)
            )
        ).all()
        if not reps:
            return None
        groups.append([facet("r", workspace_id, str(rep)) for rep in reps])
    return groups
