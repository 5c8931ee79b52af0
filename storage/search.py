"""Full-text search over walk-away records: keeping the index current, and querying it.

Keeping it current: `refresh` rebuilds one record's row in record_search (and its tags) from
the rows it summarises. The Store calls it inside the very transaction that changes any of them
(complete_session, update_draft, mark_sent, set_status), so the index can never disagree with a
committed record. What happens next is the database's job: on SQLite the triggers of migration
0004 re-index the row in FTS5; on PostgreSQL the generated tsvector column is recomputed.

Querying it, the same way on both backends:

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
* PostgreSQL: the GIN index finds the words, B-tree indexes on walkaway_records and record_tags
  the filters, and the planner combines them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    any_,
    bindparam,
    column,
    delete,
    exists,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, aliased

from bot.domain.model import Outcome
from bot.domain.search_query import STOP_WORDS
from storage.approvals import Decision
from storage.models import (
    Answer,
    Approval,
    Deal,
    QualificationSession,
    RecordSearch,
    RecordStatusChange,
    RecordTag,
    User,
    VerdictRow,
    WalkawayRecord,
)
from storage.records import RecordStatus

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
    "columns": frozenset({("record_search", "search_key"), ("record_search", "document")}),
    "indexes": frozenset({"uq_record_search_search_key", "ix_record_search_document"}),
}
"""What migration 0004 builds for one backend only, outside the models: an FTS5 virtual table
and its shadow tables cannot be SQLAlchemy models, and neither the SQLite key column nor the
PostgreSQL tsvector exists on the other backend. env.py and the schema test skip these names."""


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


_FTS = table("record_search_fts", column("rowid", BigInteger()))
_FTS_ALL: ColumnElement[Any] = literal_column("record_search_fts")
"""FTS5's hidden column named after the table: `record_search_fts MATCH ...` searches all
columns, and bm25() takes it as its first argument."""
_DOCUMENT: ColumnElement[Any] = literal_column("record_search.document")
_ENGLISH: ColumnElement[Any] = literal_column("'english'::regconfig")
_R = WalkawayRecord


# -- the search document ----------------------------------------------------------------------


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


# -- what a search asks and returns -----------------------------------------------------------


@dataclass(frozen=True)
class SearchCriteria:
    """Words (all must match) and filters (any value of one kind, every kind given)."""

    words: tuple[str, ...] = ()
    outcomes: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    rep_slack_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    """Inclusive, in UTC days."""

    def terms(self) -> list[str]:
        """The words worth searching: stop words match nearly everything and are dropped."""
        terms = [w.casefold() for w in self.words if any(ch.isalnum() for ch in w)]
        return [t for t in dict.fromkeys(terms) if t not in STOP_WORDS]


@dataclass(frozen=True)
class ManagerDecision:
    decision: str
    """A final position: agree or override (storage.models.Approval)."""
    decided_by: str | None
    decided_at: datetime | None
    override_outcome: Outcome | None
    reason: str | None


@dataclass(frozen=True)
class ManagerDiscussion:
    """A Discuss with no final position after it yet (storage.approvals.ApprovalInfo.discussing)."""

    started_by: str | None
    """Slack user id of whoever clicked Discuss first."""
    started_at: datetime


@dataclass(frozen=True)
class SearchHit:
    """One record as a search result shows it."""

    id: int
    deal_name: str
    rep_slack_user_id: str
    rep_manager_slack_id: str | None
    """The rep's manager now: with the rep, the only person who may change the status."""
    outcome: Outcome
    status: RecordStatus
    created_at: datetime
    recheck_on: date | None
    record_line: str
    reasons: tuple[str, ...]
    conditions: tuple[str, ...]
    decision: ManagerDecision | None
    """None until a manager has taken a final position (no approval asked for, still pending,
    or under discussion)."""
    channel_id: str | None
    thread_ts: str | None
    """The qualification thread, for a permalink."""
    discussion: ManagerDiscussion | None = None
    """Set while the approval is under discussion: a Discuss, and no final position yet."""


@dataclass(frozen=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    page: int
    page_size: int
    total: int
    """Matches counted, at most WINDOW."""
    capped: bool
    """More than WINDOW records matched; only the newest WINDOW were ranked."""

    @property
    def has_next(self) -> bool:
        return (self.page + 1) * self.page_size < self.total

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


# -- queries ----------------------------------------------------------------------------------


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
        filters = _filters(workspace_id, criteria)
        ids, total, capped = _postgresql_ranked(s, workspace_id, filters, terms, page, page_size)
    else:
        filters = _filters(workspace_id, criteria)
        ids, total, capped = _newest(s, workspace_id, filters, page, page_size)
    return SearchPage(
        hits=tuple(hits(s, workspace_id=workspace_id, record_ids=ids)),
        page=page,
        page_size=page_size,
        total=total,
        capped=capped,
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
) -> tuple[list[int], int, bool]:
    """No words: newest first, straight from the walkaway_records indexes."""
    where = [_R.workspace_id == workspace_id, *filters]
    counted = s.scalar(
        select(func.count()).select_from(select(_R.id).where(*where).limit(WINDOW + 1).subquery())
    )
    total = int(counted or 0)
    ids = s.scalars(
        select(_R.id)
        .where(*where)
        .order_by(_R.created_at.desc(), _R.id.desc())
        .limit(page_size)
        .offset(page * page_size)
    ).all()
    return list(ids), min(total, WINDOW), total > WINDOW


def _quoted(words: Sequence[str]) -> str:
    """Each word as an FTS5 string literal: operators, columns and prefixes become plain text."""
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


_TEXT_COLUMNS = "{deal reasons conditions notes messages}"


def _sqlite_match(
    s: Session, workspace_id: int, criteria: SearchCriteria, terms: list[str]
) -> str | None:
    """The FTS5 expression for words and filters; "" when there is neither, None when a rep
    filter names nobody in this workspace (nothing can match)."""
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
    """The workspace's FTS5 rowid range, narrowed by the date filters.

    Ids follow creation time to within CLOCK_MARGIN, so every record older (by id) than the
    newest one created a margin before `since` was created before `since`, and likewise after
    `until`. Those bounds cost one index probe each; the exact created_at test comes later.
    """
    base = workspace_id * WORKSPACE_SHIFT
    low, high = base + 1, base + WORKSPACE_SHIFT - 1
    in_workspace = _R.workspace_id == workspace_id
    if criteria.since:
        before = s.scalar(
            select(_R.id)
            .where(in_workspace, _R.created_at < _midnight(criteria.since) - CLOCK_MARGIN)
            .order_by(_R.created_at.desc(), _R.id.desc())
            .limit(1)
        )
        low = low if before is None else base + before + 1
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
        high = high if after is None else base + after - 1
    return low, high


def _postgresql_ranked(
    s: Session,
    workspace_id: int,
    filters: list[ColumnElement[bool]],
    terms: list[str],
    page: int,
    page_size: int,
) -> tuple[list[int], int, bool]:
    query = func.plainto_tsquery(_ENGLISH, " ".join(terms))
    rare = _rarest_share(s, terms) < RARE
    # `+ 0` hides an index from the planner. For a rare word: the workspace's (a bitmap of a
    # whole workspace costs more than checking the few rows the GIN index finds) and the
    # primary key's order (walking it tests every row's tsvector, costly when few match).
    # Otherwise the planner's own choice, usually that walk, which stops early.
    workspace = RecordSearch.workspace_id + 0 if rare else RecordSearch.workspace_id
    newest = RecordSearch.record_id + 0 if rare else RecordSearch.record_id
    candidates = select(RecordSearch.record_id).where(
        workspace == workspace_id, _DOCUMENT.op("@@")(query)
    )
    if filters:  # the records' own columns (and their tags) hold the filters
        candidates = candidates.join(_R, _R.id == RecordSearch.record_id).where(*filters)
    candidates = candidates.order_by(newest.desc())
    found: Sequence[int] = s.scalars(candidates.limit(WINDOW + 1)).all()
    capped = len(found) > WINDOW
    found = found[:WINDOW]
    if not found:
        return [], 0, False
    # Normalisation 1 divides by 1 + log(length), so a long draft does not outrank a deal name.
    score = func.ts_rank(_DOCUMENT, query, 1).label("score")
    ids = bindparam("ids", list(found), type_=postgresql.ARRAY(Integer()))
    ranked = (
        select(RecordSearch.record_id, score)
        .where(RecordSearch.record_id == any_(ids))
        .order_by(score.desc(), RecordSearch.record_id.desc())
        .limit(page_size)
        .offset(page * page_size)
    )
    return [row.record_id for row in s.execute(ranked)], len(found), capped


RARE = 0.01
"""On PostgreSQL, a search with a word in fewer than this share of the records is driven by the
GIN index alone (see _postgresql_ranked)."""

_LEXEME_SHARES = text(
    "SELECT q.lexeme, st.share FROM unnest(to_tsvector('english', :words)) AS q "
    "LEFT JOIN (SELECT e.lexeme, f.share FROM pg_stats AS p "
    "CROSS JOIN LATERAL unnest(p.most_common_elems::text::text[]) WITH ORDINALITY AS e(lexeme, n) "
    "JOIN LATERAL unnest(p.most_common_elem_freqs) WITH ORDINALITY AS f(share, n) ON f.n = e.n "
    "WHERE p.schemaname = current_schema() AND p.tablename = 'record_search' "
    "AND p.attname = 'document') AS st ON st.lexeme = q.lexeme"
)


def _rarest_share(s: Session, terms: list[str]) -> float:
    """The share of records holding the query's rarest word, from ANALYZE's most common lexemes.

    A word not listed is rarer than every listed one (0 here); before the first ANALYZE nothing
    is listed, and every word counts as rare, which suits a small table."""
    rows: Sequence[Any] = s.execute(_LEXEME_SHARES, {"words": " ".join(terms)}).all()
    return min((float(share) if share is not None else 0.0 for _, share in rows), default=0.0)


# -- results ----------------------------------------------------------------------------------

_Rep = aliased(User, name="rep")
_Manager = aliased(User, name="manager")
_Decider = aliased(User, name="decider")
_Discusser = aliased(User, name="discusser")
_QS = QualificationSession
_FINAL = frozenset(decision.value for decision in Decision)
"""Final positions; a row holding 'discuss' was written before migration 0005 (see
storage.approvals.LEGACY_DISCUSS) and reads as an open discussion, as it does there."""


def _hits_query() -> Select[Any]:
    return (
        select(
            _R,
            Deal.name,
            _Rep.slack_user_id,
            _Manager.slack_user_id,
            VerdictRow.record_line,
            VerdictRow.data,
            _QS.channel_id,
            _QS.thread_ts,
            Approval.decision,
            _Decider.slack_user_id,
            Approval.decided_at,
            Approval.override_outcome,
            Approval.reason,
            _Discusser.slack_user_id,
            Approval.discussion_started_at,
        )
        .join(Deal, Deal.id == _R.deal_id)
        .join(_Rep, _Rep.id == _R.rep_user_id)
        .outerjoin(_Manager, _Manager.id == _Rep.manager_user_id)
        .join(VerdictRow, VerdictRow.id == _R.verdict_id)
        .join(_QS, _QS.id == _R.session_id)
        .outerjoin(Approval, Approval.record_id == _R.id)
        .outerjoin(_Decider, _Decider.id == Approval.decided_by_user_id)
        .outerjoin(_Discusser, _Discusser.id == Approval.discussion_by_user_id)
    )


def hits(s: Session, *, workspace_id: int, record_ids: Sequence[int]) -> list[SearchHit]:
    """The records, in the order given, that belong to this workspace (others are dropped)."""
    if not record_ids:
        return []
    # The workspace is checked on the rows, not in SQL: given `workspace_id = ?`, SQLite's
    # planner (without statistics) would walk a whole workspace's index instead of five ids.
    query = _hits_query().where(_R.id.in_(record_ids))
    found = {
        row[0].id: _hit(row) for row in s.execute(query) if row[0].workspace_id == workspace_id
    }
    return [found[i] for i in record_ids if i in found]


def _position(
    decision: str | None,
    by: str | None,
    at: datetime | None,
    override: str | None,
    why: str | None,
    talker: str | None,
    talked_at: datetime | None,
) -> tuple[ManagerDecision | None, ManagerDiscussion | None]:
    """The approval's final position, or else its open discussion; neither while pending."""
    if decision is not None and decision in _FINAL:
        final = ManagerDecision(
            decision=decision,
            decided_by=by,
            decided_at=at,
            override_outcome=Outcome(override) if override else None,
            reason=why,
        )
        return final, None
    if decision is not None:  # a legacy Discuss: who clicked it and when were stored as decided
        talker, talked_at = talker or by, talked_at or at
    if talked_at is None:
        return None, None
    return None, ManagerDiscussion(started_by=talker, started_at=talked_at)


def _hit(row: Any) -> SearchHit:
    (record, deal, rep, manager, line, data, channel, thread, *approval) = row
    decision, discussion = _position(*approval)
    return SearchHit(
        id=record.id,
        deal_name=deal,
        rep_slack_user_id=rep,
        rep_manager_slack_id=manager,
        outcome=Outcome(record.outcome),
        status=RecordStatus(record.status),
        created_at=record.created_at,
        recheck_on=record.recheck_on,
        record_line=line,
        reasons=tuple(r["text"] for r in data.get("reasons", ())),
        conditions=tuple(c["text"] for c in data.get("conditions", ())),
        decision=decision,
        channel_id=channel,
        thread_ts=thread,
        discussion=discussion,
    )
