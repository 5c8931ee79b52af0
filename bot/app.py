"""Wiring: the one place that builds the Bolt app from settings, storage and the checklist.

Nothing here runs at import time, so tests build as many apps as they like, each pointed at its
own database and fake Slack Web API.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.domain.checklist import Checklist
from bot.listeners import register_all
from bot.service import Qualifications
from bot.slack_flow import Deps
from storage.repository import Store

log = logging.getLogger("walkaway")

APOLOGY = (
    "Sorry, something went wrong on my side (reference {ref}). "
    "Your saved answers are safe; please try again."
)


def web_client(settings: Settings) -> WebClient:
    """The Web API client, pointed at SLACK_API_URL and retrying politely on HTTP 429."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def create_app(settings: Settings, *, store: Store, checklist: Checklist) -> App:
    settings.require_slack()
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=web_client(settings),
        signing_secret=secret,
        logger=log,
        raise_error_for_unhandled_request=False,
    )
    deps = Deps(
        settings=settings, store=store, service=Qualifications(store=store, checklist=checklist)
    )
    register_all(app, deps)
    app.error(_apologise)
    return app


def _apologise(
    error: Exception, body: dict[str, Any], client: WebClient, logger: logging.Logger
) -> BoltResponse | None:
    """Log the traceback under a reference id and tell the person, privately, that id."""
    ref = uuid.uuid4().hex[:8]
    logger.error("unhandled error ref=%s", ref, exc_info=error)
    user = (
        (body.get("user") or {}).get("id")
        if isinstance(body.get("user"), dict)
        else body.get("user_id")
    )
    channel = (
        body.get("channel_id")
        or (body.get("channel") or {}).get("id")
        or (body.get("container") or {}).get("channel_id")
    )
    if not isinstance(user, str):
        return None
    try:
        if isinstance(channel, str):
            client.chat_postEphemeral(channel=channel, user=user, text=APOLOGY.format(ref=ref))
        else:
            client.chat_postMessage(channel=user, text=APOLOGY.format(ref=ref))
    except Exception:  # the apology is best effort; the original error is already logged
        logger.exception("could not deliver apology ref=%s", ref)
    return None
