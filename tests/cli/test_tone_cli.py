"""`walkaway tone FILE`: the tone check for mail templates and scripts.

Faults found are a result (exit 0), listed one line per kind; a file that cannot be read as text
is one line on stderr and exit 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.qualification.tone_file import MAX_TEXT_BYTES

ULTIMATUM = "Hi Sam,\n\nIf you don't sign by Friday we will walk.\n"
HARSH = (
    "You people never read what we send. This is our final offer, and it's your last chance: "
    "other clients are waiting. Take it or leave it."
)
GOOD = (
    "Hi Priya, a fully automated blocking rule would put good customers at risk, so I'd suggest "
    "starting with flagged payments an analyst confirms. If that works for your team, I'd be "
    "glad to pick this back up next quarter."
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exited:
        main(["tone", *args])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


def _file(tmp_path: Path, text: str | bytes, name: str = "message.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, "utf-8")
    return path


def test_an_ultimatum_is_listed_with_its_words_and_a_suggestion_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, ULTIMATUM)

    code, out, err = _run(capsys, str(path))

    assert code == 0 and err == ""
    assert out.splitlines() == [
        f"1 thing to change in {path}:",
        "- Pressures with an ultimatum or a deadline: “If you don't sign by Friday we will walk”. "
        "Drop the deadline and the “or else”; say what you recommend and why, and let them "
        "decide in their own time.",
    ]


def test_each_kind_of_fault_is_one_line_however_often_it_occurs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, str(_file(tmp_path, HARSH)))

    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("4 things to change")
    items = lines[1:]
    assert [line.split(":")[0] for line in items] == [
        "- Blames or judges the buyer",
        "- Pressures with an ultimatum or a deadline",
        "- Claims an urgency or scarcity that is not real",
        "- Never says what would change the decision. Add what would bring you back, for example",
    ]
    ultimatum = items[1]
    quoted = "“This is our final offer”, “last chance”, “Take it or leave it”."
    assert quoted in ultimatum
    assert ".:" not in out and ". ." not in out


def test_json_has_one_fault_per_kind_with_kind_excerpt_and_suggestion(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(capsys, str(_file(tmp_path, HARSH)), "--json")

    assert code == 0
    faults = json.loads(out)["faults"]
    assert [f["kind"] for f in faults] == ["blame", "ultimatum", "bluff", "missing_conditions"]
    assert all({"kind", "excerpt", "suggestion"} <= set(f) for f in faults)
    assert faults[0]["excerpt"] == "You people"
    assert faults[1]["excerpts"] == [
        "This is our final offer",
        "last chance",
        "Take it or leave it",
    ]
    assert faults[3]["excerpt"] == "" and faults[3]["suggestion"].startswith("Add what")


def test_a_good_message_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, GOOD)

    assert _run(capsys, str(path)) == (0, f"No tone problems found in {path}.\n", "")
    code, out, _ = _run(capsys, str(path), "--json")
    assert (code, json.loads(out)) == (0, {"faults": []})


def test_a_message_that_is_not_a_no_need_not_say_what_would_change_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, "Great news: we're all set to start the pilot on Monday.")

    assert json.loads(_run(capsys, str(path), "--json")[1])["faults"][0]["kind"] == (
        "missing_conditions"
    )
    assert json.loads(_run(capsys, str(path), "--json", "--not-a-no")[1]) == {"faults": []}


def test_curly_quotes_and_a_byte_order_mark_are_read_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, "\ufeffIf you don\u2019t sign by Friday we\u2019ll walk away.")

    code, out, _ = _run(capsys, str(path), "--json")

    assert code == 0
    assert json.loads(out)["faults"][0]["excerpt"] == (
        "If you don\u2019t sign by Friday we\u2019ll walk away"
    )


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (None, "no such file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file (it holds binary data)"),
        (b"caf\xe9 au lait", "not a text file (it is not UTF-8)"),
        (b"x" * (MAX_TEXT_BYTES + 1), "larger than 64 KB"),
    ],
    ids=["missing", "binary", "latin-1", "too large"],
)
def test_a_file_that_cannot_be_checked_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, complaint: str
) -> None:
    path = tmp_path / "message.txt"
    if content is not None:
        path.write_bytes(content)

    code, out, err = _run(capsys, str(path))

    assert code == 2 and out == ""
    assert err.startswith(f"walkaway: {path}: {complaint}")
    assert err.count("\n") == 1 and err.endswith("\n")


def test_a_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, str(tmp_path))

    assert code == 2
    assert err == f"walkaway: {tmp_path}: is a directory, not a text file\n"


def test_a_path_that_cannot_be_opened_names_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _file(tmp_path, GOOD) / "child.txt"

    code, _, err = _run(capsys, str(path))

    assert code == 2
    assert err == f"walkaway: {path}: cannot read it: Not a directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, GOOD)
    path.chmod(0)

    code, _, err = _run(capsys, str(path))

    assert code == 2
    assert err == f"walkaway: {path}: cannot read it: Permission denied\n"


def test_the_installed_command_reads_standard_input_and_never_shows_a_traceback(
    tmp_path: Path,
) -> None:
    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", "tone", *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
        )

    piped = run("-", "--json", stdin=ULTIMATUM)
    assert piped.returncode == 0, piped.stderr
    assert [f["kind"] for f in json.loads(piped.stdout)["faults"]] == ["ultimatum"]

    missing = run("nowhere.txt")
    assert missing.returncode == 2
    assert missing.stderr == "walkaway: nowhere.txt: no such file\n"
    assert missing.stdout == ""
