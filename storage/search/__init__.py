"""Full-text search over walk-away records: keeping the index current, and querying it.

Keeping it current: `refresh` rebuilds one record's row in record_search (and its tags) from
the rows it summarises. The Store calls it inside the very transaction that changes any of them
(complete_session, update_draft, mark_sent, set_status), so the index can never disagree with a
committed record. What happens next is the database's job: on SQLite the triggers of migration
0004 re-index the row in FTS5; on PostgreSQL the generated tsvector columns are recomputed.

Querying it on SQLite (PostgreSQL ranks every match by field tier: storage/search/pg.py):

1. Candidates: the records of this workspace that contain every word and pass every filter,
   newest first, at most WINDOW of them. Each word is bound as a literal: a quoted FTS5 string
   on SQLite, `plainto_tsquery` input on PostgreSQL, so nothing typed is ever query syntax.
2. Ranking: relevance (bm25 on SQLite, ts_rank on PostgreSQL), then recency (ids are given in
   creation order, newest first), over those candidates only, and one page is returned. On
   SQLite a word found in more than COMMON of the workspace's records only filters: see there.

Ranking only the newest WINDOW matches is a deliberate bound. Scoring costs about a microsecond
per matching row, so a word that half the records contain would cost hundreds of milliseconds
per page at a million records; newest-first candidates come almost free from the index. When
more than WINDOW records match, the page says so (`SearchPage.capped`) and the user narrows
with more words, a filter or a date. With no words at all, results are simply newest first.

How each backend filters without reading every row:

* SQLite: the FTS5 index does it all. The workspace is a rowid range (migration 0004 keys the
  index by workspace_id * 2**40 + record_id), dates narrow that range, and the rep, outcome,
  status and tags are indexed words of the `facets` column (see `facet`), so a filter is one
  more doclist to intersect, never a lookup per matching row. (Looking each match up in
  walkaway_records, whose rows carry the whole draft, costs over a microsecond a match: a
  common word and a rep filter would read a few hundred thousand rows at a million records.)
* PostgreSQL (migration 0020): the same facet words, as the `filters` tsvector with its own GIN
  index, so the GIN scans intersect words and filters; dates become an id range, as here.
  Relevance there is the best field holding every word (deal, reasons and conditions, notes,
  messages), then recency, served exactly over all matches from one GIN index per tier.
"""

from storage.search.index import UNMODELLED, compose, facet, include_object, refresh
from storage.search.query import PAGE_SIZE, WINDOW, search
from storage.search.results import (
    ManagerDecision,
    ManagerDiscussion,
    SearchCriteria,
    SearchHit,
    SearchPage,
    hits,
)

__all__ = [
    "PAGE_SIZE",
    "UNMODELLED",
    "WINDOW",
    "ManagerDecision",
    "ManagerDiscussion",
    "SearchCriteria",
    "SearchHit",
    "SearchPage",
    "compose",
    "facet",
    "hits",
    "include_object",
    "refresh",
    "search",
]
