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


def _console(
    tmp_path: Path, deal: str, lines: list[str], *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", deal, "--as", "sam", *options],
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
    assert "Draft email to the buyer" in out and "Subject: " in out
    assert "Short note, for chat or LinkedIn" in out
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


WALK_PATH = ["1", "1", "no", "no", "yes", "yes", "no", "no", "yes", "no", "no", "no"]


def test_the_draft_is_signed_as_the_rep_says_once_and_addressed_as_the_deal_remembers(
    tmp_path: Path,
) -> None:
    first = _console(
        tmp_path, "Acme renewal", [*WALK_PATH, "Sam Ortiz, Account Executive", "Globex", "Dana"]
    )
    assert first.returncode == 0, first.stderr
    assert "How should the draft be signed?" in first.stdout
    assert "Who is this message for?" in first.stdout
    assert "Subject: Globex: an honest view on the plan as it stands" in first.stdout
    assert "    Hi Dana," in first.stdout and "your team at Globex" in first.stdout
    assert "    Sam Ortiz\n    Account Executive" in first.stdout
    email = first.stdout.split("Draft email to the buyer", 1)[1]
    assert "Acme renewal" not in email, "the internal deal name stays internal"
    assert "sam\n" not in email, "never signed with the login"

    # The next check of the same deal: the signature is not asked again, the buyer is offered.
    second = _console(tmp_path, "Acme renewal", [*WALK_PATH, "", ""])
    assert second.returncode == 0, second.stderr
    assert "How should the draft be signed?" not in second.stdout
    assert "Buyer's organisation [Globex]:" in second.stdout
    assert "Contact's first name [Dana]:" in second.stdout
    assert "    Hi Dana," in second.stdout and "    Sam Ortiz" in second.stdout


def test_rep_option_signs_without_asking_and_a_proceed_asks_nothing_more(tmp_path: Path) -> None:
    walked = _console(tmp_path, "Initech", [*WALK_PATH, "-", "Priya"], "--rep", "Lee Park")
    assert walked.returncode == 0, walked.stderr
    assert "How should the draft be signed?" not in walked.stdout
    assert "    Hi Priya," in walked.stdout and "    Lee Park" in walked.stdout

    proceed = _console(tmp_path, "Hooli", PROCEED_PATH)
    assert proceed.returncode == 0, proceed.stderr
    assert "Who is this message for?" not in proceed.stdout
    assert "How should the draft be signed?" not in proceed.stdout


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
