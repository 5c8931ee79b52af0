"""The tone check's learned sentence readers, after its phrase rules.

Two readers share this code: one reads each sentence for the six kinds of fault
(`default_tone_model`), one for a path back that the missing-conditions rule did not see
(`default_path_model`).

Seven rounds of phrase rules (`prompts/tone.yml`) said the same thing: rules written from
examples catch the wording of those examples and about half of a fresh writer's faulty wording.
Linear models over the words of a sentence carry further, because they weigh every word
seen in thousands of faulty and good sentences instead of waiting for one exact phrase.

A reader is data, like the rules: `prompts/tone_model.json` and `prompts/tone_path_model.json`
hold their vocabulary, weights and threshold, written by `tests/bench/tone_train.py`
(scikit-learn, installed only for training).
Reading it needs no numpy: a sentence has a few dozen features, so the arithmetic is a few
hundred multiplications in plain Python, and the Slack app's install stays small. The features
are computed here, by the same function the trainer calls, so training and use cannot drift.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from typing import Any

DEFAULT_MODEL = "tone_model.json"
PATH_MODEL = "tone_path_model.json"
GOOD = "good"
PATH_BACK = "path_back"
"""The path reader's one finding: the sentence says what would make it worth talking again."""

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[$€£%]")
_NUMBER = re.compile(r"^\d+(st|nd|rd|th)?$")
_WEEKDAY = re.compile(
    r"^(monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri)$"
)
_CONTRACTIONS = {
    "n't": " not",
    "'ll": " will",
    "'re": " are",
    "'ve": " have",
    "'m": " am",
    "'d": " would",
}


def words(sentence: str) -> list[str]:
    """Lower-case words with contractions spelled out and numbers and weekdays folded.

    "We'll", "we will" and "we're going to" should weigh the same; "Friday" and "the 30th"
    are both a date the model should learn as one idea, not as a word it has never seen.
    """
    text = sentence.translate(_QUOTES).lower()
    text = text.replace("can't", "can not").replace("won't", "will not")
    text = text.replace("cannot", "can not")
    for short, long in _CONTRACTIONS.items():
        text = text.replace(short, long)
    out: list[str] = []
    for word in _WORD.findall(text):
        if _NUMBER.match(word):
            out.append("<num>")
        elif _WEEKDAY.match(word):
            out.append("<day>")
        else:
            out.append(word.removesuffix("'s"))
    return out


def features(sentence: str) -> dict[str, float]:
    """Word uni-, bi- and trigrams, counted: the trainer and the checker both call this."""
    tokens = words(sentence)
    counts: dict[str, float] = {}
    padded = ["<s>", *tokens, "</s>"]
    for n in (1, 2, 3):
        for i in range(len(padded) - n + 1):
            gram = " ".join(padded[i : i + n])
            if gram in ("<s>", "</s>"):
                continue
            counts[gram] = counts.get(gram, 0.0) + 1.0
    return counts


@dataclass(frozen=True)
class Linear:
    """One linear reader: a weight per class for each feature it weighs, and a bias per class."""

    weights: dict[int, tuple[float, ...]]
    """Feature index -> one weight per class; features with no weight are left out."""
    intercept: tuple[float, ...]

    def chances(self, vector: dict[int, float]) -> list[float]:
        """The softmax of the scores: the chance of each class."""
        scores = list(self.intercept)
        for index, value in vector.items():
            row = self.weights.get(index)
            if row is None:
                continue
            for k, weight in enumerate(row):
                scores[k] += weight * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return [e / total for e in exps]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Linear:
        return cls(
            weights={
                index: tuple(float(w) for w in row)
                for index, row in enumerate(data["weights"])
                if row
            },
            intercept=tuple(float(x) for x in data["intercept"]),
        )


@dataclass(frozen=True)
class ToneModel:
    """Readers over the same tf-idf features whose chances are averaged.

    The trainer ships two: a logistic regression and a naive Bayes model. Each alone catches
    about the same share of faulty sentences by authors it has not read; they miss different
    ones, and their average catches more at the same rate of false alarms (tone_train.py).
    """

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: tuple[float, ...]
    readers: tuple[Linear, ...]
    threshold: float
    """A sentence is reported when the chance of `nothing` falls to 1 - threshold or below."""
    veto: float = 1.0
    """A sentence whose chance of being good is at least this overrules a phrase rule's hit."""
    nothing: str = GOOD
    """The class that means there is nothing to report ("none" for the path reader)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ToneModel:
        return cls(
            classes=tuple(data["classes"]),
            vocabulary={str(gram): index for index, gram in enumerate(data["vocabulary"])},
            idf=tuple(float(x) for x in data["idf"]),
            readers=tuple(Linear.from_json(r) for r in data["readers"]),
            threshold=float(data["threshold"]),
            veto=float(data.get("veto", 1.0)),
            nothing=str(data.get("nothing", GOOD)),
        )

    def vector(self, sentence: str) -> dict[int, float]:
        """The sentence's tf-idf (log counts), of unit length, as scikit-learn computes it."""
        vector: dict[int, float] = {}
        for gram, count in features(sentence).items():
            index = self.vocabulary.get(gram)
            if index is not None:
                vector[index] = (1.0 + math.log(count)) * self.idf[index]
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {index: value / norm for index, value in vector.items()}

    def probabilities(self, sentence: str) -> dict[str, float]:
        """The chance of each class for one sentence, averaged over the readers."""
        vector = self.vector(sentence)
        total = [0.0] * len(self.classes)
        for reader in self.readers:
            for k, chance in enumerate(reader.chances(vector)):
                total[k] += chance / len(self.readers)
        return dict(zip(self.classes, total, strict=True))

    def reads_good(self, sentence: str) -> bool:
        return self.probabilities(sentence)[self.nothing] >= self.veto

    def finding(self, sentence: str) -> str | None:
        """The likeliest class to report (a kind of fault, a path back), or None."""
        chances = self.probabilities(sentence)
        if 1.0 - chances[self.nothing] < self.threshold:
            return None
        return max((c for c in self.classes if c != self.nothing), key=lambda c: chances[c])


def load_tone_model(text: str) -> ToneModel:
    return ToneModel.from_json(json.loads(text))


@functools.cache
def default_tone_model() -> ToneModel:
    """The sentence reader for the six kinds of fault."""
    text = resources.files("prompts").joinpath(DEFAULT_MODEL).read_text("utf-8")
    return load_tone_model(text)


@functools.cache
def default_path_model() -> ToneModel:
    """The sentence reader for a path back, which the missing-conditions rule asks for.

    The rule looks for a condition and an offer to return in one sentence, in words it knows;
    fresh wording of a path back ("I'll reach out on 16 January to book a kickoff") got past
    it and a good message was told it had none. This reader is asked only when the rule found
    nothing, so it can only lift that complaint, never raise it.
    """
    text = resources.files("prompts").joinpath(PATH_MODEL).read_text("utf-8")
    return load_tone_model(text)


_BREAK = re.compile(r"(?<=[.!?])[\"')\]]*\s+|\n\s*")
MIN_WORDS = 4
"""Greetings, sign-offs and names ("Hi Sam,", "Best, Dana") are never a fault of tone."""


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the sentences of a message, in the text as written, skipping the short lines."""
    start = 0
    for match in _BREAK.finditer(text):
        yield from _span(text, start, match.start())
        start = match.end()
    yield from _span(text, start, len(text))


def _span(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    piece = text[start:end]
    stripped = piece.strip()
    if len(words(stripped)) < MIN_WORDS:
        return
    offset = start + piece.index(stripped)
    yield offset, offset + len(stripped)
