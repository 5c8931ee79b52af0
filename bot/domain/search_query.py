"""The `/walkaway search` query language, parsed without Slack or a database.

`acme renewal outcome:walk signal:unclear_ownership rep:@ria status:open since:2026-01-01` is
words plus filters. Words are always text: quotes, `-`, `*`, `NEAR(`, `AND`/`OR`, SQL and emoji
cannot change what the search does, because each word is cut down to its letters and digits
here and bound as a literal by storage.search, which treats each as one quoted term on both
backends. Every word must appear (stemmed: "guarantees" finds "guarantee"); filters of one kind
widen each other (`outcome:walk outcome:defer`, or `outcome:walk,defer`), filters of different
kinds narrow.

Anything the user can get wrong becomes a QueryError whose message can be shown as it is: an
unknown filter is named with the valid ones, a bad value with the accepted values, a malformed
date with the format. A very long query is trimmed, not refused.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from bot.domain.checklist import CONTRACT
from bot.domain.model import Outcome
from bot.domain.signals import FAILURE_MODE, SIGNAL_IDS

MAX_WORDS = 20
"""Every word must match, so more than a handful only ever narrows to nothing; 20 is plenty."""
MAX_WORD = 40
"""Longer 'words' are pasted junk; cut, they still match nothing, without costing anything."""
MAX_VALUES = 10
"""Per filter kind, so a query always fits in a button value when paging."""

FILTERS = ("outcome", "signal", "rep", "status", "since", "until")

STATUSES = ("open", "re-engaged", "won", "lost", "closed")
_STATUS_ALIASES = {"re_engaged": "re-engaged", "reengaged": "re-engaged", "re-engage": "re-engaged"}
SIGNALS: tuple[str, ...] = (*SIGNAL_IDS, *(CONTRACT[FAILURE_MODE] or ()))
"""Fired signals and old failure modes: the verdict's tags a `signal:` filter can name."""
_T = TypeVar("_T")
_OUTCOME_ALIASES = {"stop": Outcome.STOP_PILOT, "walk_away": Outcome.WALK}

_STOP_LIST = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his
    himself she her hers herself it its itself they them their theirs themselves what which
    who whom this that these those am is are was were be been being have has had having do
    does did doing a an the and but if or because as until while of at by for with about
    against between into through during before after above below to from up down in out on
    off over under again further then once here there when where why how all any both each
    few more most other some such no nor not only own same so than too very s t can will
    just don should now
"""
STOP_WORDS = frozenset(_STOP_LIST.split())
"""PostgreSQL's english stop list. Dropping the same words on both backends keeps SQLite and
PostgreSQL answering alike: PostgreSQL ignores them in a query anyway, and on SQLite they would
only slow a search down while matching nearly every record."""

_TOKEN = re.compile(r"(?:<[^>]*>|[^\s<])+")
"""A whitespace-separated token, where a Slack <…> mention counts as one piece, spaces and all."""
_FILTER = re.compile(r"^([A-Za-z]+):(.*)$", re.DOTALL)
_WORD = re.compile(r"[^\W_]+")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
_USER_ID = re.compile(r"^[UW][A-Z0-9]{6,}$")
_NAME = re.compile(r"^@?([\w.\-']{1,80})$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


class QueryError(ValueError):
    """A query the user has to fix; the message says what and how, ready to show (unescaped)."""


@dataclass(frozen=True)
class RepFilter:
    """A rep named in `rep:`: a Slack user id (from a mention), a name to look up, or `me`."""

    slack_id: str | None = None
    name: str | None = None
    me: bool = False

    def canonical(self) -> str:
        if self.me:
            return "me"
        if self.slack_id:
            return f"<@{self.slack_id}>"
        return f"@{self.name}"


@dataclass(frozen=True)
class SearchQuery:
    words: tuple[str, ...] = ()
    outcomes: tuple[Outcome, ...] = ()
    signals: tuple[str, ...] = ()
    reps: tuple[RepFilter, ...] = ()
    statuses: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    """Inclusive: `until:2026-03-31` keeps records made on the 31st."""
    ignored: tuple[str, ...] = field(default=(), compare=False)
    """Words left out because nearly every record has them (the stop list)."""
    trimmed: bool = field(default=False, compare=False)
    """The query had more words than MAX_WORDS, or longer ones than MAX_WORD."""

    @property
    def has_filters(self) -> bool:
        return bool(self.filters())

    def filters(self) -> list[str]:
        """Each filter as the user would type it, for 'try dropping …' suggestions."""
        shown = [f"outcome:{o.value}" for o in self.outcomes]
        shown += [f"signal:{s}" for s in self.signals]
        shown += [f"rep:{r.canonical()}" for r in self.reps]
        shown += [f"status:{s}" for s in self.statuses]
        if self.since:
            shown.append(f"since:{self.since.isoformat()}")
        if self.until:
            shown.append(f"until:{self.until.isoformat()}")
        return shown

    def canonical(self) -> str:
        """Text that parses back to this query: what a Next button carries instead of the input."""
        return " ".join([*self.words, *self.filters()])


def parse(text: str) -> SearchQuery:
    """Split the text after `/walkaway search` into words and filters (raises QueryError)."""
    words: list[str] = []
    ignored: list[str] = []
    trimmed = False
    found: dict[str, list[str]] = {name: [] for name in FILTERS}
    for token in _TOKEN.findall(text):
        match = _FILTER.match(token)
        if match and _is_filter(match.group(1), match.group(2)):
            name, value = match.group(1).casefold(), match.group(2)
            if not value:
                raise QueryError(f"`{name}:` needs a value, for example {_EXAMPLES[name]}.")
            found[name] += [part for part in value.split(",") if part]
            continue
        for raw in _WORD.findall(token):
            # Folding can add marks (İ -> i + a combining dot); they would split the word later.
            word = "".join(ch for ch in raw.casefold() if ch.isalnum())
            if not word:
                continue
            if len(word) > MAX_WORD:
                word, trimmed = word[:MAX_WORD], True
            if word in STOP_WORDS:
                ignored.append(word)
            elif word not in words:
                words.append(word)
    if len(words) > MAX_WORDS:
        words, trimmed = words[:MAX_WORDS], True
    since = _day(found["since"], "since", first=True)
    until = _day(found["until"], "until", first=False)
    if since and until and since > until:
        raise QueryError(
            f"`since:{since.isoformat()}` is after `until:{until.isoformat()}`: "
            "swap them to search between the two dates."
        )
    return SearchQuery(
        words=tuple(words),
        outcomes=_values(found["outcome"], "outcome", _outcome),
        signals=_values(found["signal"], "signal", _signal),
        reps=_values(found["rep"], "rep", _rep),
        statuses=_values(found["status"], "status", _status),
        since=since,
        until=until,
        ignored=tuple(dict.fromkeys(ignored)),
        trimmed=trimmed,
    )


def _is_filter(key: str, value: str) -> bool:
    """Whether `key:value` was meant as a filter, so a typo is named rather than searched for.

    `Acme:` (nothing after the colon) and links are text; any other `word:value` is a filter,
    and an unknown one is an error naming the filters that exist.
    """
    name = key.casefold()
    if name in FILTERS:
        return True
    if not value or value.startswith("//"):
        return False
    valid = " ".join(f"`{f}:`" for f in FILTERS)
    raise QueryError(f"I don't know the filter `{key}:`. The filters are {valid}.")


_EXAMPLES = {
    "outcome": "`outcome:walk`",
    "signal": "`signal:unclear_ownership`",
    "rep": "`rep:@someone`",
    "status": "`status:open`",
    "since": "`since:2026-01-01`",
    "until": "`until:2026-03-31`",
}


def _values(raw: list[str], name: str, convert: Callable[[str], _T]) -> tuple[_T, ...]:
    converted = list(dict.fromkeys(convert(value) for value in raw))
    if len(converted) > MAX_VALUES:
        raise QueryError(f"That is more than {MAX_VALUES} `{name}:` values; name fewer.")
    return tuple(converted)


def _key(value: str) -> str:
    return value.strip().casefold().replace("-", "_")


def _outcome(value: str) -> Outcome:
    key = _key(value)
    if key in _OUTCOME_ALIASES:
        return _OUTCOME_ALIASES[key]
    try:
        return Outcome(key)
    except ValueError:
        valid = ", ".join(f"`{o.value}`" for o in Outcome)
        raise QueryError(f"`outcome:{value}` is not an outcome. Use one of {valid}.") from None


def _signal(value: str) -> str:
    key = _key(value)
    if key not in SIGNALS:
        valid = ", ".join(f"`{s}`" for s in SIGNALS)
        raise QueryError(f"`signal:{value}` is not a signal I record. Use one of {valid}.")
    return key


def _status(value: str) -> str:
    key = value.strip().casefold()
    key = _STATUS_ALIASES.get(key, key)
    if key not in STATUSES:
        valid = ", ".join(f"`{s}`" for s in STATUSES)
        raise QueryError(f"`status:{value}` is not a status. Use one of {valid}.")
    return key


def _rep(value: str) -> RepFilter:
    value = value.strip()
    if value.casefold() in ("me", "@me"):
        return RepFilter(me=True)
    mention = _MENTION.match(value)
    if mention:
        return RepFilter(slack_id=mention.group(1))
    if _USER_ID.match(value):
        return RepFilter(slack_id=value)
    name = _NAME.match(value)
    if name:
        return RepFilter(name=name.group(1))
    raise QueryError(
        f"`rep:{value}` is not someone I can look up: type `rep:@` and pick the person, "
        "or use `rep:me`."
    )


def _day(raw: list[str], name: str, *, first: bool) -> date | None:
    """The last value given wins; YYYY and YYYY-MM stand for their first (or last) day."""
    if not raw:
        return None
    value = raw[-1].strip()
    match = _DATE.match(value)
    problem = (
        f"`{name}:{value}` is not a date I can read. Write it as YYYY-MM-DD, "
        f"for example {_EXAMPLES[name]}."
    )
    if not match:
        raise QueryError(problem)
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    try:
        if month is None:
            return date(year, 1, 1) if first else date(year, 12, 31)
        if day is None:
            last = calendar.monthrange(year, month)[1]
            return date(year, month, 1) if first else date(year, month, last)
        return date(year, month, day)
    except (ValueError, calendar.IllegalMonthError):
        raise QueryError(problem) from None
