"""`walkaway workspace delete`: one workspace's data goes whole, the other's stays as it was."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.slack.install import NOT_INSTALLED
from bot.slack.workspaces import delete_workspace
from storage.models import Base
from storage.repository import Store
from tests.cli.test_worker_cli import _env
from tests.slack.fake_slack import RESPONSE_URL_METHOD
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.oauth_world import CLIENT_ID, CLIENT_SECRET, OAuthApp, oauth_app
from tests.slack.test_journey_managers import reach_verdict, set_manager
from tests.slack.world import sqlite_url
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)

UNLINKED = {"idempotency_keys", "slack_posts", "slack_oauth_states", "jobs"}
"""Tables whose rows name no workspace: claim keys, post keys (ids and timestamps, no text),
install states, the job queue (a job of a deleted workspace is dropped when it runs)."""


@pytest.fixture
def fake() -> Iterator[FakeSlackWorkspaces]:
    with FakeSlackWorkspaces(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as running:
        running.add_workspace("TAAA")
        running.add_workspace("TBBB")
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("postgres_databases").create())


@pytest.fixture
def app(fake: FakeSlackWorkspaces, database_url: str) -> Iterator[OAuthApp]:
    with oauth_app(fake, database_url) as served:
        yield served


def _counts(url: str) -> dict[str, int]:
    with closing(Store.open(url, migrate=False)) as store, store._reads() as s:
        return {
            name: int(s.scalar(select(func.count()).select_from(table)) or 0)
            for name, table in Base.metadata.tables.items()
            if name not in UNLINKED
        }


def _work(app: OAuthApp, team: str) -> None:
    app.installer.install(team)
    world = app.world(team, f"UREP{team}")
    set_manager(world, f"UMGR{team}")
    reach_verdict(world, deal=f"Deal of {team}")
    world.command(f"search Deal of {team}")
    world.home()
    app.settle()


def test_deleting_a_workspace_removes_all_of_it_and_nothing_of_the_other(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    _work(app, "TBBB")
    only_b = _counts(app.database_url)
    _work(app, "TAAA")
    both = _counts(app.database_url)
    grew = {name for name in both if both[name] > only_b[name]}
    assert {"walkaway_records", "answers", "approvals", "users", "slack_bots"} <= grew
    out, err = io.StringIO(), io.StringIO()
    asked: list[str] = []

    code = delete_workspace(
        lambda: Store.open(app.database_url, migrate=False),
        team_id="TAAA",
        yes=False,
        read=lambda prompt: asked.append(prompt) or "TAAA",
        out=out,
        err=err,
    )

    assert code == 0, err.getvalue()
    assert out.getvalue().startswith("Workspace TAAA: 1 record(s), 2 person(s), installed.")
    assert asked == ["Delete all of it for good? Type TAAA to confirm: "]
    assert _counts(app.database_url) == only_b, "every row of TAAA went, none of TBBB's"
    mark = len(fake.calls())
    app.world("TAAA", "UREPTAAA").command("Deal again")
    app.settle()
    assert [c.args.get("text") for c in fake.calls()[mark:]] == [NOT_INSTALLED]
    assert [c.method for c in fake.calls()[mark:]] == [RESPONSE_URL_METHOD]


def test_without_confirmation_nothing_is_deleted(app: OAuthApp) -> None:
    _work(app, "TAAA")
    before = _counts(app.database_url)
    err = io.StringIO()

    code = delete_workspace(
        lambda: Store.open(app.database_url, migrate=False),
        team_id="TAAA",
        yes=False,
        read=lambda prompt: "yes",
        out=io.StringIO(),
        err=err,
    )

    assert code == 1
    assert "nothing deleted (pass --yes to skip the question)" in err.getvalue()
    assert _counts(app.database_url) == before


def test_the_command_deletes_with_yes_and_names_an_unknown_workspace(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    with closing(Store.open(url)) as store:
        store.ensure_workspace(team_id="TGONE", name="Gone Inc")

    def walkaway(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "workspace", "delete", *args],
            capture_output=True,
            text=True,
            env=_env(tmp_path, DATABASE_URL=url),
            cwd=tmp_path,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )

    unconfirmed = walkaway("TGONE")
    deleted = walkaway("TGONE", "--yes")
    unknown = walkaway("TGONE", "--yes")
    malformed = walkaway("T; DROP TABLE users", "--yes")

    assert unconfirmed.returncode == 1 and "nothing deleted" in unconfirmed.stderr
    assert deleted.returncode == 0, deleted.stderr
    assert "Workspace TGONE (Gone Inc): 0 record(s), 0 person(s), not installed." in deleted.stdout
    assert "walkaway: deleted workspace TGONE: 1 row(s) in 1 table(s)" in deleted.stdout
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == "walkaway: nothing is stored for workspace TGONE"
    assert malformed.returncode == 2 and "is not a Slack team id" in malformed.stderr
    for run in (unconfirmed, deleted, unknown, malformed):
        assert "Traceback" not in run.stderr
