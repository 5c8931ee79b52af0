"""`walkaway serve` keeps its worker alive: kill it mid-job, and the work still gets done.

This runs the real command in HTTP mode, with one worker process, against the fake Web API.
The fake holds the worker's call to Slack (it is mid-job, the answer already stored), the test
`kill -9`s it, and then, with no new click, `serve` starts a replacement, the job's claim goes
stale once the dead worker's heartbeat stops, and the new worker carries the job on from where
it stopped: the answer is shown, the next question is asked, each once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.cli.test_serve_cli import _free_port, _wait_listening
from tests.cli.test_worker_cli import _env
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SlackClient
from tests.slack.world import SECRET, TOKEN, World, block_ids, wait_until

STALE_SECONDS = 3


def _children(pid: int) -> list[int]:
    """`serve`'s worker processes (multiprocessing's resource tracker is a child too)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                command = Path(f"/proc/{child}/cmdline").read_bytes()
            except FileNotFoundError:
                continue
            if b"resource_tracker" not in command:
                found.append(int(child))
    return found


def test_serve_replaces_a_killed_worker_and_its_job_is_finished_without_a_new_click(
    tmp_path: Path,
) -> None:
    port = _free_port()
    url = f"sqlite:///{tmp_path / 'serve.db'}"
    with FakeSlack() as fake:
        env = _env(
            tmp_path,
            DATABASE_URL=url,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            HOST="127.0.0.1",
            PORT=str(port),
            WALKAWAY_WORKER_PROCESSES="1",
            WALKAWAY_WORKER_THREADS="2",
            WALKAWAY_JOB_STALE_SECONDS=str(STALE_SECONDS),
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        try:
            _wait_listening(port, server)
            slack = SlackClient(
                f"http://127.0.0.1:{port}", SECRET, response_url_base=fake.response_url_base
            )
            rep = World(fake=fake, slack=slack, database_url=url)
            assert rep.command("Acme renewal").status == 200
            question = rep.current_question("deal.stage", timeout=30)
            (worker,) = wait_until(lambda: _children(server.pid), what="the worker process")

            held = fake.hold_next("chat.update")  # the worker stores the answer, then waits here
            assert rep.click(question, value="pilot").status == 200
            wait_until(lambda: rep.store().current_answers(session_id=rep.session_id()), timeout=20)
            time.sleep(0.3)  # inside the held chat.update now
            os.kill(worker, signal.SIGKILL)
            killed_at = time.monotonic()
            held.set()

            replacement = wait_until(
                lambda: [pid for pid in _children(server.pid) if pid != worker],
                timeout=20,
                what="a new worker",
            )
            following = rep.current_question("use_case.autonomous_irreversible", timeout=40)
            recovered = time.monotonic() - killed_at

            server.send_signal(signal.SIGTERM)
            _, log = server.communicate(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()

        answers = rep.store().answer_history(session_id=rep.session_id())
        asked = [m for m in rep.thread() if any(b.startswith("use_case.") for b in block_ids(m))]

    assert replacement and worker not in replacement
    assert "died with exit code -9" in log and "restarting" in log
    assert [a.question_id for a in answers] == ["deal.stage"], "the answer was stored once"
    assert len(asked) == 1, "the next question was asked once"
    assert following["thread_ts"] == question["thread_ts"]
    assert recovered < 30, f"the work was done {recovered:.1f} s after the kill"
