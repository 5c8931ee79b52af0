"""Whose token: every Web API call made for a workspace uses that workspace's bot token.

With one workspace (SLACK_BOT_TOKEN) the app's client carries the token and is used for
everything, as before. Installed by OAuth in many workspaces, Bolt gives each request a client
with its workspace's token; work done later (jobs run by workers, timed sends) gets its own
from `client_for`: the app's base client is then a `WorkspaceClients`, which holds no token at
all, so a call that forgot to ask for one fails (`not_authed`) instead of borrowing another
workspace's. The token comes through Bolt's InstallationStoreAuthorize, the same object Bolt
authorizes requests with: it reads slack_sdk's installation store and, when the app uses token
rotation, swaps a token about to expire for a fresh one (slack_sdk's TokenRotator) and saves it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Protocol

from slack_bolt import BoltContext
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.request.internals import extract_enterprise_id, extract_team_id
from slack_sdk import WebClient

from bot.slack.errors import RetryLater

log = logging.getLogger("walkaway.oauth")


class NotInstalled(Exception):
    """No installation holds a token for this workspace (never installed, or uninstalled)."""

    def __init__(self, team_id: str | None) -> None:
        super().__init__(
            f"the app is not installed in workspace {team_id}"
            if team_id
            else "the work names no workspace"
        )
        self.team_id = team_id


def copy_client(base: WebClient, *, token: str | None, team_id: str | None = None) -> WebClient:
    """A client like `base` (address, timeout, retry handlers) with another token."""
    return WebClient(
        token=token,
        base_url=base.base_url,
        timeout=base.timeout,
        ssl=base.ssl,
        proxy=base.proxy,
        headers=dict(base.headers),
        team_id=team_id,
        logger=base.logger,
        retry_handlers=list(base.retry_handlers),
    )


class WorkspaceClients(WebClient):
    """The app's client when installed by OAuth: no token of its own, one per workspace."""

    def __init__(self, base: WebClient, authorize: Authorize) -> None:
        super().__init__(
            token=None,
            base_url=base.base_url,
            timeout=base.timeout,
            ssl=base.ssl,
            proxy=base.proxy,
            headers=dict(base.headers),
            logger=base.logger,
            retry_handlers=list(base.retry_handlers),
        )
        self._authorize = authorize

    def for_team(self, team_id: str | None, enterprise_id: str | None = None) -> WebClient:
        """A client with this workspace's bot token (rotated first if about to expire)."""
        if not team_id:
            raise NotInstalled(None)
        context = BoltContext(client=copy_client(self, token=None))
        found = self._authorize(
            context=context, enterprise_id=enterprise_id, team_id=team_id, user_id=None
        )
        if found is None or not found.bot_token:
            store = getattr(self._authorize, "installation_store", None)
            if store is not None and store.find_bot(enterprise_id=enterprise_id, team_id=team_id):
                # Installed, but its token could not be checked now (auth.test failed)
                raise RetryLater(RuntimeError(f"could not check the token of {team_id}"))
            raise NotInstalled(team_id)
        return copy_client(self, token=found.bot_token, team_id=team_id)


def client_for(
    client: WebClient, team_id: str | None, enterprise_id: str | None = None
) -> WebClient:
    """The client to use for work of `team_id`: the workspace's own in OAuth mode (NotInstalled
    when it has none), the one client otherwise."""
    if isinstance(client, WorkspaceClients):
        return client.for_team(team_id, enterprise_id)
    return client


def team_of(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The workspace (team id, enterprise id) a Slack body or a job's payload belongs to,
    read as Bolt reads it (`team.id`, `team_id`, an event's `authorizations`, `user.team_id`)."""
    payload = dict(body)
    return extract_team_id(payload), extract_enterprise_id(payload)


def client_for_body(client: WebClient, body: Mapping[str, Any]) -> WebClient:
    team_id, enterprise_id = team_of(body)
    return client_for(client, team_id, enterprise_id)


class HasTeams(Protocol):
    def team_id_of(self, *, workspace_id: int) -> str | None: ...


def client_for_workspace(client: WebClient, store: HasTeams, workspace_id: int) -> WebClient:
    """`client_for` a stored workspace id (timed work reads rows, not Slack bodies)."""
    if not isinstance(client, WorkspaceClients):
        return client
    return client.for_team(store.team_id_of(workspace_id=workspace_id))
