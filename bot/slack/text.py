"""Slack text safety: escaping user text and fitting it into Block Kit's length limits.

Everything a rep, a manager or a buyer typed (a deal name, a note, an edited draft) ends up in
text that Slack parses. Slack treats `&`, `<` and `>` as control characters, so an unescaped deal
name such as ``<!channel> Acme`` would ping a whole channel, and ``<https://evil|Acme>`` would
show a disguised link. Slack also rejects a whole message when one field is one character too
long. Both problems are easy to get wrong in each builder and hard to notice in review, so they
are solved once here and every builder calls these helpers.

The contract for callers:

* Escape once, at the edge, when user text is placed into a Slack text field. ``escape`` is not
  idempotent (``&amp;`` becomes ``&amp;amp;``) on purpose: the raw value is the source of truth,
  stored raw, and escaped only on its way into a payload. Never escape text you read back from
  a Slack payload and then escape again.
* Fit escaped text with ``safe_mrkdwn`` / ``plain_text`` (or ``truncate`` on text you escaped
  yourself): cutting raw text and escaping afterwards can overshoot the limit, and cutting
  escaped text blindly can leave half an entity such as ``&am``.
* Values that are data rather than display text (button ``value``, option ``value``,
  ``private_metadata``, ``initial_value`` of an input) are not parsed by Slack and must not be
  escaped; give them ``truncate`` only if cutting them is acceptable, otherwise validate length.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Final

__all__ = [
    "ELLIPSIS",
    "LIMITS",
    "escape",
    "name_without_ping",
    "plain_text",
    "safe_mrkdwn",
    "truncate",
    "unescape",
]

ELLIPSIS: Final = "…"
"""One character, so a cut costs a single character of the budget."""

_ENTITIES: Final = ("&amp;", "&lt;", "&gt;")
_LONGEST_ENTITY: Final = max(len(entity) for entity in _ENTITIES)

# How far a cut may move left to keep an emoji sequence or a letter with its accents whole. A
# bound keeps pathological input (thousands of combining marks) from eating the whole text.
_MAX_CLUSTER_BACKOFF: Final = 32

_ZWJ: Final = "\u200d"
_VARIATION_SELECTORS: Final = frozenset({"\ufe0e", "\ufe0f"})
_SKIN_TONES: Final = frozenset(chr(code) for code in range(0x1F3FB, 0x1F400))


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


@dataclass(frozen=True)
class _Limits:
    """Block Kit limits from Slack's reference, gathered so no builder hard-codes a number.

    Slack rejects the entire payload when any one of these is exceeded, which a user sees as a
    button that silently does nothing; naming them keeps builders and the test-side checker on
    the same figures.
    """

    TEXT_OBJECT: int = 3000
    SECTION_TEXT: int = 3000
    SECTION_FIELD: int = 2000
    SECTION_FIELDS: int = 10
    HEADER: int = 150
    BUTTON_TEXT: int = 75
    BUTTON_VALUE: int = 2000
    OPTION_TEXT: int = 75
    OPTION_VALUE: int = 150
    OPTIONS: int = 100
    ACTIONS_ELEMENTS: int = 25
    CONTEXT_ELEMENTS: int = 10
    MODAL_TITLE: int = 24
    MODAL_SUBMIT: int = 24
    MODAL_CLOSE: int = 24
    PRIVATE_METADATA: int = 3000
    ACTION_ID: int = 255
    BLOCK_ID: int = 255
    CALLBACK_ID: int = 255
    BLOCKS_PER_MESSAGE: int = 50
    BLOCKS_PER_VIEW: int = 100
    # Slack accepts longer top-level text but truncates notifications and previews well before
    # its hard cap; staying under 4000 with some margin keeps the fallback readable everywhere.
    MESSAGE_TEXT: int = 3900


LIMITS: Final = _Limits()


def escape(text: str) -> str:
    """Make user text inert in any Slack text field (mrkdwn, plain_text or top-level ``text``).

    Only these three characters are control characters for Slack; encoding anything else (quotes,
    apostrophes) would show up literally as ``&#39;`` in the client. ``&`` goes first so the
    entities produced for ``<`` and ``>`` are not themselves re-escaped.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What a person typed, from text Slack delivered (slash commands with should_escape,
    message events): the three entities decoded once, ``&amp;`` last so ``&amp;lt;`` stays
    the ``&lt;`` that was typed. Mention tokens such as ``<@U…>`` stay as they came."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _entity_start(text: str, end: int) -> int | None:
    """Where the entity straddling the cut at ``end`` begins, if the cut would split one."""
    window_start = max(0, end - (_LONGEST_ENTITY - 1))
    amp = text.rfind("&", window_start, end)
    if amp == -1:
        return None
    for entity in _ENTITIES:
        if text.startswith(entity, amp) and amp + len(entity) > end:
            return amp
    return None


def _splits_cluster(text: str, end: int) -> bool:
    """Whether cutting at ``end`` would separate characters a reader sees as one symbol.

    Cheap approximations of grapheme boundaries suffice: the cost of a wrong guess is one
    character less text, while a split flag or family emoji shows as a broken glyph.
    """
    if end <= 0 or end >= len(text):
        return False
    before, after = text[end - 1], text[end]
    if before == _ZWJ or after == _ZWJ:
        return True
    if after in _VARIATION_SELECTORS or after in _SKIN_TONES:
        return True
    if unicodedata.combining(after):
        return True
    if _is_regional_indicator(before) and _is_regional_indicator(after):
        # Flags are pairs of regional indicators; an odd run before the cut means a pair is split.
        run = 0
        index = end - 1
        while index >= 0 and _is_regional_indicator(text[index]):
            run += 1
            index -= 1
        return run % 2 == 1
    return False


def _safe_cut(text: str, end: int) -> int:
    """Move a cut left until it splits neither an entity nor a visible symbol."""
    hard_end = end
    while True:
        entity = _entity_start(text, end)
        if entity is not None:
            end = entity
            continue
        if _splits_cluster(text, end) and hard_end - end < _MAX_CLUSTER_BACKOFF:
            end -= 1
            continue
        return end


def truncate(text: str, limit: int) -> str:
    """Fit ``text`` into ``limit`` characters, ending with an ellipsis when anything was cut.

    Safe on escaped text: a cut never leaves a partial ``&amp;``, ``&lt;`` or ``&gt;`` behind,
    which Slack would render as stray characters. Applying it to raw text is equally fine, since
    backing off before a literal entity only costs a few characters.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    if len(text) <= limit:
        return text
    end = _safe_cut(text, limit - len(ELLIPSIS))
    return text[:end].rstrip() + ELLIPSIS


def safe_mrkdwn(text: str, limit: int = LIMITS.SECTION_TEXT) -> str:
    """Escape raw user text and fit it into a mrkdwn field (or a message's ``text``).

    Escaping first and cutting second is what makes the result both inert and within the limit:
    escaping can grow text up to fivefold, so cutting first would have to guess the growth.
    """
    return truncate(escape(text), limit)


def plain_text(text: str, limit: int = LIMITS.TEXT_OBJECT) -> str:
    """Escape raw user text and fit it into a ``plain_text`` object (header, button, title, ...).

    Slack does not turn ``<!channel>`` or ``<@U…>`` into mentions in plain_text, so escaping is
    not needed to stop pings there. It is still applied, for two reasons: Slack decodes the
    three entities when it displays a plain_text object, so a user who typed ``&lt;`` literally
    would otherwise see ``<``; and one rule for every text field means a builder that later
    moves a string from plain_text into mrkdwn cannot open a hole. Escaped text renders exactly
    as typed, so nothing visible changes.
    """
    return truncate(escape(text), limit)


NAME_LIMIT: Final = 80
"""Slack caps display and real names well below this; a longer one is not a name we show."""


def name_without_ping(name: str) -> str:
    """A person's name as plain text in mrkdwn: readable, and notifying nobody.

    A `<@U…>` mention notifies the person it names; where others read a message (a channel, a
    shared search) people are shown by name instead. The name is escaped like any text a
    person chose (a display name can be ``<!here>``), and Slack never links a bare ``@name``
    since we send neither ``parse=full`` nor ``link_names``.
    """
    return safe_mrkdwn(" ".join(name.split()), NAME_LIMIT)
