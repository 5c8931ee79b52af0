"""Bad OAuth configuration and install journeys that go wrong: a clear line or page, a log
line, no traceback, and never another workspace's token."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import text

from bot.slack.install import NOT_INSTALLED
from storage.repository import Store
from tests.cli.test_worker_cli import _env
from tests.slack.fake_slack import RESPONSE_URL_METHOD
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.oauth_world import CLIENT_ID, CLIENT_SECRET, OAuthApp, browse, oauth_app
from tests.slack.world import SECRET, TOKEN, sqlite_url

REDIRECT = "https://walkaway.example.com/slack/oauth_redirect"


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        (
            {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_SIGNING_SECRET": SECRET},
            "needs SLACK_CLIENT_SECRET as well",
        ),
        (
            {"SLACK_CLIENT_SECRET": CLIENT_SECRET, "SLACK_SIGNING_SECRET": SECRET},
            "needs SLACK_CLIENT_ID as well",
        ),
        (
            {
                "SLACK_CLIENT_ID": "A0123APPID",
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SECRET,
            },
            "SLACK_CLIENT_ID should look like 1234567890.1234567890",
        ),
        (
            {"SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET},
            "needs SLACK_SIGNING_SECRET as well",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_BOT_TOKEN": TOKEN,
            },
            "Set either SLACK_BOT_TOKEN (one workspace) or SLACK_CLIENT_ID",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_REDIRECT_URI": "https://walkaway.example.com/oauth/callback",
            },
            "SLACK_REDIRECT_URI must be the https URL of this app's /slack/oauth_redirect",
        ),
        (
            {
                "SLACK_CLIENT_ID": CLIENT_ID,
                "SLACK_CLIENT_SECRET": CLIENT_SECRET,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_APP_TOKEN": "xapp-1-A1-123-abcdef",
            },
            "needs HTTP mode",
        ),
    ],
)
def test_serve_with_oauth_settings_that_do_not_fit_says_what_to_set(
    tmp_path: Path, settings: dict[str, str], said: str
) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, **settings),
        cwd=tmp_path,
        timeout=60,
    )

    assert run.returncode == 2
    assert said in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert CLIENT_SECRET not in run.stderr


@pytest.fixture
def fake() -> Iterator[FakeSlackWorkspaces]:
    with FakeSlackWorkspaces(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT
    ) as running:
        running.add_workspace("TAAA")
        yield running


@pytest.fixture
def app(fake: FakeSlackWorkspaces, tmp_path: Path) -> Iterator[OAuthApp]:
    with oauth_app(fake, sqlite_url(tmp_path), slack_redirect_uri=REDIRECT) as served:
        yield served


def _state(authorize_url: str) -> str:
    return parse_qs(urlsplit(authorize_url).query)["state"][0]


def test_a_replayed_state_is_refused_with_a_page_saying_it_was_used(
    app: OAuthApp, fake: FakeSlackWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    _, url, cookie = app.installer.install_page()
    first = app.installer.redirect(code=fake.new_code("TAAA"), state=_state(url), cookie=cookie)
    assert first.status == 200

    again = app.installer.redirect(code=fake.new_code("TAAA"), state=_state(url), cookie=cookie)

    assert again.status == 401
    assert "This install link was used already" in again.body
    assert "/slack/install" in again.body and "Traceback" not in again.body
    assert "install failed (state_used)" in caplog.text


def test_an_expired_state_is_refused_with_a_page_saying_it_expired(
    app: OAuthApp, fake: FakeSlackWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    with closing(Store.open(app.database_url, migrate=False)) as store:
        state = store.tenancy.state_store(expiration_seconds=-60).issue()
    cookie = f"slack-app-oauth-state={state}"

    page = app.installer.redirect(code=fake.new_code("TAAA"), state=state, cookie=cookie)

    assert page.status == 401
    assert "The install link expired" in page.body
    assert "install failed (state_expired)" in caplog.text
    assert not fake.calls("oauth.v2.access"), "no code is exchanged on a bad state"


def test_a_redirect_in_another_browser_and_a_cancel_each_get_their_page(
    app: OAuthApp, fake: FakeSlackWorkspaces
) -> None:
    _, url, _cookie = app.installer.install_page()

    elsewhere = app.installer.redirect(code=fake.new_code("TAAA"), state=_state(url), cookie=None)
    cancelled = app.installer.redirect(
        code=None, state=_state(url), cookie=None, error="access_denied"
    )

    assert elsewhere.status == 400 and "different browser" in elsewhere.body
    assert cancelled.status == 200 and "The install was cancelled" in cancelled.body


def test_a_redirect_url_slack_does_not_know_is_explained(
    fake: FakeSlackWorkspaces, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    other = "https://old-host.example.com/slack/oauth_redirect"
    with oauth_app(fake, sqlite_url(tmp_path), slack_redirect_uri=other) as app:
        page = app.installer.install("TAAA")

    assert page.status == 401
    assert "does not match SLACK_REDIRECT_URI" in page.body
    assert [c.result for c in fake.calls("oauth.v2.access")] == [
        {"ok": False, "error": "bad_redirect_uri"}
    ]
    assert "install failed (invalid_code)" in caplog.text


def test_a_request_from_a_workspace_with_no_installation_is_told_and_nothing_else(
    app: OAuthApp, fake: FakeSlackWorkspaces, caplog: pytest.LogCaptureFixture
) -> None:
    app.installer.install("TAAA")
    mark = len(fake.calls())
    caplog.set_level(logging.WARNING, logger="walkaway.oauth")

    reply = app.world("TZZZ", "UNEW").command("Acme renewal")
    app.settle()

    assert reply.status == 200
    calls = fake.calls()[mark:]
    assert [(c.method, c.args.get("text")) for c in calls] == [(RESPONSE_URL_METHOD, NOT_INSTALLED)]
    assert "no installation for workspace TZZZ" in caplog.text
    with closing(Store.open(app.database_url, migrate=False)) as store:
        assert store.tenancy.summary(team_id="TZZZ") is None, "nothing stored for it"


def test_an_install_page_that_cannot_reach_its_table_says_so_without_a_traceback(
    app: OAuthApp, caplog: pytest.LogCaptureFixture
) -> None:
    with closing(Store.open(app.database_url, migrate=False)) as store, store._writes.begin() as s:
        s.execute(text("ALTER TABLE slack_oauth_states RENAME TO slack_oauth_states_away"))
    try:
        page = browse(app.installer.base_url + "/slack/install")
    finally:
        back = "ALTER TABLE slack_oauth_states_away RENAME TO slack_oauth_states"
        with closing(Store.open(app.database_url, migrate=False)) as store, store._writes() as s:
            s.execute(text(back))
            s.commit()

    assert page.status == 503
    assert "The install cannot go on just now" in page.body and "Traceback" not in page.body
    assert "install page failed: OperationalError" in caplog.text
