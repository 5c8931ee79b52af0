"""The Alembic history builds the schema the models describe, safely, however it is started."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from storage import recheck_models  # noqa: F401  (0013: the rechecks table, its own module)
from storage.db import alembic_config, hold_migration_lock, make_engine, migrate
from storage.models import Base
from storage.models_conditions import RecordCondition  # noqa: F401  (its table, in Base)
from storage.search import UNMODELLED, include_object

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _head() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_migrating_an_empty_database_builds_exactly_the_model_schema(
    fresh_url: Callable[[], str],
) -> None:
    engine = make_engine(fresh_url())
    try:
        migrate(engine)
        with engine.connect() as conn:
            # The search index's backend-only parts are skipped, as env.py skips them.
            context = MigrationContext.configure(conn, opts={"include_object": include_object})
            diffs = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names()) - UNMODELLED["tables"]
    finally:
        engine.dispose()
    assert diffs == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


def test_migrating_twice_leaves_the_database_at_head(fresh_url: Callable[[], str]) -> None:
    url = fresh_url()
    engine = make_engine(url)
    try:
        migrate(engine)
        migrate(engine)
    finally:
        engine.dispose()
    assert _revision(url) == _head()


def test_processes_starting_together_on_a_fresh_database_all_migrate(
    fresh_url: Callable[[], str],
) -> None:
    url = fresh_url()
    # Each worker imports and connects first, then waits for a shared start time, so the
    # migrations themselves collide (the race this guards against takes milliseconds).
    script = (
        "import sys, time; from storage.db import make_engine, migrate; "
        "engine = make_engine(sys.argv[1]); engine.connect().close(); "
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); migrate(engine)"
    )
    start_at = str(time.time() + 3)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, url, start_at],
            cwd=PROJECT_ROOT,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outcomes = [(w.communicate(timeout=60)[1], w.returncode) for w in workers]
    assert [(err, code) for err, code in outcomes if code != 0] == []
    assert _revision(url) == _head()


def test_a_migration_in_progress_makes_a_starting_process_wait_then_find_head(
    fresh_url: Callable[[], str],
) -> None:
    url = fresh_url()
    script = (
        "import sys; from storage.db import make_engine, migrate; "
        "engine = make_engine(sys.argv[1]); print('ready', flush=True); migrate(engine)"
    )
    engine = make_engine(url)
    try:
        with engine.connect() as holder:
            hold_migration_lock(holder)  # as a process part-way through its migration would
            worker = subprocess.Popen(
                [sys.executable, "-c", script, url],
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            assert worker.stdout is not None and worker.stdout.readline() == "ready\n"
            time.sleep(1.0)
            assert worker.poll() is None, "migrate should wait for the lock"
            migrate_in_place = alembic_config()
            migrate_in_place.attributes["connection"] = holder
            command.upgrade(migrate_in_place, "head")
            holder.commit()
        _, err = worker.communicate(timeout=30)
    finally:
        engine.dispose()
    assert worker.returncode == 0, err
    assert _revision(url) == _head()


def test_alembic_command_line_upgrades_from_any_directory(tmp_path: Path) -> None:
    db_file = tmp_path / "cli" / "walkaway.db"
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "alembic"),
            "-c",
            str(PROJECT_ROOT / "storage" / "alembic.ini"),
            "upgrade",
            "head",
        ],
        cwd=tmp_path,
        env={"DATABASE_URL": f"sqlite:///{db_file}", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert _revision(f"sqlite:///{db_file}") == _head()


def test_0011_gives_existing_records_their_conditions_as_open_items(
    fresh_url: Callable[[], str],
) -> None:
    import json

    from sqlalchemy import text

    url = fresh_url()
    engine = make_engine(url)
    config = alembic_config()
    verdict = {
        "outcome": "walk",
        "reasons": [],
        "conditions": [
            {"signal": "terms.values", "text": "They drop the clause."},
            {"signal": "scar.owner", "text": "An owner is named."},
        ],
        "cautions": [],
        "recheck_on": None,
        "record_line": "Walked.",
    }
    try:
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0010")
            now = "2026-01-05 10:00:00+00:00"
            for statement in (
                "INSERT INTO workspaces (id, team_id, settings, created_at) "
                f"VALUES (1, 'T1', '{{}}', '{now}')",
                f"INSERT INTO users (id, workspace_id, slack_user_id, created_at) "
                f"VALUES (1, 1, 'U1', '{now}')",
                "INSERT INTO deals (id, workspace_id, name, name_key, created_at) "
                f"VALUES (1, 1, 'Acme', 'acme', '{now}')",
                "INSERT INTO qualification_sessions (id, workspace_id, deal_id, rep_user_id, "
                "status, checklist_hash, checklist_snapshot, revision, started_at, updated_at) "
                f"VALUES (1, 1, 1, 1, 'complete', 'h', '{{}}', 0, '{now}', '{now}')",
            ):
                conn.execute(text(statement))
            conn.execute(
                text(
                    "INSERT INTO verdicts (id, session_id, outcome, data, record_line, created_at)"
                    " VALUES (1, 1, 'walk', :data, 'Walked.', :now)"
                ),
                {"data": json.dumps(verdict), "now": now},
            )
            conn.execute(
                text(
                    "INSERT INTO walkaway_records (id, workspace_id, session_id, verdict_id, "
                    "deal_id, rep_user_id, outcome, status, created_at, updated_at) "
                    "VALUES (1, 1, 1, 1, 1, 1, 'walk', 'open', :now, :now)"
                ),
                {"now": now},
            )
            command.upgrade(config, "0011")
            rows = conn.execute(
                text(
                    "SELECT record_id, position, signal, text, state FROM record_conditions "
                    "ORDER BY position"
                )
            ).all()
            conn.commit()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [
        (1, 0, "terms.values", "They drop the clause.", "open"),
        (1, 1, "scar.owner", "An owner is named.", "open"),
    ]


def test_the_nudges_migration_goes_down_and_up_again(fresh_url: Callable[[], str]) -> None:
    """0012 (issue 12's nudges) removes its tables and indexes cleanly and adds them back."""
    url = fresh_url()
    engine = make_engine(url)
    try:
        migrate(engine)
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "0011")
            assert "nudges" not in inspect(conn).get_table_names()
            command.upgrade(config, "head")
            assert {"nudges", "user_profiles"} <= set(inspect(conn).get_table_names())
            indexes = {i["name"] for i in inspect(conn).get_indexes("walkaway_records")}
            assert "ix_walkaway_records_status_recheck_on" in indexes
    finally:
        engine.dispose()
