"""Searching on PostgreSQL: every match ranked, each question one GIN scan (migrations 0020, 0021).

Relevance is a tier, then recency. A record's tier is the best field that holds every word of
the search, in the order of `document`'s weights: the deal name (A), then the reasons and
conditions (B), then the notes (C), then the messages (D): the same order SQLite's bm25 weights
give. Within a tier, newer first. This order is exact over all matches, however many: each
tier has its own tsvector and GIN index (terms_a, terms_b, terms_c, document), so tier A's few
records are found from their index even when a million others match in tier D, and a tier with
many matches is walked newest first and stops after one page. (ts_rank, by contrast, has to
read every match's tsvector: a word in half the records costs ~0.4 s at a million, which is why
the ranking used to stop at the newest 1,000.)

Tiers A to C also hold the record's keys (storage.search.pg_keys: filters, workspace, id
blocks), so the words, the filters and a date range are one tsquery and one GIN scan, in which
the rarest of them bounds the work (GIN's fast scan skips through the others' posting lists):
two bitmaps of tens of thousands of rows are never built and ANDed. A tier is read newest
window first: the newest ids likely to hold a page (from ANALYZE's statistics, pg_stats), then
windows eight times wider, so a tier with thousands of matches reads a page of rows, not all of
them. The messages tier has no keys (its vector is the long `document`); it is reached only
when the shorter tiers do not fill the page, and filters there through the `filters` vector.
Dates are an id range (ids follow creation time, see query._id_range), checked exactly on the
record.

Only the count is bounded: up to COUNT + 1 matches are counted, and the page says "100+".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select, text
from sqlalchemy.orm import Session

from storage.models import RecordSearch, WalkawayRecord
from storage.search.index import facet_groups
from storage.search.pg_keys import BLOCK_LEVELS, id_blocks, tsquery, workspace_key
from storage.search.pg_stats import Statistics, statistics
from storage.search.results import SearchCriteria

_R = WalkawayRecord
_S = RecordSearch
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
a tier's windows start."""
AND_SHARE = 0.1
"""Messages tier: words and filters both in fewer than this share of the records have their GIN
bitmaps ANDed (each short), rather than every row of the rarer one checked."""
COUNT = 100
"""Matches are counted up to this many ("100+"). Ranking covers every match; counting them
does not need to: on PostgreSQL each counted match costs a row read (a GIN index cannot count
by itself), and a thousand of them cost more than the whole rest of a search."""
TIERS: tuple[str, ...] = ("terms_a", "terms_b", "terms_c", "document")
"""Each tier's words: the fields at or above one weight (migration 0020; document is all)."""
MAX_ID = 2**31 - 1
BLOCK = 10 ** BLOCK_LEVELS[0]
WIDEN = 8
"""Each window of a tier read newest first is this many times wider than the one before."""
MARGIN = 3.0
"""The first window is expected to hold this many pages' worth of the tier's matches."""


def _column(name: str, *, index: bool = True) -> ColumnElement[Any]:
    """A tsvector column; with index=False wrapped so the planner cannot use its GIN index."""
    column: ColumnElement[Any] = literal_column(f"record_search.{name}")
    return column if index else func.coalesce(column, literal_column("''::tsvector"))


def _in_range(low: int, high: int, *, walk: bool) -> list[ColumnElement[bool]]:
    """Exact id bounds, on the row (`+ 0`) unless walking the workspace's B-tree."""
    record_id = _S.record_id if walk else _S.record_id + 0
    found = [record_id >= low] if low > 1 else []
    return found + ([record_id <= high] if high < MAX_ID else [])


def _simple(groups: list[list[str]]) -> ColumnElement[Any]:
    return func.to_tsquery(literal_column("'simple'::regconfig"), tsquery(groups))


class _Search:
    """One search's statements: its words, keys and statistics, and how each tier is read."""

    def __init__(
        self,
        s: Session,
        workspace_id: int,
        groups: list[list[str]],
        lexemes: list[str],
        text_query: str,
        dates: list[ColumnElement[bool]],
        top: int,
    ) -> None:
        self.s, self.workspace_id, self.groups, self.lexemes = s, workspace_id, groups, lexemes
        self.dates, self.top = dates, top
        self.stats: Statistics = statistics(s)
        self.words = func.plainto_tsquery(literal_column("'english'::regconfig"), text_query)
        self.filters = _simple(groups) if groups else None
        self.facet_share = self.stats.facets(groups)
        self.workspace_share = self.stats.workspace(workspace_key(workspace_id))

    def keyed(self, low: int, high: int) -> ColumnElement[Any]:
        """The words AND the workspace, the filters and the id blocks of [low, high]."""
        keys = [[workspace_key(self.workspace_id)], *self.groups]
        if low > 1 or high < MAX_ID:
            keys.append(id_blocks(low, min(high, self.top)))
        return self.words.op("&&")(_simple(keys))

    def _where(self, query: Select[Any], low: int, high: int, walk: bool) -> Select[Any]:
        workspace = _S.workspace_id if walk else _S.workspace_id + 0
        query = query.where(workspace == self.workspace_id, *_in_range(low, high, walk=walk))
        if self.dates:  # the id range is a superset; the record holds the exact time
            query = query.join(_R, _R.id == _S.record_id).where(*self.dates)
        return query

    def keyed_tier(
        self, name: str, above: str | None, low: int, high: int, need: int, ordered: bool
    ) -> Select[Any]:
        """Up to `need` matches of tier `name` (keys included) in [low, high]; newest first when
        `ordered`, else whichever the bitmap gives first."""
        narrowed = low > 1 or high < MAX_ID
        share = (min(high, self.top) - low + 1) / max(self.stats.rows, 1.0) if narrowed else 1.0
        walk = self.stats.walk(
            need,
            self.lexemes,
            name,
            above,
            self.facet_share,
            ordered=ordered,
            keys=min(self.stats.smallest(self.groups), self.workspace_share, share),
            matched=self.workspace_share * min(share, 1.0),
        )
        condition: ColumnElement[bool] = _column(name, index=not walk).op("@@")(
            self.keyed(low, high)
        )
        if above is not None:
            condition = condition & ~_column(above).op("@@")(self.words)
        query = self._where(select(_S.record_id).where(condition), low, high, walk)
        if ordered or walk:
            query = query.order_by(_S.record_id.desc() if walk else (_S.record_id + 0).desc())
        return query.limit(need)

    def first_window(self, name: str, above: str | None, need: int, top: int) -> int:
        """How many of the newest ids are expected to hold MARGIN times `need` matches."""
        density = self.stats.tier_density(self.lexemes, name, above) * self.facet_share
        expected = density * self.workspace_share
        return int(MARGIN * need / expected) if expected > 0 else top

    def windows(self, name: str, above: str | None, low: int, top: int, need: int) -> list[int]:
        """The tier's newest `need` matches, newest window first (see the module docstring).
        Windows start on a block boundary, so their keys hold no ids outside them but at `low`."""
        span = BLOCK * max(1, -(-self.first_window(name, above, need, top) // BLOCK))
        found: list[int] = []
        high = top
        while len(found) < need and high >= low:
            start = max(low, (high - span + 1) // BLOCK * BLOCK)
            query = self.keyed_tier(name, above, start, high, need - len(found), True)
            found += self.s.scalars(query)
            high, span = start - 1, span * WIDEN
        return found

    def document(self, need: int, *, ordered: bool, low: int, high: int) -> Select[Any]:
        """Matches in the messages tier (words in `document`, not in terms_c), or with
        `ordered=False` any match in `document` (to count)."""
        above = "terms_c" if ordered else None
        walk = self.stats.walk(
            need, self.lexemes, "document", above, self.facet_share, ordered=ordered
        )
        rarest = self.stats.rarest(self.lexemes, "document")
        use_words = walk or not self.groups or rarest <= self.facet_share
        use_facets = walk or max(rarest, self.facet_share) <= AND_SHARE or not use_words
        condition: ColumnElement[bool] = _column("document", index=use_words).op("@@")(self.words)
        if above is not None:
            condition = condition & ~_column(above).op("@@")(self.words)
        if self.filters is not None:
            condition = condition & _column("filters", index=use_facets).op("@@")(self.filters)
        query = self._where(select(_S.record_id).where(condition), low, high, walk)
        if ordered or walk:
            query = query.order_by(_S.record_id.desc() if walk else (_S.record_id + 0).desc())
        return query.limit(need)


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
    search = _Search(s, workspace_id, groups, lexemes, text_query, dates, top)
    need = (page + 1) * page_size
    # The count first, up to COUNT + 1 from terms_c (keys included): when more than that match
    # there, so do the documents, whose long vectors are then never read.
    counted = search.keyed_tier("terms_c", None, low, high, COUNT + 1, False).subquery()
    total = int(s.scalar(select(func.count()).select_from(counted)) or 0)
    if total <= COUNT:
        every = search.document(COUNT + 1, ordered=False, low=low, high=high).subquery()
        total = int(s.scalar(select(func.count()).select_from(every)) or 0)
    found: list[int] = []
    for n, name in enumerate(TIERS[:3]):
        if len(found) >= need or len(found) >= total:
            break
        found += search.windows(name, TIERS[n - 1] if n else None, low, top, need - len(found))
    if len(found) < need and len(found) < total:
        found += s.scalars(search.document(need - len(found), ordered=True, low=low, high=high))
    return found[page * page_size : need], min(total, COUNT), total > COUNT
