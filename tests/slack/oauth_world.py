"""An app installed by OAuth, served over HTTP: the browser's side of *Add to Slack*, and one
`World` per workspace, all on one app process, one database and one fake Web API."""

from __future__ import annotations

import html
import re
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from pydantic import SecretStr

from bot.app import Wired, wire
from bot.config import Settings
from bot.domain.checklist import load_checklist
from storage.repository import Store
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.server import serve_bolt
from tests.slack.signed import SlackClient
from tests.slack.world import SECRET, SLACK_TIMEOUT, WORKER_THREADS, TrackingExecutor, World

CLIENT_ID = "1111.2222"
CLIENT_SECRET = "oauth-client-secret-e2e"


@dataclass(frozen=True)
class Page:
    status: int
    body: str
    headers: dict[str, str]


def browse(url: str, *, cookie: str | None = None) -> Page:
    """A browser's GET (no redirects followed: the page or the Location is what we check)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return Page(reply.status, reply.read().decode(), dict(reply.headers))
    except urllib.error.HTTPError as error:
        with error:
            return Page(error.code, error.read().decode(), dict(error.headers))


def oauth_settings(fake: FakeSlackWorkspaces, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "slack_client_id": CLIENT_ID,
        "slack_client_secret": SecretStr(CLIENT_SECRET),
        "slack_signing_secret": SecretStr(SECRET),
        "slack_api_url": fake.base_url,
        "walkaway_slack_timeout": SLACK_TIMEOUT,
        **overrides,
    }
    return Settings(**values)


@dataclass
class Installer:
    """The browser of a workspace admin clicking *Add to Slack*."""

    fake: FakeSlackWorkspaces
    base_url: str

    def install_page(self) -> tuple[Page, str, str]:
        """GET /slack/install: the page, the authorize URL its button opens, the state cookie."""
        page = browse(self.base_url + "/slack/install")
        assert page.status == 200, page
        link = re.search(r'<a href="([^"]+)"><img alt="Add to Slack"', page.body)
        assert link, page.body
        cookie = SimpleCookie(page.headers.get("Set-Cookie", ""))
        state_cookie = "; ".join(f"{k}={m.value}" for k, m in cookie.items())
        return page, html.unescape(link.group(1)), state_cookie

    def redirect(self, *, code: str | None, state: str, cookie: str | None, **extra: str) -> Page:
        query = {"state": state, **extra}
        if code is not None:
            query["code"] = code
        return browse(self.base_url + "/slack/oauth_redirect?" + urlencode(query), cookie=cookie)

    def install(self, team_id: str) -> Page:
        """The whole journey: the install page, Slack's consent, back to the redirect."""
        _, authorize_url, cookie = self.install_page()
        state = parse_qs(urlsplit(authorize_url).query)["state"][0]
        return self.redirect(code=self.fake.new_code(team_id), state=state, cookie=cookie)


MODALS = threading.Lock()


class SharedWorld(World):
    """A World beside others on one fake: World.answer_in_modal takes the newest views.open as
    its own, so two workspaces opening modals at the same instant take turns at that step."""

    def answer_in_modal(self, question_id: str, value: str, **options: Any) -> Any:
        with MODALS:
            return super().answer_in_modal(question_id, value, **options)


@dataclass
class OAuthApp:
    fake: FakeSlackWorkspaces
    database_url: str
    wired: Wired
    slack: SlackClient
    installer: Installer
    executor: TrackingExecutor

    def world(self, team_id: str, user: str) -> World:
        return SharedWorld(
            fake=self.fake,
            slack=self.slack,
            database_url=self.database_url,
            user=user,
            team=team_id,
            executor=self.executor,
        )

    def settle(self) -> None:
        self.executor.wait_idle()


@contextmanager
def oauth_app(fake: FakeSlackWorkspaces, database_url: str, **overrides: Any) -> Iterator[OAuthApp]:
    settings = oauth_settings(fake, database_url, **overrides)
    store = Store.open(database_url)
    executor = TrackingExecutor()
    wired = wire(
        settings,
        store=store,
        checklist=load_checklist(settings.walkaway_checklist),
        listener_executor=executor,
    )
    worker = wired.start_worker(threads=WORKER_THREADS, clock=executor.clock)
    executor.worker = worker
    try:
        with serve_bolt(wired.app, signing_secret=SECRET) as url:
            yield OAuthApp(
                fake=fake,
                database_url=database_url,
                wired=wired,
                slack=SlackClient(url, SECRET, response_url_base=fake.response_url_base),
                installer=Installer(fake, url),
                executor=executor,
            )
    finally:
        executor.wait_idle()
        worker.stop()
        executor.shutdown(wait=True)
        store.close()
