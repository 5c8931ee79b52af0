"""The tone corpus (tone_corpus.yml) and how the tone check scores on it.

Shared by the unit test, which holds the rules to the targets, and tests/bench/tone_bench.py,
which prints the figures; both read the same scores so they cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.domain.tone import FaultCode
from bot.domain.tone_report import tone_issues

CORPUS = Path(__file__).with_name("tone_corpus.yml")
SETS = (
    "dev",
    "round1",
    "round2",
    "round3",
    "round4",
    "round5",
    "blind",
    "blind2",
    "blind3",
    "blind4",
)
RECALL_TARGET = 0.95
"""At least this share of faulty messages flagged (issue 11)."""
FALSE_ALARM_TARGET = 0.05
"""At most this share of good messages flagged (issue 11)."""


@dataclass(frozen=True)
class Message:
    id: str
    set: str
    kinds: frozenset[str]
    text: str
    miss: bool = False

    @property
    def faulty(self) -> bool:
        return bool(self.kinds)


@dataclass(frozen=True)
class Scored:
    message: Message
    found: frozenset[str]

    @property
    def flagged(self) -> bool:
        return bool(self.found)

    @property
    def exact(self) -> bool:
        """Every expected kind found, and nothing else."""
        return self.found == self.message.kinds


def load_corpus(path: Path = CORPUS) -> list[Message]:
    data = yaml.safe_load(path.read_text("utf-8"))
    messages = [
        Message(
            id=str(item["id"]),
            set=str(item["set"]),
            kinds=frozenset(item["kinds"]),
            text=str(item["text"]),
            miss=bool(item.get("miss", False)),
        )
        for item in data["messages"]
    ]
    known = {code.value for code in FaultCode}
    for message in messages:
        assert message.set in SETS, f"{message.id}: unknown set {message.set!r}"
        assert message.kinds <= known, f"{message.id}: unknown kinds {message.kinds - known}"
    ids = [m.id for m in messages]
    assert len(ids) == len(set(ids)), "corpus ids must be unique"
    return messages


def score(messages: Iterable[Message]) -> list[Scored]:
    return [Scored(m, frozenset(i.kind for i in tone_issues(m.text))) for m in messages]


@dataclass(frozen=True)
class Rates:
    faulty: int
    flagged: int
    """Faulty messages with at least one fault found."""
    exact: int
    """Faulty messages whose expected kinds were all found, and no others."""
    good: int
    false_alarms: int
    """Good messages with any fault found."""

    @property
    def recall(self) -> float:
        return self.flagged / self.faulty if self.faulty else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.good if self.good else 0.0


def rates(scored: Sequence[Scored]) -> Rates:
    faulty = [s for s in scored if s.message.faulty]
    good = [s for s in scored if not s.message.faulty]
    return Rates(
        faulty=len(faulty),
        flagged=sum(s.flagged for s in faulty),
        exact=sum(s.exact for s in faulty),
        good=len(good),
        false_alarms=sum(s.flagged for s in good),
    )


@dataclass(frozen=True)
class KindRates:
    kind: str
    expected: int
    """Messages that should show this kind."""
    found: int
    """Of those, the ones where it was found."""
    false_alarms: int
    """Messages where it was found but should not have been (good or faulty)."""


def per_kind(scored: Sequence[Scored]) -> list[KindRates]:
    return [
        KindRates(
            kind=code.value,
            expected=sum(code.value in s.message.kinds for s in scored),
            found=sum(code.value in s.message.kinds and code.value in s.found for s in scored),
            false_alarms=sum(
                code.value in s.found and code.value not in s.message.kinds for s in scored
            ),
        )
        for code in FaultCode
    ]
