"""Train the tone check's sentence readers and write their weights under `prompts/`.

Run from the repository root, after `pip install -e '.[train]'`:

    .venv/bin/python -m tests.bench.tone_train [--reader faults|path] [--check]

`--reader faults` (the default) writes `prompts/tone_model.json`, the reader of the six kinds
of fault; `--reader path` writes `prompts/tone_path_model.json`, the reader that finds a path
back where the missing-conditions rule does not (from `tests/bench/tone_path_sentences.yml` and
the corpus, see `path_examples`). What the fault reader learns from (never the blind sets,
which stay a fair test of fresh wording):
- `tests/bench/tone_sentences.yml`: 8,550 sentences, each labelled good or with its kind of
  fault, written for training by eighteen authors in different registers (its header says
  which) from the kinds' definitions alone;
- every sentence of the corpus's good messages in the sets the rules were written with
  (tests/unit/tone_corpus.yml, dev and round1 to round5), as good;
- the sentences of that corpus's faulty messages that a phrase rule flags, with the rule's kind
  (the others of a faulty message may be fine or not, so they are left out).

Two readers are fitted on the same tf-idf features (word 1-3-grams seen at least twice): a
logistic regression and a multinomial naive Bayes model; their chances are averaged. The
threshold is chosen from out-of-fold predictions (five folds; each corpus message, and each
training author's sentences, kept in one fold, so a fold is scored on wording by someone the
model has not read): the lowest that keeps both good sentences flagged within SENTENCE_BUDGET
and good corpus messages flagged within FALSE_ALARM_BUDGET. The shipped figure is then not one
the model saw its own answers for. `--check` prints the figures and writes nothing.

Chosen with the blind and blind2 sets of the corpus as the validation set (C, ALPHA, the
budgets, VETO and the size of the training data were compared on their totals; their texts
were not read for it, and nothing was learned from them); blind3 was then measured once.
The path reader came after, from what blind3's false alarms showed; blind4 measured both once.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from sklearn.feature_extraction import DictVectorizer
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.naive_bayes import MultinomialNB

from bot.domain.tone import FaultCode, check_tone
from bot.domain.tone_model import GOOD, PATH_BACK, features, sentences
from tests.unit.tone_corpus import Message, load_corpus

ROOT = Path(__file__).resolve().parents[2]
SENTENCES = Path(__file__).with_name("tone_sentences.yml")
PATH_SENTENCES = Path(__file__).with_name("tone_path_sentences.yml")
NONE = "none"
TRAINING_SETS = ("dev", "round1", "round2", "round3", "round4", "round5")
FALSE_ALARM_BUDGET = 0.03
"""Share of good corpus messages the model alone may flag, out of fold (issue 11 allows 5%)."""
SENTENCE_BUDGET = 0.003
"""Share of good sentences the model may flag, out of fold: a message has five to ten."""
PATH_SENTENCE_BUDGET = 0.02
"""Share of sentences with no path back that the path reader may take for one, out of fold."""
PATH_MESSAGE_BUDGET = 0.05
"""Share of corpus messages with no path back in which the path reader may find one."""
VETO = 0.9
"""How sure the model must be that a sentence is good to overrule a shipped phrase rule's hit
there. Out of fold it then overrules about half the rules' hits on good training sentences
and almost none on faulty ones; the trainer prints both."""
C = 16.0
ALPHA = 0.1
DIGITS = 2
"""Weights are kept to two decimals: the fault reader's file is 4.4 MB instead of 6.7 MB at six,
and no chance of good of the corpus's 1,498 sentences moves by more than 0.002."""
MIN_DF = 2


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    group: str
    """The source message, or the author of a training sentence: folds never split one, so
    the out-of-fold figures are for wording by someone the model has not read."""


def written(path: Path) -> list[Example]:
    """The sentences written for training, each in its author's fold."""
    data = yaml.safe_load(path.read_text("utf-8"))
    return [
        Example(str(item["text"]), str(item["kind"]), f"author:{item['author']}")
        for item in data["sentences"]
    ]


def training_messages() -> list[Message]:
    return [m for m in load_corpus() if m.set in TRAINING_SETS]


def fault_examples() -> list[Example]:
    """Sentences labelled good or with their kind of fault."""
    out = written(SENTENCES)
    for message in training_messages():
        spans = list(sentences(message.text))
        if not message.faulty:
            out += [Example(message.text[a:b], GOOD, message.id) for a, b in spans]
            continue
        for a, b in spans:
            found = check_tone(message.text[a:b], expect_conditions=False, learned=False)
            kinds = [f.code for f in found]
            if kinds:
                out.append(Example(message.text[a:b], kinds[0], message.id))
    return out


def path_examples() -> list[Example]:
    """Sentences labelled path_back (says what would make it worth talking again) or none.

    From the corpus: every sentence of a message written as missing its conditions is none;
    in the other messages, a sentence in which the missing-conditions rule finds its condition
    and offer is a path back (the rest are left out: one of them may be a path back in words
    the rule does not know, which is what this reader is for).
    """
    out = written(PATH_SENTENCES)
    for message in training_messages():
        missing = FaultCode.MISSING_CONDITIONS.value in message.kinds
        for a, b in sentences(message.text):
            text = message.text[a:b]
            if missing:
                out.append(Example(text, NONE, message.id))
            elif not any(f.code == "missing_conditions" for f in check_tone(text, learned=False)):
                out.append(Example(text, PATH_BACK, message.id))
    return out


@dataclass(frozen=True)
class Task:
    """One reader to train: what it learns from, its nothing-to-report class and budgets."""

    examples: Callable[[], list[Example]]
    nothing: str
    out: Path
    sentence_budget: float
    """Out of fold, at most this share of nothing-to-report sentences may be read as findings."""
    message_budget: float
    """...and at most this share of the corpus messages whose sentences are all of that class."""
    veto: float = 1.0


TASKS = {
    "faults": Task(
        fault_examples,
        GOOD,
        ROOT / "prompts" / "tone_model.json",
        SENTENCE_BUDGET,
        FALSE_ALARM_BUDGET,
        VETO,
    ),
    "path": Task(
        path_examples,
        NONE,
        ROOT / "prompts" / "tone_path_model.json",
        PATH_SENTENCE_BUDGET,
        PATH_MESSAGE_BUDGET,
    ),
}


Readers = tuple[DictVectorizer, TfidfTransformer, list[LogisticRegression | MultinomialNB]]


def fit(train: Sequence[Example]) -> Readers:
    """The features seen at least MIN_DF times, their tf-idf, and the two readers over them."""
    vectorizer = DictVectorizer()
    counts = vectorizer.fit_transform([features(e.text) for e in train])
    df = np.asarray((counts > 0).sum(axis=0)).ravel()
    keep = np.flatnonzero(df >= MIN_DF)
    vectorizer.restrict(keep, indices=True)
    counts = vectorizer.transform([features(e.text) for e in train])
    tfidf = TfidfTransformer(sublinear_tf=True)
    matrix = tfidf.fit_transform(counts)
    labels = [e.label for e in train]
    regression = LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
    bayes = MultinomialNB(alpha=ALPHA)
    return vectorizer, tfidf, [regression.fit(matrix, labels), bayes.fit(matrix, labels)]


def finding_chance(parts: Readers, texts: Sequence[str], nothing: str) -> np.ndarray:
    """1 - the chance of nothing to report, averaged over the readers, as ToneModel does."""
    vectorizer, tfidf, readers = parts
    matrix = tfidf.transform(vectorizer.transform([features(t) for t in texts]))
    calm = np.zeros(len(texts))
    for reader in readers:
        calm += reader.predict_proba(matrix)[:, list(reader.classes_).index(nothing)] / len(readers)
    return 1.0 - calm


def out_of_fold(data: Sequence[Example], nothing: str = GOOD) -> np.ndarray:
    chances = np.zeros(len(data))
    groups = [e.group for e in data]
    for train, test in GroupKFold(n_splits=5).split(data, groups=groups):
        parts = fit([data[i] for i in train])
        chances[test] = finding_chance(parts, [data[i].text for i in test], nothing)
    return chances


def choose_threshold(data: Sequence[Example], chances: np.ndarray, task: Task) -> float:
    """The lowest threshold that keeps both false-alarm budgets, out of fold.

    Sentences read wrongly (over every sentence with nothing to report) is the steadier figure;
    corpus messages read wrongly (a message being any of its sentences) is what a rep sees, but
    a hundred messages move it by a whole message at a time.
    """
    calm_messages: dict[str, float] = {}
    calm_sentences: list[float] = []
    for example, chance in zip(data, chances, strict=True):
        if example.label != task.nothing:
            continue
        calm_sentences.append(float(chance))
        if not example.group.startswith("author:"):
            calm_messages[example.group] = max(calm_messages.get(example.group, 0.0), chance)
    return max(
        _at_most(sorted(calm_messages.values(), reverse=True), task.message_budget),
        _at_most(sorted(calm_sentences, reverse=True), task.sentence_budget),
    )


def _at_most(worst_first: Sequence[float], budget: float) -> float:
    """The threshold that flags at most `budget` of these chances."""
    allowed = int(budget * len(worst_first))
    return float(worst_first[allowed]) + 1e-6 if worst_first else 0.5


def report(data: Sequence[Example], chances: np.ndarray, threshold: float, task: Task) -> None:
    found = [c for e, c in zip(data, chances, strict=True) if e.label != task.nothing]
    calm = [c for e, c in zip(data, chances, strict=True) if e.label == task.nothing]
    caught = sum(c >= threshold for c in found)
    alarms = sum(c >= threshold for c in calm)
    print(f"examples: {len(data)} ({len(found)} to find, {len(calm)} {task.nothing})")
    print(f"threshold (chance of a finding): {threshold:.3f}")
    print(f"out of fold: sentences to find, found {caught}/{len(found)}")
    print(f"out of fold: {task.nothing} sentences read as findings {alarms}/{len(calm)}")
    if task.veto >= 1.0:
        return
    ruled = [
        (e, c)
        for e, c in zip(data, chances, strict=True)
        if any(f.excerpt for f in check_tone(e.text, expect_conditions=False, learned=False))
    ]
    for label, wanted in (("faulty", False), ("good", True)):
        hits = [c for e, c in ruled if (e.label == GOOD) is wanted]
        overruled = sum(1.0 - c >= task.veto for c in hits)
        print(f"out of fold: rule hits overruled on {label} sentences {overruled}/{len(hits)}")


def export(parts: Readers, threshold: float, task: Task) -> dict[str, object]:
    vectorizer, tfidf, readers = parts
    return {
        "version": 2,
        "classes": [str(c) for c in readers[0].classes_],
        "vocabulary": [str(gram) for gram in vectorizer.get_feature_names_out()],
        "idf": [round(float(x), 4) for x in tfidf.idf_],
        "readers": [_linear(reader) for reader in readers],
        "threshold": round(threshold, 4),
        "veto": task.veto,
        "nothing": task.nothing,
    }


def _linear(reader: LogisticRegression | MultinomialNB) -> dict[str, object]:
    """Weights per feature and class, and a bias per class, for either kind of reader.

    Naive Bayes is linear in the features too: log P(class) + x . log P(feature | class).
    A constant added to every class's weight of a feature changes no chance, so each feature's
    weights are centred, and a feature whose weights all round to zero is written as one 0.
    """
    if isinstance(reader, MultinomialNB):
        coef = reader.feature_log_prob_
        intercept = reader.class_log_prior_
    elif reader.coef_.shape[0] == 1:  # two classes: one row, for the second class
        coef = np.vstack([-reader.coef_[0] / 2, reader.coef_[0] / 2])
        intercept = np.array([-reader.intercept_[0] / 2, reader.intercept_[0] / 2])
    else:
        coef = reader.coef_
        intercept = np.ravel(reader.intercept_)
    coef = coef - coef.mean(axis=0, keepdims=True)
    rows = [[round(float(w), DIGITS) for w in coef[:, index]] for index in range(coef.shape[1])]
    weights = [row if any(row) else 0 for row in rows]
    return {"weights": weights, "intercept": [round(float(x), 4) for x in intercept]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="print figures, write nothing")
    parser.add_argument(
        "--reader", choices=sorted(TASKS), default="faults", help="which reader to train"
    )
    args = parser.parse_args(argv)
    task = TASKS[args.reader]
    data = task.examples()
    chances = out_of_fold(data, task.nothing)
    threshold = choose_threshold(data, chances, task)
    report(data, chances, threshold, task)
    if args.check:
        return 0
    model = export(fit(data), threshold, task)
    task.out.write_text(json.dumps(model, separators=(",", ":")) + "\n")
    print(f"wrote {task.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
