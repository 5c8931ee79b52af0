"""Similar past walks (`store.similar`): a workspace's earlier records that share a verdict's
fired signals, for the verdict card (bot/insight/similar.py).

The card is built in the job that posts it, so this must stay cheap at a million records. It
never groups or counts in SQL over everything a signal ever tagged (a common signal tags a
third of a big workspace): for each fired signal it reads only that signal's newest `WINDOW`
earlier records, newest first, straight from the (workspace_id, tag, record_id) index of
record_tags, one bounded index range each. One statement reads every window (UNION ALL of
LIMITed ranges) and counts how many of the signals each record carries, handing back only the
best `REFINE` (counting the rows in Python cost more than reading them); those have their count
made exact (a record older than one signal's window may still carry it) from record_tags'
primary key, then are ranked by signals shared, then newest first. Records of the same deal
are left out: the deal's own history is on the card and in Details already
(bot/qualification/recheck_*).

So the look-back is each signal's newest `WINDOW` records, like search's ranking window: an
old record sharing every signal can lose to a newer one sharing fewer when more than `WINDOW`
newer records carry each of those signals.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Select, bindparam, func, select, union_all

from bot.domain.model import Outcome
from storage.base import StorePart
from storage.models import Deal, RecordStatusChange, RecordTag, WalkawayRecord
from storage.records import RecordStatus

WINDOW = 1000
"""Each signal's newest earlier records looked at."""
REFINE = 30
"""Candidates whose shared count is made exact before the final ranking."""
MAX_SIGNALS = 16
"""More than any verdict fires (bot/domain/signals.py); a longer list is cut, never refused."""

_WR = WalkawayRecord


@functools.cache
def _merged_windows(tags: int) -> Select[int, int]:
    """Each of `tags` signals' newest WINDOW earlier records (params tag0, tag1 …), merged and
    counted by the database: the records carrying most of them first, then the newest, REFINE
    of them. One statement per number of signals, built once."""
    windows = [
        select(
            select(RecordTag.record_id)
            .where(
                RecordTag.workspace_id == bindparam("workspace"),
                RecordTag.tag == bindparam(f"tag{i}"),
                RecordTag.record_id < bindparam("before"),
            )
            .order_by(RecordTag.record_id.desc())
            .limit(bindparam("window"))
            .subquery(f"w{i}")
            .c.record_id
        )
        for i in range(tags)
    ]
    merged = (windows[0] if tags == 1 else union_all(*windows)).subquery("merged")
    shared = func.count().label("shared")
    return (
        select(merged.c.record_id, shared)
        .group_by(merged.c.record_id)
        .order_by(shared.desc(), merged.c.record_id.desc())
        .limit(bindparam("refine"))
    )


_TAGS_OF = select(RecordTag.record_id, RecordTag.tag).where(
    RecordTag.record_id.in_(bindparam("ids", expanding=True)),
    RecordTag.tag.in_(bindparam("tags", expanding=True)),
)
_CANDIDATES = (
    select(_WR.id, _WR.deal_id, Deal.name, _WR.created_at, _WR.outcome, _WR.status)
    .join(Deal, Deal.id == _WR.deal_id)
    .where(_WR.id.in_(bindparam("ids", expanding=True)))
)
"""By primary key alone: the ids come from the workspace's own tags, and a workspace condition
here made SQLite walk the workspace's records by its index instead (5 ms at 100,000)."""
_LAST_CHANGE = (
    select(RecordStatusChange.record_id, RecordStatusChange.status, RecordStatusChange.changed_at)
    .where(RecordStatusChange.record_id.in_(bindparam("ids", expanding=True)))
    .order_by(RecordStatusChange.id)
)
_DEAL_OF = select(_WR.deal_id).where(_WR.id == bindparam("record"))


@dataclass(frozen=True)
class SimilarRecord:
    """An earlier record sharing signals with the one on the card."""

    id: int
    deal_name: str
    created_at: datetime
    outcome: Outcome
    status: RecordStatus
    shared: tuple[str, ...]
    """The signals it shares with the card's verdict, in the verdict's order."""
    status_at: datetime | None = None
    """When it last took its current status (its status history); None when the history does
    not say (records seeded or imported without one)."""


class SimilarWalks(StorePart):
    def similar_records(
        self,
        *,
        workspace_id: int,
        record_id: int,
        signals: Sequence[str],
        limit: int = 3,
    ) -> list[SimilarRecord]:
        """Up to `limit` records of the workspace made before `record_id`, other deals only,
        sharing at least one of `signals`: most signals shared first, then the newest."""
        wanted = list(dict.fromkeys(s for s in signals if s))[:MAX_SIGNALS]
        if not wanted or limit <= 0:
            return []
        with self._reads() as session:
            s = session.connection()  # Core rows: the ORM's row handling cost more than the query
            best = _best(s, workspace_id, record_id, wanted)
            if not best:
                return []
            shared = _exact_shared(s, best, wanted)
            deal = s.execute(_DEAL_OF, {"record": record_id}).scalar()
            rows = {
                row.id: row for row in s.execute(_CANDIDATES, {"ids": best}) if row.deal_id != deal
            }
            ranked = sorted(rows, key=lambda r: (-len(shared[r]), -r))[:limit]
            changed = _status_times(s, ranked)
        return [
            SimilarRecord(
                id=r,
                deal_name=rows[r].name,
                created_at=rows[r].created_at,
                outcome=Outcome(rows[r].outcome),
                status=RecordStatus(rows[r].status),
                shared=shared[r],
                status_at=changed.get((r, rows[r].status)),
            )
            for r in ranked
        ]


def _best(s: Connection, workspace_id: int, before: int, tags: list[str]) -> list[int]:
    """The REFINE records carrying most of `tags` within each tag's newest WINDOW records."""
    params: dict[str, object] = {f"tag{i}": tag for i, tag in enumerate(tags)}
    params.update(workspace=workspace_id, before=before, window=WINDOW, refine=REFINE)
    return [record for record, _ in s.execute(_merged_windows(len(tags)), params)]


def _exact_shared(s: Connection, ids: list[int], tags: list[str]) -> dict[int, tuple[str, ...]]:
    found: dict[int, set[str]] = {r: set() for r in ids}
    for record, tag in s.execute(_TAGS_OF, {"ids": ids, "tags": tags}):
        found[record].add(tag)
    return {r: tuple(t for t in tags if t in have) for r, have in found.items()}


def _status_times(s: Connection, ids: list[int]) -> dict[tuple[int, str], datetime]:
    """(record, status) → when the record last took that status, from its history."""
    if not ids:
        return {}
    return {(record, status): at for record, status, at in s.execute(_LAST_CHANGE, {"ids": ids})}
