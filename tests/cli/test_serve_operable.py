"""`walkaway serve` as operators run it: probes, /metrics that add up its worker process's
counts, and JSON log lines (WALKAWAY_LOG_FORMAT=json).

The Web API calls happen in the worker process `serve` starts, so a Slack error counted there
shows on serve's /metrics only through the shared prometheus_client multiprocess directory.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.test_serve_cli import _free_port, _wait_listening
from tests.cli.test_worker_cli import _env
from tests.slack.fake_slack import FakeSlack
from tests.slack.signed import SlackClient
from tests.slack.world import REP, SECRET, TEAM, TOKEN, wait_until


def _get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=10) as reply:
        return reply.status, reply.read().decode("utf-8")


def _slack_errors(base: str) -> dict[tuple[str, str], float]:
    _, page = _get(base + "/metrics")
    return {
        (sample.labels["method"], sample.labels["error"]): sample.value
        for family in text_string_to_metric_families(page)
        for sample in family.samples
        if sample.name == "walkaway_slack_api_errors_total"
    }


def test_serve_answers_probes_and_counts_its_workers_slack_errors_with_json_logs(
    tmp_path: Path,
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with FakeSlack() as fake:
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            HOST="127.0.0.1",
            PORT=str(port),
            WALKAWAY_WORKER_PROCESSES="1",
            WALKAWAY_WORKER_THREADS="1",
            WALKAWAY_LOG_FORMAT="json",
        )
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
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
            assert _get(base + "/healthz") == (200, "ok\n")
            assert _get(base + "/readyz") == (200, "ready\n")
            fake.fail_next("conversations.open", error="account_inactive")  # in the worker
            slack = SlackClient(base, SECRET, response_url_base=fake.response_url_base)
            reply = slack.command(text="Acme renewal", user_id=REP, team_id=TEAM)
            assert reply.status == 200
            counted = wait_until(
                lambda: _slack_errors(base).get(("conversations.open", "account_inactive")),
                timeout=20,
                what="the worker's Slack error on serve's /metrics",
            )
            server.send_signal(signal.SIGTERM)
            _, stderr = server.communicate(timeout=20)
        finally:
            if server.poll() is None:
                server.kill()
                server.communicate()

    assert counted == 1
    logged = [line for line in stderr.splitlines() if line.startswith("{")]
    lines = [json.loads(line) for line in logged]
    answered = [line for line in lines if line["message"].startswith("answered command")]
    assert answered and answered[0]["team"] == TEAM and answered[0]["kind"] == "command"
    assert answered[0]["duration_ms"] > 0
    failed = [line for line in lines if line.get("ref")]
    assert failed and failed[0]["team"] == TEAM and "account_inactive" in failed[0]["traceback"]


def test_a_killed_serves_metrics_directory_is_removed_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.slack import ops_setup

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    left = tmp_path / f"walkaway-metrics-{dead.stdout.strip()}"
    left.mkdir()
    (left / "counter_1.db").write_bytes(b"")
    made = ops_setup.share_metrics()
    try:
        assert not left.exists()
        assert made == str(tmp_path / f"walkaway-metrics-{os.getpid()}")
        assert os.environ["PROMETHEUS_MULTIPROC_DIR"] == made
    finally:
        os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)  # this process counts on its own again
        shutil.rmtree(made, ignore_errors=True)
