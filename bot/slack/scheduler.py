"""One place for timed work: every message that goes out because a moment came, not a click.

Each capability offers its timed work as a `TimedTask` (manager reminders today; re-check
nudges and digests next) and the wiring lists them (bot/app.py). The schedule itself lives in
the database: a task finds the rows that are due at `now` and claims each one there before it
sends, so any number of processes ticking at once (`walkaway serve` in each, and cron's
`walkaway tick`) send each message once, and losing a process loses nothing. This module only
decides when to look.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from slack_sdk import WebClient

from bot.slack.metrics import scheduled
from storage.columns import utcnow
from storage.repository import Store

log = logging.getLogger(__name__)

POLL_SECONDS = 600.0
"""How often a serving process looks for due work. Nothing timed here needs to be sooner than
ten minutes, and every look is a handful of indexed reads."""


@dataclass(frozen=True)
class TimedTask:
    name: str
    """What it sends, counted: `walkaway tick` prints "sent 2 reminder(s)"."""
    run: Callable[[WebClient, Store, datetime], int]
    """Send what is due at the instant given, claiming each row first; returns how many went."""
    sends: bool = True
    """False for housekeeping (the retention purge): run, but not counted or told as sends."""


class Scheduler:
    """Runs every timed task now and then; `tick` is one look, `start` looks every `every` s."""

    def __init__(
        self,
        client: WebClient,
        store: Store,
        tasks: Sequence[TimedTask],
        *,
        every: float = POLL_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._client = client
        self._store = store
        self._tasks = tuple(tasks)
        self._every = every
        self._clock = clock
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="walkaway-scheduler", daemon=True)

    def tick(self, now: datetime | None = None) -> dict[str, int]:
        """Run each task once; one failing (the database or Slack away) does not stop the rest.

        Returns how many each sent; a task that failed is logged and left out, and so is
        housekeeping that sends nothing (its count is logged and in /metrics instead).
        """
        moment = now or self._clock()
        sent: dict[str, int] = {}
        for task in self._tasks:
            try:
                count = task.run(self._client, self._store, moment)
            except Exception:
                log.exception("timed task %r failed; it runs again at the next tick", task.name)
                scheduled(task.name, None)
                continue
            if task.sends:
                sent[task.name] = count
                scheduled(task.name, count)
        return sent

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopped.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self.tick()
            self._stopped.wait(self._every)
