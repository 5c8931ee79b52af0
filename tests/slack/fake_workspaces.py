"""The fake Web API for an app installed by OAuth in several workspaces.

Each workspace added gets an installation code; `oauth.v2.access` exchanges it (checking the
app's client id and secret, sent as HTTP Basic, and the redirect_uri when one is registered)
for that workspace's bot token, or, with `grant_type=refresh_token`, rotates the token of a
workspace installed with rotation. `auth.test` answers for the token it is called with, and
every other method refuses a token it never issued or that was revoked (`invalid_auth`), so a
test sees which workspace's token each call used (`Call.token`).
"""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from tests.slack.fake_slack import RESPONSE_URL_METHOD, Call, FakeSlack, _Answer


@dataclass
class FakeWorkspace:
    team_id: str
    name: str
    bot_user_id: str
    bot_id: str
    rotating: bool = False
    expires_in: int = 43_200
    token: str = ""
    refresh_token: str | None = None
    codes: list[str] = field(default_factory=list)
    tokens_issued: list[str] = field(default_factory=list)
    revoked: bool = False


class FakeSlackWorkspaces(FakeSlack):
    """A FakeSlack whose tokens each belong to one workspace."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.workspaces: dict[str, FakeWorkspace] = {}
        self._by_token: dict[str, FakeWorkspace] = {}
        self._by_code: dict[str, FakeWorkspace] = {}
        self._refresh: dict[str, FakeWorkspace] = {}
        self._serial = itertools.count(1)
        self._local = threading.local()

    # -- set-up --------------------------------------------------------------------------------

    def add_workspace(
        self, team_id: str, *, rotating: bool = False, expires_in: int = 43_200
    ) -> FakeWorkspace:
        workspace = FakeWorkspace(
            team_id=team_id,
            name=f"Workspace {team_id}",
            bot_user_id=f"UBOT{team_id}",
            bot_id=f"BBOT{team_id}",
            rotating=rotating,
            expires_in=expires_in,
        )
        with self._lock:
            self.workspaces[team_id] = workspace
        return workspace

    def new_code(self, team_id: str) -> str:
        """What Slack puts in the redirect once the installer clicks *Allow*."""
        code = f"code-{team_id}-{secrets.token_hex(4)}"
        with self._lock:
            workspace = self.workspaces[team_id]
            workspace.codes.append(code)
            self._by_code[code] = workspace
        return code

    def uninstall(self, team_id: str) -> None:
        """Slack's side of an uninstall: every token of the workspace stops working."""
        with self._lock:
            self.workspaces[team_id].revoked = True

    def calls_with_token_of(self, team_id: str) -> list[Call]:
        issued = set(self.workspaces[team_id].tokens_issued)
        return [c for c in self.calls() if c.token in issued]

    # -- the API -------------------------------------------------------------------------------

    def _workspace(self, token: str | None) -> FakeWorkspace | None:
        with self._lock:
            workspace = self._by_token.get(token or "")
            if workspace is None or workspace.revoked:
                return None  # a rotated-out token works until it expires, as on Slack
            return workspace

    def _handle(self, method: str, args: dict[str, Any], token: str | None) -> _Answer:
        self._local.token = token
        unknown = token and self._workspace(token) is None
        if method not in ("oauth.v2.access", RESPONSE_URL_METHOD) and unknown:
            self._record(Call(method, args, token, error="invalid_auth"))
            return _Answer(200, {"ok": False, "error": "invalid_auth"})
        return super()._handle(method, args, token)

    def _current(self) -> FakeWorkspace | None:
        return self._workspace(getattr(self._local, "token", None))

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message = super()._message(args, ts)
        workspace = self._current()
        if workspace is not None:
            message.update(
                user=workspace.bot_user_id, bot_id=workspace.bot_id, team=workspace.team_id
            )
        return message

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        workspace = self._current()
        if workspace is None:
            return {"ok": False, "error": "invalid_auth"}
        return {
            "ok": True,
            "url": f"https://{workspace.team_id.lower()}.slack.com/",
            "team": workspace.name,
            "user": "walkaway",
            "team_id": workspace.team_id,
            "user_id": workspace.bot_user_id,
            "bot_id": workspace.bot_id,
            "is_enterprise_install": False,
        }

    def _api_oauth_v2_access(self, args: dict[str, Any]) -> dict[str, Any]:
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if getattr(self._local, "token", None) != f"Basic {expected}":
            return {"ok": False, "error": "invalid_client_id"}
        with self._lock:
            if args.get("grant_type") == "refresh_token":
                workspace = self._refresh.get(str(args.get("refresh_token")))
                if workspace is None or workspace.revoked:
                    return {"ok": False, "error": "invalid_refresh_token"}
            else:
                if self.redirect_uri is not None and args.get("redirect_uri") != self.redirect_uri:
                    return {"ok": False, "error": "bad_redirect_uri"}
                workspace = self._by_code.pop(str(args.get("code")), None)
                if workspace is None:
                    return {"ok": False, "error": "invalid_code"}
                workspace.revoked = False
            return self._issue(workspace)

    def _issue(self, workspace: FakeWorkspace) -> dict[str, Any]:
        serial = next(self._serial)
        prefix = "xoxe.xoxb-" if workspace.rotating else "xoxb-"
        workspace.token = f"{prefix}{workspace.team_id}-{serial}-{secrets.token_hex(6)}"
        workspace.tokens_issued.append(workspace.token)
        self._by_token[workspace.token] = workspace
        answer: dict[str, Any] = {
            "ok": True,
            "app_id": self.app_id,
            "authed_user": {"id": f"UADMIN{workspace.team_id}"},
            "scope": "commands,chat:write",
            "token_type": "bot",
            "access_token": workspace.token,
            "bot_user_id": workspace.bot_user_id,
            "team": {"id": workspace.team_id, "name": workspace.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }
        if workspace.rotating:
            workspace.refresh_token = f"xoxe-1-{workspace.team_id}-{serial}"
            self._refresh[workspace.refresh_token] = workspace
            answer.update(refresh_token=workspace.refresh_token, expires_in=workspace.expires_in)
        return answer
