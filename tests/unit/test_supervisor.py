"""How long the supervisor waits before replacing a dead worker: by whether it got ready."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.slack.supervisor import FIRST_BACKOFF, LONGEST_BACKOFF, Supervisor


@dataclass
class FakeProcess:
    """Stands in for a worker process: alive until `die()`."""

    pid: int
    alive: bool = True
    exitcode: int | None = None

    def is_alive(self) -> bool:
        return self.alive

    def die(self) -> None:
        self.alive, self.exitcode = False, -9


class Spawner:
    def __init__(self, *, get_ready: bool) -> None:
        self.get_ready = get_ready
        self.spawned: list[FakeProcess] = []

    def __call__(self, number: int, ready: Any) -> Any:
        process = FakeProcess(pid=1000 + len(self.spawned))
        if self.get_ready:
            ready.set()
        self.spawned.append(process)
        return process


def _restart_waits(spawner: Spawner, deaths: int) -> list[float]:
    """Kill the current worker `deaths` times; how long each replacement was waited for."""
    supervisor = Supervisor(spawner, 1)
    slot = supervisor._slots[0]
    supervisor._start(slot)
    now = 100.0
    waits: list[float] = []
    for _ in range(deaths):
        spawner.spawned[-1].die()
        supervisor._tend(slot, now)
        assert slot.restart_at is not None
        waits.append(slot.restart_at - now)
        now = slot.restart_at
        supervisor._tend(slot, now)  # replaced
        now += 2.0  # and killed again two seconds later
    return waits


def test_workers_killed_after_getting_ready_are_replaced_after_a_second_each_time() -> None:
    assert _restart_waits(Spawner(get_ready=True), 6) == [FIRST_BACKOFF] * 6


def test_workers_that_die_before_getting_ready_are_replaced_ever_more_slowly() -> None:
    waits = _restart_waits(Spawner(get_ready=False), 6)
    assert waits == [1.0, 2.0, 4.0, 8.0, LONGEST_BACKOFF, LONGEST_BACKOFF]


def test_a_ready_worker_starts_the_count_again_after_failed_starts() -> None:
    spawner = Spawner(get_ready=False)
    supervisor = Supervisor(spawner, 1)
    slot = supervisor._slots[0]
    supervisor._start(slot)
    for now in (10.0, 20.0, 30.0):  # three failed starts
        spawner.spawned[-1].die()
        supervisor._tend(slot, now)
        supervisor._tend(slot, now + 9)
    assert slot.deaths_in_a_row == 3
    spawner.get_ready = True
    spawner.spawned[-1].die()
    supervisor._tend(slot, 50.0)
    supervisor._tend(slot, 59.0)  # this one gets ready
    spawner.spawned[-1].die()
    supervisor._tend(slot, 60.0)
    assert slot.restart_at == 60.0 + FIRST_BACKOFF
