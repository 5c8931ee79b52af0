"""How messages name people: mentions where only those concerned read, names elsewhere."""

from __future__ import annotations

from bot.slack.names import MENTIONS, UNNAMED, Naming, shown_name


def test_mentions_for_private_places_and_names_for_the_rest() -> None:
    assert MENTIONS("U0DANA") == "<@U0DANA>"
    named = Naming({"U0DANA": "Dana Reyes"})
    assert named("U0DANA") == "Dana Reyes"
    assert named("U0NOBODY") == UNNAMED, "never a mention as a fallback"
    assert named(None) == "someone" and named(None, nobody="Someone") == "Someone"


def test_the_person_asked_to_act_is_mentioned_even_among_names() -> None:
    named = Naming({"U0DANA": "Dana Reyes", "U0SAM": "Sam"}).asking("U0DANA", None)
    assert named("U0DANA") == "<@U0DANA>" and named("U0SAM") == "Sam"


def test_a_name_is_escaped_and_a_strange_id_cannot_close_the_mention() -> None:
    named = Naming({"U0X": "<!channel>  Dana\n& co"})
    assert named("U0X") == "&lt;!channel&gt; Dana &amp; co"
    assert MENTIONS("U1><!here>") == "<@U1&gt;&lt;!here&gt;>"


def test_the_shown_name_is_the_one_slack_shows() -> None:
    assert (
        shown_name(
            {"name": "dana", "profile": {"display_name": "Dana R", "real_name": "Dana Reyes"}}
        )
        == "Dana R"
    )
    assert (
        shown_name({"name": "dana", "profile": {"display_name": " ", "real_name": "Dana Reyes"}})
        == "Dana Reyes"
    )
    assert shown_name({"name": "dana", "real_name": "", "profile": None}) == "dana"
    assert shown_name({}) is None
