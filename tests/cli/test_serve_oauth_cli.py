"""`walkaway serve` installed by OAuth: the real command serves *Add to Slack* and completes an
install against the fake Web API, then answers the installed workspace with its own token."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.cli.test_serve_cli import _free_port, _wait_listening
from tests.cli.test_worker_cli import _env
from tests.slack.fake_workspaces import FakeSlackWorkspaces
from tests.slack.oauth_world import CLIENT_ID, CLIENT_SECRET, Installer
from tests.slack.signed import SlackClient
from tests.slack.world import SECRET


def test_serve_installs_by_oauth_and_answers_with_the_workspaces_token(tmp_path: Path) -> None:
    port = _free_port()
    with FakeSlackWorkspaces(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        fake.add_workspace("TSRV")
        env = _env(
            tmp_path,
            SLACK_CLIENT_ID=CLIENT_ID,
            SLACK_CLIENT_SECRET=CLIENT_SECRET,
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
            base = f"http://127.0.0.1:{port}"
            page = Installer(fake, base).install("TSRV")
            slack = SlackClient(base, SECRET, response_url_base=fake.response_url_base)
            reply = slack.command(text="Acme renewal", user_id="UREPS", team_id="TSRV")
            opened = fake.wait_for("conversations.open", timeout=10)
            server.send_signal(signal.SIGTERM)
            _, err = server.communicate(timeout=10)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()

    assert page.status == 200 and "slack://app?team=TSRV" in page.body
    assert reply.status == 200
    assert opened[0].token == fake.workspaces["TSRV"].token
    assert "installed in workspace TSRV" in err
    assert "Traceback" not in err
