"""The tone check's learned sentence reader, on a tiny model whose arithmetic can be followed.

The shipped model's quality is measured on the corpus (test_tone_corpus.py and
tests/bench/tone_bench.py); these tests pin the parts that must not drift between training and
use: how a sentence becomes words and features, how a message is cut into sentences, how the
weights become a chance, and how the checker merges the model's faults with the rules'.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from bot.domain.tone import check_tone, load_tone_rules
from bot.domain.tone_model import (
    ToneModel,
    default_path_model,
    default_tone_model,
    features,
    load_tone_model,
    sentences,
    words,
)


def tiny_model(threshold: float = 0.5, veto: float = 1.0) -> ToneModel:
    """Two features: "purple" votes for blame, "thanks" for good; nothing else weighs."""
    data = {
        "version": 1,
        "classes": ["blame", "good"],
        "vocabulary": ["purple", "thanks"],
        "idf": [2.0, 1.0],
        "readers": [{"weights": [[3.0, -3.0], [-2.0, 2.0]], "intercept": [0.0, 0.5]}],
        "threshold": threshold,
        "veto": veto,
    }
    return load_tone_model(json.dumps(data))


def test_words_spell_out_contractions_and_fold_numbers_and_days() -> None:
    assert words("We won\u2019t wait past Friday the 30th, it's $4,000!") == [
        "we",
        "will",
        "not",
        "wait",
        "past",
        "<day>",
        "the",
        "<num>",
        "it",
        "$",
        "<num>",
        "<num>",
    ]
    assert words("I can't") == words("I cannot") == ["i", "can", "not"]


def test_features_are_counted_one_to_three_grams_with_the_sentence_edges() -> None:
    grams = features("No deal now")
    assert grams["no"] == 1.0
    assert grams["<s> no"] == 1.0
    assert grams["deal now </s>"] == 1.0
    assert "<s>" not in grams and "</s>" not in grams
    assert features("again and again")["again"] == 2.0


def test_chances_are_the_softmax_of_the_weighted_tf_idf() -> None:
    model = tiny_model()
    chances = model.probabilities("You are purple")
    # One known feature, "purple": tf-idf 2.0, unit length 1.0, so blame scores 3, good 0.5 - 3.
    blame = math.exp(3.0) / (math.exp(3.0) + math.exp(-2.5))
    assert chances["blame"] == pytest.approx(blame)
    assert sum(chances.values()) == pytest.approx(1.0)
    assert model.finding("You are purple") == "blame"
    assert model.finding("Many thanks for the time") is None
    assert model.finding("Words it never saw") is None  # the intercept favours good


def test_the_threshold_decides_how_sure_the_model_must_be() -> None:
    sentence = "Thanks, but that was purple"
    # tf-idf (2, 1) over length sqrt(5): blame scores 4/sqrt(5), good 0.5 - 4/sqrt(5); P ~ 0.956.
    assert tiny_model(threshold=0.95).finding(sentence) == "blame"
    assert tiny_model(threshold=0.96).finding(sentence) is None


def test_sentences_are_spans_of_the_text_as_written_without_short_lines() -> None:
    text = "Hi Sam,\nYour team was purple about the data. Thanks for the call today!\nBest,\nDana"
    spans = [text[a:b] for a, b in sentences(text)]
    assert spans == ["Your team was purple about the data.", "Thanks for the call today!"]


def test_the_model_adds_a_fault_for_a_sentence_no_rule_flagged() -> None:
    text = "Your analysts were purple with the export files. If your audit lands, I'll call again."
    alone = check_tone(text, learned=False)
    faults = check_tone(text, model=tiny_model())
    assert [f.code for f in alone] == []
    assert [(f.code, f.excerpt) for f in faults] == [
        ("blame", "Your analysts were purple with the export files.")
    ]
    assert faults[0].label == "Blames or judges the buyer"


def test_a_sentence_a_rule_flagged_is_not_read_again_by_the_model() -> None:
    text = "You wasted our time and were purple too. If your audit lands, I'll call again."
    with_model = check_tone(text, model=tiny_model())
    assert with_model == check_tone(text, learned=False)


def test_the_model_overrules_a_shipped_rule_only_where_it_is_sure_the_sentence_is_good() -> None:
    text = "Many thanks, you wasted our time. If your audit lands, I'll call again."
    ruled = check_tone(text, learned=False)
    assert "blame" in {f.code for f in ruled}
    # "thanks" alone: good scores 2.5, blame -2, so the chance of good is about 0.99.
    assert check_tone(text, model=tiny_model(veto=0.98)) == []
    assert check_tone(text, model=tiny_model(veto=0.999)) == ruled


def test_a_teams_own_rule_is_never_overruled(tmp_path: Path) -> None:
    path = tmp_path / "tone.yml"
    path.write_text(
        "faults:\n  - code: blame\n    message: m\n    suggestion: s\n"
        "    patterns: ['bespoke insult']\n",
        "utf-8",
    )
    faults = check_tone("Many thanks, a bespoke insult.", rules=load_tone_rules(path))
    assert [f.code for f in faults] == ["blame"]
    faults = check_tone(
        "Many thanks, a bespoke insult.", rules=load_tone_rules(path), model=tiny_model(veto=0.5)
    )
    assert [f.code for f in faults] == ["blame"]


def test_the_shipped_model_loads_and_knows_every_kind_it_can_name() -> None:
    model = default_tone_model()
    assert "good" in model.classes
    assert set(model.classes) - {"good"} <= {
        "blame",
        "guilt",
        "threat",
        "bluff",
        "ultimatum",
        "self_centred",
    }
    assert 0.0 < model.threshold < 1.0
    assert 0.5 < model.veto <= 1.0


def test_the_chances_of_several_readers_are_averaged() -> None:
    sure = {"weights": [[5.0, -5.0]], "intercept": [0.0, 0.0]}
    unsure = {"weights": [0], "intercept": [0.0, 0.0]}
    data = {
        "classes": ["blame", "good"],
        "vocabulary": ["purple"],
        "idf": [1.0],
        "readers": [sure, unsure],
        "threshold": 0.5,
    }
    chances = load_tone_model(json.dumps(data)).probabilities("purple")
    one = math.exp(5.0) / (math.exp(5.0) + math.exp(-5.0))
    assert chances["blame"] == pytest.approx((one + 0.5) / 2)


def tiny_path_model() -> ToneModel:
    """One feature: "kickoff" votes for a path back."""
    data = {
        "classes": ["none", "path_back"],
        "vocabulary": ["kickoff"],
        "idf": [1.0],
        "readers": [{"weights": [[-3.0, 3.0]], "intercept": [0.5, -0.5]}],
        "threshold": 0.5,
        "nothing": "none",
    }
    return load_tone_model(json.dumps(data))


def test_the_path_reader_lifts_missing_conditions_only_where_it_finds_a_path_back() -> None:
    found = "Thanks for the update. I'll write on 16 January to book a kickoff with your team."
    none = "Thanks for the update. We have closed the file on our side for this year."
    path = tiny_path_model()
    assert [f.code for f in check_tone(found, learned=False)] == ["missing_conditions"]
    assert check_tone(found, path_model=path) == []
    assert [f.code for f in check_tone(none, path_model=path)] == ["missing_conditions"]


def test_the_shipped_path_reader_loads() -> None:
    model = default_path_model()
    assert set(model.classes) == {"none", "path_back"}
    assert model.nothing == "none"
