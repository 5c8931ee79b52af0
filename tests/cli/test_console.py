"""`walkaway console`: the whole loop in a terminal, and nothing typed is lost on interruption."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROCEED_PATH = [
    "2",  # deal.stage: evaluation
    "3",  # autonomous_irreversible: no
    "no",  # previous attempt
    "yes",  # evidence receptive
    "no",  # guarantee demanded
    "no",  # values compromised
    "yes",  # mutual benefit
    "no",  # deadlock
    "no",  # better alternative
    "no",  # quota only
]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}"}
    env.pop("WALKAWAY_CHECKLIST", None)
    return env


def _console(tmp_path: Path, deal: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", deal, "--as", "sam"],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )


def test_console_runs_the_checklist_to_a_verdict_and_draft(tmp_path: Path) -> None:
    lines = ["1", "1", "no", "no", "yes", "yes", "no", "no", "yes", "no", "no", "no"]
    done = _console(tmp_path, "Acme renewal", lines)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "(1 of up to 19)" in out and "1. Prospecting" in out
    assert "Verdict for Acme renewal: WALK AWAY" in out
    assert "measured pilot" in out
    assert "Draft message to the buyer" in out
    assert "Stored as record #1" in out
    listing = subprocess.run(
        [sys.executable, "-m", "bot", "records", "list"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert "walk" in listing.stdout and "Acme renewal" in listing.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "records", "show", "1"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert "terms.accepts_measured_pilot: no" in shown.stdout
    assert "Message drafted:" in shown.stdout


def test_bad_input_is_explained_and_back_changes_the_last_answer(tmp_path: Path) -> None:
    lines = ["7", "pilot", "back", "renewal", "no // CFO confirmed", *PROCEED_PATH[2:]]
    done = _console(tmp_path, "Gamma", lines)
    assert done.returncode == 0, done.stderr
    assert "'7' is not one of the answers to deal.stage" in done.stdout
    assert "Verdict for Gamma: PROCEED" in done.stdout
    shown = subprocess.run(
        [sys.executable, "-m", "bot", "records", "show", "1"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
        timeout=60,
    )
    assert "deal.stage: renewal" in shown.stdout
    assert "(note: CFO confirmed)" in shown.stdout


def test_closing_the_terminal_keeps_answers_and_the_next_run_resumes(tmp_path: Path) -> None:
    first = _console(tmp_path, "Delta", PROCEED_PATH[:4])
    assert first.returncode == 130
    assert "Saved 4 answer(s)" in first.stdout
    second = _console(tmp_path, "  delta ", PROCEED_PATH[4:])
    assert second.returncode == 0, second.stderr
    assert "Resuming 'Delta': 4 answer(s) already saved." in second.stdout
    assert "(5 of up to 11)" in second.stdout
    assert "Verdict for Delta: PROCEED" in second.stdout


def test_ctrl_c_mid_question_leaves_the_session_saved(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "console", "Epsilon", "--as", "sam"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path),
        cwd=tmp_path,
    )
    assert process.stdin is not None
    process.stdin.write("2\n3\n")
    process.stdin.flush()
    _wait_for_answers(tmp_path / "console.db", 2)
    process.send_signal(signal.SIGINT)
    out, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Saved 2 answer(s)" in out
    resumed = _console(tmp_path, "Epsilon", PROCEED_PATH[2:])
    assert "Resuming 'Epsilon': 2 answer(s) already saved." in resumed.stdout
    assert "Verdict for Epsilon: PROCEED" in resumed.stdout


def _wait_for_answers(db: Path, count: int, timeout: float = 20.0) -> None:
    import sqlite3

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(db) as conn:
                    (n,) = conn.execute(
                        "select count(*) from answers where superseded_at is null"
                    ).fetchone()
                if n >= count:
                    return
            except sqlite3.OperationalError:
                pass
        time.sleep(0.05)
    pytest.fail(f"console did not store {count} answers in time")
