"""Acknowledged work survives the process that acked it: the next process (or a worker process)
on the same database does it.

These build the app's processes by hand (wire() with or without a worker) instead of using
World.serving, which always starts a worker next to the listeners.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from bot.app import WORKER_NICENESS, Wired, spawn_workers, wire
from bot.domain.checklist import load_checklist
from bot.slack.worker import Worker
from storage.columns import utcnow
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD, FakeSlack
from tests.slack.limits import assert_call_within_limits
from tests.slack.server import serve_bolt
from tests.slack.signed import Response, SlackClient
from tests.slack.world import (
    REP,
    SECRET,
    TEAM,
    World,
    settings_for,
    sqlite_url,
    text_of,
    wait_until,
)


@contextmanager
def app_process(fake: FakeSlack, url: str) -> Iterator[tuple[Wired, Store]]:
    """An app process's listeners and store, with no worker running its jobs."""
    store = Store.open(url)
    try:
        yield wire(settings_for(fake, url), store=store, checklist=load_checklist()), store
    finally:
        store.close()


def ack_command_without_a_worker(fake: FakeSlack, url: str, text: str) -> Response:
    """`/walkaway <text>` answered by a process that then goes away with its work undone."""
    with app_process(fake, url) as (wired, store):
        with serve_bolt(wired.app, signing_secret=SECRET) as base:
            slack = SlackClient(base, SECRET, response_url_base=fake.response_url_base)
            reply = slack.command(text=text, user_id=REP, team_id=TEAM)
        wait_until(lambda: store.jobs.waiting() == 1, what="the job stored right after the ack")
    return reply


def reader(fake: FakeSlack, url: str) -> World:
    """A World only for reading what the rep sees (it serves nothing)."""
    return World(fake=fake, slack=None, database_url=url)  # type: ignore[arg-type]


def test_a_command_acked_while_no_worker_runs_is_done_by_the_next_process(
    fake: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)

    status, body = ack_command_without_a_worker(fake, url, "Acme renewal")

    assert status == 200 and "Opening the walk-away check for *Acme renewal*" in body
    fake.assert_no_calls("chat.postMessage", settle=0.2)  # nobody has done the work yet

    with app_process(fake, url) as (wired, store):
        assert store.jobs.waiting() == 1, "the job outlived the process that acked it"
        worker = wired.start_worker(threads=2)
        try:
            worker.wait_idle(timeout=10)
        finally:
            worker.stop()
        assert store.jobs.waiting() == 0

    rep = reader(fake, url)
    question = rep.current_question("deal.stage")
    assert "Where is this deal right now?" in text_of(question)
    assert "Acme renewal" in text_of(rep.opening())
    assert len(rep.open_questions()) == 1, "the work ran once"
    for call in fake.calls():
        assert_call_within_limits(call)


def test_a_command_whose_worker_died_mid_job_is_done_by_another_process(
    fake: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    ack_command_without_a_worker(fake, url, "Globex pilot")
    with app_process(fake, url) as (_wired, store):
        claimed = store.jobs.take(worker="crashed:1:0", stale_before=utcnow())
        assert claimed is not None and claimed.kind == "commands.walkaway"
        # ...and that process dies here, its claim never released.

    with app_process(fake, url) as (wired, store):
        fresh = Worker(wired.deps.jobs, wired.app.client, threads=1)
        fresh.start()
        try:
            time.sleep(0.2)
            assert store.jobs.waiting() == 1, "a fresh claim is left to its holder"
            assert fake.calls("chat.postMessage") == []
        finally:
            fresh.stop()
        later = Worker(wired.deps.jobs, wired.app.client, threads=1, stale_after=timedelta(0))
        later.start()
        try:
            later.wait_idle(timeout=10)
        finally:
            later.stop()

    rep = reader(fake, url)
    rep.current_question("deal.stage")
    assert "Globex pilot" in text_of(rep.opening())


def test_a_spawned_worker_process_does_the_work_and_stops_on_sigterm(
    fake: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    ack_command_without_a_worker(fake, url, "Initech renewal")

    (process,) = spawn_workers(settings_for(fake, url), processes=1, threads=2)
    try:
        assert process.pid is not None
        rep = reader(fake, url)
        question = rep.current_question("deal.stage", timeout=20)
        assert "Initech renewal" in text_of(rep.opening())
        assert question is not None
        own = os.getpriority(os.PRIO_PROCESS, 0)
        if own + WORKER_NICENESS <= 19:
            assert os.getpriority(os.PRIO_PROCESS, process.pid) == own + WORKER_NICENESS

        os.kill(process.pid, signal.SIGTERM)
        process.join(timeout=5)

        assert process.exitcode == 0, "a graceful stop, not killed by the signal"
    finally:
        if process.is_alive():
            process.kill()
            process.join(5)
    with app_process(fake, url) as (_wired, store):
        assert store.jobs.waiting() == 0


def test_a_job_that_cannot_be_stored_is_not_acknowledged_and_the_rep_is_told(
    fake: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    with app_process(fake, url) as (wired, store):

        def database_away(**_: object) -> None:
            raise OSError("database went away")

        store.jobs.put = database_away  # type: ignore[method-assign]
        with serve_bolt(wired.app, signing_secret=SECRET) as base:
            slack = SlackClient(base, SECRET, response_url_base=fake.response_url_base)
            status, body = slack.command(text="Acme renewal", user_id=REP, team_id=TEAM)

            apology = fake.wait_for(RESPONSE_URL_METHOD)[-1]

    assert status == 500 and "Opening" not in body, "not acknowledged: nothing was taken on"
    assert "Sorry, something went wrong" in str(apology.args.get("text"))
    assert apology.args.get("response_type") == "ephemeral"
