"""Engines are configured the way the app relies on, whatever URL form the operator supplies."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from storage import Store
from storage.db import make_engine, normalize_url
from tests.storage.builders import answer, make_team, open_deal


@pytest.mark.parametrize(
    "given",
    [
        "postgres://u:p@db.example:5432/walkaway",
        "postgresql://u:p@db.example:5432/walkaway",
        "postgresql+psycopg://u:p@db.example:5432/walkaway",
    ],
)
def test_hosting_provider_postgres_urls_use_psycopg3(given: str) -> None:
    url = normalize_url(given)
    assert url.drivername == "postgresql+psycopg"
    assert (url.host, url.port, url.database, url.password) == ("db.example", 5432, "walkaway", "p")


def test_sqlite_file_gets_its_directory_foreign_keys_wal_and_busy_timeout(tmp_path: Path) -> None:
    db_file = tmp_path / "not" / "yet" / "walkaway.db"
    engine = make_engine(f"sqlite:///{db_file}")
    try:
        with engine.connect() as conn:
            pragmas = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("foreign_keys", "journal_mode", "busy_timeout")
            }
    finally:
        engine.dispose()
    assert db_file.exists()
    assert pragmas == {"foreign_keys": 1, "journal_mode": "wal", "busy_timeout": 5000}


def test_sqlite_store_is_usable_from_worker_threads(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'walkaway.db'}")
    team = make_team(store)
    session = open_deal(store, team)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            answer(store, team, session.id, f"q.{n}", n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.current_answers(session_id=session.id) == {f"q.{n}": n for n in range(8)}
    store.close()


def test_in_memory_sqlite_store_migrates_and_round_trips() -> None:
    store = Store.open("sqlite://")
    team = make_team(store)
    session = open_deal(store, team)
    answer(store, team, session.id, "deal.stage", "pilot")
    assert store.current_answers(session_id=session.id) == {"deal.stage": "pilot"}
    store.close()
