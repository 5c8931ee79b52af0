"""Record search on SQLite (FTS5, bm25) and PostgreSQL (tsvector, GIN): one suite, both."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text

from storage import Store
from storage.db import alembic_config, make_engine, migrate
from storage.models import Approval, RecordSearch, RecordTag
from storage.search import SearchCriteria, SearchPage, pg
from storage.search import query as search_module
from tests.storage.builders import Team
from tests.storage.search_builders import (
    FRESH_SCAR,
    GUARANTEE_WALK,
    KILL_CRITERIA,
    PROCEED,
    SCAR_WALK,
    backdate,
    make_record,
)


def _find(store: Store, team: Team, words: str = "", **filters: object) -> SearchPage:
    criteria = SearchCriteria(words=tuple(words.split()), **filters)  # type: ignore[arg-type]
    return store.search_records(workspace_id=team.workspace_id, criteria=criteria)


def _deals(page: SearchPage) -> list[str]:
    return [hit.deal_name for hit in page.hits]


def _record(store: Store, team: Team, deal: str, **kwargs: object) -> int:
    return make_record(
        store,
        workspace_id=team.workspace_id,
        rep_id=team.rep_id,
        deal=deal,
        **kwargs,  # type: ignore[arg-type]
    )


# -- what is searchable --------------------------------------------------------------------


def test_every_kind_of_text_on_a_record_finds_it(store: Store, team: Team) -> None:
    _record(
        store,
        team,
        "Northwind Logistics",
        answers=SCAR_WALK,
        notes={"scar.still_present": "Procurement lead Okafor refuses to name an owner"},
        draft="We would love to see your dispatch team succeed with routing.",
    )
    _record(store, team, "Unrelated Foods")
    for words in (
        "northwind",  # deal name
        "sank remove",  # reason sentence
        "operational owner",  # condition
        "okafor procurement",  # answer note
        "dispatch routing",  # draft
        "Removed",  # record line, any case
    ):
        assert _deals(_find(store, team, words)) == ["Northwind Logistics"], words


def test_words_are_stemmed_so_plurals_and_tenses_match(store: Store, team: Team) -> None:
    _record(store, team, "Contoso Bank", answers=GUARANTEE_WALK)
    assert _deals(_find(store, team, "guarantees")) == ["Contoso Bank"]
    assert _deals(_find(store, team, "demanding")) == ["Contoso Bank"]


def test_every_word_must_match(store: Store, team: Team) -> None:
    _record(store, team, "Acme Logistics")
    _record(store, team, "Acme Health")
    assert _deals(_find(store, team, "acme health")) == ["Acme Health"]
    assert _find(store, team, "acme pharma").hits == ()


def test_edits_to_the_draft_the_sent_text_and_status_notes_are_searchable_at_once(
    store: Store, team: Team
) -> None:
    record_id = _record(store, team, "Globex", answers=SCAR_WALK, draft="first wording zebra")
    store.update_draft(record_id=record_id, text="second wording giraffe")
    assert _find(store, team, "zebra").hits == ()
    assert _deals(_find(store, team, "giraffe")) == ["Globex"]
    store.mark_sent(record_id=record_id, text="sent wording pelican", by_user_id=team.rep_id)
    assert _deals(_find(store, team, "pelican")) == ["Globex"]
    store.set_status(
        record_id=record_id, status="re-engaged", note="New CFO Lindqvist", by_user_id=team.rep_id
    )
    assert _deals(_find(store, team, "lindqvist")) == ["Globex"]


def test_the_index_and_tags_are_written_in_the_same_transaction_as_the_record(
    store: Store, team: Team
) -> None:
    record_id = _record(store, team, "Initech", answers=FRESH_SCAR)
    with store._reads() as s:
        row = s.get_one(RecordSearch, record_id)
        tags = set(s.scalars(select(RecordTag.tag).where(RecordTag.record_id == record_id)))
    assert row.workspace_id == team.workspace_id and row.deal == "Initech"
    assert tags == {"fresh_scar", "data_not_ready", "defer"}


# -- ranking and paging --------------------------------------------------------------------


def test_a_match_in_the_deal_name_outranks_one_in_a_note(store: Store, team: Team) -> None:
    _record(store, team, "Umbrella Insurance", notes={"deal.stage": "ask about Hooli"})
    _record(store, team, "Hooli Media")
    assert _deals(_find(store, team, "hooli")) == ["Hooli Media", "Umbrella Insurance"]


def test_equally_relevant_records_come_newest_first(store: Store, team: Team) -> None:
    for name in ("Stark One", "Stark Two", "Stark Six"):
        _record(store, team, name)
    assert _deals(_find(store, team, "stark")) == ["Stark Six", "Stark Two", "Stark One"]


def test_words_in_most_records_still_filter_but_leave_the_order_to_the_rare_ones(
    store: Store, team: Team, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With PROBE lowered, "stark" counts as a word in most records, as "buyer" does at scale."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL's ts_rank has no document frequencies: every word is scored")
    monkeypatch.setattr(search_module, "PROBE", 2)
    monkeypatch.setattr(search_module, "COMMON", 0.5)
    _record(store, team, "Wayne Omega", notes={"deal.stage": "zebra"})
    _record(store, team, "Stark Alpha", notes={"deal.stage": "zebra zebra zebra"})
    _record(store, team, "Stark Beta")
    _record(store, team, "Stark Gamma", notes={"deal.stage": "a zebra was seen near the lake"})
    _record(store, team, "Stark Delta")
    _record(store, team, "Stark Epsilon")
    # "stark" is in 5 of 6 records: it filters, and the order is newest first.
    assert _deals(_find(store, team, "stark")) == [
        "Stark Epsilon",
        "Stark Delta",
        "Stark Gamma",
        "Stark Beta",
        "Stark Alpha",
    ]
    # "zebra" is in 3 of 6: scored, so three zebras outrank one, though older.
    assert _deals(_find(store, team, "stark zebra")) == ["Stark Alpha", "Stark Gamma"]


def test_results_come_five_to_a_page(store: Store, team: Team) -> None:
    for n in range(12):
        _record(store, team, f"Wayne {n:02d}")
    seen: list[str] = []
    for page in range(3):
        result = store.search_records(
            workspace_id=team.workspace_id,
            criteria=SearchCriteria(words=("wayne",)),
            page=page,
        )
        assert result.total == 12 and result.pages == 3
        assert result.has_next is (page < 2)
        seen += _deals(result)
    assert seen == [f"Wayne {n:02d}" for n in reversed(range(12))]


def test_a_page_past_the_end_is_empty_not_an_error(store: Store, team: Team) -> None:
    _record(store, team, "Tyrell")
    result = store.search_records(
        workspace_id=team.workspace_id, criteria=SearchCriteria(words=("tyrell",)), page=10_000
    )
    assert result.hits == () and result.total == 1


def test_only_the_newest_window_of_matches_is_ranked_and_the_page_says_so(
    store: Store, team: Team, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL ranks every match: see the test after this one")
    monkeypatch.setattr(search_module, "WINDOW", 3)
    for n in range(5):
        _record(store, team, f"Cyberdyne {n}")
    result = _find(store, team, "cyberdyne")
    assert result.capped and result.total == 3
    assert _deals(result) == ["Cyberdyne 4", "Cyberdyne 3", "Cyberdyne 2"]


def test_postgresql_ranks_every_match_so_an_old_best_match_beyond_the_count_comes_first(
    store: Store, team: Team, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend != "postgres":
        pytest.skip("SQLite ranks the newest WINDOW matches (see the test before this one)")
    monkeypatch.setattr(pg, "COUNT", 5)
    _record(store, team, "Cyberdyne Systems")
    _record(store, team, "Tyrell Old", notes={"deal.stage": "cyberdyne"})
    for n in range(5):
        _record(store, team, f"Wayne {n}", draft=f"Cyberdyne asked for the deck, take {n}")
    result = _find(store, team, "cyberdyne")
    assert result.capped and result.ranked_all and result.total == 5
    # The deal name first, then the note, then the drafts newest first, though all are newer.
    assert _deals(result) == ["Cyberdyne Systems", "Tyrell Old", "Wayne 4", "Wayne 3", "Wayne 2"]
    second = store.search_records(
        workspace_id=team.workspace_id, criteria=SearchCriteria(words=("cyberdyne",)), page=1
    )
    assert _deals(second) == ["Wayne 1", "Wayne 0"]


def test_postgresql_tiers_need_every_word_in_the_field(
    store: Store, team: Team, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the tier order is PostgreSQL's ranking")
    _record(store, team, "Hooli Zebra")
    _record(store, team, "Initech", notes={"deal.stage": "hooli zebra"})
    _record(store, team, "Hooli Media", draft="the zebra crossing")
    # Both words in the deal name, then both in the notes or better, then one only in a draft.
    assert _deals(_find(store, team, "hooli zebra")) == ["Hooli Zebra", "Initech", "Hooli Media"]


# -- filters -------------------------------------------------------------------------------


@pytest.fixture
def varied(store: Store, team: Team) -> dict[str, int]:
    return {
        "scar": _record(store, team, "Soylent Scar", answers=SCAR_WALK),
        "guarantee": _record(store, team, "Soylent Guarantee", answers=GUARANTEE_WALK),
        "kill": _record(store, team, "Soylent Pilot", answers=KILL_CRITERIA),
        "defer": _record(store, team, "Soylent Later", answers=FRESH_SCAR),
        "proceed": _record(store, team, "Soylent Go", answers=PROCEED),
    }


@pytest.mark.usefixtures("varied")
def test_outcome_filters_widen_each_other(store: Store, team: Team) -> None:
    assert set(_deals(_find(store, team, "soylent", outcomes=("walk",)))) == {
        "Soylent Scar",
        "Soylent Guarantee",
    }
    assert set(_deals(_find(store, team, "soylent", outcomes=("defer", "stop_pilot")))) == {
        "Soylent Later",
        "Soylent Pilot",
    }


@pytest.mark.usefixtures("varied")
def test_signal_filters_match_fired_signals_and_the_old_failure_mode(
    store: Store, team: Team
) -> None:
    assert _deals(_find(store, team, tags=("unclear_ownership",))) == ["Soylent Scar"]
    assert _deals(_find(store, team, "soylent", tags=("kill_criteria_met",))) == ["Soylent Pilot"]
    assert _find(store, team, "soylent", tags=("values_compromised",)).hits == ()


def test_status_and_rep_filters(store: Store, team: Team, varied: dict[str, int]) -> None:
    store.set_status(record_id=varied["kill"], status="won", note=None, by_user_id=team.rep_id)
    other_rep = store.ensure_user(workspace_id=team.workspace_id, slack_user_id="U0OTHER01")
    make_record(store, workspace_id=team.workspace_id, rep_id=other_rep, deal="Soylent Elsewhere")
    assert _deals(_find(store, team, "soylent", statuses=("won",))) == ["Soylent Pilot"]
    assert _deals(_find(store, team, "soylent", rep_slack_ids=("U0OTHER01",))) == [
        "Soylent Elsewhere"
    ]
    assert len(_find(store, team, rep_slack_ids=(team.rep_slack_id,)).hits) == 5
    assert _find(store, team, "soylent", rep_slack_ids=("U0NOBODY",)).hits == ()


def test_filters_without_words_list_newest_first(
    store: Store, team: Team, varied: dict[str, int]
) -> None:
    result = _find(store, team, outcomes=("walk", "defer"))
    assert _deals(result) == ["Soylent Later", "Soylent Guarantee", "Soylent Scar"]
    assert result.total == 3


def test_date_filters_are_inclusive_whole_days(store: Store, team: Team) -> None:
    days = [date(2026, 1, 10), date(2026, 2, 10), date(2026, 3, 10)]
    for day in days:
        record_id = _record(store, team, f"Vandelay {day:%b}")
        backdate(store, record_id, datetime(day.year, day.month, day.day, 23, 59, tzinfo=UTC))
    since, until = date(2026, 2, 10), date(2026, 3, 9)
    for words in ("vandelay", ""):
        assert _deals(_find(store, team, words, since=since, until=until)) == ["Vandelay Feb"]
        assert _deals(_find(store, team, words, until=date(2026, 1, 10))) == ["Vandelay Jan"]
        assert _deals(_find(store, team, words, since=date(2026, 3, 11))) == []


def test_a_record_a_little_out_of_creation_order_is_still_found_by_date(
    store: Store, team: Team
) -> None:
    """Ids follow creation time only roughly (a clock adjustment); a date filter still works."""
    early = _record(store, team, "Oscorp Early")
    late = _record(store, team, "Oscorp Late")
    backdate(store, early, datetime(2026, 5, 1, 0, 30, tzinfo=UTC))
    backdate(store, late, datetime(2026, 4, 30, 23, 30, tzinfo=UTC))  # id higher, time earlier
    assert _deals(_find(store, team, "oscorp", since=date(2026, 5, 1))) == ["Oscorp Early"]
    assert _deals(_find(store, team, "oscorp", until=date(2026, 4, 30))) == ["Oscorp Late"]


# -- isolation and hostile input -----------------------------------------------------------


def test_a_search_never_sees_another_workspace(store: Store, team: Team) -> None:
    other = store.ensure_workspace(team_id=f"T{uuid.uuid4().hex[:12]}")
    other_rep = store.ensure_user(workspace_id=other, slack_user_id=team.rep_slack_id)
    theirs = make_record(store, workspace_id=other, rep_id=other_rep, deal="Aperture Secret")
    mine = _record(store, team, "Aperture Mine")
    assert _deals(_find(store, team, "aperture")) == ["Aperture Mine"]
    assert len(_find(store, team, rep_slack_ids=(team.rep_slack_id,)).hits) == 1
    assert store.search_hit(record_id=theirs, workspace_id=team.workspace_id) is None
    assert store.search_hit(record_id=mine, workspace_id=team.workspace_id) is not None


@pytest.mark.parametrize(
    "words",
    [
        '"unbalanced',
        'NEAR("acme" "corp", 2)',
        "acme* OR corp AND NOT x -y ^z col:acme",
        "'; DROP TABLE walkaway_records; --",
        "💥🔥 :fire: ✨",
        "ä" * 5000,
        " ".join(["word"] * 2500),
        "\x00 \\ % _ ' \" ( ) { } [ ]",
    ],
)
def test_hostile_words_are_plain_text_and_never_an_error(
    store: Store, team: Team, words: str
) -> None:
    _record(store, team, "Acme Corp")
    result = _find(store, team, words)
    assert result.total in (0, 1)
    # Still intact afterwards.
    assert _deals(_find(store, team, "acme")) == ["Acme Corp"]


def test_operator_words_match_as_ordinary_words(store: Store, team: Team) -> None:
    _record(store, team, "Near North AND Partners")
    _record(store, team, "Acme Corp")
    assert _deals(_find(store, team, "NEAR")) == ["Near North AND Partners"]
    assert _deals(_find(store, team, '"near" partners*')) == ["Near North AND Partners"]


def test_only_stop_words_means_no_words(store: Store, team: Team) -> None:
    _record(store, team, "Blue Sun")
    assert _deals(_find(store, team, "the and of")) == ["Blue Sun"]


# -- results ------------------------------------------------------------------------------


def test_a_hit_carries_reasons_conditions_thread_and_the_managers_decision(
    store: Store, team: Team
) -> None:
    record_id = _record(
        store, team, "Massive Dynamic", answers=SCAR_WALK, thread=("D0REP", "1700000000.000100")
    )
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.manager_id)
    hit = store.search_hit(record_id=record_id, workspace_id=team.workspace_id)
    assert hit is not None
    assert hit.outcome == "walk" and hit.status == "open" and hit.decision is None
    assert hit.reasons == (
        "What sank the earlier attempt (unclear ownership) is still there and the buyer will not "
        "remove it.",
    )
    assert hit.conditions == ("an operational owner is named",)
    assert (hit.channel_id, hit.thread_ts) == ("D0REP", "1700000000.000100")
    assert hit.rep_manager_slack_id == team.manager_slack_id
    decided = datetime(2026, 1, 6, 9, 0, tzinfo=UTC)
    with store._writes.begin() as s:
        s.execute(
            insert(Approval).values(
                record_id=record_id,
                approver_user_id=team.manager_id,
                requested_at=decided - timedelta(hours=1),
                decision="agree",
                decided_by_user_id=team.manager_id,
                decided_at=decided,
            )
        )
    hit = store.search_hit(record_id=record_id, workspace_id=team.workspace_id)
    assert hit is not None and hit.decision is not None
    assert (hit.decision.decision, hit.decision.decided_by) == ("agree", team.manager_slack_id)
    assert hit.decision.decided_at == decided


# -- the index itself ----------------------------------------------------------------------


def test_upgrading_from_0003_indexes_the_records_already_there(
    fresh_url: Callable[[], str], backend: str
) -> None:
    url = fresh_url()
    engine = make_engine(url)
    migrate(engine)
    store = Store(engine)
    workspace = store.ensure_workspace(team_id="T0UPGRADE")
    rep = store.ensure_user(workspace_id=workspace, slack_user_id="U0UPGRADE")
    make_record(
        store,
        workspace_id=workspace,
        rep_id=rep,
        deal="Pied Piper",
        answers=SCAR_WALK,
        notes={"scar.addressable": "Gilfoyle will not own it"},
        draft="compression",
    )
    config = alembic_config()
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0003")
        conn.commit()
        assert "record_search" not in inspect(conn).get_table_names()
    migrate(engine)
    criteria = SearchCriteria(
        words=("gilfoyle", "compression"),
        tags=("unclear_ownership",),
        outcomes=("walk",),
        statuses=("open",),
        rep_slack_ids=("U0UPGRADE",),
    )
    found = store.search_records(workspace_id=workspace, criteria=criteria)
    assert _deals(found) == ["Pied Piper"]
    without_words = SearchCriteria(outcomes=("walk",), rep_slack_ids=("U0UPGRADE",))
    assert _deals(store.search_records(workspace_id=workspace, criteria=without_words)) == [
        "Pied Piper"
    ]
    store.close()


def test_the_backend_index_is_the_one_the_issue_asks_for(migrated_url: str, backend: str) -> None:
    engine = make_engine(migrated_url)
    try:
        with engine.connect() as conn:
            if backend == "sqlite":
                sql = conn.scalar(
                    text("SELECT sql FROM sqlite_master WHERE name = 'record_search_fts'")
                )
                assert sql is not None and "fts5" in sql.lower()
            else:
                index = conn.scalar(
                    text(
                        "SELECT indexdef FROM pg_indexes "
                        "WHERE indexname = 'ix_record_search_document'"
                    )
                )
                assert index is not None and "gin (document)" in index
    finally:
        engine.dispose()
