"""The deal name *Check this deal* takes from a message: its first line with words, read as the
person saw it (bot/qualification/shortcut_name.py)."""

from __future__ import annotations

import pytest

from bot.qualification.shortcut_name import NO_TEXT, ONLY_MARKUP, suggested_name
from bot.qualification.steps import MAX_DEAL_NAME

NAMES = {"U0DANA": "Dana Reyes"}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Acme renewal", "Acme renewal"),
        ("  Acme   renewal  \nsecond line", "Acme renewal"),
        ("\n\n   \nHooli deal", "Hooli deal"),
        ("*Acme renewal* — pilot stalled", "Acme renewal — pilot stalled"),
        ("_Stark_ ~old~ `code` deal", "Stark old code deal"),
        ("<https://crm.example/42|Globex expansion> next steps", "Globex expansion next steps"),
        ("<https://crm.example/42>", "https://crm.example/42"),
        ("<mailto:sam@globex.example|Sam> on Globex", "Sam on Globex"),
        ("<@U0DANA> on Initech", "@Dana Reyes on Initech"),
        ("<@U0NOBODY> on Initech", "on Initech"),
        ("<@U0X|sam> on Initech", "@sam on Initech"),
        ("<#C0DEALS|deals> Wayne", "#deals Wayne"),
        ("<!here> <!channel> <!everyone> Umbrella", "Umbrella"),
        ("<!subteam^S1|@sales> Umbrella", "@sales Umbrella"),
        ("Umbrella &amp; Co &lt;3", "Umbrella & Co <3"),
        ("&gt; quoted Acme", "quoted Acme"),
        ("• 1. Wayne renewal:", "Wayne renewal"),
        ("- Hooli", "Hooli"),
        (":rotating_light: Initech pilot :fire:", "Initech pilot"),
        ("Call at 10:30:00 about Acme", "Call at 10:30:00 about Acme"),
        ("snake_case_deal", "snake_case_deal"),
        ("```Acme renewal```", "Acme renewal"),
    ],
)
def test_the_first_line_as_shown(text: str, name: str) -> None:
    assert suggested_name({"text": text}, NAMES).name == name


def test_a_long_line_is_cut_to_a_deal_names_length() -> None:
    suggested = suggested_name({"text": "word " * 100}, {})
    assert len(suggested.name) <= MAX_DEAL_NAME and suggested.name.endswith("…")


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"text": ""}, NO_TEXT),
        ({}, NO_TEXT),
        ({"text": "", "files": [{"id": "F1", "name": "proposal.pdf"}]}, NO_TEXT),
        ({"text": None}, NO_TEXT),
        ({"text": "<!here> :tada:"}, ONLY_MARKUP),
        ({"text": "<@U0NOBODY>"}, ONLY_MARKUP),
        ({"text": "***"}, ONLY_MARKUP),
    ],
)
def test_a_message_without_words_suggests_nothing_and_says_why(
    message: dict[str, object], problem: str
) -> None:
    suggested = suggested_name(message, {})
    assert (suggested.name, suggested.problem) == ("", problem)


def test_a_bots_message_with_blocks_only_is_read_from_its_header() -> None:
    message = {
        "text": "",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Contoso pilot"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "details"}},
        ],
    }
    assert suggested_name(message, {}).name == "Contoso pilot"
