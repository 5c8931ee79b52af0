"""Search latency at a million records: the full-text index beside a naive LIKE scan.

Run from the repository root:

    .venv/bin/python -m tests.bench.search_bench --backend sqlite   [--records 1000000]
    .venv/bin/python -m tests.bench.search_bench --backend postgres [--records 1000000]

Issue 5's target on SQLite: p95 under 25 ms at 1,000,000 records, and at least 50x faster than
the scan. PostgreSQL runs the same queries and is reported, without a target.

What one run does
-----------------
1. Makes a fresh database and migrates it with the app's own Alembic migrations: a SQLite file
   in a temp dir, or on PostgreSQL a database `walkaway_bench_<random>` created beside the admin
   database (`--pg-url`, default the test server at 127.0.0.1:5432) and dropped at the end.
2. Seeds `--records` synthetic walk-away records, as a finished qualification leaves them: a
   workspace (six, of very different sizes), a rep (with a manager), a deal, a completed
   session, a verdict, the record, its search row and tags, and for most walk / stop-pilot /
   defer verdicts a manager's decision. The text is generated from vocabularies:
   * verdicts come from the real rules (`bot.domain.verdict.decide`) run on random answers, so
     reasons, conditions, record lines and tags are the app's own sentences; buyer drafts come
     from the real templates (`bot.domain.drafts.render_draft`), some marked sent, some edited;
   * deal names combine ~2,800 made-up company stems with industries and qualifiers;
   * answer notes are built from templates with roles, ~60 first names, ~150 surnames, ~60
     situations, systems, months and numbers;
   * creation dates are spread over 3.5 years, in id order, as the app creates them.
   The search row is composed by `storage.search.compose`, exactly as the app composes it.
   Seeding uses bulk inserts: `executemany` in 10,000-row transactions on SQLite (the FTS5
   index is filled by the migration's triggers, as in the app), `COPY` on PostgreSQL (its GIN
   index is dropped for the load and rebuilt after, the usual bulk-load practice, then ANALYZE
   runs as autovacuum would). Answer rows and status history are not seeded: search never reads
   them (their notes are in the search row). SQLite gets no ANALYZE, as the app runs none.
3. Times typical searches through the app's own `Store.search_records` (parse-free: the
   criteria are what the `/walkaway search` parser produces), page one, in the largest
   workspace (about 40% of the records): deal names, a person in the notes, a situation, signal
   words, a word in nearly every record, and the same words with filters. Each runs
   `--repeat` times after a warm-up; the latency is the whole call: both queries and loading
   the five results with their verdict, rep, manager and decision.
4. Runs the naive baseline for each query on the same data: `LIKE '%word%'` (ILIKE on
   PostgreSQL) on every searchable column of record_search, joined to the records for the same
   filters, collecting every match newest first, which is what ranking or counting the matches
   needs. `--scan-repeat` times each; a scan cannot stop at five rows when it has to rank.
5. Prints per-query and overall p50/p95, the speed-up (scan p50 / search p50), the on-disk size
   of the index, and the machine.

Everything stays on 127.0.0.1. Seeding is bounded by --records, measuring by --time-limit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, and_, or_, select, text
from sqlalchemy.engine import URL

from bot.domain.checklist import CONTRACT
from bot.domain.drafts import render_draft
from bot.domain.verdict import decide
from storage import Store
from storage.db import make_engine, migrate, normalize_url
from storage.models import RecordSearch, WalkawayRecord
from storage.search import SearchCriteria
from storage.search import index as search_index
from storage.search import pg as search_pg
from storage.search import query as search_module

TARGET_P95_MS = 25.0
TARGET_SPEEDUP = 50.0
TARGET_SPEEDUP_PG = 20.0
"""Issue 14's target on PostgreSQL: p95 under 25 ms (as SQLite) and every query 20x the scan."""
DEFAULT_PG_URL = os.environ.get(
    "WALKAWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BATCH = 10_000
WORKSPACES = (0.40, 0.25, 0.15, 0.10, 0.06, 0.04)
"""Share of the records per workspace: one big team and several small ones."""
REPS_PER_WORKSPACE = (120, 80, 50, 30, 20, 12)
FIRST_DAY = datetime(2023, 1, 1, tzinfo=UTC)
LAST_DAY = datetime(2026, 7, 1, tzinfo=UTC)
OUTCOME_MIX = {"walk": 0.28, "proceed": 0.30, "redirect": 0.14, "defer": 0.13, "stop_pilot": 0.15}
STATUS_MIX = {"open": 0.6, "re-engaged": 0.1, "won": 0.1, "lost": 0.1, "closed": 0.1}
DEAL_PLACEHOLDER = "Dealnameplaceholder"

# -- vocabularies -----------------------------------------------------------------------------

_STEM_A = [
    "Nor",
    "Ast",
    "Bel",
    "Cor",
    "Dal",
    "Eld",
    "Fen",
    "Gal",
    "Har",
    "Ist",
    "Jor",
    "Kel",
    "Lum",
    "Mar",
    "Nev",
    "Orb",
    "Pel",
    "Quin",
    "Ros",
    "Sol",
    "Tor",
    "Ul",
    "Val",
    "Wes",
    "Xan",
    "Yar",
    "Zen",
    "Ark",
    "Bri",
    "Cal",
    "Dun",
    "Eas",
    "Fal",
    "Gra",
    "Hol",
    "Ing",
    "Kin",
    "Lan",
    "Mer",
    "Nov",
    "Oak",
    "Pen",
    "Red",
    "Sil",
    "Tam",
    "Ver",
    "Wil",
    "Ash",
    "Bay",
    "Cliff",
    "Dor",
    "Elm",
    "Fair",
    "Glen",
    "High",
    "Iron",
    "Lake",
    "Mill",
    "Old",
    "Pine",
    "Rock",
    "Sea",
    "Stone",
    "Sun",
    "Wood",
    "Ald",
    "Bram",
    "Crest",
    "Dray",
]
_STEM_B = [
    "wind",
    "ford",
    "ton",
    "field",
    "gate",
    "bridge",
    "view",
    "vale",
    "brook",
    "mark",
    "well",
    "haven",
    "point",
    "ridge",
    "stone",
    "wood",
    "worth",
    "more",
    "dale",
    "crest",
    "star",
    "line",
    "path",
    "core",
    "tek",
    "ix",
    "ora",
    "ica",
    "ant",
    "on",
    "ex",
    "is",
    "ent",
    "ium",
    "ara",
    "ella",
    "ova",
    "ar",
    "en",
    "ys",
]
INDUSTRIES = [
    "Logistics",
    "Health",
    "Insurance",
    "Bank",
    "Retail",
    "Energy",
    "Foods",
    "Pharma",
    "Telecom",
    "Airlines",
    "Shipping",
    "Manufacturing",
    "Mining",
    "Media",
    "Publishing",
    "Utilities",
    "Hospitals",
    "Clinics",
    "Capital",
    "Partners",
    "Holdings",
    "Group",
    "Labs",
    "Systems",
    "Robotics",
    "Analytics",
    "Freight",
    "Rail",
    "Ports",
    "Water",
    "Grid",
    "Solar",
    "Wind",
    "Steel",
    "Chemicals",
    "Textiles",
    "Apparel",
    "Grocers",
    "Markets",
    "Hotels",
    "Resorts",
    "Travel",
    "Reinsurance",
    "Mutual",
    "Trust",
    "Savings",
    "Lending",
    "Payments",
    "Brokerage",
    "Securities",
    "Council",
    "Ministry",
    "Agency",
    "Authority",
    "University",
    "College",
    "Schools",
    "District",
    "County",
    "City",
    "State",
]
QUALIFIERS = (
    *([""] * 6),
    " renewal",
    " pilot",
    " expansion",
    " EMEA",
    " APAC",
    " rollout",
    " phase 2",
    " Nordics",
    " DACH",
    " claims",
    " underwriting",
    " fraud",
    " forecasting",
    " routing",
)
ROLES = (
    "CFO",
    "CIO",
    "CTO",
    "COO",
    "VP Operations",
    "head of data",
    "procurement lead",
    "legal counsel",
    "programme manager",
    "plant manager",
    "claims director",
    "risk officer",
    "IT director",
    "chief nurse",
    "dispatch lead",
    "finance controller",
    "security architect",
    "innovation lead",
    "data protection officer",
    "head of underwriting",
)
FIRST_NAMES = [
    "Amara",
    "Bjorn",
    "Chen",
    "Dolores",
    "Emeka",
    "Farah",
    "Goran",
    "Hiroshi",
    "Ingrid",
    "Jamal",
    "Kasia",
    "Lars",
    "Mei",
    "Nadia",
    "Olu",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tamsin",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zofia",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Elena",
    "Felix",
    "Greta",
    "Hugo",
    "Isla",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nina",
    "Oscar",
    "Pia",
    "Rafael",
    "Saanvi",
    "Tomas",
    "Uma",
    "Viktor",
    "Wanda",
    "Xavier",
    "Yara",
    "Ade",
    "Bea",
    "Cyrus",
    "Dana",
    "Eitan",
    "Fern",
    "Gil",
    "Hana",
    "Ivo",
    "Juno",
]
_SURNAME_A = [
    "Oka",
    "Lind",
    "Zhan",
    "Alva",
    "Naka",
    "Kowa",
    "Hadd",
    "Fisch",
    "Mor",
    "Ross",
    "Silv",
    "Nov",
    "Jens",
    "Kum",
    "Os",
    "Bren",
    "Pet",
    "Tan",
]
_SURNAME_B = [
    "for",
    "qvist",
    "g",
    "rez",
    "mura",
    "lski",
    "ad",
    "er",
    "eau",
    "i",
    "a",
    "ak",
    "sen",
    "ar",
    "ei",
    "nan",
    "rov",
    "aka",
]
SURNAMES = tuple(sorted({a + b for a in _SURNAME_A for b in _SURNAME_B}))[:150]
SYSTEMS = (
    "SAP",
    "Salesforce",
    "the mainframe",
    "Snowflake",
    "Workday",
    "the claims platform",
    "Oracle",
    "the data lake",
)
SITUATIONS = (
    "budget is frozen until the next fiscal year",
    "legal wants data residency guarantees in-region",
    "the steering committee only meets once a quarter",
    "the previous vendor promised {n} percent accuracy and missed badly",
    "nobody will sign off as the operational owner",
    "procurement insists on a fixed price with penalties",
    "their migration to {system} slipped again",
    "the union must be consulted before any automation",
    "the board asked for a guarantee of zero false negatives",
    "they want the model to approve loans without review",
    "the pilot dashboard shows precision below the agreed floor",
    "security review flagged the vendor questionnaire",
    "the champion left the company in {month}",
    "they are also talking to {n} competitors",
    "the sponsor wants a reference call with a bank",
    "they asked for a discount of {n} percent",
    "the regulator opened an inquiry into automated decisions",
    "their labelling backlog is {n} weeks long",
    "the integration needs the {system} team",
    "their CFO called the last project a write-off",
    "we could not get a meeting with the decision committee",
    "they refuse to share production data for the pilot",
    "the timeline depends on the {system} upgrade",
    "the contract requires unlimited liability",
    "they want exclusivity in their vertical",
    "they accepted a measured pilot with kill criteria",
    "the operations team is keen but IT is not",
    "we agreed success measures for the first {n} days",
    "the audit finishes in {month}",
    "they will revisit after the reorganisation",
    "the warehouse team still reconciles stock by hand",
    "fraud losses doubled since {month}",
    "a competitor offered a free proof of concept",
    "the hospital trust needs ethics board approval",
    "their data science team was disbanded",
    "the tender closes in {month}",
    "the forecast error is around {n} percent today",
    "translation quality complaints stalled the rollout",
    "the call centre wants agents kept in the loop",
    "the insurer will not accept a black box",
)
NOTE_FORMS = (
    "{role} {first} says {situation}.",
    "{first} {surname} ({role}): {situation}.",
    "Per {first}, {situation}; follow up in {month}.",
    "Call with the {role}: {situation}.",
    "{situation_cap} (raised by {first} {surname}).",
)
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
EDITS = (
    "I have copied {first} {surname} so the team has the full picture.",
    "Happy to walk your {role} through the diagnostic.",
    "We can revisit once {system} is in place.",
)


def stems() -> list[str]:
    return [a + b for a in _STEM_A for b in _STEM_B]


# -- the synthetic records --------------------------------------------------------------------


@dataclass(frozen=True)
class Pooled:
    """A verdict from the real rules, with its draft, ready to be stamped onto many records."""

    outcome: str
    data: str
    """Verdict.to_dict() as JSON, as the verdicts table keeps it."""
    data_dict: dict[str, Any]
    record_line: str
    tags: tuple[str, ...]
    recheck_on: date | None
    draft: str | None


def verdict_pool(rng: random.Random, samples: int = 30_000) -> dict[str, list[list[Pooled]]]:
    """Verdicts of every outcome, from random answer sets run through `decide`.

    Grouped by outcome, then by the set of tags that fired, so a rare combination (an old
    failure mode still present and not removable) is drawn as often as a common one instead of
    being crowded out by whichever signal random answers fire most.
    """
    groups: dict[tuple[str, tuple[str, ...]], list[Pooled]] = defaultdict(list)
    for _ in range(samples):
        bias = rng.choice((0.05, 0.1, 0.2, 0.4))
        answers: dict[str, Any] = {}
        for question, values in CONTRACT.items():
            if values is None:
                answers[question] = rng.choice((0.5, 1, 2, 3, 4, 5, 8, 12, 18, 24))
            elif rng.random() < 0.8:
                keep_no = "no" in values and rng.random() >= bias
                answers[question] = "no" if keep_no else rng.choice(values)
        verdict = decide(answers, today=date(2026, 1, 5))
        group = groups[(verdict.outcome.value, verdict.tags)]
        if len(group) >= 8:
            continue
        draft = (
            render_draft(verdict, deal_name=DEAL_PLACEHOLDER, answers=answers, rep_name=None)
            if verdict.outcome.has_buyer_draft
            else None
        )
        data = verdict.to_dict()
        group.append(
            Pooled(
                outcome=verdict.outcome.value,
                data=json.dumps(data),
                data_dict=data,
                record_line=verdict.record_line,
                tags=verdict.tags,
                recheck_on=verdict.recheck_on,
                draft=draft,
            )
        )
    pool: dict[str, list[list[Pooled]]] = defaultdict(list)
    for (outcome, _tags), group in sorted(groups.items()):
        pool[outcome].append(group)
    missing = [o for o in OUTCOME_MIX if not pool[o]]
    if missing:
        raise RuntimeError(f"no verdicts generated for {missing}")
    return pool


@dataclass
class People:
    """Per workspace: manager and rep user ids (database ids) and their Slack ids."""

    rows: list[tuple[int, int, str, str, int | None]] = field(default_factory=list)
    """(id, workspace, slack id, display name, manager id)."""
    reps: dict[int, list[int]] = field(default_factory=dict)
    slack: dict[int, str] = field(default_factory=dict)
    manager_of: dict[int, int] = field(default_factory=dict)


def people(rng: random.Random) -> People:
    found = People()
    next_id = 1
    for workspace, count in enumerate(REPS_PER_WORKSPACE, start=1):
        managers = []
        for _ in range(max(1, count // 8)):
            slack = f"U{workspace}M{next_id:07d}"
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            found.rows.append((next_id, workspace, slack, name, None))
            found.slack[next_id] = slack
            managers.append(next_id)
            next_id += 1
        reps = []
        for _ in range(count):
            slack = f"U{workspace}R{next_id:07d}"
            manager = rng.choice(managers)
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"
            found.rows.append((next_id, workspace, slack, name, manager))
            found.slack[next_id] = slack
            found.manager_of[next_id] = manager
            reps.append(next_id)
            next_id += 1
        found.reps[workspace] = reps
    return found


def _note(rng: random.Random) -> str:
    situation = rng.choice(SITUATIONS).format(
        n=rng.choice((2, 3, 5, 10, 12, 15, 20, 30, 40, 60, 90, 99)),
        system=rng.choice(SYSTEMS),
        month=rng.choice(MONTHS),
    )
    return rng.choice(NOTE_FORMS).format(
        role=rng.choice(ROLES),
        first=rng.choice(FIRST_NAMES),
        surname=rng.choice(SURNAMES),
        situation=situation,
        situation_cap=situation[:1].upper() + situation[1:],
        month=rng.choice(MONTHS),
    )


@dataclass
class Batch:
    """One batch of rows for every table, as tuples in each table's column order (COLUMNS)."""

    deals: list[tuple[Any, ...]] = field(default_factory=list)
    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    verdicts: list[tuple[Any, ...]] = field(default_factory=list)
    records: list[tuple[Any, ...]] = field(default_factory=list)
    search: list[tuple[Any, ...]] = field(default_factory=list)
    tags: list[tuple[Any, ...]] = field(default_factory=list)
    approvals: list[tuple[Any, ...]] = field(default_factory=list)


COLUMNS: dict[str, tuple[str, ...]] = {
    "deals": ("id", "workspace_id", "name", "name_key", "created_at"),
    "qualification_sessions": (
        "id",
        "workspace_id",
        "deal_id",
        "rep_user_id",
        "status",
        "checklist_hash",
        "checklist_snapshot",
        "channel_id",
        "thread_ts",
        "started_at",
        "updated_at",
        "completed_at",
    ),
    "verdicts": ("id", "session_id", "outcome", "data", "recheck_on", "record_line", "created_at"),
    "walkaway_records": (
        "id",
        "workspace_id",
        "session_id",
        "verdict_id",
        "deal_id",
        "rep_user_id",
        "outcome",
        "status",
        "recheck_on",
        "draft_text",
        "sent_text",
        "sent_at",
        "sent_by_user_id",
        "created_at",
        "updated_at",
    ),
    "record_search": (
        "record_id",
        "workspace_id",
        "deal",
        "reasons",
        "conditions",
        "notes",
        "messages",
        "facets",
    ),
    "record_tags": ("record_id", "tag", "workspace_id"),
    "approvals": (
        "id",
        "record_id",
        "approver_user_id",
        "requested_at",
        "decision",
        "decided_by_user_id",
        "decided_at",
        "override_outcome",
        "reason",
    ),
}
_BATCH_TABLE = {
    "deals": "deals",
    "sessions": "qualification_sessions",
    "verdicts": "verdicts",
    "records": "walkaway_records",
    "search": "record_search",
    "tags": "record_tags",
    "approvals": "approvals",
}


class Generator:
    """Deterministic synthetic records, in batches, in id (= creation) order."""

    def __init__(self, total: int, seed: int, stamp: Callable[[datetime], Any]) -> None:
        self.total = total
        self.rng = random.Random(seed)
        self.stamp = stamp
        self.pool = verdict_pool(self.rng)
        self.people = people(self.rng)
        self.stems = stems()
        self.deal_ids: dict[tuple[int, str], int] = {}
        self.approval_id = 0
        self.span = (LAST_DAY - FIRST_DAY).total_seconds()

    def batches(self) -> Iterator[Batch]:
        for start in range(1, self.total + 1, BATCH):
            batch = Batch()
            for record_id in range(start, min(start + BATCH, self.total + 1)):
                self._record(batch, record_id)
            yield batch

    def _record(self, batch: Batch, record_id: int) -> None:
        rng = self.rng
        workspace = rng.choices(range(1, len(WORKSPACES) + 1), WORKSPACES)[0]
        rep = rng.choice(self.people.reps[workspace])
        created = FIRST_DAY + timedelta(seconds=self.span * record_id / (self.total + 1))
        when = self.stamp(created)
        deal = f"{rng.choice(self.stems)} {rng.choice(INDUSTRIES)}{rng.choice(QUALIFIERS)}"
        key = (workspace, deal.casefold())
        deal_id = self.deal_ids.get(key)
        if deal_id is None:
            deal_id = self.deal_ids[key] = len(self.deal_ids) + 1
            batch.deals.append((deal_id, workspace, deal, deal.casefold(), when))
        outcome = rng.choices(list(OUTCOME_MIX), list(OUTCOME_MIX.values()))[0]
        pooled = rng.choice(rng.choice(self.pool[outcome]))
        status = rng.choices(list(STATUS_MIX), list(STATUS_MIX.values()))[0]
        draft = pooled.draft.replace(DEAL_PLACEHOLDER, deal) if pooled.draft else None
        sent = None
        if draft and rng.random() < 0.5:
            sent = draft
            if rng.random() < 0.2:
                sent += "\n\n" + rng.choice(EDITS).format(
                    first=rng.choice(FIRST_NAMES),
                    surname=rng.choice(SURNAMES),
                    role=rng.choice(ROLES),
                    system=rng.choice(SYSTEMS),
                )
        notes = [_note(rng) for _ in range(rng.choice((0, 1, 1, 2, 2, 3)))]
        thread = f"{1_600_000_000 + record_id}.000100"
        batch.sessions.append(
            (
                record_id,
                workspace,
                deal_id,
                rep,
                "complete",
                "sha256:bench",
                '{"version": 1}',
                f"D{self.people.slack[rep]}",
                thread,
                when,
                when,
                when,
            )
        )
        batch.verdicts.append(
            (
                record_id,
                record_id,
                outcome,
                pooled.data,
                pooled.recheck_on,
                pooled.record_line,
                when,
            )
        )
        batch.records.append(
            (
                record_id,
                workspace,
                record_id,
                record_id,
                deal_id,
                rep,
                outcome,
                status,
                pooled.recheck_on,
                draft,
                sent,
                when if sent else None,
                rep if sent else None,
                when,
                when,
            )
        )
        text = search_index.compose(
            deal=deal,
            verdict_data=pooled.data_dict,
            record_line=pooled.record_line,
            answer_notes=notes,
            status_notes=[],
            draft_text=draft,
            sent_text=sent,
            workspace_id=workspace,
            rep_user_id=rep,
            outcome=outcome,
            status=status,
            tags=pooled.tags,
        )
        batch.search.append(
            (
                record_id,
                workspace,
                text["deal"],
                text["reasons"],
                text["conditions"],
                text["notes"],
                text["messages"],
                text["facets"],
            )
        )
        batch.tags += [(record_id, tag, workspace) for tag in pooled.tags]
        if outcome in ("walk", "stop_pilot", "defer") and rng.random() < 0.7:
            self.approval_id += 1
            manager = self.people.manager_of[rep]
            decision = rng.choices(("agree", "discuss", "override", None), (5, 2, 1, 2))[0]
            batch.approvals.append(
                (
                    self.approval_id,
                    record_id,
                    manager,
                    when,
                    decision,
                    manager if decision else None,
                    self.stamp(created + timedelta(hours=5)) if decision else None,
                    "proceed" if decision == "override" else None,
                    "We have a partner who can own the rollout" if decision == "override" else None,
                )
            )


# -- backends ---------------------------------------------------------------------------------


def _sqlite_stamp(moment: datetime) -> str:
    """The text UTCDateTime stores on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _pg_stamp(moment: datetime) -> datetime:
    return moment


class Backend:
    name: str
    url: str

    def stamp(self, moment: datetime) -> Any:
        raise NotImplementedError

    def load(self, engine: Engine, generator: Generator, log: Callable[[str], None]) -> None:
        raise NotImplementedError

    def index_size(self, engine: Engine) -> dict[str, int]:
        raise NotImplementedError

    def version(self, engine: Engine) -> str:
        raise NotImplementedError

    def close(self) -> None:
        return None


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, directory: Path) -> None:
        self.path = directory / "walkaway_bench.db"
        self.url = f"sqlite:///{self.path}"

    def stamp(self, moment: datetime) -> Any:
        return _sqlite_stamp(moment)

    def load(self, engine: Engine, generator: Generator, log: Callable[[str], None]) -> None:
        raw = engine.raw_connection()
        try:
            conn: Any = raw.driver_connection
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -262144")
            conn.execute("BEGIN")
            _executemany(
                conn,
                "workspaces",
                ("id", "team_id", "name", "settings", "created_at"),
                _workspaces(self.stamp),
            )
            _executemany(
                conn,
                "users",
                (
                    "id",
                    "workspace_id",
                    "slack_user_id",
                    "display_name",
                    "manager_user_id",
                    "created_at",
                ),
                [(*row, self.stamp(FIRST_DAY)) for row in generator.people.rows],
            )
            conn.execute("COMMIT")
            for done, batch in enumerate(generator.batches(), start=1):
                conn.execute("BEGIN")
                for attribute, table in _BATCH_TABLE.items():
                    _executemany(conn, table, COLUMNS[table], getattr(batch, attribute))
                conn.execute("COMMIT")
                _progress(log, done * BATCH, generator.total)
            conn.execute("PRAGMA synchronous = FULL")
        finally:
            raw.close()

    def index_size(self, engine: Engine) -> dict[str, int]:
        with engine.connect() as conn:
            rows: Sequence[Any] = conn.execute(
                text(
                    "SELECT name, SUM(pgsize) FROM dbstat WHERE name LIKE 'record_search%' "
                    "OR name LIKE 'sqlite_autoindex_record_search%' OR name IN "
                    "('uq_record_search_search_key', 'ix_record_search_workspace_record') "
                    "GROUP BY name"
                )
            ).all()
        sizes = {str(name): int(size or 0) for name, size in rows}
        fts = sum(size for name, size in sizes.items() if name.startswith("record_search_fts"))
        return {
            "FTS5 index (record_search_fts shadow tables)": fts,
            "search rows (record_search, the FTS5 content, with its indexes)": sum(sizes.values())
            - fts,
            "whole database file": self.path.stat().st_size,
        }

    def version(self, engine: Engine) -> str:
        with engine.connect() as conn:
            return f"SQLite {conn.scalar(text('SELECT sqlite_version()'))}"


def _executemany(conn: Any, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    if rows:
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


def _workspaces(stamp: Callable[[datetime], Any]) -> list[tuple[Any, ...]]:
    return [
        (n, f"TBENCH{n:04d}", f"Bench workspace {n}", "{}", stamp(FIRST_DAY))
        for n in range(1, len(WORKSPACES) + 1)
    ]


class PostgresBackend(Backend):
    name = "postgresql"

    def __init__(self, admin_url: str, *, existing: str | None = None) -> None:
        self.admin_url: URL = normalize_url(admin_url)
        self.database = existing or f"walkaway_bench_{secrets.token_hex(5)}"
        self.admin = make_engine(self.admin_url.render_as_string(hide_password=False))
        self.admin = self.admin.execution_options(isolation_level="AUTOCOMMIT")
        if existing is None:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{self.database}"')
        self.url = self.admin_url.set(database=self.database).render_as_string(hide_password=False)

    def stamp(self, moment: datetime) -> Any:
        return _pg_stamp(moment)

    def load(self, engine: Engine, generator: Generator, log: Callable[[str], None]) -> None:
        raw = engine.raw_connection()
        try:
            conn: Any = raw.driver_connection
            with conn.cursor() as cur:
                cur.execute("SET maintenance_work_mem = '1GB'")
                cur.execute(
                    "SELECT indexname, indexdef FROM pg_indexes "
                    "WHERE tablename = 'record_search' AND indexdef LIKE '%USING gin%'"
                )
                gin_indexes = cur.fetchall()
                for name, _ in gin_indexes:
                    cur.execute(f"DROP INDEX {name}")
                _copy(
                    cur,
                    "workspaces",
                    ("id", "team_id", "name", "settings", "created_at"),
                    _workspaces(self.stamp),
                )
                _copy(
                    cur,
                    "users",
                    (
                        "id",
                        "workspace_id",
                        "slack_user_id",
                        "display_name",
                        "manager_user_id",
                        "created_at",
                    ),
                    [(*row, FIRST_DAY) for row in generator.people.rows],
                )
                conn.commit()
                for done, batch in enumerate(generator.batches(), start=1):
                    for attribute, table in _BATCH_TABLE.items():
                        _copy(cur, table, COLUMNS[table], getattr(batch, attribute))
                    conn.commit()
                    _progress(log, done * BATCH, generator.total)
                for name, definition in gin_indexes:
                    log(f"building the GIN index {name}")
                    cur.execute(definition)
                    conn.commit()
                log("ANALYZE")
                cur.execute("ANALYZE")
                conn.commit()
        finally:
            raw.close()

    def index_size(self, engine: Engine) -> dict[str, int]:
        with engine.connect() as conn:
            gin = conn.scalar(
                text(
                    "SELECT sum(pg_relation_size(indexrelid)) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam "
                    "WHERE i.indrelid = 'record_search'::regclass AND a.amname = 'gin'"
                )
            )
            vectors = conn.scalar(text("SELECT sum(pg_column_size(document)) FROM record_search"))
            table = conn.scalar(text("SELECT pg_total_relation_size('record_search')"))
            database = conn.scalar(text("SELECT pg_database_size(current_database())"))
        return {
            "GIN indexes on record_search (document, tiers, filters)": int(gin or 0),
            "tsvector column (record_search.document, stored)": int(vectors or 0),
            "record_search with TOAST and indexes": int(table or 0),
            "whole database": int(database or 0),
        }

    def version(self, engine: Engine) -> str:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version"))).join(("PostgreSQL ", ""))

    def close(self) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        self.admin.dispose()


def _copy(cur: Any, table: str, columns: Sequence[str], rows: Sequence[Any]) -> None:
    if rows:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


def _progress(log: Callable[[str], None], done: int, total: int) -> None:
    step = max(total // 10, BATCH)
    if done % step < BATCH or done >= total:
        log(f"seeded {min(done, total):,} / {total:,}")


# -- the queries ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    label: str
    typed: str
    """What a user would type after /walkaway search."""
    criteria: SearchCriteria


def typical_queries(generator: Generator, engine: Engine, workspace: int) -> list[Query]:
    """Searches a team would run, using words the seeded data really contains."""
    with engine.connect() as conn:
        newest = conn.scalar(
            select(WalkawayRecord.id)
            .where(WalkawayRecord.workspace_id == workspace)
            .order_by(WalkawayRecord.id.desc())
            .limit(1)
        )
        sample = conn.execute(
            select(RecordSearch.deal).where(
                RecordSearch.workspace_id == workspace,
                RecordSearch.record_id
                == select(RecordSearch.record_id)
                .where(
                    RecordSearch.workspace_id == workspace,
                    RecordSearch.record_id >= (newest or 0) // 2,
                )
                .order_by(RecordSearch.record_id)
                .limit(1)
                .scalar_subquery(),
            )
        ).scalar_one()
    stem, industry = sample.split()[:2]
    rep = generator.people.slack[generator.people.reps[workspace][3]]
    half_year = (LAST_DAY - timedelta(days=182)).date()

    def q(label: str, typed: str, **criteria: Any) -> Query:
        return Query(label, typed, SearchCriteria(**criteria))

    return [
        q("company name", stem.lower(), words=(stem.lower(),)),
        q(
            "company + industry",
            f"{stem} {industry}".lower(),
            words=(stem.lower(), industry.lower()),
        ),
        q("person in the notes", SURNAMES[7].lower(), words=(SURNAMES[7].lower(),)),
        q("situation in the notes", "residency", words=("residency",)),
        q("two signal words", "guarantee pilot", words=("guarantee", "pilot")),
        q("word in most records", "buyer", words=("buyer",)),
        q("word + outcome", "ownership outcome:walk", words=("ownership",), outcomes=("walk",)),
        q(
            "words + signal + since",
            f"committee meeting signal:scar_not_removable since:{half_year}",
            words=("committee", "meeting"),
            tags=("scar_not_removable",),
            since=half_year,
        ),
        q("word + rep", f"pilot rep:<@{rep}>", words=("pilot",), rep_slack_ids=(rep,)),
        q(
            "common word + status",
            "measured status:won",
            words=("measured",),
            statuses=("won",),
        ),
        q(
            "filters only",
            "outcome:defer status:open",
            outcomes=("defer",),
            statuses=("open",),
        ),
        q(
            "hostile text",
            'NEAR("acme" \'; drop table 🔥',
            words=("near", "acme", "drop", "table"),
        ),
    ]


def _like_scan(engine: Engine, backend: str, workspace: int, criteria: SearchCriteria) -> int:
    """The baseline: every match by LIKE '%word%' over the same columns, newest first."""
    columns = [
        RecordSearch.deal,
        RecordSearch.reasons,
        RecordSearch.conditions,
        RecordSearch.notes,
        RecordSearch.messages,
    ]
    terms = criteria.terms()

    def contains(column: Any, term: str) -> Any:
        pattern = f"%{term}%"
        return column.like(pattern) if backend == "sqlite" else column.ilike(pattern)

    query = (
        select(WalkawayRecord.id)
        .join(RecordSearch, RecordSearch.record_id == WalkawayRecord.id)
        .where(
            WalkawayRecord.workspace_id == workspace,
            *search_module._filters(workspace, criteria),
            and_(*(or_(*(contains(c, t) for c in columns)) for t in terms)),
        )
        .order_by(WalkawayRecord.created_at.desc(), WalkawayRecord.id.desc())
    )
    with engine.connect() as conn:
        return len(conn.execute(query).all())


# -- running ----------------------------------------------------------------------------------


@dataclass
class Timing:
    label: str
    typed: str
    samples_ms: list[float]
    total: int
    capped: bool
    scan_ms: list[float] = field(default_factory=list)
    scan_matches: int | None = None
    note: str = ""


def _pct(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    rank = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[rank]


def measure(
    store: Store,
    engine: Engine,
    backend: str,
    queries: list[Query],
    workspace: int,
    *,
    repeat: int,
    scan_repeat: int,
    deadline: float,
    log: Callable[[str], None],
) -> list[Timing]:
    timings = []
    for query in queries:
        for _ in range(2):  # warm-up: caches, prepared plans
            store.search_records(workspace_id=workspace, criteria=query.criteria)
        samples = []
        page = None
        for _ in range(repeat):
            started = time.perf_counter()
            page = store.search_records(workspace_id=workspace, criteria=query.criteria)
            samples.append((time.perf_counter() - started) * 1000)
        assert page is not None
        timing = Timing(query.label, query.typed, samples, page.total, page.capped)
        if not query.criteria.terms():
            timing.note = "no words: an index walk, not a text search; no scan to compare"
        elif time.monotonic() > deadline:
            timing.note = "scan skipped: --time-limit reached"
        else:
            for _ in range(scan_repeat):
                started = time.perf_counter()
                timing.scan_matches = _like_scan(engine, backend, workspace, query.criteria)
                timing.scan_ms.append((time.perf_counter() - started) * 1000)
        log(
            f"{query.label}: p50 {_pct(samples, 0.5):.2f} ms"
            + (f", scan p50 {_pct(timing.scan_ms, 0.5):.0f} ms" if timing.scan_ms else "")
        )
        timings.append(timing)
    return timings


def machine() -> dict[str, str]:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {
        "load": load,
        "cpu": model,
        "cores": str(os.cpu_count()),
        "memory": memory,
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024  # type: ignore[assignment]
    return str(n)


def report(
    args: argparse.Namespace,
    backend: Backend,
    engine: Engine,
    timings: list[Timing],
    seed_seconds: float,
    sizes: dict[str, int],
) -> str:
    lines = []
    host = machine()
    lines.append(
        f"search_bench: {args.records:,} records, backend {backend.version(engine)}, "
        f"seeded in {seed_seconds:.0f} s"
    )
    lines.append(
        f"machine: {host['cpu']}, {host['cores']} cores, {host['memory']}, {host['os']}, "
        f"Python {host['python']}; {host['load']} at the end (other work on the machine "
        "inflates latencies)"
    )
    lines.append(
        f"each search: Store.search_records, page 1 (5 results loaded), {args.repeat} runs after "
        f"a warm-up; scan: {args.scan_repeat} runs; largest workspace ({WORKSPACES[0]:.0%} of "
        "records); "
        + (
            f"ranking window {search_module.WINDOW} newest matches"
            if backend.name == "sqlite"
            else f"every match ranked (tier, then newest), counted to {search_pg.COUNT}"
        )
    )
    lines.append("")
    header = (
        f"{'query':<24} {'typed':<46} {'matches':>8} {'p50 ms':>8} {'p95 ms':>8} "
        f"{'scan p50 ms':>12} {'speed-up':>9}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    all_samples: list[float] = []
    speedups: list[float] = []
    scanned: list[float] = []
    for t in timings:
        all_samples += t.samples_ms
        p50, p95 = _pct(t.samples_ms, 0.5), _pct(t.samples_ms, 0.95)
        matches = f"{t.total:,}{'+' if t.capped else ''}"
        scan = speed = "n/a"
        if t.scan_ms:
            scan_p50 = _pct(t.scan_ms, 0.5)
            scanned.append(scan_p50)
            scan = f"{scan_p50:,.0f}"
            speedups.append(scan_p50 / p50)
            speed = f"{scan_p50 / p50:,.0f}x"
        typed = t.typed if len(t.typed) <= 46 else t.typed[:45] + "…"
        lines.append(
            f"{t.label:<24} {typed:<46} {matches:>8} {p50:>8.2f} {p95:>8.2f} {scan:>12} {speed:>9}"
        )
    lines.append("")
    overall_p50, overall_p95 = _pct(all_samples, 0.5), _pct(all_samples, 0.95)
    text_only = [s for t in timings if t.scan_ms for s in t.samples_ms]
    lines.append(
        f"all searches ({len(all_samples)} samples): p50 {overall_p50:.2f} ms, "
        f"p95 {overall_p95:.2f} ms"
    )
    if speedups:
        lines.append(
            f"speed-up over the LIKE scan: median {statistics.median(speedups):,.0f}x, "
            f"lowest {min(speedups):,.0f}x (per query, scan p50 / search p50); "
            f"scan p50 median {statistics.median(scanned):,.0f} ms vs search p95 "
            f"{_pct(text_only, 0.95):.2f} ms"
        )
    lines.append("")
    lines.append("index size on disk:")
    for name, size in sizes.items():
        lines.append(f"  {name}: {_size(size)}")
    lines.append("")
    met_p95 = overall_p95 < TARGET_P95_MS
    target_speedup = TARGET_SPEEDUP if backend.name == "sqlite" else TARGET_SPEEDUP_PG
    met_speed = bool(speedups) and min(speedups) >= target_speedup
    lines.append(
        f"target p95 < {TARGET_P95_MS:.0f} ms: {'met' if met_p95 else 'MISSED'} "
        f"({overall_p95:.2f} ms); target >= {target_speedup:.0f}x faster than the scan "
        f"(every query): {'met' if met_speed else 'MISSED'}"
    )
    return "\n".join(lines)


@contextmanager
def _backend(args: argparse.Namespace) -> Iterator[Backend]:
    if args.backend == "sqlite" and args.reuse:
        yield SQLiteBackend(Path(args.reuse).parent)
        return
    if args.backend == "sqlite":
        directory = Path(tempfile.mkdtemp(prefix="walkaway_bench_", dir=args.dir))
        try:
            yield SQLiteBackend(directory)
        finally:
            if not args.keep:
                shutil.rmtree(directory, ignore_errors=True)
    else:
        backend = PostgresBackend(args.pg_url, existing=args.reuse)
        try:
            yield backend
        finally:
            if not (args.keep or args.reuse):
                backend.close()
            else:
                backend.admin.dispose()


def run(args: argparse.Namespace) -> str:
    started = time.monotonic()

    def log(message: str) -> None:
        print(f"[{time.monotonic() - started:7.1f} s] {message}", file=sys.stderr, flush=True)

    with _backend(args) as backend:
        engine = make_engine(backend.url)
        store = Store(engine)
        try:
            log(f"migrating {backend.name} database")
            migrate(engine)
            generator = Generator(args.records, args.seed, backend.stamp)
            seed_started = time.monotonic()
            if args.reuse:
                log(f"reusing {args.reuse} (seeded by an earlier --keep run, same --seed)")
            else:
                log(f"seeding {args.records:,} records")
                backend.load(engine, generator, log)
            if args.optimize and backend.name == "sqlite":
                log("FTS5 optimize")
                with engine.begin() as conn:
                    conn.exec_driver_sql(
                        "INSERT INTO record_search_fts (record_search_fts) VALUES ('optimize')"
                    )
            seed_seconds = time.monotonic() - seed_started
            queries = typical_queries(generator, engine, workspace=1)
            deadline = time.monotonic() + args.time_limit
            timings = measure(
                store,
                engine,
                "sqlite" if backend.name == "sqlite" else "postgresql",
                queries,
                workspace=1,
                repeat=args.repeat,
                scan_repeat=args.scan_repeat,
                deadline=deadline,
                log=log,
            )
            sizes = backend.index_size(engine)
            out = report(args, backend, engine, timings, seed_seconds, sizes)
            if args.keep:
                out += f"\n(kept: {backend.url})"
            return out
        finally:
            store.close()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tests.bench.search_bench",
        description="Search latency at scale: the FTS index vs a LIKE scan (see module docstring).",
    )
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per query")
    parser.add_argument("--scan-repeat", type=int, default=3, help="timed LIKE scans per query")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument(
        "--time-limit",
        type=float,
        default=1800.0,
        help="seconds for measuring; scans left after it are skipped",
    )
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL, help="an admin database URL")
    parser.add_argument("--dir", default=None, help="where the SQLite file goes (a temp dir)")
    parser.add_argument(
        "--optimize",
        action="store_true",
        help="SQLite: merge the FTS5 index into one segment before measuring",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse",
        metavar="FILE",
        help="measure a database kept by an earlier --keep run (SQLite: its file; PostgreSQL: "
        "its name) instead of seeding a new one",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.records < 1000:
        raise SystemExit("--records must be at least 1000")
    print(run(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
