"""One storage suite, run against a SQLite file and a throwaway PostgreSQL database.

PostgreSQL is optional on a laptop (its tests skip, saying why) and mandatory in CI (they fail),
so a green CI run always means both backends were exercised.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from storage import Store
from storage.db import make_engine, migrate, normalize_url
from tests.storage.builders import Team, make_team

POSTGRES_URL = os.environ.get(
    "WALKAWAY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


class PostgresDatabases:
    """Creates uniquely named databases beside the admin one, and drops them all at the end."""

    def __init__(self, admin_url: URL) -> None:
        self._admin_url = admin_url
        self._admin: Engine = make_engine(admin_url.render_as_string(hide_password=False))
        self._admin = self._admin.execution_options(isolation_level="AUTOCOMMIT")
        self._names: list[str] = []

    def check_reachable(self) -> None:
        with self._admin.connect() as conn:
            conn.execute(text("SELECT 1"))

    def create(self) -> str:
        name = f"walkaway_test_{secrets.token_hex(6)}"
        with self._admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        self._names.append(name)
        return self._admin_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in self._names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._admin.dispose()


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    admin_url = normalize_url(POSTGRES_URL).update_query_dict({"connect_timeout": "3"})
    databases = PostgresDatabases(admin_url)
    try:
        databases.check_reachable()
    except OperationalError as exc:
        reason = (
            f"PostgreSQL not reachable at {admin_url.host}:{admin_url.port}: "
            f"{str(exc.orig).strip().splitlines()[0]}"
        )
        if _in_ci():
            pytest.fail(f"{reason} (CI is set, so the PostgreSQL suite must run)")
        pytest.skip(reason)
    yield databases
    databases.drop_all()


@pytest.fixture(
    scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def fresh_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes URLs of new, empty databases (the SQLite file's directory does not exist yet)."""

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / secrets.token_hex(4) / 'walkaway.db'}"
        databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
        return databases.create()

    return make


@pytest.fixture(scope="session")
def migrated_url(
    backend: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> str:
    """One migrated database per backend per run; tests keep apart by using their own workspace."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'walkaway.db'}"
    else:
        url = request.getfixturevalue("postgres_databases").create()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


@pytest.fixture
def open_store(migrated_url: str) -> Iterator[Callable[[], Store]]:
    """Opens independent Stores on the shared database, as separate processes would."""
    stores: list[Store] = []

    def make() -> Store:
        stores.append(Store.open(migrated_url, migrate=False))
        return stores[-1]

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def store(open_store: Callable[[], Store]) -> Store:
    return open_store()


@pytest.fixture
def team(store: Store) -> Team:
    return make_team(store)
