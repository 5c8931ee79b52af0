"""slack_sdk's OAuth tables, in the app's own schema: installations, bots and OAuth states.

The tables are slack_sdk's own definitions (SQLAlchemyInstallationStore and
SQLAlchemyOAuthStateStore build them), registered on the models' metadata so that the schema
test compares migration 0018 with exactly what the library reads and writes: a slack_sdk upgrade
that changes them fails that test until a migration follows. The stores themselves are made in
storage/tenancy.py; nothing creates these tables but the migration.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Table

from storage.models import Base

INSTALLATIONS_TABLE = SQLAlchemyInstallationStore.default_installations_table_name
BOTS_TABLE = SQLAlchemyInstallationStore.default_bots_table_name
STATES_TABLE = SQLAlchemyOAuthStateStore.default_table_name


def _table(name: str, build: object) -> Table:
    existing = Base.metadata.tables.get(name)
    if existing is not None:
        return existing
    table: Table = build(metadata=Base.metadata, table_name=name)  # type: ignore[operator]
    return table


INSTALLATIONS = _table(INSTALLATIONS_TABLE, SQLAlchemyInstallationStore.build_installations_table)
BOTS = _table(BOTS_TABLE, SQLAlchemyInstallationStore.build_bots_table)
STATES = _table(STATES_TABLE, SQLAlchemyOAuthStateStore.build_oauth_states_table)
