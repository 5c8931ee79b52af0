"""Every status change carries its record's workspace and rep (migration 0022), which the team
numbers read its comebacks and wins by (storage/insight.py): on every path that writes one, and
for the changes written before the migration (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, select, text, update
from sqlalchemy.exc import IntegrityError

from storage import Store
from storage.db import alembic_config, make_engine, migrate
from storage.models import RecordStatusChange, WalkawayRecord
from storage.records import RecordStatus
from tests.storage.builders import Team, answer, defer_verdict, make_team, open_deal

INDEX = "ix_record_status_changes_workspace_rep_status_at"


def _record(store: Store, team: Team, deal: str, rep: int | None = None) -> int:
    session = open_deal(store, team, deal)
    answer(store, team, session.id, "deal.stage", "pilot")
    record = store.complete_session(session_id=session.id, verdict=defer_verdict(), draft_text="x")
    if rep is not None:
        with store._engine.begin() as conn:
            conn.execute(
                update(WalkawayRecord).where(WalkawayRecord.id == record).values(rep_user_id=rep)
            )
    return record


def _changes(store: Store, record_id: int) -> list[tuple[str, int | None, int | None]]:
    query = (
        select(
            RecordStatusChange.status,
            RecordStatusChange.workspace_id,
            RecordStatusChange.rep_user_id,
        )
        .where(RecordStatusChange.record_id == record_id)
        .order_by(RecordStatusChange.id)
    )
    with store._engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query)]  # type: ignore[misc]


def test_every_path_that_writes_a_status_change_fills_the_workspace_and_rep(
    store: Store, team: Team
) -> None:
    w = team.workspace_id
    sam = store.ensure_user(workspace_id=w, slack_user_id="U0SAM0002", display_name="Sam")
    # A finished check (open), then a status set by hand (won).
    won = _record(store, team, "Initech")
    store.set_status(record_id=won, status=RecordStatus.WON, note=None, by_user_id=team.rep_id)
    # Closed for good from a re-check nudge (lost), by another rep's record.
    lost = _record(store, team, "Hooli", rep=sam)
    at = datetime(2026, 2, 2, 10, tzinfo=UTC)
    assert store.close_for_good(
        record_id=lost, status=RecordStatus.LOST, note="gone", by_user_id=sam, by="U0SAM0002", at=at
    )
    # They came back (/walkaway back, the modal).
    back = _record(store, team, "Globex")
    assert store.pathback.came_back(record_id=back, note=None, by_user_id=team.rep_id)
    # A re-check that ended in proceed marks the earlier record re-engaged.
    earlier = _record(store, team, "Acme", rep=sam)
    again = open_deal(store, team, "Acme")
    store.link_recheck(session_id=again.id, previous_record_id=earlier, started_by_user_id=sam)
    assert store.mark_came_back(session_id=again.id, note="came back", by_user_id=sam) == earlier

    ria = team.rep_id
    assert _changes(store, won) == [("open", w, ria), ("won", w, ria)]
    # The open change of a record made for Sam was written under the builder's rep (the test
    # moves the record to Sam afterwards); every change after it reads the record's rep.
    assert _changes(store, lost)[1:] == [("lost", w, sam)]
    assert _changes(store, back) == [("open", w, ria), ("re-engaged", w, ria)]
    assert _changes(store, earlier)[1:] == [("re-engaged", w, sam)]
    with store._engine.connect() as conn:
        unfilled = conn.scalar(
            select(RecordStatusChange.id).where(
                RecordStatusChange.workspace_id.is_(None) | RecordStatusChange.rep_user_id.is_(None)
            )
        )
    assert unfilled is None


def test_the_team_numbers_read_comebacks_from_the_changes_own_workspace_and_rep(
    store: Store, team: Team
) -> None:
    """A record of the team, re-engaged: counted for its rep, and for nobody else's team."""
    record = _record(store, team, "Globex")
    assert store.pathback.came_back(
        record_id=record, note=None, by_user_id=team.rep_id, now=datetime(2026, 2, 10, tzinfo=UTC)
    )
    since, until = datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    mine = store.insight.numbers(
        workspace_id=team.workspace_id, rep_ids=[team.rep_id], since=since, until=until
    )
    assert [c.record_id for c in mine.comeback_records] == [record]
    other = make_team(store)
    theirs = store.insight.numbers(
        workspace_id=other.workspace_id, rep_ids=None, since=since, until=until
    )
    assert theirs.comebacks == 0
    nobody = store.insight.numbers(
        workspace_id=team.workspace_id, rep_ids=[team.manager_id], since=since, until=until
    )
    assert nobody.comebacks == 0


_NOW = "2026-01-05 10:00:00+00:00"


def _seed_at_0021(sql: Callable[[str], None]) -> None:
    """Two workspaces, a record each (different reps), and the status changes they had."""
    for ws, rep, record in ((1, 11, 21), (2, 12, 22)):
        sql(
            "INSERT INTO workspaces (id, team_id, settings, created_at) "
            f"VALUES ({ws}, 'T{ws}', '{{}}', '{_NOW}')"
        )
        sql(
            f"INSERT INTO users (id, workspace_id, slack_user_id, created_at) "
            f"VALUES ({rep}, {ws}, 'U{rep}', '{_NOW}')"
        )
        sql(
            f"INSERT INTO deals (id, workspace_id, name, name_key, created_at) "
            f"VALUES ({record}, {ws}, 'Acme', 'acme', '{_NOW}')"
        )
        sql(
            "INSERT INTO qualification_sessions (id, workspace_id, deal_id, rep_user_id, status, "
            "checklist_hash, checklist_snapshot, revision, started_at, updated_at) "
            f"VALUES ({record}, {ws}, {record}, {rep}, 'complete', 'h', '{{}}', 0, "
            f"'{_NOW}', '{_NOW}')"
        )
        sql(
            "INSERT INTO verdicts (id, session_id, outcome, data, record_line, created_at) "
            f"VALUES ({record}, {record}, 'walk', '{{}}', 'Walked.', '{_NOW}')"
        )
        sql(
            "INSERT INTO walkaway_records (id, workspace_id, session_id, verdict_id, deal_id, "
            "rep_user_id, outcome, status, created_at, updated_at) "
            f"VALUES ({record}, {ws}, {record}, {record}, {record}, {rep}, 'walk', 're-engaged', "
            f"'{_NOW}', '{_NOW}')"
        )
        for status in ("open", "re-engaged"):
            sql(
                "INSERT INTO record_status_changes (record_id, status, changed_by_user_id, "
                f"changed_at) VALUES ({record}, '{status}', {rep}, '{_NOW}')"
            )


def test_0022_fills_the_changes_already_there_and_goes_down_and_up_again(
    fresh_url: Callable[[], str],
) -> None:
    engine = make_engine(fresh_url())
    config = alembic_config()
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0021")
            _seed_at_0021(lambda statement: conn.execute(text(statement)))
            command.upgrade(config, "0022")
            filled = conn.execute(
                text(
                    "SELECT record_id, status, workspace_id, rep_user_id "
                    "FROM record_status_changes ORDER BY id"
                )
            ).all()
            indexes = {i["name"] for i in inspect(conn).get_indexes("record_status_changes")}
            command.downgrade(config, "0021")
            columns = {c["name"] for c in inspect(conn).get_columns("record_status_changes")}
            after_down = {i["name"] for i in inspect(conn).get_indexes("record_status_changes")}
            # The table SQLite rebuilt going down still refuses an unknown status.
            with pytest.raises(IntegrityError), conn.begin_nested():
                conn.execute(
                    text(
                        "INSERT INTO record_status_changes (record_id, status, changed_at) "
                        f"VALUES (21, 'maybe', '{_NOW}')"
                    )
                )
            command.upgrade(config, "head")
            conn.commit()
        migrate(engine)  # back at head: nothing left to do
    finally:
        engine.dispose()
    assert [tuple(r) for r in filled] == [
        (21, "open", 1, 11),
        (21, "re-engaged", 1, 11),
        (22, "open", 2, 12),
        (22, "re-engaged", 2, 12),
    ]
    assert INDEX in indexes
    assert {"workspace_id", "rep_user_id"}.isdisjoint(columns) and "status" in columns
    assert INDEX not in after_down
    assert "ix_record_status_changes_record_id" in after_down
    assert "ix_record_status_changes_status_changed_at" in after_down
