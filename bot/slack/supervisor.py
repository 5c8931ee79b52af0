"""Keeping the worker processes of `walkaway serve` alive.

Acks are answered by `serve`; the work behind them is done by its worker processes. A worker
that dies (killed for memory, a segfault in a C library, `kill -9`) used to leave `serve`
acking every click with nothing ever done. The supervisor notices within a second, logs it, and
starts a replacement, waiting longer after each death in a row before the worker was ready to
work (1 s, 2 s, 4 s, 8 s, then every 10 s) so a worker that cannot start does not spin; one that
got ready (it signals so) is replaced after a second, however soon it dies: a kill from outside
is not a crash loop. (Counting by lifetime instead, a run of outside kills a few seconds apart
made the replacements wait up to 10 s each.)
Whatever the dead worker held is released by its replacement as it starts (the process is gone:
bot/slack/neighbours.py), or taken over by the others once its heartbeat stops. Every minute it
logs how the workers are doing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from multiprocessing.synchronize import Event

log = logging.getLogger(__name__)

CHECK_SECONDS = 1.0
FIRST_BACKOFF = 1.0
LONGEST_BACKOFF = 10.0
"""Short enough that the work waits little for a replacement after a run of outside kills (a
deploy, an OOM killer on a busy host); long enough that a crash loop is a log line every 10 s,
not a spin. A longer cap (it was a minute) made recovery from killed workers take up to a
minute in tests/bench/chaos.py."""
REPORT_SECONDS = 60.0


@dataclass
class _Slot:
    number: int
    process: BaseProcess | None = None
    ready: Event | None = None
    """Set by the worker once it is taking jobs: its death is then not a failure to start."""
    started: float = 0.0
    deaths_in_a_row: int = 0
    restart_at: float | None = None


class Supervisor:
    def __init__(
        self,
        spawn: Callable[[int, Event], BaseProcess],
        count: int,
        *,
        health: Callable[[], str] | None = None,
        check_seconds: float = CHECK_SECONDS,
        report_seconds: float = REPORT_SECONDS,
    ) -> None:
        self._spawn = spawn
        self._slots = [_Slot(number=n) for n in range(count)]
        self._health = health
        self._check = check_seconds
        self._report = report_seconds
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="walkaway-supervisor", daemon=True)
        self.restarts = 0

    def start(self) -> Supervisor:
        for slot in self._slots:
            self._start(slot)
        self._thread.start()
        return self

    def pids(self) -> list[int | None]:
        """The worker processes now (None for one waiting to be restarted)."""
        with self._lock:
            return [
                s.process.pid if s.process and s.process.is_alive() else None for s in self._slots
            ]

    def stop(self, timeout: float = 30.0) -> None:
        """Stop watching, then ask every worker to finish its jobs in hand and stop."""
        self._stopping.set()
        self._thread.join(timeout)
        with self._lock:
            running = [s.process for s in self._slots if s.process is not None]
        for process in running:
            if process.is_alive():
                process.terminate()  # SIGTERM: the worker finishes what it holds
        deadline = time.monotonic() + timeout
        for process in running:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()

    def _start(self, slot: _Slot) -> None:
        ready = get_context("spawn").Event()
        process = self._spawn(slot.number, ready)
        with self._lock:
            slot.process, slot.ready = process, ready
            slot.started, slot.restart_at = time.monotonic(), None
        log.info("worker %s started (pid %s)", slot.number, process.pid)

    def _watch(self) -> None:
        last_report = time.monotonic()
        while not self._stopping.wait(self._check):
            now = time.monotonic()
            for slot in self._slots:
                try:
                    self._tend(slot, now)
                except Exception:  # e.g. no memory to fork: try again at the next check
                    log.exception("could not restart worker %s", slot.number)
            if now - last_report >= self._report:
                last_report = now
                self._log_health()

    def _tend(self, slot: _Slot, now: float) -> None:
        process = slot.process
        if process is not None and not process.is_alive() and slot.restart_at is None:
            lived = now - slot.started
            was_ready = slot.ready is not None and slot.ready.is_set()
            slot.deaths_in_a_row = 1 if was_ready else slot.deaths_in_a_row + 1
            wait = min(LONGEST_BACKOFF, FIRST_BACKOFF * 2 ** (slot.deaths_in_a_row - 1))
            slot.restart_at = now + wait
            log.error(
                "worker %s (pid %s) died with exit code %s after %.0f s; restarting in %.0f s",
                slot.number,
                process.pid,
                process.exitcode,
                lived,
                wait,
            )
        if slot.restart_at is not None and now >= slot.restart_at:
            self.restarts += 1
            self._start(slot)

    def _log_health(self) -> None:
        alive = sum(pid is not None for pid in self.pids())
        extra = ""
        if self._health is not None:
            try:
                extra = "; " + self._health()
            except Exception as error:  # the database away: say so, keep watching
                extra = f"; queue unreadable ({type(error).__name__})"
        log.info(
            "workers: %s of %s alive, %s restart(s) so far%s",
            alive,
            len(self._slots),
            self.restarts,
            extra,
        )
