"""Wiring: the one place that builds the Bolt app from settings, storage and the checklist.

Nothing here runs at import time, so tests build as many apps as they like, each pointed at its
own database and fake Slack Web API.
"""

from __future__ import annotations

import json
import logging
import uuid
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from slack_bolt import App, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.config import Settings
from bot.domain.checklist import Checklist
from bot.jobs import Jobs
from bot.listeners import register_all
from bot.listeners.errors import APOLOGY, report
from bot.service import Qualifications
from bot.slack_flow import Deps
from bot.worker import Worker
from storage.repository import Store

log = logging.getLogger("walkaway")


def web_client(settings: Settings) -> WebClient:
    """The Web API client, pointed at SLACK_API_URL and retrying politely on HTTP 429."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = WebClient(token=token, base_url=settings.slack_api_url)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


@dataclass(frozen=True)
class Wired:
    """The Bolt app and what its listeners share; workers need the jobs it defines."""

    app: App
    deps: Deps

    def start_worker(self, *, threads: int) -> Worker:
        """Threads in this process running the jobs these listeners queue (bot/worker.py)."""
        return Worker(self.deps.jobs, self.app.client, threads=threads).start()


def wire(
    settings: Settings,
    *,
    store: Store,
    checklist: Checklist,
    listener_executor: Executor | None = None,
) -> Wired:
    """Build the app; `listener_executor` runs listeners (Bolt's 5-thread pool if None).

    Its jobs need a worker: `Wired.start_worker` here, or bot.worker's processes.
    """
    settings.require_slack()
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    app = App(
        client=web_client(settings),
        signing_secret=secret,
        logger=log,
        raise_error_for_unhandled_request=False,
        listener_executor=listener_executor,
    )
    deps = Deps(
        settings=settings,
        store=store,
        service=Qualifications(store=store, checklist=checklist),
        jobs=Jobs(store.jobs),
    )
    register_all(app, deps)
    app.error(_apologise)
    return Wired(app=app, deps=deps)


def _apologise(
    error: Exception,
    body: dict[str, Any],
    client: WebClient,
    logger: logging.Logger,
    respond: Respond | None,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Whatever a listener raised: log it under a reference id and tell the person that id.

    A modal not yet acknowledged stays open, its input intact, with the apology on its first
    field; anything else gets a private message (see bot/listeners/errors.py).
    """
    if body.get("type") == "view_submission" and response is not None:
        fields = list(((body.get("view") or {}).get("state") or {}).get("values") or {})
        if fields:
            ref = uuid.uuid4().hex[:8]
            logger.error("unhandled error ref=%s", ref, exc_info=error)
            errors = {"response_action": "errors", "errors": {fields[0]: APOLOGY.format(ref=ref)}}
            return BoltResponse(
                status=200,
                body=json.dumps(errors),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
    report(error, body=body, client=client, respond=respond, logger=logger)
    return None
