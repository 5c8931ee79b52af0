"""`walkaway serve` in HTTP mode answers through the verifying edge (bot/slack/http.py).

The journey tests serve the app through the same handler in-process; this runs the real command,
so a `serve` that went back to Bolt's plain WSGI handler fails here.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

from tests.cli.test_worker_cli import _env
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SlackClient, sign
from tests.slack.world import REP, SECRET, TEAM, TOKEN


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_listening(port: int, server: subprocess.Popen[str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"serve exited: {server.communicate()[1]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve never listened")


def test_serve_refuses_an_unverifiable_request_and_parses_payload_in_a_command(
    tmp_path: Path,
) -> None:
    port = _free_port()
    with FakeSlack() as fake:
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            HOST="127.0.0.1",
            PORT=str(port),
            WALKAWAY_WORKER_PROCESSES="0",
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
            started = len(fake.calls())
            body = urlencode(
                {
                    "command": "/walkaway",
                    "text": "Globex",
                    "user_id": REP,
                    "team_id": TEAM,
                    "response_url": slack.response_url(TEAM),
                }
            ).encode()
            forged = slack.send(
                body,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "X-Slack-Request-Timestamp": "not-a-number",
                    "X-Slack-Signature": sign(SECRET, "not-a-number", body),
                },
            )
            time.sleep(0.5)  # an apology would have gone out by now
            after_forgery = fake.calls()[started:]
            taken = slack.command(text="Acme payloads", user_id=REP, team_id=TEAM)
            fake.wait_for("conversations.open", timeout=10)

            server.send_signal(signal.SIGTERM)
            server.communicate(timeout=10)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()

    assert (forged.status, forged.body) == (401, "")
    assert after_forgery == []
    assert taken.status == 200
    assert "Acme payloads" in taken.body
