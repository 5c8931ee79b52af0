"""The deal name a Slack message suggests: its first line, as a person would read it.

*Check this deal* on a message fills the start modal's name field from the message. Its text
comes as Slack stores it: mentions as `<@U…>` (or `<@U…|name>`), channels as `<#C…|name>`,
links as `<https://…|label>`, `<!here>` and friends, `&amp;`/`&lt;`/`&gt;` entities, and
`*bold*`, `_italic_`, `~strike~`, `` `code` ``, `> quotes`, `:emoji:`. What the person saw is
what the field shows: a link's label, a mention's name (the one Slack sent, else the one we
know), no broadcast, no markers, the entities decoded. The result is raw text (a field's
`initial_value` is not parsed by Slack), escaped wherever it is shown later, like any typed name.

Plain Python: no Slack calls, so the modal opens without waiting on anything.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.qualification.command import deal_name_of
from bot.slack.text import unescape

NO_TEXT = "no_text"
"""The message carries no words (empty, or only a file or an image)."""
ONLY_MARKUP = "only_markup"
"""It has text, but none left once mentions, links and emoji are read (e.g. just `@here`)."""

_TOKEN = re.compile(r"<([^<>\n]*)>")
_EMOJI = re.compile(r":(?=[^:\s]*[a-z])[a-z0-9_+'-]+:(?::skin-tone-\d:)?")
_MARKERS = re.compile(r"(?<![\w*_~`])([*_~`]{1,3})(?=\S)(.+?)(?<=\S)\1(?![\w*_~`])")
_BULLETS = ">\u00bb\u2022\u25e6\u25aa\u00b7\u2023\u2043"  # > » • ◦ ▪ · ‣ and the hyphen bullet
_DASHES = "-\u2013\u2014"  # hyphen, en dash, em dash
_LEADING = re.compile(rf"^(?:[{_BULLETS}]\s*|[{_DASHES}*]+\s+|\d{{1,3}}[.)]\s+)+")
_EDGE = " \t:;,|"
_TRAILING = " " + _DASHES


@dataclass(frozen=True)
class SuggestedName:
    """What the modal's field starts with, and why it is empty when it is."""

    name: str
    problem: str | None = None
    """NO_TEXT or ONLY_MARKUP when `name` is empty; None otherwise."""


def suggested_name(message: Mapping[str, Any], names: Mapping[str, str]) -> SuggestedName:
    """The first line of `message` (a Slack message payload) that has words in it, cleaned and
    cut to a deal name's length. `names` gives people's names for bare `<@U…>` mentions."""
    raw = message_text(message)
    if not raw.strip():
        return SuggestedName("", NO_TEXT)
    for line in plain_lines(raw, names):
        name = deal_name_of(line)
        if any(char.isalnum() for char in name):  # "***" or "—" names nothing
            return SuggestedName(name)
    return SuggestedName("", ONLY_MARKUP)


def message_text(message: Mapping[str, Any]) -> str:
    """The message's text; for a bot's message with blocks only, its header and sections."""
    text = message.get("text")
    if isinstance(text, str) and text.strip():
        return text
    parts: list[str] = []
    blocks = message.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") in ("header", "section"):
            inner = block.get("text")
            if isinstance(inner, dict) and isinstance(inner.get("text"), str):
                parts.append(inner["text"])
    return "\n".join(parts)


def mentioned(text: str) -> list[str]:
    """The user ids of the bare mentions (`<@U…>` without a name) in `text`."""
    found: list[str] = []
    for match in _TOKEN.finditer(text):
        inner = match.group(1)
        if inner.startswith("@") and "|" not in inner:
            found.append(inner[1:])
    return found


def plain_lines(raw: str, names: Mapping[str, str]) -> list[str]:
    """The text's lines as read: markup resolved, markers and emoji gone, edges trimmed."""
    text = raw.replace("```", "\n")
    text = _TOKEN.sub(lambda match: _token(match.group(1), names), text)
    text = unescape(text)
    lines = []
    for line in text.splitlines():
        line = _LEADING.sub("", line.strip())
        for _ in range(3):  # *_nested_* markers, outermost first
            line = _MARKERS.sub(lambda match: match.group(2), line)
        line = _EMOJI.sub(" ", line)
        line = " ".join(line.split()).strip(_EDGE).rstrip(_TRAILING)
        if line:
            lines.append(line)
    return lines


def _token(inner: str, names: Mapping[str, str]) -> str:
    """What a `<…>` token shows: a label, a name, or nothing for a broadcast."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        name = label or names.get(target[1:], "")
        return f"@{name.lstrip('@')}" if name else ""
    if target.startswith("#"):
        return f"#{label.lstrip('#')}" if label else ""
    if target.startswith("!"):
        if target.startswith(("!subteam^", "!date^")):
            return label
        return ""  # !here, !channel, !everyone: a broadcast, never a name
    if label:
        return label
    return target.removeprefix("mailto:")
