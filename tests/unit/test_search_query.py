"""The `/walkaway search` query language, without Slack or a database."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.model import Outcome
from bot.domain.search_query import (
    FILTERS,
    MAX_WORD,
    MAX_WORDS,
    QueryError,
    RepFilter,
    SearchQuery,
    parse,
)


def test_words_and_every_filter() -> None:
    query = parse(
        "Acme renewal outcome:walk signal:unclear_ownership rep:<@U0123ABC|ria> "
        "status:open since:2026-01-01 until:2026-03-31"
    )
    assert query == SearchQuery(
        words=("acme", "renewal"),
        outcomes=(Outcome.WALK,),
        signals=("unclear_ownership",),
        reps=(RepFilter(slack_id="U0123ABC"),),
        statuses=("open",),
        since=date(2026, 1, 1),
        until=date(2026, 3, 31),
    )


def test_filter_names_and_values_ignore_case_and_dashes() -> None:
    query = parse("OUTCOME:Stop-Pilot Signal:Fresh-Scar STATUS:Re-Engaged")
    assert query.outcomes == (Outcome.STOP_PILOT,)
    assert query.signals == ("fresh_scar",)
    assert query.statuses == ("re-engaged",)


def test_repeated_or_comma_separated_values_widen_a_filter() -> None:
    query = parse("outcome:walk,defer outcome:walk status:won status:lost")
    assert query.outcomes == (Outcome.WALK, Outcome.DEFER)
    assert query.statuses == ("won", "lost")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("<@U0123ABC|ria>", RepFilter(slack_id="U0123ABC")),
        ("<@W0123ABC>", RepFilter(slack_id="W0123ABC")),
        ("U0123ABCD", RepFilter(slack_id="U0123ABCD")),
        ("@ria.lopez", RepFilter(name="ria.lopez")),
        ("me", RepFilter(me=True)),
    ],
)
def test_rep_accepts_mentions_ids_names_and_me(value: str, expected: RepFilter) -> None:
    assert parse(f"rep:{value}").reps == (expected,)


def test_a_mention_with_spaces_in_its_label_stays_one_token() -> None:
    assert parse("acme rep:<@U0123ABC|Ria Lopez> deal").words == ("acme", "deal")


@pytest.mark.parametrize(
    ("typed", "since", "until"),
    [
        ("since:2026-02", date(2026, 2, 1), None),
        ("until:2026-02", None, date(2026, 2, 28)),
        ("since:2025 until:2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("since:2026-1-5", date(2026, 1, 5), None),
    ],
)
def test_dates_may_be_a_month_or_a_year(typed: str, since: date | None, until: date | None) -> None:
    query = parse(typed)
    assert (query.since, query.until) == (since, until)


@pytest.mark.parametrize(
    ("typed", "named"),
    [
        ("acme colour:blue", "`colour:`"),
        ("since:2026-13-01", "`since:2026-13-01`"),
        ("until:yesterday", "`until:yesterday`"),
        ("since:2026-02-30", "`since:2026-02-30`"),
        ("outcome:maybe", "`outcome:maybe`"),
        ("signal:bad_vibes", "`signal:bad_vibes`"),
        ("status:pending", "`status:pending`"),
        ("rep:<!channel>", "`rep:<!channel>`"),
        ("outcome:", "`outcome:`"),
        ("since:2026-03-01 until:2026-01-01", "`since:2026-03-01`"),
    ],
)
def test_mistakes_are_named_back(typed: str, named: str) -> None:
    with pytest.raises(QueryError) as raised:
        parse(typed)
    assert named in str(raised.value)


def test_an_unknown_filter_lists_the_valid_ones() -> None:
    with pytest.raises(QueryError) as raised:
        parse("acme region:emea")
    for name in FILTERS:
        assert f"`{name}:`" in str(raised.value)


def test_a_bad_value_lists_the_accepted_ones() -> None:
    with pytest.raises(QueryError) as raised:
        parse("outcome:lose")
    assert all(f"`outcome:{o.value}`" in str(raised.value) for o in Outcome)
    assert all(o.label in str(raised.value) for o in Outcome)


@pytest.mark.parametrize(
    ("typed", "outcome"),
    [
        ("walked", Outcome.WALK),
        ("walk", Outcome.WALK),
        ("Walk-away", Outcome.WALK),
        ("deferred", Outcome.DEFER),
        ("defer", Outcome.DEFER),
        ("redirect", Outcome.REDIRECT),
        ("stop", Outcome.STOP_PILOT),
        ("stop_pilot", Outcome.STOP_PILOT),
        ("stopped", Outcome.STOP_PILOT),
        ("proceeding", Outcome.PROCEED),
    ],
)
def test_outcome_takes_the_words_people_use(typed: str, outcome: Outcome) -> None:
    assert parse(f"outcome:{typed}").outcomes == (outcome,)


@pytest.mark.parametrize(
    ("typed", "signal"),
    [
        ("ownership", "unclear_ownership"),
        ("unclear_ownership", "unclear_ownership"),
        ("Ownrship", "unclear_ownership"),
        ("guarantee", "guarantee_refused_pilot"),
        ("values", "values_compromised"),
        ("raw", "fresh_scar"),
        ("kill", "kill_criteria_met"),
    ],
)
def test_signal_takes_a_word_of_its_label_or_id(typed: str, signal: str) -> None:
    assert parse(f"signal:{typed}").signals == (signal,)


def test_an_ambiguous_signal_is_answered_with_the_choices() -> None:
    with pytest.raises(QueryError) as raised:
        parse("signal:pilot")
    message = str(raised.value)
    assert message.startswith("`signal:pilot` matches 2 signals. Which one?")
    assert "`signal:kill_criteria_met`" in message
    assert "`signal:guarantee_refused_pilot`" in message
    assert "A guarantee demanded, a measured pilot refused" in message
    assert "`signal:fresh_scar`" not in message


def test_an_unknown_signal_lists_every_signal_by_its_words() -> None:
    with pytest.raises(QueryError) as raised:
        parse("signal:price")
    message = str(raised.value)
    assert "`signal:price` is not a signal I know" in message
    assert "Earlier attempt: nobody owned it: `signal:unclear_ownership`" in message


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ('"acme corp"', ("acme", "corp")),
        ('NEAR("acme" "corp", 2)', ("near", "acme", "corp", "2")),
        ("acme* OR -corp AND NOT ^x", ("acme", "corp", "x")),
        ("'; DROP TABLE walkaway_records; --", ("drop", "table", "walkaway", "records")),
        ("💥 acme 🔥 :fire: ✨", ("acme", "fire")),
        ("Acme: renewal", ("acme", "renewal")),
        ("https://acme.example/deal", ("https", "acme", "example", "deal")),
        ("O'Brien e-mail", ("o", "brien", "e", "mail")),
        ("Zürich ÅLESUND", ("zürich", "ålesund")),
    ],
)
def test_everything_that_is_not_a_filter_is_plain_words(typed: str, words: tuple[str, ...]) -> None:
    assert parse(typed).words == words


def test_common_words_are_left_out_and_reported() -> None:
    query = parse("the owner of the deal and a pilot")
    assert query.words == ("owner", "deal", "pilot")
    assert query.ignored == ("the", "of", "and", "a")


def test_a_five_thousand_character_query_is_trimmed_not_refused() -> None:
    typed = " ".join(f"word{n}" for n in range(1000))[:5000]
    query = parse(typed)
    assert len(query.words) == MAX_WORDS and query.trimmed
    long_word = parse("x" * 5000)
    assert long_word.words == ("x" * MAX_WORD,) and long_word.trimmed


def test_too_many_values_for_one_filter_is_an_error() -> None:
    reps = " ".join(f"rep:U{n:08d}" for n in range(11))
    with pytest.raises(QueryError):
        parse(reps)


def test_canonical_text_parses_back_to_the_same_query() -> None:
    query = parse(
        "Acme the renewal outcome:walk,defer signal:fresh-scar rep:@ria rep:<@U0123ABC|x> "
        "rep:me status:won since:2026-01 until:2026-02"
    )
    assert parse(query.canonical()) == query
    assert query.filters() == [
        "outcome:walk",
        "outcome:defer",
        "signal:fresh_scar",
        "rep:@ria",
        "rep:<@U0123ABC>",
        "rep:me",
        "status:won",
        "since:2026-01-01",
        "until:2026-02-28",
    ]


def test_the_longest_query_still_fits_in_a_button_value() -> None:
    words = " ".join("w" * MAX_WORD + str(n) for n in range(MAX_WORDS))
    filters = " ".join(
        [
            "outcome:" + ",".join(o.value for o in Outcome),
            "status:open,re-engaged,won,lost,closed",
            "signal:kill_criteria_met,unworkable_use_case,guarantee_refused_pilot,"
            "scar_not_removable,values_compromised,no_mutual_benefit,fresh_scar,"
            "adjacent_use_case,unclear_ownership,decision_path_ignored",
            " ".join(f"rep:@{'n' * 40}{n}" for n in range(10)),
            "since:2026-01-01 until:2026-12-31",
        ]
    )
    canonical = parse(f"{words} {filters}").canonical()
    assert len(canonical) <= 1800  # bot.payloads.SearchRef.q


_ANY_TEXT = st.text(st.characters(blacklist_categories=["Cs"]), max_size=300) | st.lists(
    st.sampled_from(
        ['"', "'", "NEAR(", "*", "-", "AND", "OR", ":", "outcome:", "rep:", "<@U1>", "🔥", "x"]
    ),
    max_size=40,
).map(" ".join)


@given(_ANY_TEXT)
def test_any_text_is_a_query_or_a_query_error_and_words_are_letters_and_digits(
    typed: str,
) -> None:
    try:
        query = parse(typed)
    except QueryError:
        return
    assert all(re.fullmatch(r"[^\W_]+", word) for word in query.words)
    assert len(query.words) <= MAX_WORDS
    assert parse(query.canonical()) == query


@pytest.mark.parametrize(
    "typed", ['acme rep:"Dana  Reyes"', "acme rep:“Dana Reyes”", 'rep:@"Dana Reyes" acme']
)
def test_a_display_name_with_spaces_is_one_rep_in_quotes(typed: str) -> None:
    query = parse(typed)
    assert query.reps == (RepFilter(name="Dana Reyes"),) and query.words == ("acme",)
    assert parse(query.canonical()) == query
    assert 'rep:"Dana Reyes"' in query.filters()
