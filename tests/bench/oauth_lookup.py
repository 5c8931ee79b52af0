"""What finding a workspace's token costs each job and timed send in OAuth mode.

Run from the repository root (not part of the test run):

    .venv/bin/python -m tests.bench.oauth_lookup [--workspaces 50] [--lookups 2000]
        [--pg-url postgresql://postgres@127.0.0.1:5432/test]

It installs `--workspaces` workspaces through Bolt's OAuthFlow against the fake Web API
(oauth.v2.access, then auth.test), then times `WorkspaceClients.for_team` (bot/slack/tokens.py:
Bolt's authorize reading slack_sdk's installation store, auth.test cached per token) over the
workspaces in turn, on SQLite and, given --pg-url, in a fresh PostgreSQL database beside it.
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from contextlib import closing

from pydantic import SecretStr
from slack_bolt.oauth import OAuthFlow
from sqlalchemy import create_engine, make_url

from bot.app import web_client
from bot.config import Settings
from bot.slack.install import oauth_for
from storage.repository import Store
from tests.bench.search_bench import machine
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.oauth_world import CLIENT_ID, CLIENT_SECRET
from tests.slack.world import SECRET


def measure(url: str, *, workspaces: int, lookups: int) -> str:
    with (
        FakeSlackWorkspaces(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake,
        closing(Store.open(url)) as store,
    ):
        settings = Settings(
            database_url=url,
            slack_client_id=CLIENT_ID,
            slack_client_secret=SecretStr(CLIENT_SECRET),
            slack_signing_secret=SecretStr(SECRET),
            slack_api_url=fake.base_url,
        )
        base = web_client(settings)
        oauth = oauth_for(settings, store, base)
        assert oauth is not None
        flow = OAuthFlow(client=base, settings=oauth.settings)
        teams = [f"T{n:06d}" for n in range(workspaces)]
        for team in teams:
            fake.add_workspace(team)
            installation = flow.run_installation(fake.new_code(team))
            assert installation is not None
            oauth.settings.installation_store.save(installation)
        for team in teams:
            oauth.client.for_team(team)  # auth.test once per token, as each process does
        took = []
        for n in range(lookups):
            start = time.perf_counter()
            oauth.client.for_team(teams[n % workspaces])
            took.append(time.perf_counter() - start)
    took.sort()
    p50, p99 = took[len(took) // 2] * 1000, took[int(len(took) * 0.99)] * 1000
    kind = make_url(url).get_backend_name()
    return f"{kind}: {workspaces} workspaces, {lookups} lookups: p50 {p50:.2f} ms, p99 {p99:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workspaces", type=int, default=50)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--pg-url", default=None, help="an admin URL; a fresh database is made")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        print(measure(url, workspaces=args.workspaces, lookups=args.lookups))
    if args.pg_url:
        admin_url = make_url(args.pg_url).set(drivername="postgresql+psycopg")
        name = f"walkaway_bench_{secrets.token_hex(4)}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            print(measure(url, workspaces=args.workspaces, lookups=args.lookups))
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


if __name__ == "__main__":
    main()
