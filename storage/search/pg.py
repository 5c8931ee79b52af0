"""Searching on PostgreSQL: every match ranked, most of it one windowed GIN scan (0020, 0021).

Relevance is a tier, then recency. A record's tier is the best field that holds every word of
the search, in the order of `document`'s weights: the deal name (A), then the reasons and
conditions (B), then the notes (C), then the messages (D): the same order SQLite's bm25 weights
give. Within a tier, newer first. This order is exact over all matches, however many. (ts_rank,
by contrast, has to read every match's tsvector: a word in half the records costs ~0.4 s at a
million, which is why the ranking used to stop at the newest 1,000.)

Tiers A to C are nested (terms_c holds terms_b's words, which hold terms_a's), so one read
serves the count and most pages: the newest COUNT + 1 matches of terms_c, each with whether it
also matches terms_a and terms_b. More than COUNT of them and the page says "100+"; and within
them are the newest of each tier, since every newer match of a tier is a terms_c match too. A
tier short of a page there is continued past the oldest of them, from its own index. Only
when terms_c has COUNT or fewer matches are the messages (`document`, long and TOASTed) read.

Tiers A to C also hold the record's keys (storage.search.pg_keys: filters, workspace, id
blocks), so the words, the filters and an id range are one tsquery and one GIN scan, in which
the rarest of them bounds the work (GIN's fast scan skips through the others' posting lists),
and a tier is read a window of ids at a time, newest first (storage.search.pg_scan): a word in
tens of thousands of records reads the rows of a page, not all of them. Dates are an id range
(ids follow creation time, see query._id_range), checked exactly on the record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, func, select, text
from sqlalchemy.orm import Session

from storage.search.index import facet_groups
from storage.search.pg_scan import Row, Scan
from storage.search.results import SearchCriteria

_FIRST = text(
    "SELECT set_config('jit', 'off', true), "
    "set_config('max_parallel_workers_per_gather', '0', true), "
    "set_config('work_mem', '64MB', true), "
    "(SELECT coalesce(array_agg(lexeme), '{}') FROM unnest(to_tsvector('english', :words))), "
    "(SELECT max(record_id) FROM record_search WHERE workspace_id = :ws)"
)
"""The search's settings, words and newest id in one round trip. The settings hold for its
transaction only: JIT compiling and parallel workers only add start-up time to reads this short,
and work_mem keeps a GIN bitmap of a few hundred thousand rows exact (a lossy one, past the
default 4 MB, makes PostgreSQL re-test every row of its pages, reading their TOASTed vectors).
The words come back as the index holds them (stemmed, stop words gone); the newest id is where
the windows start."""
COUNT = 100
"""Matches are counted up to this many ("100+"). Ranking covers every match; counting them
does not need to: on PostgreSQL each counted match costs a row read (a GIN index cannot count
by itself), and a thousand of them cost more than the whole rest of a search."""
TIERS: tuple[tuple[str, str | None], ...] = (
    ("terms_a", None),
    ("terms_b", "terms_a"),
    ("terms_c", "terms_b"),
)
"""Each keyed tier's vector and the one above it (a match of both belongs to the one above)."""


def _tier_of(row: Row) -> str:
    _, in_a, in_b = row
    return "terms_a" if in_a else "terms_b" if in_b else "terms_c"


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
    first: Any = s.execute(_FIRST, {"words": text_query, "ws": workspace_id}).one()
    lexemes: list[str] = list(first[3] or [])
    top = min(high, int(first[4] or 0))
    if not lexemes or top < low:  # only stop words or punctuation, or no record in range
        return [], 0, False
    scan = Scan(s, workspace_id, groups, lexemes, text_query, dates, top)
    need = (page + 1) * page_size
    newest = scan.windows("terms_c", None, low, top, COUNT + 1)
    total = len(newest)
    if total <= COUNT:  # every terms_c match is here; the messages may hold more
        every = scan.document(COUNT + 1, ordered=False, low=low, high=top).subquery()
        total = int(s.scalar(select(func.count()).select_from(every)) or 0)
    older = newest[-1][0] - 1 if len(newest) > COUNT else None
    found: list[int] = []
    for name, above in TIERS:
        if len(found) >= need:
            break
        got = [row[0] for row in newest if _tier_of(row) == name]
        if older is not None and len(found) + len(got) < need:  # the tier goes on past them
            more = scan.windows(name, above, low, older, need - len(found) - len(got))
            got += [row[0] for row in more]
        found += got
    if len(found) < need and len(found) < total:
        found += s.scalars(scan.document(need - len(found), ordered=True, low=low, high=top))
    return found[page * page_size : need], min(total, COUNT), total > COUNT
