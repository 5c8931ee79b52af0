"""Installing by OAuth in many workspaces: Bolt's OAuth flow on slack_sdk's SQLAlchemy stores.

`/slack/install` shows *Add to Slack*; `/slack/oauth_redirect` completes the install (Bolt's
OAuthFlow: state checked against its cookie and consumed once from the state store, the code
exchanged with `oauth.v2.access`, the installation saved). The scopes asked for are the bot
scopes of manifest.yml, the one list. Every request is then authorized with its workspace's
token (Bolt's InstallationStoreAuthorize, which also rotates tokens that are about to expire);
work done later asks the same object for it (bot/slack/tokens.py). `app_uninstalled` and
`tokens_revoked` remove the installation (Bolt's own listeners), each with a log line.

What goes wrong gets a page saying what to do, and a log line: a state that expired or was
used already, a browser that did not start the install, a code Slack refused (a Redirect URL
that does not match SLACK_REDIRECT_URI among the reasons), the installer saying no.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import InstallationStoreAuthorize
from slack_bolt.oauth.callback_options import CallbackOptions, FailureArgs, SuccessArgs
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient

from bot.config import OAUTH_INSTALL_PATH, OAUTH_REDIRECT_PATH, Settings, SettingsError
from bot.slack.tokens import WorkspaceClients
from storage.repository import Store

log = logging.getLogger("walkaway.oauth")

MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"
STATE_SECONDS = 600
"""How long an *Add to Slack* link stays good (Bolt's default)."""
NOT_INSTALLED = (
    "Walk-away advisor is not installed in this workspace (or it was removed). "
    "Ask a workspace admin to add it again."
)
"""What a person in a workspace with no installation is told (and nothing else happens)."""


def bot_scopes(manifest: Path | None = None) -> list[str]:
    """The bot scopes manifest.yml asks for: OAuth asks for exactly these."""
    path = manifest or MANIFEST
    try:
        loaded: Any = yaml.safe_load(path.read_text("utf-8"))
        scopes = loaded["oauth_config"]["scopes"]["bot"]
    except (OSError, yaml.YAMLError, KeyError, TypeError) as problem:
        raise SettingsError(
            f"Installing by OAuth asks for the bot scopes of the app's manifest, and {path} "
            f"could not be read for them ({type(problem).__name__}); set WALKAWAY_MANIFEST "
            "to the manifest.yml the app was created from."
        ) from None
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes) or not scopes:
        raise SettingsError(f"{path}: oauth_config.scopes.bot must be a list of scopes.")
    return list(scopes)


class WorkspaceAuthorize(InstallationStoreAuthorize):
    """Bolt's authorize, saying in the log which workspace had no installation."""

    def __call__(self, **kwargs: Any) -> AuthorizeResult | None:
        found: AuthorizeResult | None = super().__call__(**kwargs)
        if found is None:
            log.warning(
                "no installation for workspace %s (enterprise %s): never installed, "
                "uninstalled, or its token was revoked; nothing was done for it",
                kwargs.get("team_id"),
                kwargs.get("enterprise_id"),
            )
        return found


@dataclass(frozen=True)
class OAuth:
    """What the Bolt app is built with when it is installed by OAuth."""

    settings: OAuthSettings
    authorize: WorkspaceAuthorize
    client: WorkspaceClients

    def app_options(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "oauth_settings": self.settings,
            "authorize": self.authorize,
            "user_facing_authorize_error_message": NOT_INSTALLED,
        }


def oauth_for(settings: Settings, store: Store, base: WebClient) -> OAuth | None:
    """The OAuth flow and stores for these settings; None in single-workspace mode."""
    if not settings.oauth:
        return None
    assert settings.slack_client_id is not None and settings.slack_client_secret is not None
    client_id = settings.slack_client_id
    secret = settings.slack_client_secret.get_secret_value()
    installations = store.tenancy.installation_store(client_id=client_id)
    states = store.tenancy.state_store(expiration_seconds=STATE_SECONDS)
    authorize = WorkspaceAuthorize(
        logger=log,
        installation_store=installations,
        client_id=client_id,
        client_secret=secret,
        client=base,  # token rotation calls oauth.v2.access at SLACK_API_URL
        cache_enabled=True,  # auth.test once per token and process, not per request
        bot_only=True,  # the app has no user scopes: one find_bot per request or job
    )
    oauth_settings = OAuthSettings(
        client_id=client_id,
        client_secret=secret,
        scopes=bot_scopes(settings.walkaway_manifest),
        user_scopes=[],
        redirect_uri=settings.slack_redirect_uri,
        install_path=OAUTH_INSTALL_PATH,
        redirect_uri_path=OAUTH_REDIRECT_PATH,
        installation_store=installations,
        state_store=states,
        state_expiration_seconds=STATE_SECONDS,
        callback_options=CallbackOptions(success=_installed, failure=_failed(store)),
        logger=log,
    )
    return OAuth(
        settings=oauth_settings, authorize=authorize, client=WorkspaceClients(base, authorize)
    )


def app_client(settings: Settings, store: Store, base: WebClient) -> WebClient:
    """The client timed work starts from (`walkaway tick`): per workspace in OAuth mode."""
    oauth = oauth_for(settings, store, base)
    return oauth.client if oauth is not None else base


def register(app: App, oauth: OAuth | None) -> None:
    """Uninstalls and revoked tokens remove the installation (OAuth mode); with one
    workspace they are logged, for the operator to unset SLACK_BOT_TOKEN."""
    if oauth is None:

        @app.event("app_uninstalled")
        @app.event("tokens_revoked")
        def single_workspace_gone(context: BoltContext) -> None:
            log.warning(
                "the app lost its token in workspace %s: SLACK_BOT_TOKEN no longer works",
                context.team_id,
            )

        return
    uninstalled = app.default_app_uninstalled_event_listener()
    revoked = app.default_tokens_revoked_event_listener()

    @app.event("app_uninstalled")
    def app_uninstalled(context: BoltContext) -> None:
        uninstalled(context=context)
        log.warning(
            "app uninstalled from workspace %s: its installation is removed", context.team_id
        )

    @app.event("tokens_revoked")
    def tokens_revoked(event: dict[str, Any], context: BoltContext) -> None:
        revoked(event=event, context=context)
        log.warning(
            "tokens revoked in workspace %s (%s): removed", context.team_id, event.get("tokens")
        )


def _installed(args: SuccessArgs) -> BoltResponse:
    installation = args.installation
    log.warning(
        "installed in workspace %s (%s) by %s",
        installation.team_id,
        installation.team_name,
        installation.user_id,
    )
    response: BoltResponse = args.default.success(args)
    return response


_FAILURES = {
    "access_denied": (
        "The install was cancelled in Slack, so nothing was installed.",
        "Start again when you are ready.",
    ),
    "invalid_browser": (
        "This page was opened in a different browser from the one that started the install "
        "(or its cookie was blocked).",
        "Start again from the install page, in this browser.",
    ),
    "state_expired": (
        f"The install link expired: it is good for {STATE_SECONDS // 60} minutes.",
        "Start again from the install page.",
    ),
    "state_used": (
        "This install link was used already (each works once).",
        "Start again from the install page.",
    ),
    "missing_code": (
        "Slack's answer carried no installation code.",
        "Start again from the install page.",
    ),
    "invalid_code": (
        "Slack did not accept the installation code: it expired, was used already, or the "
        "Redirect URL in the app's OAuth settings does not match SLACK_REDIRECT_URI.",
        "Start again from the install page; if it happens again, ask the app's operator to "
        "check the Redirect URL.",
    ),
    "storage_error": (
        "The installation could not be saved.",
        "Try again in a minute; the operator can find the reason in the log.",
    ),
}


def _failed(store: Store) -> Callable[[FailureArgs], BoltResponse]:
    def failed(args: FailureArgs) -> BoltResponse:
        reason = args.reason
        if reason == "invalid_state":
            state = (args.request.query.get("state") or [""])[0]
            expired = store.tenancy.state_expired(state=state)
            reason = "state_expired" if expired else "state_used"
        what, then = _FAILURES.get(
            reason, (f"Slack ended the install ({reason}).", "Start again from the install page.")
        )
        log.warning("install failed (%s): %s", reason, what)
        status = 200 if reason == "access_denied" else args.suggested_status_code
        return BoltResponse(
            status=status,
            body=_page(what, then, install=OAUTH_INSTALL_PATH),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )

    return failed


def _page(what: str, then: str, *, install: str) -> str:
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>Walk-away advisor</title>'
        '</head><body style="font-family: sans-serif; max-width: 36em; margin: 3em auto">'
        "<h1>The app was not installed</h1>"
        f"<p>{html.escape(what)}</p><p>{html.escape(then)}</p>"
        f'<p><a href="{html.escape(install)}">Install page</a></p></body></html>'
    )
