"""Wiring: the one place that knows every capability, and how they meet.

It builds the Bolt app from settings, storage and the checklist, registers each capability's
listeners, joins the capabilities through the hooks of bot/slack/deps.py (HOOKS below: what
happens after a verdict, what may hold a draft, what the verdict card and App Home show),
routes `/walkaway` (ROUTES), lists the timed work (TIMED_TASKS) and starts worker processes.
Nothing here runs at import time, so tests build as many apps as they like, each pointed at its
own database and fake Slack Web API.
"""

from __future__ import annotations

import contextlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.approvals import home_section as approval_home
from bot.approvals import listeners as approvals
from bot.approvals import ping as approval_ping
from bot.approvals.reminders import REMINDERS
from bot.config import Settings
from bot.domain.checklist import Checklist, load_checklist
from bot.domain.tone_model import default_path_model, default_tone_model
from bot.home import listeners as home
from bot.insight import command as insight_command
from bot.insight import digest as insight_digest
from bot.insight import home_section as insight_home
from bot.insight import similar as insight_similar
from bot.insight.digest_settings import DIGEST_SETTING
from bot.pathback import listeners as pathback
from bot.pathback import nudge_listeners, nudges
from bot.pathback import sections as pathback_sections
from bot.pathback.settings import RECHECK_SETTING
from bot.qualification import (
    buttons,
    context,
    followups,
    form,
    home_sections,
    home_start,
    recheck,
    recheck_hooks,
    shortcut,
    submissions,
    typed_replies,
)
from bot.qualification import command as check_command
from bot.search import listeners as search
from bot.slack import command, install
from bot.slack.deps import Deps, Hooks, Routes, Subcommand
from bot.slack.errors import APOLOGY, log_fields, report
from bot.slack.http import is_verified
from bot.slack.jobs import Jobs
from bot.slack.logs import configure_logging
from bot.slack.metrics import SlackCallObserver
from bot.slack.retention import RETENTION_DAYS, purge_task
from bot.slack.scheduler import POLL_SECONDS, Scheduler, TimedTask
from bot.slack.supervisor import Supervisor
from bot.slack.worker import Worker
from storage.columns import utcnow
from storage.repository import Store

log = logging.getLogger("walkaway")

SUBCOMMANDS = command.by_word(
    *approvals.SUBCOMMANDS,
    *search.SUBCOMMANDS,
    *pathback.SUBCOMMANDS,
    *check_command.SUBCOMMANDS,
    *nudge_listeners.SUBCOMMANDS,
    *recheck.SUBCOMMANDS,
    *insight_command.SUBCOMMANDS,
)
ROUTES = Routes(
    subcommands=SUBCOMMANDS,
    deal=check_command.start,
    unfinished=check_command.list_unfinished,
    opening=check_command.opening,
)
SURFACES = (
    command,
    buttons,
    submissions,
    form,
    typed_replies,
    followups,
    home,
    home_start,
    shortcut,
    approvals,
    search,
    pathback,
    nudge_listeners,
    recheck,
    insight_digest,
)
"""Every module with listeners; each exposes register(app, deps)."""
TIMED_TASKS: tuple[TimedTask, ...] = (REMINDERS,)
"""Timed work that needs no settings; `timed_tasks` adds the rest."""


def timed_tasks(settings: Settings | None) -> tuple[TimedTask, ...]:
    """Every timed task; the nudges skip the deployment's holidays (WALKAWAY_HOLIDAYS)."""
    holidays = settings.holidays if settings is not None else frozenset()
    retention = settings.walkaway_retention_days if settings is not None else RETENTION_DAYS
    return (*TIMED_TASKS, nudges.task(holidays), insight_digest.TASK, purge_task(retention))


def hooks() -> Hooks:
    """How the capabilities meet (a fresh set per app, so tests never share one)."""
    return Hooks(
        after_verdict=[
            approval_ping.after_verdict,
            recheck_hooks.after_verdict,
            home.after_verdict,
        ],
        before_send=[approval_ping.check_send_allowed],
        card_sections=[
            context.card_section,
            pathback_sections.card_section,
            approval_ping.card_section,
            recheck_hooks.card_section,
            insight_similar.card_section,
        ],
        details_sections=[
            context.details_section,
            pathback_sections.details_section,
            recheck_hooks.details_section,
        ],
        home_sections=[
            home_sections.start_section,
            home_sections.unfinished,
            approval_home.waiting_positions,
            nudge_listeners.due_section,
            insight_home.numbers_section,
            home_sections.latest_verdicts,
            home_sections.help_section,
        ],
        home_changed=[home.refresh_later],
        settings_parts=[RECHECK_SETTING, DIGEST_SETTING],
        lists_conditions=True,
    )


def subcommand_of(text: str) -> tuple[Subcommand | None, str]:
    """What `/walkaway <text>` means in this app: a sub-command, or None for a deal name."""
    return command.route(text, SUBCOMMANDS)


def web_client(settings: Settings) -> WebClient:
    """The Web API client, pointed at SLACK_API_URL, riding out short blips on its own.

    slack_sdk's retry handlers cover the blips: HTTP 429 (waiting as Retry-After says), 500 and
    503, and a reset connection, each a couple of times. Longer trouble is the job queue's: the
    job is put back with a growing delay (bot/slack/worker.py).
    """
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=settings.walkaway_slack_timeout,
        retry_handlers=[
            SlackCallObserver(),  # first, so it counts every failed attempt (bot/slack/metrics)
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


def deps_for(settings: Settings, *, store: Store, checklist: Checklist) -> Deps:
    return Deps(
        settings=settings,
        store=store,
        checklist=checklist,
        jobs=Jobs(store.jobs, posts=store),
        routes=ROUTES,
        hooks=hooks(),
    )


@dataclass(frozen=True)
class Wired:
    """The Bolt app and what its listeners share; workers need the jobs it defines."""

    app: App
    deps: Deps

    def start_worker(self, *, threads: int, clock: Callable[[], datetime] = utcnow) -> Worker:
        """Threads in this process running the jobs these listeners queue (bot/slack/worker.py)."""
        stale = timedelta(seconds=self.deps.settings.walkaway_job_stale_seconds)
        return Worker(
            self.deps.jobs,
            self.app.client,
            threads=threads,
            stale_after=stale,
            heartbeat=stale / 3,
            clock=clock,
        ).start()


def wire(
    settings: Settings,
    *,
    store: Store,
    checklist: Checklist,
    listener_executor: Executor | None = None,
) -> Wired:
    """Build the app; `listener_executor` runs listeners (Bolt's 5-thread pool if None).

    Its jobs need a worker: `Wired.start_worker` here, or the processes of `spawn_workers`.
    """
    settings.require_slack()
    secret = (
        settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    )
    base = web_client(settings)
    oauth = install.oauth_for(settings, store, base)  # None: one workspace (SLACK_BOT_TOKEN)
    app = App(
        signing_secret=secret,
        logger=log,
        raise_error_for_unhandled_request=False,
        listener_executor=listener_executor,
        **(oauth.app_options() if oauth else {"client": base}),
    )
    install.register(app, oauth)
    store.jobs.recover_orphans()  # jobs a process that died had acked and not yet queued
    deps = deps_for(settings, store=store, checklist=checklist)
    for surface in SURFACES:
        surface.register(app, deps)
    app.error(_apologise)
    # The tone readers' weights (a few MB of JSON) load here, not inside the 3-second ack of the
    # first *Edit draft* a rep submits.
    default_tone_model()
    default_path_model()
    return Wired(app=app, deps=deps)


def scheduler(
    client: WebClient,
    store: Store,
    *,
    every: float = POLL_SECONDS,
    clock: Callable[[], datetime] = utcnow,
    settings: Settings | None = None,
) -> Scheduler:
    """The app's timed work, for `serve` (every ten minutes) and `walkaway tick` (once)."""
    return Scheduler(client, store, timed_tasks(settings), every=every, clock=clock)


def _apologise(
    error: Exception,
    body: dict[str, Any],
    client: WebClient,
    logger: logging.Logger,
    request: BoltRequest,
    respond: Respond | None,
    response: BoltResponse | None,
) -> BoltResponse | None:
    """Whatever a listener raised: log it under a reference id and tell the person that id.

    A modal not yet acknowledged stays open, its input intact, with the apology on its first
    field; anything else gets a private message (see bot/slack/errors.py).

    Bolt calls this for its middleware's errors too, its signature check's among them, so the
    body may be one nobody verified, naming a response_url and user_id of the sender's choosing:
    only a request our edge verified (or Socket Mode's) is answered, anything else just logged.
    """
    if not is_verified(request):
        logger.warning("error on an unverified request, not answered", exc_info=error)
        return None
    if body.get("type") == "view_submission" and response is not None:
        fields = list(((body.get("view") or {}).get("state") or {}).get("values") or {})
        if fields:
            ref = uuid.uuid4().hex[:8]
            logger.error("unhandled error ref=%s", ref, exc_info=error, extra=log_fields(ref, body))
            errors = {"response_action": "errors", "errors": {fields[0]: APOLOGY.format(ref=ref)}}
            return BoltResponse(
                status=200,
                body=json.dumps(errors),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
    report(error, body=body, client=client, respond=respond, logger=logger)
    return None


# -- worker processes -------------------------------------------------------------------

WORKER_NICENESS = 5
"""How much lower a worker process's CPU priority is than `serve`'s: a busy machine spends its
time on acks first (Slack's 3 s deadline), and the work, which has no deadline, catches up."""


def spawn_worker(
    settings: Settings, *, threads: int, number: int = 0, ready: Event | None = None
) -> BaseProcess:
    """Start one worker process that stops by itself when the process that started it ends.

    `ready` is set once it takes jobs (the supervisor tells a failed start from a later death).
    """
    context = multiprocessing.get_context("spawn")  # no threads, sockets or handles inherited
    process = context.Process(
        target=run_worker_process,
        args=(settings, threads, os.getpid()),
        kwargs={"ready": ready},
        name=f"walkaway-worker-{number}",
        daemon=True,
    )
    process.start()
    return process


def spawn_workers(settings: Settings, *, processes: int, threads: int) -> list[BaseProcess]:
    """Start worker processes, unsupervised (tests); `serve` uses `supervise_workers`."""
    return [spawn_worker(settings, threads=threads, number=n) for n in range(processes)]


def supervise_workers(
    settings: Settings, store: Store, *, processes: int, threads: int
) -> Supervisor:
    """Worker processes that `serve` replaces when one dies (bot/slack/supervisor.py)."""

    def health() -> str:
        return f"{store.jobs.waiting()} job(s) queued or running"

    return Supervisor(
        lambda n, ready: spawn_worker(settings, threads=threads, number=n, ready=ready),
        processes,
        health=health,
    ).start()


def run_worker_process(
    settings: Settings,
    threads: int,
    parent_pid: int | None = None,
    *,
    store: Store | None = None,
    ready: Event | None = None,
) -> None:
    """A worker process: the app's jobs, run by `threads` threads until told to stop.

    SIGTERM (or the parent's end, when a parent is given) finishes the jobs in hand first.
    `walkaway worker` passes the store it has already opened, so that a DATABASE_URL it cannot
    use was reported as one line before it said it was running; spawned workers open their own.
    """
    with contextlib.suppress(OSError):
        os.nice(WORKER_NICENESS)
    configure_logging(settings.walkaway_log_format)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if store is None:
        store = Store.open(settings.database_url)
    wired = wire(settings, store=store, checklist=load_checklist(settings.walkaway_checklist))
    worker = wired.start_worker(threads=threads)
    if ready is not None:
        ready.set()
    try:
        while not stopping.wait(1.0):
            if parent_pid is not None and os.getppid() != parent_pid:
                break
    except KeyboardInterrupt:
        pass
    finally:
        worker.stop()
        store.close()
