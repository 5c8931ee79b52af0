"""Installed by OAuth in two workspaces: each installs through *Add to Slack*, runs its checks
at the same time as the other, sees only its own records, and every call made for it, by the
listeners, the workers and the timed sends, carries its own token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from bot.app import scheduler
from bot.home.listeners import PUBLISH
from bot.slack.install import NOT_INSTALLED, bot_scopes
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.limits import assert_call_within_limits
from tests.slack.oauth_world import CLIENT_ID, CLIENT_SECRET, OAuthApp, oauth_app
from tests.slack.test_journey_draft import draft_values
from tests.slack.test_journey_managers import (
    DEFER,
    override_values,
    ping_in,
    reach_verdict,
    set_manager,
)
from tests.slack.test_journey_nudges import ZONE, due_moment
from tests.slack.test_journey_outcomes import CALM, PATHS, answer_everything
from tests.slack.test_journey_recipient import add_recipient, addressed_draft
from tests.slack.world import World, sqlite_url, text_of, wait_until
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)

TEAM_A, REP_A = "TAAA", "UREPA"
TEAM_B, REP_B = "TBBB", "UREPB"
WALK = {**CALM, **PATHS["walk"]}


@pytest.fixture
def fake() -> Iterator[FakeSlackWorkspaces]:
    with FakeSlackWorkspaces(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as running:
        running.add_workspace(TEAM_A)
        running.add_workspace(TEAM_B)
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("postgres_databases").create())


@pytest.fixture
def app(
    fake: FakeSlackWorkspaces, database_url: str, caplog: pytest.LogCaptureFixture
) -> Iterator[OAuthApp]:
    with oauth_app(fake, database_url) as served:
        yield served
        served.settle()
        for call in fake.calls():
            assert_call_within_limits(call)
    assert "the work names no workspace" not in caplog.text, "a job kind forgot its team"


def _check(world: World, deal: str) -> None:
    world.start(deal)
    answer_everything(world, WALK)
    wait_until(lambda: "verdict" in str(world.thread()), what=f"the verdict of {deal}")
    world.settle()


def _replies_to(fake: FakeSlackWorkspaces, team: str) -> list[dict[str, Any]]:
    return [
        c.args
        for c in fake.calls(RESPONSE_URL_METHOD)
        if str(c.args.get("_path", "")).startswith(f"/response/{team}/")
    ]


def _search(app: OAuthApp, world: World, words: str) -> dict[str, Any]:
    before = len(_replies_to(app.fake, world.team))
    world.command(f"search {words}")
    wait_until(lambda: len(_replies_to(app.fake, world.team)) > before, what="search results")
    app.settle()
    return _replies_to(app.fake, world.team)[before]


def test_the_install_page_offers_add_to_slack_with_the_manifests_scopes(app: OAuthApp) -> None:
    page, authorize_url, cookie = app.installer.install_page()

    assert "Add to Slack" in page.body
    query = parse_qs(urlsplit(authorize_url).query)
    assert authorize_url.startswith("https://slack.com/oauth/v2/authorize")
    assert query["client_id"] == [CLIENT_ID]
    assert query["scope"][0].split(",") == bot_scopes()
    assert query["state"][0] in cookie, "the state is also the browser's cookie"


def test_two_workspaces_install_and_work_at_once_each_with_its_own_token_and_records(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    for team in (TEAM_A, TEAM_B):
        done = app.installer.install(team)
        assert done.status == 200, done
        assert "slack://app?team=" + team in done.body  # Bolt's page: open the app in Slack
    a, b = app.world(TEAM_A, REP_A), app.world(TEAM_B, REP_B)

    runs = [
        threading.Thread(target=_check, args=(a, "Acme renewal")),
        threading.Thread(target=_check, args=(b, "Globex pilot")),
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(60)
    assert a.verdict() and b.verdict(), "both checks reached their verdict"

    token_a, token_b = (fake.workspaces[t].token for t in (TEAM_A, TEAM_B))
    for world, token in ((a, token_a), (b, token_b)):
        to_dm = [
            c
            for c in fake.calls()
            if c.method.startswith(("chat.", "conversations."))
            and fake._dm_channel(str(c.args.get("channel", ""))) == world.dm
        ]
        assert to_dm, f"the app wrote to {world.user}'s DM"
        assert {c.token for c in to_dm} == {token}, "only the workspace's own token"
    assert not [c for c in fake.calls() if c.error == "invalid_auth" or not c.token]

    for world, mine, theirs in ((a, "Acme renewal", "Globex"), (b, "Globex pilot", "Acme")):
        own = _search(app, world, mine.split()[0])
        other = _search(app, world, theirs)
        assert mine in text_of(own), "a workspace finds its own record"
        assert text_of(other).startswith(f"No walk-away records match {theirs.lower()}")


def test_an_uninstall_ends_that_workspaces_access_and_nothing_else(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    app.installer.install(TEAM_A)
    app.installer.install(TEAM_B)
    a, b = app.world(TEAM_A, REP_A), app.world(TEAM_B, REP_B)
    a.start("Acme renewal")

    fake.uninstall(TEAM_A)
    reply = a.slack.event({"type": "app_uninstalled"}, team_id=TEAM_A)
    assert reply.status == 200
    app.settle()

    mark = len(fake.calls())
    refused = a.command("Initech expansion")
    app.settle()
    assert refused.status == 200
    told = [c.args for c in fake.calls()[mark:] if c.method == RESPONSE_URL_METHOD]
    assert [t.get("text") for t in told] == [NOT_INSTALLED]
    assert not [c for c in fake.calls()[mark:] if c.method != RESPONSE_URL_METHOD]

    _check(b, "Globex pilot")  # the other workspace works on, with its own token
    assert {c.token for c in fake.calls()[mark:] if c.method != RESPONSE_URL_METHOD} == {
        fake.workspaces[TEAM_B].token
    }


def test_timed_sends_use_the_token_of_the_workspace_they_are_for(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    managers = {TEAM_A: "UMGRA", TEAM_B: "UMGRB"}
    for team, rep in ((TEAM_A, REP_A), (TEAM_B, REP_B)):
        app.installer.install(team)
        world = app.world(team, rep)
        set_manager(world, managers[team])
        reach_verdict(world, deal=f"Deal of {team}")
    due = max(_remind_after(app, team) for team in (TEAM_A, TEAM_B)) + timedelta(minutes=1)
    mark = len(fake.calls())

    with closing(Store.open(app.database_url, migrate=False)) as store:
        sent = scheduler(app.wired.app.client, store).tick(due)

    assert sent["reminder(s)"] == 2
    for team, manager in managers.items():
        (reminder,) = [
            c
            for c in fake.calls()[mark:]
            if c.method == "chat.postMessage" and c.args.get("channel") == "D" + manager
        ]
        assert reminder.token == fake.workspaces[team].token
        assert f"Deal of {team}" in text_of(reminder.args)


def _remind_after(app: OAuthApp, team: str) -> datetime:
    with closing(Store.open(app.database_url, migrate=False)) as store:
        workspace_id = store.ensure_workspace(team_id=team)
        (record,) = store.list_records(workspace_id=workspace_id, limit=1)
        approval = store.approvals.get(record_id=record.id)
    assert approval is not None and approval.remind_after is not None
    return approval.remind_after


def test_a_token_about_to_expire_is_rotated_and_the_new_one_used(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    workspace = fake.add_workspace("TROT", rotating=True, expires_in=60)
    app.installer.install("TROT")
    (first,) = workspace.tokens_issued
    refresh = workspace.refresh_token
    workspace.expires_in = 43_200  # the rotated token lasts: one rotation, not one per call
    world = app.world("TROT", "UREPR")
    mark = len(fake.calls())

    _check(world, "Rotating deal")

    refreshes = [
        c for c in fake.calls("oauth.v2.access") if c.args.get("grant_type") == "refresh_token"
    ]
    assert [c.args.get("refresh_token") for c in refreshes] == [refresh], "rotated once"
    rotated = workspace.tokens_issued[-1]
    assert rotated != first and rotated.startswith("xoxe.xoxb-")
    used = {c.token for c in fake.calls()[mark:] if c.method not in ("oauth.v2.access",)}
    used.discard("response-url")
    assert used == {rotated}, "every call after the rotation uses the new token"
    with closing(Store.open(app.database_url, migrate=False)) as store:
        saved = store.tenancy.installation_store(client_id=CLIENT_ID).find_bot(
            enterprise_id=None, team_id="TROT"
        )
    assert saved is not None and saved.bot_token == rotated


def test_work_queued_for_a_workspace_that_then_uninstalled_is_dropped_not_done_elsewhere(
    app: OAuthApp, fake: FakeSlackWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    app.installer.install(TEAM_A)
    app.installer.install(TEAM_B)
    fake.uninstall(TEAM_A)
    assert app.world(TEAM_A, REP_A).slack.event({"type": "app_uninstalled"}, team_id=TEAM_A)
    app.settle()
    mark = len(fake.calls())

    app.wired.deps.jobs.later(PUBLISH, {"team_id": TEAM_A, "event": {"user": REP_A}})
    app.settle()

    assert fake.calls()[mark:] == [], "no call at all, with anyone's token"
    assert "the app is not installed in workspace TAAA" in caplog.text


def test_nudges_are_swept_and_posted_with_each_workspaces_token(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    reps = {TEAM_A: REP_A, TEAM_B: REP_B}
    for team, rep in reps.items():
        app.installer.install(team)
        fake.set_user(rep, tz=ZONE, real_name=f"Rep of {team}")
        world = app.world(team, rep)
        set_manager(world, f"UMGR{team}")
        reach_verdict(world, DEFER, deal=f"Deferred deal of {team}")
    with closing(Store.open(app.database_url, migrate=False)) as store:
        due = max(
            d.recheck_on
            for team in reps
            for d in store.list_records(workspace_id=store.ensure_workspace(team_id=team))
            if d.recheck_on is not None
        )
        mark = len(fake.calls())
        sent = scheduler(app.wired.app.client, store).tick(due_moment(due))
    app.settle()

    assert sent["nudge(s)"] == 2
    for team, rep in reps.items():
        token = fake.workspaces[team].token
        asked = [c for c in fake.calls("users.info") if c.args.get("user") == rep]
        assert asked and {c.token for c in asked} == {token}, "the rep's zone, asked with it"
        (nudge,) = [
            c
            for c in fake.calls()[mark:]
            if c.method == "chat.postMessage"
            and fake._dm_channel(str(c.args.get("channel"))) == "D" + rep
            and "Time to look again" in text_of(c.args)
        ]
        assert nudge.token == token and f"Deferred deal of {team}" in text_of(nudge.args)


def test_modal_work_and_a_managers_override_run_with_the_workspaces_token(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    app.installer.install(TEAM_A)
    app.installer.install(TEAM_B)
    rep = app.world(TEAM_B, REP_B)
    set_manager(rep, "UMGRB")
    reach_verdict(rep, deal="Globex renewal")
    mark = len(fake.calls())

    add_recipient(rep, rep.draft(skip_recipient=False), "Globex", "Dana")
    view = rep.open_view(addressed_draft(rep, "Dana"), "edit_draft")
    edited = "Hi Dana, we will step back for now. If you can name an owner, I'd be glad to return."
    saved = rep.submit_view(view, draft_values(edited))
    assert saved.status == 200 and saved.body == ""
    manager = app.world(TEAM_B, "UMGRB")
    override = manager.open_view(ping_in(fake, "DUMGRB"), "approval_override")
    done = manager.submit_view(override, override_values("proceed", "Their CFO signed."))
    assert done.status == 200 and done.body == ""
    app.settle()

    wait_until(lambda: "they want *Proceed* instead" in str(rep.thread()), what="the notice")
    assert "we will step back for now" in str(rep.thread()), "the edited draft is shown"
    made = [c for c in fake.calls()[mark:] if c.method != RESPONSE_URL_METHOD]
    assert made and {c.token for c in made} == {fake.workspaces[TEAM_B].token}
