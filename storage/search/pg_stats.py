"""How common each word and filter is on PostgreSQL, from ANALYZE, to choose how a tier is read.

A tier (storage/search/pg_scan.py) is read one of two ways: walking the workspace's records newest
first, testing each, which stops after a page when its words are common; or asking a GIN index
for every match and keeping the newest, which costs what the rarest word (or filter) costs. The
planner would choose itself, but it cannot know that a tier excludes the tiers above it (terms_b
holds terms_a), so it expects matches where none are and walks a million records. Here the
choice is made from the same statistics: ANALYZE's most common lexemes of each tsvector column.
They also size the first window of a tier read newest first, and tell which words and keys
earn a place in a GIN scan. They are read once every STATS_SECONDS per database, not once per
search.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

STATS_SECONDS = 300.0
TID_COST = 0.05
"""A GIN posting-list entry costs about this much of a row read (measured at 1M: ~0.4 us a
TID building a bitmap, ~10 us a row read, on a loaded 2-core machine)."""
COLUMNS = ("terms_a", "terms_b", "terms_c", "document", "filters")


_STATS = text(
    "SELECT attname, most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
    "WHERE schemaname = current_schema() AND tablename = 'record_search' "
    "AND attname IN ('terms_a', 'terms_b', 'terms_c', 'document', 'filters')"
)
_ROWS = text("SELECT reltuples FROM pg_class WHERE oid = 'record_search'::regclass")


@dataclass(frozen=True)
class Statistics:
    rows: float
    """Records in record_search, as ANALYZE last counted (0 before any: use the indexes)."""
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per column, the share of records holding each of its most common lexemes."""
    least: dict[str, float] = field(default_factory=dict)
    """Per column, the share of its least common tracked lexeme: any other is rarer."""

    def share(self, column: str, lexeme: str) -> float:
        found = self.shares.get(column, {}).get(lexeme)
        return found if found is not None else self.least.get(column, 0.0) / 2

    def density(self, lexemes: Sequence[str], column: str | None) -> float:
        """The share of records with every word in this column (as if independent)."""
        if column is None:
            return 0.0
        return math.prod(self.share(column, lexeme) for lexeme in lexemes)

    def rarest(self, lexemes: Sequence[str], column: str) -> float:
        return min((self.share(column, lexeme) for lexeme in lexemes), default=0.0)

    def facets(self, groups: Sequence[Sequence[str]]) -> float:
        """The share of records passing every filter (any value of one kind)."""
        return math.prod(min(1.0, sum(self.share("filters", f) for f in g)) for g in groups)

    def workspace(self, key: str) -> float:
        """The workspace's share of the records, from its key in terms_a (migration 0021)."""
        return min(1.0, self.share("terms_a", key)) if self.rows > 0 else 1.0

    def group_shares(self, groups: Sequence[Sequence[str]]) -> list[float]:
        """The share of records passing each filter kind (any of its values)."""
        return [min(1.0, sum(self.share("filters", f) for f in g)) for g in groups]

    def tier_density(self, lexemes: Sequence[str], column: str, above: str | None) -> float:
        """The share of records whose tier is `column`: every word there, not all in `above`."""
        return max(0.0, self.density(lexemes, column) - self.density(lexemes, above))

    def walk(
        self,
        need: int,
        lexemes: Sequence[str],
        column: str,
        above: str | None,
        facets: float,
        *,
        ordered: bool,
        keys: float | None = None,
        matched: float = 1.0,
    ) -> bool:
        """Whether walking newest first finds `need` matches of the tier (words in `column`,
        not all in `above`) for less than its GIN index costs: every entry of the rarest
        posting list (TID_COST of a row each), then the rows it gives, all of them when they
        must be `ordered` newest first, else only until `need` are found.

        With `keys` (the share of the rarest key: filter, workspace or id range, for the tiers
        that hold them, migration 0021) the GIN scan is one index: its rarest entry bounds the
        list, and the rows read are the matches, `matched` being the share of the table the
        workspace and range leave. Without, the words' and the filters' bitmaps are separate."""
        if self.rows <= 0:
            return False
        density = self.tier_density(lexemes, column, above) * facets
        walked = need / density if density > 0 else math.inf
        if keys is None:
            listed = self.rows * min(self.rarest(lexemes, column), facets)
            return walked < listed * TID_COST + (listed if ordered else min(listed, need))
        listed = self.rows * min(self.rarest(lexemes, column), keys)
        rows = self.rows * density * matched
        return walked < listed * TID_COST + (rows if ordered else min(rows, need))


_cache: dict[str, tuple[float, Statistics]] = {}
_lock = threading.Lock()


def statistics(s: Session) -> Statistics:
    """This database's statistics, read at most once every STATS_SECONDS."""
    bind: Any = s.get_bind()
    key = bind.engine.url.render_as_string(hide_password=True)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    shares: dict[str, dict[str, float]] = {}
    least: dict[str, float] = {}
    rows_: Any = s.execute(_STATS).all()
    for column, elements, freqs in rows_:
        if not elements or not freqs:
            continue
        shares[column] = {e: float(f) for e, f in zip(elements, freqs, strict=False)}
        least[column] = float(freqs[len(elements)]) if len(freqs) > len(elements) else 0.0
    rows = float(s.scalar(_ROWS) or 0)
    found = Statistics(rows=max(rows, 0.0), shares=shares, least=least)
    with _lock:
        _cache[key] = (now + STATS_SECONDS, found)
    return found
