"""Alembic environment shared by `storage.db.migrate` and the `alembic` command line.

`migrate` passes an open connection (already holding the migration lock) in
`config.attributes["connection"]`; the command line gets its URL from `-x url=...`,
`sqlalchemy.url`, or the DATABASE_URL the app itself reads.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from storage import insight_models  # noqa: F401  (its indexes, for Alembic)
from storage.context_models import CheckContext  # noqa: F401  (its table, for Alembic)
from storage.db import hold_migration_lock, make_engine, normalize_url
from storage.digest_models import DigestSend  # noqa: F401  (its table, for Alembic)
from storage.models import Base
from storage.models_conditions import RecordCondition  # noqa: F401  (its table, for Alembic)
from storage.nudge_models import Nudge, UserProfile  # noqa: F401  (their tables, for Alembic)
from storage.oauth_tables import INSTALLATIONS  # noqa: F401  (slack_sdk's tables, for Alembic)
from storage.ops_models import CLAIMS_BY_AGE  # noqa: F401  (the purge's indexes, for Alembic)
from storage.recheck_models import Recheck  # noqa: F401  (its table, for Alembic)
from storage.search import include_object

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url")
    url = url or config.get_main_option("sqlalchemy.url") or os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("No database URL: set DATABASE_URL or pass -x url=...")
    return normalize_url(url).render_as_string(hide_password=False)


def _run(connection: Connection) -> None:
    # Batch mode lets later migrations ALTER tables on SQLite by copying them. storage.db makes
    # SQLite DDL transactional, so a failed migration rolls back whole on both backends.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        transactional_ddl=True,
        # The search index has parts no model can describe (FTS5 tables, a tsvector column):
        # storage.search.include_object keeps autogenerate from offering to drop them.
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    _run(shared)
else:
    if config.config_file_name is not None:
        fileConfig(config.config_file_name)  # only the CLI: never reconfigure the app's logging
    engine = make_engine(_url())
    try:
        with engine.connect() as connection:
            hold_migration_lock(connection)  # same queue as the app's own start-up migrations
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()
