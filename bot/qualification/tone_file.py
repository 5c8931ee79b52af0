"""`walkaway tone FILE`: the draft's tone check for any text, such as a mail template or a script.

Teams keep their own walk-away templates outside the app; checking them in CI with the same
rules the Slack edit modal uses keeps both honest. The report is one issue per kind of fault,
as a rep sees it in Slack, and finding faults is a result, not an error (exit 0): only a file
that cannot be read as text is one (exit 2, one line, from `bot.cli`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bot.domain.tone_report import ToneIssue, fault_line, tone_issues

MAX_TEXT_BYTES = 64 * 1024
"""A walk-away message is a few hundred words; anything past this is not one message, and the
rules' scan of a megabyte takes seconds."""
STDIN = "-"


class ToneFileError(ValueError):
    """The file cannot be checked; the message names the file and the problem."""


def read_text_file(path: str) -> str:
    """The file as text: UTF-8 (a byte-order mark is fine), not binary, not too large."""
    name = "standard input" if path == STDIN else path
    try:
        if path == STDIN:
            data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        else:
            with Path(path).open("rb") as file:
                data = file.read(MAX_TEXT_BYTES + 1)
    except FileNotFoundError:
        raise ToneFileError(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ToneFileError(f"{name}: is a directory, not a text file") from None
    except OSError as exc:
        raise ToneFileError(f"{name}: cannot read it: {exc.strerror or exc}") from None
    if len(data) > MAX_TEXT_BYTES:
        raise ToneFileError(
            f"{name}: larger than {MAX_TEXT_BYTES // 1024} KB; check one message at a time"
        )
    if b"\x00" in data:
        raise ToneFileError(f"{name}: not a text file (it holds binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ToneFileError(f"{name}: not a text file (it is not UTF-8)") from None


def check_text(text: str, *, expect_conditions: bool = True) -> list[ToneIssue]:
    return tone_issues(text, expect_conditions=expect_conditions)


def as_json(issues: list[ToneIssue]) -> dict[str, Any]:
    """`{"faults": [{"kind", "excerpt", "suggestion"}]}`, one entry per kind of fault.

    `excerpt` is the first place the fault occurs ("" for something missing); `excerpts` has
    every place, for a script that marks them all.
    """
    return {
        "faults": [
            {
                "kind": issue.kind,
                "excerpt": issue.excerpt,
                "suggestion": issue.suggestion,
                "label": issue.label,
                "excerpts": list(issue.excerpts),
            }
            for issue in issues
        ]
    }


def as_text(issues: list[ToneIssue], *, source: str) -> str:
    """What a person reads in a terminal: the count, then one line per kind of fault."""
    name = "the text" if source == STDIN else source
    if not issues:
        return f"No tone problems found in {name}.\n"
    things = "1 thing" if len(issues) == 1 else f"{len(issues)} things"
    lines = [f"{things} to change in {name}:"]
    lines += [f"- {fault_line(issue)}" for issue in issues]
    return "\n".join(lines) + "\n"
