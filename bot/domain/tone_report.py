"""What a person is shown of a tone check: one issue per kind of fault, as one line each.

A rep who wrote "last chance" and "final offer" has one thing to change (stop pressing), not
two, and a list that repeats itself reads as nagging; so the hits of `check_tone` are folded by
kind, each kind keeping every place it occurs. The same line serves the Slack edit modal and
`walkaway tone` in a terminal: the caller says how to escape and how to bold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.domain.tone import ToneFault, ToneRules, as_label, as_sentence, check_tone


@dataclass(frozen=True)
class ToneIssue:
    """One kind of fault, with every place it occurs: one line of what a rep is shown."""

    kind: str
    label: str
    excerpts: tuple[str, ...]
    """The rep's words, in reading order, each once; empty for something missing."""
    suggestion: str

    @property
    def excerpt(self) -> str:
        return self.excerpts[0] if self.excerpts else ""


def tone_issues(
    text: str, *, expect_conditions: bool = True, rules: ToneRules | None = None
) -> list[ToneIssue]:
    """What a person is shown: one issue per kind of fault, in order of first appearance."""
    return summarise(check_tone(text, expect_conditions=expect_conditions, rules=rules))


def summarise(faults: Iterable[ToneFault]) -> list[ToneIssue]:
    """Fold faults into one issue per kind, keeping each distinct excerpt once, in order."""
    kinds: dict[str, tuple[ToneFault, list[str]]] = {}
    for fault in faults:
        _, excerpts = kinds.setdefault(fault.code, (fault, []))
        key = " ".join(fault.excerpt.split()).casefold()
        if key and key not in {" ".join(e.split()).casefold() for e in excerpts}:
            excerpts.append(fault.excerpt)
    return [
        ToneIssue(
            kind=code,
            label=as_label(first.label or first.message),
            excerpts=tuple(excerpts),
            suggestion=as_sentence(first.suggestion),
        )
        for code, (first, excerpts) in kinds.items()
    ]


EXCERPT_LIMIT = 80
"""Characters of one quoted excerpt in a list line; an ultimatum can span a whole sentence."""
EXCERPTS_SHOWN = 3


def shorten(excerpt: str, limit: int = EXCERPT_LIMIT) -> str:
    """The excerpt on one line, its middle cut when long: both ends are what a rep recognises.

    The cut falls between words, and a sentence's own full stop is dropped: the line closes the
    quote with one ("…a real test”."), and a whole sentence is what the learned reader quotes.
    """
    flat = " ".join(excerpt.split()).rstrip(".!?")
    if len(flat) <= limit:
        return flat
    head = flat[: (limit - 1) // 2]
    tail = flat[len(flat) - (limit - 1 - (limit - 1) // 2) :]
    if " " in head and not flat[len(head)].isspace():  # do not end on part of a word
        head = head.rsplit(" ", 1)[0]
    if " " in tail and not flat[len(flat) - len(tail) - 1].isspace():
        tail = tail.split(" ", 1)[1]
    return f"{head.rstrip()}…{tail.lstrip()}"


def _same(text: str) -> str:
    return text


def fault_line(
    issue: ToneIssue,
    *,
    escape: Callable[[str], str] = _same,
    bold: Callable[[str], str] = _same,
) -> str:
    """One grammatical line: what is wrong, the rep's words, then what to do instead.

    `escape` is applied to every piece of text (the rep's words and the rules file are both
    data), `bold` to the escaped label, so the same line serves a terminal and Slack mrkdwn.
    """
    label = bold(escape(issue.label))
    suggestion = escape(issue.suggestion)
    if not issue.excerpts:
        return f"{label}. {suggestion}"
    shown = ", ".join(f"“{escape(shorten(e))}”" for e in issue.excerpts[:EXCERPTS_SHOWN])
    more = len(issue.excerpts) - EXCERPTS_SHOWN
    if more > 0:
        shown += f" and {more} more"
    return f"{label}: {shown}. {suggestion}"
