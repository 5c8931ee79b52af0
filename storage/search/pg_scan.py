"""One PostgreSQL search's statements: which keys go in a GIN scan, and windows newest first.

storage/search/pg.py says what a search reads; this module says how each read is phrased so the
planner and GIN's fast scan do little work. Costs measured at a million records on the 2-core
machine of the README: a GIN posting-list entry costs about 0.2 us to iterate, a row read from
the heap about 5 us (rows are wide and 128 MB of shared buffers hold little of them), a
statement's round trip about 0.3 ms. So a read should never fetch from the heap more rows than
it returns, nor iterate a posting list of a word in tens of thousands of records when a short
range of ids would do.
"""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session

from storage.models import RecordSearch, WalkawayRecord
from storage.search.pg_keys import BLOCK_LEVELS, id_blocks, tsquery, workspace_key
from storage.search.pg_stats import Statistics, statistics

_R = WalkawayRecord
_S = RecordSearch
MAX_ID = 2**31 - 1
AND_SHARE = 0.1
"""Messages tier: words and filters both in fewer than this share of the records have their GIN
bitmaps ANDed (each short), rather than every row of the rarer one checked."""
KEY_SHARE = 0.25
"""A word or key group in at most this share of the records goes in the GIN scan (Scan.earns):
advancing through a longer posting list for every candidate costs about what reading the
candidates it would drop costs."""
FIRST_LEVEL = 4
"""The first window is at most two blocks of 10**FIRST_LEVEL ids: estimates of rare or
correlated words can be far off, and a window too small costs one more cheap statement, while
one too large reads every match in it from the heap to sort them."""
WINDOW_WORDS = 4
"""A window's id blocks (at most this many words) always go in the GIN scan."""
ONE_READ = 300
"""A tier expected to have at most this many matches in the range is read in one statement."""
GROW = 1.5
"""A window after the first is sized to hold this many times the matches still missing."""
BLOCK = 10 ** BLOCK_LEVELS[0]
MARGIN = 3.0
"""The first window is expected to hold this many times the matches asked for."""
Row = tuple[int, bool, bool]
"""A terms_c match: its id, and whether its words are also all in terms_a, in terms_b."""


def column(name: str, *, index: bool = True) -> ColumnElement[Any]:
    """A tsvector column; with index=False wrapped so the planner cannot use its GIN index."""
    found: ColumnElement[Any] = literal_column(f"record_search.{name}")
    return found if index else func.coalesce(found, literal_column("''::tsvector"))


def _in_range(low: int, high: int, *, walk: bool) -> list[ColumnElement[bool]]:
    """Exact id bounds, on the row (`+ 0`) unless walking the workspace's B-tree."""
    record_id = _S.record_id if walk else _S.record_id + 0
    found = [record_id >= low] if low > 1 else []
    return found + ([record_id <= high] if high < MAX_ID else [])


_SIMPLE: ColumnElement[Any] = literal_column("'simple'::regconfig")
_PLAIN = re.compile(r"[a-z0-9]+")


def simple(groups: list[list[str]]) -> ColumnElement[Any]:
    return func.to_tsquery(_SIMPLE, tsquery(groups))


class Scan:
    """One search's words, keys and statistics, and how each of its reads is phrased."""

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
        self.filters = simple(groups) if groups else None
        self.facet_share = self.stats.facets(groups)
        self.workspace_share = self.stats.workspace(workspace_key(workspace_id))

    @staticmethod
    def earns(share: float, driver: float) -> bool:
        """Whether a key group of this share earns its place in a GIN scan whose rarest word or
        key has share `driver`. Each word of it is one more posting list the scan advances
        through for every candidate, which costs more than it saves unless it drives the scan
        or drops most candidates without being far more common than the driver; otherwise the
        row is checked instead."""
        return share <= driver or share <= KEY_SHARE

    def _where(self, query: Select[Any], low: int, high: int, walk: bool) -> Select[Any]:
        workspace = _S.workspace_id if walk else _S.workspace_id + 0
        query = query.where(workspace == self.workspace_id, *_in_range(low, high, walk=walk))
        if self.dates:  # the id range is a superset; the record holds the exact time
            query = query.join(_R, _R.id == _S.record_id).where(*self.dates)
        return query

    def tier(
        self,
        name: str,
        above: str | None,
        low: int,
        high: int,
        need: int,
        blocks: list[str] | None = None,
    ) -> Select[Any]:
        """The newest `need` matches of tier `name` in [low, high]: their ids and whether each
        also matches terms_a and terms_b. The words go in the tsquery with the keys that earn
        it (earns); the other filters are checked on the row's short `filters` vector. A
        window's `blocks` cover [low, high]; without, the fewest that do."""
        narrowed = low > 1 or high < self.top
        span = (high - low + 1) / max(self.stats.rows, 1.0) if narrowed else None
        blocks = (blocks or id_blocks(low, min(high, self.top))) if narrowed else None
        windowed = blocks is not None and len(blocks) <= WINDOW_WORDS
        shares = self.stats.group_shares(self.groups)
        word_shares = {lexeme: self.stats.share(name, lexeme) for lexeme in self.lexemes}
        driver = min(
            [*word_shares.values(), self.workspace_share, *shares]
            + ([span] if windowed and span is not None else [])
        )
        # Words too common to earn a place are checked on the row, as the filters are; only
        # plain words, which the 'simple' parser gives back exactly as the index holds them.
        scanned_words = [
            lexeme
            for lexeme, share in word_shares.items()
            if self.earns(share, driver) or not _PLAIN.fullmatch(lexeme)
        ]
        keys: list[list[str]] = []
        on_row: list[list[str]] = []
        key_shares: list[float] = [
            share for lexeme, share in word_shares.items() if lexeme in scanned_words
        ]
        for group, share in zip(self.groups, shares, strict=True):
            (keys if self.earns(share, driver) else on_row).append(group)
            key_shares += [share] if self.earns(share, driver) else []
        if self.earns(self.workspace_share, driver):
            keys.append([workspace_key(self.workspace_id)])
            key_shares.append(self.workspace_share)
        if blocks and span is not None and (windowed or self.earns(span, driver)):
            keys.append(blocks)
            key_shares.append(span)
        walk = self.stats.walk(
            need,
            self.lexemes,
            name,
            above,
            self.facet_share,
            ordered=True,
            keys=min(key_shares, default=1.0),
            matched=self.workspace_share * (span if span is not None else 1.0),
        )
        if walk:  # the workspace and the ids come from the B-tree, the filters from the vector
            keys, on_row, scanned_words = list(self.groups), [], list(self.lexemes)
        if not scanned_words and not keys:
            scanned_words = list(self.lexemes)
        everything = len(scanned_words) == len(self.lexemes)
        words = self.words if everything else func.to_tsquery(_SIMPLE, " & ".join(scanned_words))
        if not scanned_words:
            wanted = simple(keys)
        else:
            wanted = words.op("&&")(simple(keys)) if keys else words
        condition: ColumnElement[bool] = column(name, index=not walk).op("@@")(wanted)
        if not everything:
            condition = condition & column(name, index=False).op("@@")(self.words)
        if above is not None:
            condition = condition & ~column(above).op("@@")(self.words)
        if on_row:
            condition = condition & column("filters", index=False).op("@@")(simple(on_row))
        flags = [column(n).op("@@")(self.words) for n in ("terms_a", "terms_b")]
        query = self._where(select(_S.record_id, *flags).where(condition), low, high, walk)
        newest = _S.record_id.desc() if walk else (_S.record_id + 0).desc()
        return query.order_by(newest).limit(need)

    def expected(self, name: str, above: str | None) -> float:
        """The tier's matches per id, filters and workspace included, from the statistics. A
        word they do not track counts as a quarter as dense in the tier as in the whole column
        (ANALYZE only bounds it)."""
        density = max(
            self.stats.tier_density(self.lexemes, name, above),
            self.stats.density(self.lexemes, name) / 4,
        )
        return density * self.facet_share * self.workspace_share

    def windows(self, name: str, above: str | None, low: int, top: int, need: int) -> list[Row]:
        """The tier's newest `need` matches in [low, top], newest window first.

        The first window is two aligned blocks of a size expected to hold MARGIN times `need`
        matches (at most 10**FIRST_LEVEL), or all of [low, top] when its rarest word or filter
        bounds them to ONE_READ (words that go together defeat estimates that take them as
        independent, never that bound); each next one
        is sized from the matches per id the windows so far found, to hold half again what is
        still missing (ten times wider when none was found), so the rows read from the heap
        stay near the rows asked for. A window's id blocks go in the GIN scan, where they
        drive it when the window spans fewer ids than the words' rarest posting list; a walk
        stays inside its window's id range (the planner, expecting few matches, would
        otherwise read the whole table to sort it)."""
        expected = self.expected(name, above)
        span = MARGIN * need / expected if expected > 0 else math.inf
        level = BLOCK_LEVELS[0]
        while level < FIRST_LEVEL and 2 * 10**level < span:
            level += 1
        start = max(low, (top // 10**level - 1) * 10**level)
        bound = min([self.stats.rarest(self.lexemes, name), *self.stats.group_shares(self.groups)])
        if bound * self.workspace_share * (top - low + 1) <= ONE_READ:  # few in all: one read
            start = low
        found: list[Row] = []
        high = top
        while True:
            blocks = id_blocks(start, high)
            query = self.tier(name, above, start, high, need - len(found), blocks)
            found += [(int(r[0]), bool(r[1]), bool(r[2])) for r in self.s.execute(query)]
            if len(found) >= need or start <= low:
                return found
            read = top - start + 1
            span = 10 * read if not found else int(GROW * (need - len(found)) * read / len(found))
            high, start = start - 1, max(low, (start - max(span, BLOCK)) // BLOCK * BLOCK)

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
        condition: ColumnElement[bool] = column("document", index=use_words).op("@@")(self.words)
        if above is not None:
            condition = condition & ~column(above).op("@@")(self.words)
        if self.filters is not None:
            condition = condition & column("filters", index=use_facets).op("@@")(self.filters)
        query = self._where(select(_S.record_id).where(condition), low, high, walk)
        if ordered or walk:
            query = query.order_by(_S.record_id.desc() if walk else (_S.record_id + 0).desc())
        return query.limit(need)
