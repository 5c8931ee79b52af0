"""Migration 0020 (PostgreSQL's tier and filter vectors): down and up on both backends, SQLite
unchanged, and records already there searchable by tier and filter right after the upgrade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from alembic import command
from sqlalchemy import Connection, inspect, text

from storage import Store
from storage.db import alembic_config, make_engine, migrate
from storage.search import SearchCriteria, pg_stats
from tests.storage.search_builders import SCAR_WALK, make_record

NEW_COLUMNS = {"terms_a", "terms_b", "terms_c", "filters"}


def _schema(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name"))
        return {" ".join(str(c) for c in row) for row in rows}
    columns = {c["name"] for c in inspect(conn).get_columns("record_search")}
    indexes = {i["name"] for i in inspect(conn).get_indexes("record_search")}
    return {*columns, *(i for i in indexes if i)}


def test_0020_goes_down_and_up_and_leaves_sqlite_as_it_was(
    fresh_url: Callable[[], str], backend: str
) -> None:
    engine = make_engine(fresh_url())
    try:
        migrate(engine)
        store = Store(engine)
        workspace = store.ensure_workspace(team_id="T0TIERS")
        rep = store.ensure_user(workspace_id=workspace, slack_user_id="U0TIERS")
        make_record(
            store, workspace_id=workspace, rep_id=rep, deal="Hooli Zebra", answers=SCAR_WALK
        )
        make_record(store, workspace_id=workspace, rep_id=rep, deal="Initech", draft="hooli zebra")
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            at_head = _schema(conn)
            command.downgrade(config, "0021")  # 0022 changes SQLite too (record_status_changes)
            above = _schema(conn)
            command.downgrade(config, "0019")
            below = _schema(conn)
            command.upgrade(config, "head")
            assert _schema(conn) == at_head
        if backend == "sqlite":
            assert below == above  # 0020 (and 0021) are PostgreSQL's alone
        else:
            assert above - below == NEW_COLUMNS | {f"ix_record_search_{c}" for c in NEW_COLUMNS}
        found = store.search_records(
            workspace_id=workspace, criteria=SearchCriteria(words=("hooli", "zebra"))
        )
        assert [hit.deal_name for hit in found.hits] == ["Hooli Zebra", "Initech"]
        walked = store.search_records(
            workspace_id=workspace,
            criteria=SearchCriteria(words=("zebra",), outcomes=("walk",), statuses=("open",)),
        )
        assert [hit.deal_name for hit in walked.hits] == ["Hooli Zebra"]
        store.close()
    finally:
        engine.dispose()


def test_postgresql_reads_tiers_the_same_whether_it_walks_or_uses_the_indexes(
    migrated_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At scale common words are walked newest first; small test tables never are. Forcing
    each way, the same records come in the same order, filters and dates included."""
    if backend != "postgres":
        pytest.skip("how PostgreSQL reads a tier (storage.search.pg_stats)")
    store = Store.open(migrated_url, migrate=False)
    workspace = store.ensure_workspace(team_id="T0WALK")
    rep = store.ensure_user(workspace_id=workspace, slack_user_id="U0WALK")
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Zebra One", answers=SCAR_WALK)
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Initech", draft="a zebra")
    make_record(
        store, workspace_id=workspace, rep_id=rep, deal="Hooli", notes={"deal.stage": "zebra"}
    )
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Zebra Two")
    searches = [
        SearchCriteria(words=("zebra",)),
        SearchCriteria(words=("zebra",), outcomes=("walk",)),
        SearchCriteria(words=("zebra",), rep_slack_ids=("U0WALK",), since=date(2000, 1, 1)),
    ]

    def run() -> list[list[str]]:
        return [
            [h.deal_name for h in store.search_records(workspace_id=workspace, criteria=c).hits]
            for c in searches
        ]

    seen = []
    for walk in (False, True):
        monkeypatch.setattr(pg_stats.Statistics, "walk", lambda *_, walked=walk, **__: walked)
        seen.append(run())
    store.close()
    assert (
        seen[0]
        == seen[1]
        == [
            ["Zebra Two", "Zebra One", "Hooli", "Initech"],
            ["Zebra One"],
            ["Zebra Two", "Zebra One", "Hooli", "Initech"],
        ]
    )
