"""Tone checks for walk-away messages: the phrases that turn an honest no into a slammed door.

A rep edits the drafted message before it goes out; the edit is checked here and every fault
comes back with the exact words that tripped it, so a UI can point at them. The phrases live in
`prompts/tone.yml` as data, because teams learn new ways to sound desperate faster than code
ships; the file is validated and compiled once, and a broken pattern names its rule.

`check_tone` gives every hit; `bot.domain.tone_report` folds them into what a person is shown.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.domain.tone_model import ToneModel, default_path_model, default_tone_model, sentences

DEFAULT_TONE_RULES = "tone.yml"
CONDITION_WINDOW = 200


class FaultCode(StrEnum):
    BLAME = "blame"
    GUILT = "guilt"
    THREAT = "threat"
    BLUFF = "bluff"
    ULTIMATUM = "ultimatum"
    SELF_CENTRED = "self_centred"
    MISSING_CONDITIONS = "missing_conditions"


@dataclass(frozen=True)
class ToneFault:
    """One thing to fix: `excerpt` is the text as the rep wrote it ("" for something missing)."""

    code: str
    excerpt: str
    message: str
    suggestion: str
    label: str = ""
    """The kind of fault as the head of a list line ("Blames or judges the buyer")."""


class ToneRulesError(ValueError):
    """The tone rules file cannot be used; the message names the rule and the pattern."""


class _RuleSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    code: FaultCode
    label: str | None = Field(default=None, min_length=1)
    message: str = Field(min_length=1)
    suggestion: str = Field(min_length=1)
    patterns: tuple[str, ...] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for number, pattern in enumerate(patterns, start=1):
            try:
                compiled = _compile(pattern)
            except re.error as exc:
                raise ValueError(
                    f"pattern {number} {pattern!r} is not a valid regular expression: {exc}"
                ) from None
            if compiled.fullmatch(""):
                raise ValueError(f"pattern {number} {pattern!r} matches empty text")
        return patterns


class _ToneFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: int | str = 1
    terms: dict[str, str] = {}
    faults: tuple[_RuleSpec, ...] = Field(min_length=1)
    required: tuple[_RuleSpec, ...] = ()


@dataclass(frozen=True)
class ToneRule:
    code: FaultCode
    message: str
    suggestion: str
    patterns: tuple[re.Pattern[str], ...]
    label: str = ""

    def fault(self, excerpt: str) -> ToneFault:
        return ToneFault(self.code.value, excerpt, self.message, self.suggestion, self.label)


@dataclass(frozen=True)
class ToneRules:
    faults: tuple[ToneRule, ...]
    """A match of any pattern is a fault."""
    required: tuple[ToneRule, ...]
    """The fault is raised when none of the patterns match."""


def _compile(pattern: str) -> re.Pattern[str]:
    # Whole words only: "fool" must not fire inside "foolproof".
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)


def parse_tone_rules(text: str, *, source: str = DEFAULT_TONE_RULES) -> ToneRules:
    """Validate and compile a tone rules file; every failure is one ToneRulesError."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ToneRulesError(f"{source}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ToneRulesError(f"{source}: expected a mapping with a 'faults' list")
    data = _expand_terms(data, source)
    try:
        spec = _ToneFile.model_validate(data)
    except ValidationError as exc:
        raise ToneRulesError(_describe(exc, data, source)) from None

    def build(rule: _RuleSpec) -> ToneRule:
        compiled = tuple(_compile(p) for p in rule.patterns)
        message = " ".join(rule.message.split())
        return ToneRule(
            rule.code,
            message,
            as_sentence(rule.suggestion),
            compiled,
            as_label(rule.label or message),
        )

    return ToneRules(
        faults=tuple(build(r) for r in spec.faults),
        required=tuple(build(r) for r in spec.required),
    )


_TERM = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _expand_terms(data: dict[str, Any], source: str) -> dict[str, Any]:
    """Put each `{{name}}` of a pattern's text in place, from the file's `terms`.

    The ultimatum rules need the same list of ways to say "we will walk" in several patterns;
    naming it once keeps them readable and the same. A term may use the terms above it.
    Regular expressions never contain `{{`, so the notation cannot clash with a quantifier.
    """
    terms = data.get("terms") or {}
    if not isinstance(terms, dict):
        raise ToneRulesError(f"{source}: field 'terms': expected a mapping of name to pattern")
    known: dict[str, str] = {}

    def expand(text: str, where: str) -> str:
        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in known:
                raise ToneRulesError(f"{source}: {where}: unknown term {{{{{name}}}}}")
            return f"(?:{known[name]})"

        expanded = _TERM.sub(one, text)
        if "{{" in expanded or "}}" in expanded:
            raise ToneRulesError(f"{source}: {where}: a {{{{term}}}} is not closed: {text!r}")
        return expanded

    for name, pattern in terms.items():
        if not isinstance(pattern, str):
            raise ToneRulesError(f"{source}: term '{name}': expected a pattern")
        known[str(name)] = expand(pattern, f"term '{name}'")
    expanded = {key: value for key, value in data.items() if key != "terms"}
    for section in ("faults", "required"):
        rules = data.get(section)
        if not isinstance(rules, list):
            continue
        out: list[Any] = []
        for rule in rules:
            patterns = rule.get("patterns") if isinstance(rule, dict) else None
            if isinstance(patterns, list):
                where = f"rule '{rule.get('code', '?')}'"
                rule = {
                    **rule,
                    "patterns": [expand(p, where) if isinstance(p, str) else p for p in patterns],
                }
            out.append(rule)
        expanded[section] = out
    return expanded


def load_tone_rules(path: str | Path | None = None) -> ToneRules:
    """A team's own rules file, or the one shipped in `prompts/`."""
    if path is None:
        text = resources.files("prompts").joinpath(DEFAULT_TONE_RULES).read_text("utf-8")
        return parse_tone_rules(text)
    file = Path(path)
    try:
        text = file.read_text("utf-8")
    except OSError as exc:
        raise ToneRulesError(f"{file}: cannot read tone rules: {exc.strerror}") from None
    return parse_tone_rules(text, source=str(file))


@functools.cache
def default_tone_rules() -> ToneRules:
    return load_tone_rules()


def check_tone(
    text: str,
    *,
    expect_conditions: bool = True,
    rules: ToneRules | None = None,
    learned: bool = True,
    model: ToneModel | None = None,
    path_model: ToneModel | None = None,
) -> list[ToneFault]:
    """Every fault in reading order, then anything missing.

    `expect_conditions=False` is for messages that are not a no (a note that the deal goes
    ahead), where asking for re-engagement conditions would be noise. The phrase rules speak
    first; the learned model (`bot.domain.tone_model`) reads each sentence no rule flagged, so
    a phrase the rules know keeps its exact excerpt and kind, and wording they have never seen
    is still caught. The model may also overrule a shipped rule's hit in a sentence it is
    nearly sure is good (a phrase rule cannot tell "your deadline" from "our deadline"); a
    team's own rules are never overruled. A message in which the rules find no path back is
    read once more by the path reader, which may find one in words the rules do not know.
    `learned=False` gives the rules alone (the trainer learns from them); `model` and
    `path_model` replace the shipped readers (tests).
    """
    shipped = rules is None or rules is default_tone_rules()
    rules = rules or default_tone_rules()
    flat, origin = _normalise(text)
    hits: list[tuple[int, int, ToneRule]] = []
    for rule in rules.faults:
        spans = sorted(
            (m.start(), -m.end(), m.end())
            for pattern in rule.patterns
            for m in pattern.finditer(flat)
        )
        last_end = -1
        for start, _, end in spans:
            if start >= last_end:
                hits.append((start, end, rule))
                last_end = end
    hits = [hit for hit in hits if not _inside_a_longer_hit(hit, hits)]
    hits.sort(key=lambda hit: (hit[0], hit[2].code.value))
    found = [(origin[start], origin[end - 1] + 1, rule) for start, end, rule in hits]
    read = list(sentences(text)) if learned else []
    if learned:
        model = model or default_tone_model()
        if shipped:
            found = [hit for hit in found if not _overruled(text, hit, read, model)]
        found += _learned(text, found, read, rules, model)
        found.sort(key=lambda hit: (hit[0], hit[2].code.value))
    faults = [rule.fault(text[start:end]) for start, end, rule in found]
    for rule in rules.required:
        if rule.code is FaultCode.MISSING_CONDITIONS and not expect_conditions:
            continue
        if any(pattern.search(flat) for pattern in rule.patterns):
            continue
        if learned and rule.code is FaultCode.MISSING_CONDITIONS:
            reader = path_model or default_path_model()
            if any(reader.finding(text[start:end]) for start, end in read):
                continue
        faults.append(rule.fault(""))
    return faults


def _overruled(
    text: str, hit: tuple[int, int, ToneRule], spans: Sequence[tuple[int, int]], model: ToneModel
) -> bool:
    """Whether the sentence a rule's hit starts in reads as good to the model beyond doubt."""
    for start, end in spans:
        if start <= hit[0] < end:
            return model.reads_good(text[start:end])
    return False


def _learned(
    text: str,
    found: Sequence[tuple[int, int, ToneRule]],
    spans: Sequence[tuple[int, int]],
    rules: ToneRules,
    model: ToneModel,
) -> list[tuple[int, int, ToneRule]]:
    """The model's faults, one per sentence, for the sentences no rule has flagged."""
    by_code = {rule.code.value: rule for rule in reversed(default_tone_rules().faults)}
    by_code.update({rule.code.value: rule for rule in reversed(rules.faults)})
    out: list[tuple[int, int, ToneRule]] = []
    for start, end in spans:
        if any(s < end and start < e for s, e, _ in found):
            continue
        kind = model.finding(text[start:end])
        if kind is not None and kind in by_code:
            out.append((start, end, by_code[kind]))
    return out


def _inside_a_longer_hit(
    hit: tuple[int, int, ToneRule], hits: Iterable[tuple[int, int, ToneRule]]
) -> bool:
    """A phrase another rule read in a longer context belongs to that rule alone.

    "If you don't sign by Friday, the discount expires" is one ultimatum; the bluff rule's "the
    discount expires" inside it would only repeat the same words under a second heading.
    """
    start, end, rule = hit
    return any(
        other is not rule and o_start <= start and end <= o_end and o_end - o_start > end - start
        for o_start, o_end, other in hits
    )


def as_label(text: str) -> str:
    """A label heads a line that adds its own punctuation, so its own full stop would double."""
    return " ".join(text.split()).rstrip(" .:;,")


def as_sentence(text: str) -> str:
    """Suggestion text on one line, ending with a full stop."""
    flat = " ".join(text.split())
    return flat if flat.endswith((".", "!", "?", '."', ".”")) else flat + "."


_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u201c": '"', "\u201d": '"'})


def _normalise(text: str) -> tuple[str, list[int]]:
    """Straight quotes and single spaces, with each kept character's index in the original.

    Patterns are written with one plain space and a straight apostrophe; the index map lets the
    fault quote the rep's own text, line breaks and curly quotes included.
    """
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text.translate(_QUOTES)):
        if char.isspace():
            if chars and chars[-1] == " ":
                continue
            char = " "
        chars.append(char)
        origin.append(index)
    return "".join(chars), origin


def _describe(exc: ValidationError, data: dict[str, Any], source: str) -> str:
    error = exc.errors()[0]
    loc = error["loc"]
    message = str(error["msg"]).removeprefix("Value error, ")
    if len(loc) >= 2 and isinstance(loc[1], int):
        section, index = str(loc[0]), loc[1]
        items = data.get(section)
        code = "?"
        if isinstance(items, list) and index < len(items) and isinstance(items[index], dict):
            code = str(items[index].get("code", "?"))
        field = ".".join(str(part) for part in loc[2:]) or "(rule)"
        if error["type"] == "enum":
            message = f"unknown code {error['input']!r} (expected one of: {_codes()})"
        return f"{source}: rule '{code}' ({section} #{index + 1}), field '{field}': {message}"
    field = ".".join(str(part) for part in loc) or "(file)"
    return f"{source}: field '{field}': {message}"


def _codes() -> str:
    return ", ".join(code.value for code in FaultCode)
