"""The weekly digest in OAuth mode: each manager's digest, its zone lookup and its chart go out
with the token of the manager's own workspace (bot/insight/digest.py, bot/slack/tokens.py)."""

from __future__ import annotations

from contextlib import closing
from datetime import UTC, timedelta

from bot.app import scheduler
from bot.domain.digest_time import DigestSettings
from storage.columns import utcnow
from storage.repository import Store
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.oauth_world import OAuthApp
from tests.slack.test_journey_managers import reach_verdict, set_manager
from tests.slack.test_journey_oauth import REP_A, REP_B, TEAM_A, TEAM_B, app, database_url, fake
from tests.slack.world import text_of
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)

__all__ = ["app", "database_url", "fake"]  # the OAuth journey's fixtures, used by name


def test_each_managers_digest_goes_out_with_their_workspaces_token(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    managers = {TEAM_A: "UMGRA", TEAM_B: "UMGRB"}
    for team, rep in ((TEAM_A, REP_A), (TEAM_B, REP_B)):
        app.installer.install(team)
        world = app.world(team, rep)
        set_manager(world, managers[team])
        reach_verdict(world, deal=f"Deal of {team}")
    due = (utcnow().astimezone(UTC) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    with closing(Store.open(app.database_url, migrate=False)) as store:
        for team in managers:
            store.digest.save_settings(
                workspace_id=store.ensure_workspace(team_id=team),
                settings=DigestSettings(enabled=True, weekday=due.weekday(), hour=9),
                at=due - timedelta(days=8),
            )
        mark = len(fake.calls())
        sent = scheduler(app.wired.app.client, store).tick(due + timedelta(minutes=1))
    app.settle()

    assert sent["digest(s)"] == 2
    calls = fake.calls()[mark:]
    for team, manager in managers.items():
        token = fake.workspaces[team].token
        asked = [c for c in calls if c.method == "users.info" and c.args.get("user") == manager]
        assert asked and {c.token for c in asked} == {token}, "the manager's zone, asked with it"
        (digest,) = [
            c
            for c in calls
            if c.method == "chat.postMessage"
            and fake._dm_channel(str(c.args.get("channel"))) == "D" + manager
        ]
        assert digest.token == token
        assert f"Deal of {team}" in text_of(digest.args)
        other = next(t for t in managers if t != team)
        assert f"Deal of {other}" not in text_of(digest.args)
        uploads = [c for c in calls if c.method == "files.completeUploadExternal"]
        assert token in {c.token for c in uploads}, "its chart, uploaded with it"
