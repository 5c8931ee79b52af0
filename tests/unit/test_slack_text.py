"""User text must reach Slack inert and within limits, or a deal name can ping a channel or a
one-character overrun can make Slack reject a whole verdict message."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.text import ELLIPSIS, LIMITS, escape, plain_text, safe_mrkdwn, truncate

INJECTIONS = [
    "<!channel> Acme",
    "<!here> renewal",
    "<!everyone>",
    "<@U123>",
    "<@U123|boss> please approve",
    "<!subteam^S1>",
    "<!subteam^S1|@sales-leads>",
    "<#C42|general>",
    "<https://evil.example|click>",
    "<mailto:ceo@example.com|CEO>",
    "<!date^1700000000^{date}|today>",
    "Acme & Co <b>bold</b> >quoted",
]

ENTITY = re.compile(r"&(amp|lt|gt);")


def _is_inert(text: str) -> bool:
    """Slack parses only <...> sequences and the three entities; nothing else can ping or link."""
    if "<" in text or ">" in text:
        return False
    return all(ENTITY.match(text, match.start()) for match in re.finditer("&", text))


def _no_split_entity(text: str) -> bool:
    return all(ENTITY.match(text, match.start()) for match in re.finditer("&", text))


@pytest.mark.parametrize("hostile", INJECTIONS)
def test_deal_name_with_mention_or_link_syntax_comes_out_inert(hostile: str) -> None:
    for rendered in (escape(hostile), safe_mrkdwn(hostile), plain_text(hostile)):
        assert _is_inert(rendered), rendered


def test_escape_touches_exactly_the_three_control_characters() -> None:
    assert escape("Acme & <Co> 'quoted' \"double\" *bold* _it_ ~s~ `c` :tada:") == (
        "Acme &amp; &lt;Co&gt; 'quoted' \"double\" *bold* _it_ ~s~ `c` :tada:"
    )


def test_escape_does_ampersand_first_so_entities_it_makes_stay_single() -> None:
    assert escape("<>") == "&lt;&gt;"
    assert escape("&lt;") == "&amp;lt;"


def test_escaping_twice_double_escapes_so_callers_escape_once_at_the_edge() -> None:
    once = escape("R&D <team>")
    assert once == "R&amp;D &lt;team&gt;"
    assert escape(once) == "R&amp;amp;D &amp;lt;team&amp;gt;"
    assert escape(once) != once


def test_channel_mention_becomes_visible_text_not_a_ping() -> None:
    assert escape("<!channel> Acme") == "&lt;!channel&gt; Acme"
    assert escape("<https://evil|click>") == "&lt;https://evil|click&gt;"


def test_short_text_is_left_alone() -> None:
    assert truncate("Acme renewal", 75) == "Acme renewal"
    assert truncate("x" * 75, 75) == "x" * 75
    assert safe_mrkdwn("Acme") == "Acme"


def test_cut_text_ends_with_one_ellipsis_and_fits() -> None:
    cut = truncate("abcdefghij", 5)
    assert cut == "abcd" + ELLIPSIS
    assert len(cut) == 5


def test_cut_drops_trailing_space_before_the_ellipsis() -> None:
    assert truncate("Acme    renewal", 6) == "Acme" + ELLIPSIS


def test_limit_of_one_still_fits() -> None:
    assert truncate("long text", 1) == ELLIPSIS


def test_nonpositive_limit_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        truncate("anything", 0)


@pytest.mark.parametrize("entity", ["&amp;", "&lt;", "&gt;"])
@pytest.mark.parametrize("offset", range(1, 6))
def test_cut_never_leaves_half_an_entity(entity: str, offset: int) -> None:
    escaped = "a" * 10 + entity + "b" * 10
    limit = 10 + offset  # the cut lands on every position inside and just after the entity
    cut = truncate(escaped, limit)
    assert len(cut) <= limit
    assert _no_split_entity(cut), cut


def test_escaping_growth_is_absorbed_by_the_limit() -> None:
    hostile = "<" * 1000
    rendered = safe_mrkdwn(hostile, 100)
    assert len(rendered) <= 100
    assert rendered.endswith(ELLIPSIS)
    assert _is_inert(rendered)
    assert rendered.count("&lt;") == (100 - 1) // 4


BIG_INPUTS = [
    "&<>" * 3334,
    ("Acme <!channel> & 🤝🏽 deal > " * 400)[:10_000],
    "👨‍👩‍👧‍👦" * 1500,
    "🇫🇷🇩🇪" * 2500,
    "e\u0301&" * 3400,
    "x" * 10_000,
]


@pytest.mark.parametrize("raw", BIG_INPUTS, ids=range(len(BIG_INPUTS)))
@pytest.mark.parametrize(
    "limit",
    [
        LIMITS.SECTION_TEXT,
        LIMITS.SECTION_FIELD,
        LIMITS.HEADER,
        LIMITS.BUTTON_TEXT,
        LIMITS.OPTION_TEXT,
        LIMITS.MODAL_TITLE,
        LIMITS.MESSAGE_TEXT,
    ],
)
def test_ten_thousand_hostile_characters_fit_every_limit(raw: str, limit: int) -> None:
    for rendered in (safe_mrkdwn(raw, limit), plain_text(raw, limit)):
        assert len(rendered) <= limit
        assert rendered.endswith(ELLIPSIS)
        assert _is_inert(rendered)
        assert not rendered[:-1].endswith("\u200d")


def test_family_emoji_is_not_split_into_its_members() -> None:
    family = "👨‍👩‍👧‍👦"  # four people joined by zero-width joiners: 7 code points
    cut = truncate("ab" + family + "cd", 8)
    assert cut == "ab" + ELLIPSIS


def test_flag_pairs_stay_whole() -> None:
    flags = "🇫🇷🇩🇪🇮🇹"
    for limit in range(2, len(flags)):
        body = truncate(flags, limit)[:-1]
        assert len(body) % 2 == 0, (limit, body)


def test_skin_tone_stays_with_its_emoji() -> None:
    assert truncate("ok 👍🏽 done", 5) == "ok" + ELLIPSIS


def test_accent_stays_with_its_letter() -> None:
    assert truncate("cafe\u0301 menu", 5) == "caf" + ELLIPSIS


def test_endless_combining_marks_still_get_cut() -> None:
    raw = "a" + "\u0301" * 5000
    assert len(truncate(raw, 100)) <= 100


def test_plain_text_escapes_so_typed_entities_show_as_typed() -> None:
    assert plain_text("Q&A for R&D") == "Q&amp;A for R&amp;D"
    assert plain_text("&lt;") == "&amp;lt;"


def test_limits_match_slack_reference() -> None:
    expected = {
        "SECTION_TEXT": 3000,
        "HEADER": 150,
        "BUTTON_TEXT": 75,
        "BUTTON_VALUE": 2000,
        "OPTION_TEXT": 75,
        "OPTION_VALUE": 150,
        "MODAL_TITLE": 24,
        "BLOCKS_PER_MESSAGE": 50,
        "BLOCKS_PER_VIEW": 100,
        "PRIVATE_METADATA": 3000,
        "ACTION_ID": 255,
        "MESSAGE_TEXT": 3900,
        "CONTEXT_ELEMENTS": 10,
        "ACTIONS_ELEMENTS": 25,
        "OPTIONS": 100,
        "SECTION_FIELD": 2000,
    }
    for name, value in expected.items():
        assert getattr(LIMITS, name) == value, name


def test_limits_cannot_be_changed_at_runtime() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        LIMITS.HEADER = 10_000  # type: ignore[misc]


@given(st.text(), st.integers(min_value=1, max_value=400))
def test_any_text_fits_and_is_inert(raw: str, limit: int) -> None:
    rendered = safe_mrkdwn(raw, limit)
    assert len(rendered) <= limit
    assert _is_inert(rendered)
    if len(escape(raw)) <= limit:
        assert rendered == escape(raw)
    else:
        assert rendered.endswith(ELLIPSIS)


@given(st.text(alphabet="&<>ab 🇫🇷\u200d👩\u0301", max_size=300), st.integers(1, 120))
def test_cut_keeps_a_prefix_of_the_escaped_text(raw: str, limit: int) -> None:
    escaped = escape(raw)
    rendered = truncate(escaped, limit)
    body = rendered.removesuffix(ELLIPSIS) if rendered != escaped else rendered
    assert escaped.startswith(body)
