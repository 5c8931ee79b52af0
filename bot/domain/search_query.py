"""The `/walkaway search` query language, parsed without Slack or a database.

`acme renewal outcome:walked signal:ownership rep:@ria status:open since:2026-01-01` is
words plus filters. Words are always text: quotes, `-`, `*`, `NEAR(`, `AND`/`OR`, SQL and emoji
cannot change what the search does, because each word is cut down to its letters and digits
here and bound as a literal by storage.search, which treats each as one quoted term on both
backends. Every word must appear (stemmed: "guarantees" finds "guarantee"); filters of one kind
widen each other (`outcome:walk outcome:defer`, or `outcome:walk,defer`), filters of different
kinds narrow.

Filter values are what a person types, not our ids: `outcome:walked`, `signal:ownership` (any
word of a signal's label or id, a prefix of one, or a near miss of one), `status:re-engaged`,
`rep:@dana`. A value that fits exactly one choice is that choice; one that fits several, or
none, is a QueryError listing the choices to pick from, never an empty result.

Anything the user can get wrong becomes a QueryError whose message can be shown as it is: an
unknown filter is named with the valid ones, a bad value with the accepted values, a malformed
date with the format. A very long query is trimmed, not refused.
"""

from __future__ import annotations

import calendar
import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from bot.domain.checklist import CONTRACT
from bot.domain.dates import day_words
from bot.domain.labels import OUTCOME_WORDS, SIGNAL_LABELS, STATUS_LABELS, STATUS_WORDS
from bot.domain.model import Outcome
from bot.domain.signals import FAILURE_MODE, SIGNAL_IDS

MAX_WORDS = 20
"""Every word must match, so more than a handful only ever narrows to nothing; 20 is plenty."""
MAX_WORD = 40
"""Longer 'words' are pasted junk; cut, they still match nothing, without costing anything."""
MAX_VALUES = 10
"""Per filter kind, so a query always fits in a button value when paging."""

FILTERS = ("outcome", "signal", "rep", "status", "since", "until")

STATUSES = tuple(STATUS_LABELS)
SIGNALS: tuple[str, ...] = (*SIGNAL_IDS, *(CONTRACT[FAILURE_MODE] or ()))
"""Fired signals and old failure modes: the verdict's tags a `signal:` filter can name."""
_T = TypeVar("_T")
_K = TypeVar("_K", bound=str)
NEAR_MISS = 0.8
"""How alike a typed word and a label's word must be (difflib's ratio) to count as a typo of it:
"ownrship" finds "ownership", "walk" does not find "talk"."""
MAX_CHOICES_SHOWN = 14

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
_QUOTED_REP = re.compile(r"""(?i)(?<!\S)rep:@?["“]([\w.\-' ]{1,80})["”](?!\S)""")
"""`rep:"Dana Reyes"`: a display name with spaces, in straight or curly quotes."""
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
        if self.name and " " in self.name:
            return f'"{self.name}"'
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

    def described(self) -> list[str]:
        """Each filter in the words a person reads ("walked away", not `outcome:walk`): what a
        result page says it searched for. Reps are left to the caller, who can name them."""
        shown = [f"outcome {o.label}" for o in self.outcomes]
        shown += [SIGNAL_LABELS.get(s, s) for s in self.signals]
        shown += [f"status {STATUS_LABELS.get(s, s)}" for s in self.statuses]
        if self.since:
            shown.append(f"since {day_words(self.since)}")
        if self.until:
            shown.append(f"until {day_words(self.until)}")
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
    for quoted in _QUOTED_REP.finditer(text):  # a name with spaces: rep:"Dana Reyes"
        found["rep"].append('"' + " ".join(quoted.group(1).split()) + '"')
    text = _QUOTED_REP.sub(" ", text)
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
    "outcome": "`outcome:walked`",
    "signal": "`signal:ownership`",
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


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.casefold()) if w]


def _word_fits(typed: str, word: str) -> bool:
    """`typed` names `word`: the same, a prefix of it (3 letters at least), or a near miss."""
    if typed == word or (len(typed) >= 3 and word.startswith(typed)):
        return True
    if len(typed) >= 4 and len(word) >= 4 and typed.startswith(word):
        return True  # "walked" for "walk", "deferral" for "defer"
    return len(typed) >= 4 and difflib.SequenceMatcher(None, typed, word).ratio() >= NEAR_MISS


def matches(value: str, choices: Mapping[_K, Sequence[str]]) -> list[_K]:
    """The choices `value` may mean, most certain first; each choice is known by its phrases.

    A value equal to one of a choice's phrases (letters and digits compared, case and
    punctuation ignored) is that choice alone. Otherwise every typed word (stop words aside)
    must fit some word of one of the choice's phrases: equal, a prefix, or a near miss.
    """
    typed = _words(value)
    if not typed:
        return []
    joined = "".join(typed)
    exact = [
        k for k, phrases in choices.items() if any("".join(_words(p)) == joined for p in phrases)
    ]
    if exact:
        return exact
    meaningful = [t for t in typed if t not in STOP_WORDS] or typed
    found: list[_K] = []
    for key, phrases in choices.items():
        vocabulary = {w for phrase in phrases for w in _words(phrase)}
        if all(any(_word_fits(t, w) for w in vocabulary) for t in meaningful):
            found.append(key)
    return found


def _choose(
    value: str,
    name: str,
    kind: str,
    choices: Mapping[_K, Sequence[str]],
    label: Callable[[_K], str],
    code: Callable[[_K], str],
) -> _K:
    """The one choice `value` means, or a QueryError listing what to pick from."""
    found = matches(value, choices)
    if len(found) == 1:
        return found[0]
    listed = found if found else list(choices)
    shown = listed[:MAX_CHOICES_SHOWN]
    lines = "\n".join(f"• {label(k)}: `{name}:{code(k)}`" for k in shown)
    if len(listed) > len(shown):
        lines += f"\n• …and {len(listed) - len(shown)} more"
    if found:
        raise QueryError(
            f"`{name}:{value}` matches {len(found)} {kind}s. Which one?\n{lines}\n"
            f"Several at once: separate them with commas, e.g. `{name}:{code(found[0])},"
            f"{code(found[1])}`."
        )
    raise QueryError(f"`{name}:{value}` is not a {kind} I know. Pick one of these:\n{lines}")


_OUTCOME_CHOICES: Mapping[Outcome, Sequence[str]] = {
    o: (o.value, o.label, *OUTCOME_WORDS.get(o, ())) for o in Outcome
}
_SIGNAL_CHOICES: Mapping[str, Sequence[str]] = {
    s: (s, s.replace("_", " "), SIGNAL_LABELS.get(s, s)) for s in SIGNALS
}
_STATUS_CHOICES: Mapping[str, Sequence[str]] = {
    s: (s, STATUS_LABELS[s], *STATUS_WORDS.get(s, ())) for s in STATUSES
}


def _outcome(value: str) -> Outcome:
    return _choose(
        value, "outcome", "outcome", _OUTCOME_CHOICES, lambda o: o.label, lambda o: o.value
    )


def _signal(value: str) -> str:
    return _choose(
        value,
        "signal",
        "signal",
        _SIGNAL_CHOICES,
        lambda s: SIGNAL_LABELS.get(s, s),
        lambda s: s,
    )


def _status(value: str) -> str:
    return _choose(value, "status", "status", _STATUS_CHOICES, lambda s: STATUS_LABELS[s], str)


def _rep(value: str) -> RepFilter:
    value = value.strip()
    if len(value) > 2 and value.startswith('"') and value.endswith('"') and value[1:-1].strip():
        return RepFilter(name=value[1:-1])
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
