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

Only the count is bounded: up to COUNT + 1 matches are counted, and the page says "100+".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from storage.models import RecordSearch, WalkawayRecord
from storage.search.index import facet_groups
from storage.search.pg_stats import STEMS as _STEMS
from storage.search.pg_stats import statistics
from storage.search.results import SearchCriteria

_R = WalkawayRecord
_S = RecordSearch
_LOCAL_SETTINGS = text(
    "SELECT set_config('jit', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true), "
    "set_config('work_mem', '64MB', true)"
)
"""For the search's transaction only. work_mem keeps a GIN bitmap of a few hundred thousand
rows exact: a lossy one (past the default 4 MB) makes PostgreSQL re-test every row of its pages,
reading their TOASTed tsvectors."""
AND_SHARE = 0.1
"""Words and filters both in fewer than this share of the records: their GIN bitmaps are ANDed
(each short), rather than checking every row of the rarer one."""
COUNT = 100
"""Matches are counted up to this many ("100+"). Ranking covers every match; counting them
does not need to: on PostgreSQL each counted match costs a row read (a GIN index cannot count
by itself), and a thousand of them cost more than the whole rest of a search."""
TIERS: tuple[str, ...] = ("terms_a", "terms_b", "terms_c", "document")
"""Each tier's words: the fields at or above one weight (migration 0020; document is all)."""


def _column(name: str, *, index: bool = True) -> ColumnElement[Any]:
    """A tsvector column; with index=False wrapped so the planner cannot use its GIN index."""
    column: ColumnElement[Any] = literal_column(f"record_search.{name}")
    return column if index else func.coalesce(column, literal_column("''::tsvector"))


def _in_range(low: int, high: int) -> list[ColumnElement[bool]]:
    """The date filters' id bounds; none without dates (ids are 32-bit here, the range 40)."""
    found = [_S.record_id >= low] if low > 1 else []
    return found + ([_S.record_id <= high] if high < 2**31 - 1 else [])


def _tsquery(groups: list[list[str]]) -> str:
    """Facet words are letters and digits only (storage.search.facet): safe as tsquery text."""
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
) -> tuple[list[int], int, bool]:
    """One page of matching ids, best tier first and newest first within it, and the count."""
    groups = facet_groups(s, workspace_id, criteria)
    low, high = id_range
    if groups is None or low > high:
        return [], 0, False
    text_query = " ".join(terms)
    lexemes: list[str] = list(s.scalar(_STEMS, {"words": text_query}) or [])
    stats = statistics(s)
    words = func.plainto_tsquery(literal_column("'english'::regconfig"), text_query)
    filters = func.to_tsquery("simple", _tsquery(groups)) if groups else None
    facet_share = stats.facets(groups)

    def base(condition: ColumnElement[bool], facets_indexed: bool, walk: bool) -> Select[Any]:
        """Matches of `condition` and the filters; `walk` lets the planner walk the workspace's
        B-tree, otherwise only the one GIN index chosen is usable (the planner would AND
        bitmaps of half the table, which costs more than checking the rows)."""
        workspace = _S.workspace_id if walk else _S.workspace_id + 0
        query = select(_S.record_id).where(
            workspace == workspace_id, *_in_range(low, high), condition
        )
        if filters is not None:
            query = query.where(_column("filters", index=facets_indexed).op("@@")(filters))
        if dates:  # the id range is a superset; the record holds the exact time
            query = query.join(_R, _R.id == _S.record_id).where(*dates)
        return query

    def plan(name: str, above: str | None, need: int, ordered: bool) -> tuple[bool, bool, bool]:
        """Walk newest first, or which GIN indexes to read: (walk, words, facets)."""
        if stats.walk(need, lexemes, name, above, facet_share, ordered=ordered):
            return True, True, True
        rarest = stats.rarest(lexemes, name)
        if groups and max(rarest, facet_share) <= AND_SHARE:
            return False, True, True  # both short posting lists: AND them in the bitmap
        use_words = not groups or rarest <= facet_share
        return False, use_words, not use_words

    def tier(name: str, above: str | None, need: int) -> Select[Any]:
        """The tier's matches, newest first, at most `need`."""
        walk, use_words, use_facets = plan(name, above, need, True)
        condition: ColumnElement[bool] = _column(name, index=use_words).op("@@")(words)
        if above is not None:
            condition = condition & ~_column(above).op("@@")(words)
        newest = _S.record_id.desc() if walk else (_S.record_id + 0).desc()
        query = base(condition, facets_indexed=use_facets, walk=walk)
        return query.order_by(newest).limit(need)

    def count(name: str) -> Select[Any]:
        """Up to COUNT + 1 matches of the words in `name`; from a bitmap in no order, so that
        its heap scan stops as soon as it has them."""
        walk, use_words, use_facets = plan(name, None, COUNT + 1, False)
        condition = _column(name, index=use_words).op("@@")(words)
        query = base(condition, facets_indexed=use_facets, walk=walk)
        if walk:  # the workspace's own rows, newest first (and within the dates), not the table
            query = query.order_by(_S.record_id.desc())
        return query.limit(COUNT + 1)

    # Each tier from its own index (or walk), in order, until the page is full: a tier after a
    # full page is never read. The first statement also counts the matches up to COUNT + 1,
    # from terms_c first: when more than that many match there, so do the documents, and most
    # rows are then tested without reading their long document. JIT compiling and parallel
    # workers only add start-up time to reads this short.
    s.execute(_LOCAL_SETTINGS)
    need = (page + 1) * page_size
    counted = count("terms_c").subquery()
    first = tier(TIERS[0], None, need).subquery()
    row = s.execute(
        select(
            select(func.count()).select_from(counted).scalar_subquery(),
            select(func.array_agg(aggregate_order_by(first.c.record_id, first.c.record_id.desc())))
            .select_from(first)
            .scalar_subquery(),
        )
    ).one()
    total = int(row[0] or 0)
    if total <= COUNT:  # the messages (long, TOASTed) only when the short vector cannot tell
        total = int(s.scalar(select(func.count()).select_from(count("document").subquery())) or 0)
    found: list[int] = list(row[1] or ())
    for n, name in enumerate(TIERS[1:], start=1):
        if len(found) >= need or len(found) >= total:
            break
        found += s.scalars(tier(name, TIERS[n - 1], need - len(found)))
    return found[page * page_size : need], min(total, COUNT), total > COUNT
