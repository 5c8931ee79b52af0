"""Telling this machine's dead workers from live ones by their names."""

from __future__ import annotations

import os
import subprocess
import sys

from bot.slack.neighbours import dead_neighbours, machine, worker_name


def _ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_worker_name_carries_this_machine_and_this_process() -> None:
    where, pid, token = worker_name().split(":")
    assert where == machine() and int(pid) == os.getpid() and len(token) == 8
    assert worker_name() != worker_name()


def test_only_workers_of_this_machine_whose_process_ended_are_dead() -> None:
    here = machine()
    gone = f"{here}:{_ended_pid()}:aaaa"
    parent_alive = f"{here}:{os.getppid()}:bbbb"
    me = f"{here}:{os.getpid()}:cccc"
    elsewhere = f"other-host/1:{_ended_pid()}:dddd"
    odd = f"{here}:not-a-pid:eeee"

    assert dead_neighbours([gone, parent_alive, me, elsewhere, odd, "junk"]) == [gone]


def test_a_child_that_ended_but_was_not_reaped_yet_is_dead() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # ended, left a zombie
        name = f"{machine()}:{process.pid}:ffff"
        assert dead_neighbours([name]) == [name]
    finally:
        process.wait()
