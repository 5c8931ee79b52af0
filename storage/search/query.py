"""Running a search on either backend: candidates, ranking, one page.

How and why is in the docstring of storage/search/__init__.py.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    column,
    exists,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from storage.models import (
    RecordSearch,
    RecordTag,
    User,
    WalkawayRecord,
)
from storage.search import pg
from storage.search.index import facet_groups
from storage.search.results import SearchCriteria, SearchPage, hits

PAGE_SIZE = 5
WINDOW = 1000
"""How many of the newest matches are ranked; see the module docstring."""
WORKSPACE_SHIFT = 2**40
"""SQLite's FTS5 rowid is workspace_id * WORKSPACE_SHIFT + record_id (migration 0004)."""
COMMON = 0.2
"""A word in more than this share of a workspace's records filters but is not scored: its bm25
weight (inverse document frequency) is at most log(0.8 / 0.2) = 1.4, against 5 to 9 for the
distinctive words a search is made of, and zero above one half, where FTS5 clamps it."""
PROBE = 100
"""Matches looked at to estimate a word's share of the records (see _common)."""
CLOCK_MARGIN = timedelta(days=1)
"""Record ids follow creation time, give or take a clock adjustment; a date filter's rowid range
is widened by this much before the exact created_at test, so no record near the edge is lost."""
BM25_WEIGHTS = (8.0, 3.0, 3.0, 2.0, 1.0, 0.0)
"""deal, reasons, conditions, notes, messages, facets: a hit on the deal name matters most, one
in the long buyer draft least, and filters none. PostgreSQL gets the same order through setweight
A/B/B/C/D."""


_FTS = table("record_search_fts", column("rowid", BigInteger()))
_FTS_ALL: ColumnElement[Any] = literal_column("record_search_fts")
"""FTS5's hidden column named after the table: `record_search_fts MATCH ...` searches all
columns, and bm25() takes it as its first argument."""
_DOCUMENT: ColumnElement[Any] = literal_column("record_search.document")
_ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
_R = WalkawayRecord


def search(
    s: Session,
    *,
    workspace_id: int,
    criteria: SearchCriteria,
    page: int = 0,
    page_size: int = PAGE_SIZE,
) -> SearchPage:
    """One page of this workspace's records matching `criteria`, best first."""
    page_size = max(1, min(page_size, 50))
    page = max(0, min(page, WINDOW // page_size))
    terms = criteria.terms()
    if s.get_bind().dialect.name == "sqlite":
        ids, total, capped = _sqlite(s, workspace_id, criteria, terms, page, page_size)
    elif terms:
        id_range = _id_range(s, workspace_id, criteria)
        ids, total, capped = pg.ranked(
            s,
            workspace_id,
            criteria,
            terms,
            id_range,
            _date_filters(criteria),
            page=page,
            page_size=page_size,
        )
    else:
        filters = _filters(workspace_id, criteria)
        ids, total, capped = _newest(s, workspace_id, filters, page, page_size, cap=pg.COUNT)
    return SearchPage(
        hits=tuple(hits(s, workspace_id=workspace_id, record_ids=ids)),
        page=page,
        page_size=page_size,
        total=total,
        capped=capped,
        ranked_all=s.get_bind().dialect.name == "postgresql",
    )


def _filters(workspace_id: int, criteria: SearchCriteria) -> list[ColumnElement[bool]]:
    """Conditions on walkaway_records for every filter but the workspace (the caller's job)."""
    found: list[ColumnElement[bool]] = []
    if criteria.outcomes:
        found.append(_R.outcome.in_(criteria.outcomes))
    if criteria.statuses:
        found.append(_R.status.in_(criteria.statuses))
    if criteria.rep_slack_ids:
        found.append(
            _R.rep_user_id.in_(
                select(User.id).where(
                    User.workspace_id == workspace_id,
                    User.slack_user_id.in_(criteria.rep_slack_ids),
                )
            )
        )
    if criteria.tags:
        found.append(exists().where(RecordTag.record_id == _R.id, RecordTag.tag.in_(criteria.tags)))
    found += _date_filters(criteria)
    return found


def _date_filters(criteria: SearchCriteria) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if criteria.since:
        found.append(_R.created_at >= _midnight(criteria.since))
    if criteria.until:
        found.append(_R.created_at < _midnight(criteria.until + timedelta(days=1)))
    return found


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _newest(
    s: Session,
    workspace_id: int,
    filters: list[ColumnElement[bool]],
    page: int,
    page_size: int,
    *,
    cap: int | None = None,
) -> tuple[list[int], int, bool]:
    """No words: newest first, straight from the walkaway_records indexes; counted up to `cap`
    (WINDOW; PostgreSQL counts to pg.COUNT, each counted match being a row read there)."""
    cap = WINDOW if cap is None else cap
    where = [_R.workspace_id == workspace_id, *filters]
    counted = s.scalar(
        select(func.count()).select_from(select(_R.id).where(*where).limit(cap + 1).subquery())
    )
    total = int(counted or 0)
    ids = s.scalars(
        select(_R.id)
        .where(*where)
        .order_by(_R.created_at.desc(), _R.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    return list(ids), min(total, cap), total > cap


def _quoted(words: Sequence[str]) -> str:
    """Each word as an FTS5 string literal: operators, columns and prefixes become plain text."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


_TEXT_COLUMNS = "{deal reasons conditions notes messages}"


def _sqlite_match(
    s: Session, workspace_id: int, criteria: SearchCriteria, terms: list[str]
) -> str | None:
    """The FTS5 expression for words and filters; "" when there is neither, None when a rep
    filter names nobody in this workspace (nothing can match)."""
    groups = facet_groups(s, workspace_id, criteria)
    if groups is None:
        return None
    parts = [f"{_TEXT_COLUMNS} : ({_quoted(terms)})"] if terms else []
    parts += ["{facets} : (" + " OR ".join(_quoted([f]) for f in group) + ")" for group in groups]
    return " AND ".join(parts)


def _sqlite(
    s: Session,
    workspace_id: int,
    criteria: SearchCriteria,
    terms: list[str],
    page: int,
    page_size: int,
) -> tuple[list[int], int, bool]:
    expression = _sqlite_match(s, workspace_id, criteria, terms)
    if expression is None:
        return [], 0, False
    if not expression:  # neither words nor filters, perhaps dates: the plain index
        return _newest(s, workspace_id, _date_filters(criteria), page, page_size)
    base = workspace_id * WORKSPACE_SHIFT
    low, high = _sqlite_range(s, workspace_id, criteria)
    if low > high:
        return [], 0, False
    match = _FTS_ALL.op("MATCH")(expression)
    dates = _date_filters(criteria)
    # Only dates need the record itself (for the exact time; the rowid range is a superset).
    # `r.id = rowid - base` cannot be turned round into a rowid lookup on the FTS5 table, so
    # SQLite always walks the index first, newest first, and stops at WINDOW.
    source = _FTS.join(_R, _R.id == _FTS.c.rowid - base) if dates else _FTS
    found: Sequence[int] = s.scalars(
        select(_FTS.c.rowid)
        .select_from(source)
        .where(match, _FTS.c.rowid.between(low, high), *dates)
        .order_by(_FTS.c.rowid.desc())
        .limit(WINDOW + 1)
    ).all()
    capped = len(found) > WINDOW
    found = found[:WINDOW]
    if terms and not found:
        return [], 0, False
    scored = [t for t in terms if not _common(s, t, workspace_id, low, high)]
    if not scored:  # no words, or only words too common to tell records apart: newest first
        chosen = found[page * page_size : (page + 1) * page_size]
        return [key - base for key in chosen], len(found), capped
    # Membership is settled (the candidates); this pass only orders them. Its MATCH holds just
    # the scored words, because bm25 counts every phrase's documents across the whole index
    # first, which for a word in most records costs more than everything else together.
    # `rowid + 0` keeps SQLite from turning the IN list into one FTS5 lookup per candidate;
    # the list travels as one JSON parameter rather than a thousand bound values.
    score = func.bm25(_FTS_ALL, *BM25_WEIGHTS).label("score")
    ranked = s.execute(
        select(_FTS.c.rowid, score)
        .where(
            _FTS_ALL.op("MATCH")(f"{_TEXT_COLUMNS} : ({_quoted(scored)})"),
            _FTS.c.rowid.between(min(found), max(found)),
            (_FTS.c.rowid + 0).in_(
                select(literal_column("value")).select_from(func.json_each(json.dumps(found)))
            ),
        )
        .order_by(score, _FTS.c.rowid.desc())
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    return [row.rowid - base for row in ranked], len(found), capped


def _common(s: Session, term: str, workspace_id: int, low: int, high: int) -> bool:
    """Whether `term` is in more than COMMON of the workspace's recent records.

    Such a word still has to match, but is left out of the bm25 pass: its inverse document
    frequency is small (zero beyond half the records, where FTS5 clamps it), so it barely moves
    the order, while computing it means counting a doclist that spans most of the index. The
    estimate costs two short index walks: where the PROBE-th newest match lies, and how many
    of the workspace's records are newer than it.
    """
    base = workspace_id * WORKSPACE_SHIFT
    kth = s.scalar(
        select(_FTS.c.rowid)
        .where(
            _FTS_ALL.op("MATCH")(f"{_TEXT_COLUMNS} : ({_quoted([term])})"),
            _FTS.c.rowid.between(low, high),
        )
        .order_by(_FTS.c.rowid.desc())
        .limit(1)
        .offset(PROBE - 1)
    )
    if kth is None:
        return False
    limit = int(PROBE / COMMON)
    newer = s.scalar(
        select(func.count()).select_from(
            select(RecordSearch.record_id)
            .where(
                RecordSearch.workspace_id == workspace_id,
                RecordSearch.record_id.between(kth - base, high - base),
            )
            .limit(limit)
            .subquery()
        )
    )
    return int(newer or 0) < limit


def _sqlite_range(s: Session, workspace_id: int, criteria: SearchCriteria) -> tuple[int, int]:
    """The workspace's FTS5 rowid range, narrowed by the date filters (see _id_range)."""
    base = workspace_id * WORKSPACE_SHIFT
    low, high = _id_range(s, workspace_id, criteria)
    return base + low, base + high


def _id_range(s: Session, workspace_id: int, criteria: SearchCriteria) -> tuple[int, int]:
    """The record ids the date filters allow, a superset: exact times are checked later.

    Ids follow creation time to within CLOCK_MARGIN, so every record older (by id) than the
    newest one created a margin before `since` was created before `since`, and likewise after
    `until`. Those bounds cost one index probe each; the exact created_at test comes later.
    """
    low, high = 1, WORKSPACE_SHIFT - 1
    in_workspace = _R.workspace_id == workspace_id
    if criteria.since:
        before = s.scalar(
            select(_R.id)
            .where(in_workspace, _R.created_at < _midnight(criteria.since) - CLOCK_MARGIN)
            .order_by(_R.created_at.desc(), _R.id.desc())
            .limit(1)
        )
        low = low if before is None else before + 1
    if criteria.until:
        after = s.scalar(
            select(_R.id)
            .where(
                in_workspace,
                _R.created_at >= _midnight(criteria.until + timedelta(days=1)) + CLOCK_MARGIN,
            )
            .order_by(_R.created_at, _R.id)
            .limit(1)
        )
        high = high if after is None else after - 1
    return low, high
