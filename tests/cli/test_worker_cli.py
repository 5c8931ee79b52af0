"""`walkaway worker`: one clear line without its settings; with them, it does queued work and
stops cleanly on SIGTERM (what a process manager sends)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from storage.repository import Store
from tests.slack.fake_slack import FakeSlack
from tests.slack.world import REP, SECRET, TEAM, TOKEN, World, text_of

SHIPPED_CHECKLIST = Path(__file__).resolve().parents[2] / "prompts" / "checklist.yml"


def _env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The inherited environment without any Slack or checklist setting, plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("SLACK_", "WALKAWAY_")) and name != "DATABASE_URL"
    }
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'walkaway.db'}"
    env.update(settings)
    return env


def _worker(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "worker"],
        capture_output=True,
        text=True,
        env=_env(tmp_path, **settings),
        cwd=tmp_path,  # no .env here unless a test writes one
        timeout=60,
    )


def test_worker_without_a_bot_token_says_what_to_set_and_exits_2(tmp_path: Path) -> None:
    done = _worker(tmp_path, SLACK_SIGNING_SECRET=SECRET)

    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("walkaway: Set SLACK_BOT_TOKEN ")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "walkaway.db").exists(), "it stopped before opening the database"


def test_worker_needs_only_the_bot_token_not_the_signing_secret(tmp_path: Path) -> None:
    done = _worker(tmp_path)

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "SLACK_BOT_TOKEN" in lines[0]
    assert "SLACK_SIGNING_SECRET" not in lines[0]


def test_worker_reads_its_settings_from_dotenv_and_checks_the_checklist_first(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "ours.yml"
    broken.write_text(
        SHIPPED_CHECKLIST.read_text("utf-8").replace("    kind: number\n", "    kind: count\n")
    )
    (tmp_path / ".env").write_text(
        f"SLACK_BOT_TOKEN={TOKEN}\nSLACK_SIGNING_SECRET={SECRET}\nWALKAWAY_CHECKLIST={broken}\n"
    )

    done = _worker(tmp_path)

    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "question 'scar.months_since', field 'kind'" in lines[0]
    assert not (tmp_path / "walkaway.db").exists()


def test_worker_does_work_queued_by_another_process_and_stops_on_sigterm(tmp_path: Path) -> None:
    with FakeSlack() as fake:
        env = _env(
            tmp_path,
            SLACK_BOT_TOKEN=TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
            SLACK_API_URL=fake.base_url,
            WALKAWAY_WORKER_THREADS="3",
        )
        store = Store.open(env["DATABASE_URL"])  # the app process that acked the command
        try:
            store.jobs.put(kind="commands.walkaway", payload=_command("Acme renewal", fake))
        finally:
            store.close()

        worker = subprocess.Popen(
            [sys.executable, "-m", "bot", "worker"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        try:
            rep = World(fake=fake, slack=None, database_url=env["DATABASE_URL"])  # type: ignore[arg-type]
            question = rep.current_question("deal.stage", timeout=20)
            assert "Where is this deal right now?" in text_of(question)
            assert "Acme renewal" in text_of(rep.opening())

            worker.send_signal(signal.SIGTERM)
            _, err = worker.communicate(timeout=10)
        finally:
            if worker.poll() is None:
                worker.kill()
                worker.communicate()

    assert worker.returncode == 0, err
    assert "running queued work with 3 thread(s)" in err
    assert "Traceback" not in err
    store = Store.open(env["DATABASE_URL"])
    try:
        assert store.jobs.waiting() == 0, "the job was done and forgotten"
    finally:
        store.close()


def _command(text: str, fake: FakeSlack) -> dict[str, str]:
    """A `/walkaway` body as Bolt parsed it in the process that acked it."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM,
        "team_domain": "fake-workspace",
        "channel_id": "C1",
        "channel_name": "deals",
        "user_id": REP,
        "user_name": "rep",
        "command": "/walkaway",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": f"{fake.response_url_base}{TEAM}/1/abc",
        "trigger_id": "1.1700000000.0123456789abcdef",
    }
