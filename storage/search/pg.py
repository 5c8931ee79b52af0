"""Searching on PostgreSQL: every match ranked, filters inside the GIN indexes (migration 0020).

Relevance is a tier, then recency. A record's tier is the best field that holds every word of
the search, in the order of `document`'s weights: the deal name (A), then the reasons and
conditions (B), then the notes (C), then the messages (D): the same order SQLite's bm25 weights
give. Within a tier, newer first. This order is exact over all matches, however many: each
tier has its own tsvector and GIN index (terms_a, terms_b, terms_c, document), so tier A's few
records are found from their index even when a million others match in tier D, and a tier with
many matches is walked newest first and stops after one page. (ts_rank, by contrast, has to
read every match's tsvector: a word in half the records costs ~0.4 s at a million, which is why
the ranking used to stop at the newest 1,000.)

Filters are words of the `filters` tsvector (storage.search.facet: rep, outcome, status, tags,
per workspace), so the GIN scan intersects them with the words; dates become a record id range
(ids follow creation time, see query._id_range) and are then checked exactly on the record.

Only the count is bounded: up to WINDOW + 1 matches are counted, and the page says "1,000+".
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal, literal_column, select, union_all
from sqlalchemy.orm import Session

from storage.models import RecordSearch, User, WalkawayRecord
from storage.search.index import facet
from storage.search.results import SearchCriteria

_R = WalkawayRecord
_S = RecordSearch
TIERS: tuple[str, ...] = ("terms_a", "terms_b", "terms_c", "document")
"""Each tier's words: the fields at or above one weight (migration 0020; document is all)."""


def _column(name: str) -> ColumnElement[Any]:
    return literal_column(f"record_search.{name}")


def _in_range(low: int, high: int) -> list[ColumnElement[bool]]:
    """The date filters' id bounds; none without dates (ids are 32-bit here, the range 40)."""
    found = [_S.record_id >= low] if low > 1 else []
    return found + ([_S.record_id <= high] if high < 2**31 - 1 else [])


def facet_query(s: Session, workspace_id: int, criteria: SearchCriteria) -> str | None:
    """The filters as tsquery text ("" for none), None when a rep filter names nobody here.

    Facet words are letters and digits only (storage.search.facet), so the text is safe."""
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
    return " & ".join("(" + " | ".join(group) + ")" for group in groups)


def ranked(
    s: Session,
    workspace_id: int,
    criteria: SearchCriteria,
    terms: list[str],
    id_range: tuple[int, int],
    dates: list[ColumnElement[bool]],
    *,
    page: int,
    page_size: int,
    window: int,
) -> tuple[list[int], int, bool]:
    """One page of matching ids, best tier first and newest first within it, and the count."""
    facets = facet_query(s, workspace_id, criteria)
    low, high = id_range
    if facets is None or low > high:
        return [], 0, False
    words = func.plainto_tsquery(literal_column("'english'::regconfig"), " ".join(terms))
    where = [_S.workspace_id == workspace_id, *_in_range(low, high)]
    if facets:
        where.append(_column("filters").op("@@")(func.to_tsquery("simple", facets)))

    def matching(condition: ColumnElement[bool]) -> Select[Any]:
        query = select(_S.record_id).where(*where, condition)
        if dates:  # the id range is a superset; the record holds the exact time
            query = query.join(_R, _R.id == _S.record_id).where(*dates)
        return query

    def has(tier: str) -> ColumnElement[bool]:
        return _column(tier).op("@@")(words)

    # One statement: the tiers in order, each newest first from its own GIN index (or a walk
    # of the primary key when its words are common), each at most a page deep; and the count.
    need = (page + 1) * page_size
    parts = []
    above: ColumnElement[bool] | None = None
    for n, name in enumerate(TIERS):
        condition = has(name) if above is None else has(name) & ~above
        part = matching(condition).add_columns(literal(n).label("tier"))
        parts.append(part.order_by(_S.record_id.desc()).limit(need).subquery().select())
        above = has(name)
    tiers = union_all(*parts).subquery()
    count = select(func.count()).select_from(matching(has("document")).limit(window + 1).subquery())
    rows = s.execute(
        select(tiers.c.record_id, count.scalar_subquery())
        .order_by(tiers.c.tier, tiers.c.record_id.desc())
        .limit(need)
    ).all()
    total = int(rows[0][1]) if rows else 0
    found = [row[0] for row in rows]
    return found[page * page_size : need], min(total, window), total > window


def newest_filtered(
    s: Session,
    workspace_id: int,
    criteria: SearchCriteria,
    id_range: tuple[int, int],
    dates: list[ColumnElement[bool]],
    *,
    page: int,
    page_size: int,
    window: int,
) -> tuple[list[int], int, bool] | None:
    """Filters without words, newest first from the filters index; None when there are no
    facet filters (the caller's B-tree path handles dates alone)."""
    facets = facet_query(s, workspace_id, criteria)
    if facets == "":
        return None
    low, high = id_range
    if facets is None or low > high:
        return [], 0, False
    query = select(_S.record_id).where(
        _S.workspace_id == workspace_id,
        *_in_range(low, high),
        _column("filters").op("@@")(func.to_tsquery("simple", facets)),
    )
    if dates:
        query = query.join(_R, _R.id == _S.record_id).where(*dates)
    counted = s.scalar(select(func.count()).select_from(query.limit(window + 1).subquery()))
    total = int(counted or 0)
    ids: Sequence[int] = s.scalars(
        query.order_by(_S.record_id.desc()).limit(page_size).offset(page * page_size)
    ).all()
    return list(ids), min(total, window), total > window
