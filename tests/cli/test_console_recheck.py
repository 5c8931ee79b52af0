"""`walkaway console --recheck "<deal>"`: last time's answers offered, what changed printed,
the earlier record re-engaged, and `records show` reading the deal's checks as one history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCAR_WALK = [
    "negotiation",
    "no",  # autonomous, irreversible
    "yes",  # an earlier attempt failed
    "unclear_ownership",
    "yes",  # still present
    "no",  # the buyer will not remove it
    "12",  # months since
    "yes",  # evidence receptive
    "no",  # guarantee demanded
    "no",  # values compromised
    "yes",  # mutual benefit
    "no",  # deadlock
    "no",  # better alternative
    "no",  # quota only
    "",  # the buyer's organisation: left out
    "",  # the contact's first name: left out
]


def _run(
    tmp_path: Path, *args: str, lines: tuple[str, ...] | list[str] = ()
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'console.db'}"}
    env.pop("WALKAWAY_CHECKLIST", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


def test_console_recheck_keeps_what_is_still_true_and_marks_the_walk_re_engaged(
    tmp_path: Path,
) -> None:
    walked = _run(
        tmp_path, "console", "Acme renewal", "--as", "sam", "--rep", "Sam", lines=SCAR_WALK
    )
    assert walked.returncode == 0, walked.stderr
    assert "WALK AWAY" in walked.stdout

    # Enter keeps last time's answer; `s` does too; only the owner question changes.
    again = ["", "s", "", "still true", "", "yes", "", "", "", "", "", "", "", ""]
    done = _run(tmp_path, "console", "--recheck", "Acme renewal", "--as", "sam", lines=again)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Re-checking 'Acme renewal' against record #1." in out
    assert "Last time: Negotiation" in out and "s. Still true (or Enter)" in out
    assert "Verdict for Acme renewal: PROCEED" in out
    assert "What changed since record #1:" in out
    assert "No longer in the way:" in out and "An earlier failure still in the way" in out
    assert "Acme renewal came back: an operational owner is named." in out
    assert "Record #1 is now re-engaged." in out

    shown = _run(tmp_path, "records", "show", "1")
    assert "Status: re-engaged" in shown.stdout
    assert "This deal's checks:" in shown.stdout
    assert "#2" in shown.stdout and "(re-check of #1)" in shown.stdout
    later = _run(tmp_path, "records", "show", "2")
    assert "What changed since record #1:" in later.stdout


def test_console_recheck_of_an_unknown_deal_suggests_the_closest_names(tmp_path: Path) -> None:
    walked = _run(
        tmp_path, "console", "Acme renewal", "--as", "sam", "--rep", "Sam", lines=SCAR_WALK
    )
    assert walked.returncode == 0, walked.stderr
    done = _run(tmp_path, "console", "--recheck", "Acme renwal", "--as", "sam")
    assert done.returncode == 1
    assert "No walk-away record of 'Acme renwal' to re-check. Did you mean:" in done.stdout
    assert 'walkaway console --recheck "Acme renewal"' in done.stdout
    stranger = _run(tmp_path, "console", "--recheck", "Acme renewal", "--as", "kim")
    assert stranger.returncode == 1  # another person's records are not theirs to re-check
