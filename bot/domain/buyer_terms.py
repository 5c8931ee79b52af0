"""The buyer's side of every verdict: `prompts/buyer_terms.yml`, checked and compiled once.

The verdict speaks to the rep; the draft speaks to the buyer, so each signal has a buyer-side
phrasing (a full one for the email, a brief one for the short note), each failure mode a cause
and a fix, each deal stage a name for the buyer's project, and each outcome a subject line.
A gap in the file names what is missing, at start-up rather than mid-conversation.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain.checklist import CONTRACT
from bot.domain.model import Outcome
from bot.domain.signals import FAILURE_MODE, SIGNAL_IDS

BUYER_TERMS = "buyer_terms.yml"
"""Top level of `prompts/`: the package data globs ship `*.yml` from there only."""
STAGE = "deal.stage"
UNKNOWN_STAGE = "unknown"


class DraftError(ValueError):
    """A draft cannot be written: a template or the buyer wording is missing or broken."""


@functools.cache
def environment() -> Environment:
    """The one template environment: undefined names fail instead of rendering as blanks."""
    return Environment(
        loader=PackageLoader("prompts", "."),
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


class _SignalWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1)
    brief: str = Field(min_length=1)
    condition: str = Field(min_length=1)
    brief_condition: str = Field(min_length=1)


class _ModeWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cause: str = Field(min_length=1)
    fix: str = Field(min_length=1)


class _BuyerTermsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signals: dict[str, _SignalWords]
    failure_modes: dict[str, _ModeWords]
    unnamed_mode: _ModeWords
    projects: dict[str, str]
    subjects: dict[str, str]

    @model_validator(mode="after")
    def _covers_every_signal_and_mode(self) -> _BuyerTermsFile:
        _same_keys("signals", set(self.signals), set(SIGNAL_IDS))
        _same_keys("failure_modes", set(self.failure_modes), set(CONTRACT[FAILURE_MODE] or ()))
        _same_keys("projects", set(self.projects), {*(CONTRACT[STAGE] or ()), UNKNOWN_STAGE})
        _same_keys("subjects", set(self.subjects), {o.value for o in Outcome if o.has_buyer_draft})
        return self


def _same_keys(field: str, have: set[str], want: set[str]) -> None:
    missing, unknown = sorted(want - have), sorted(have - want)
    if missing:
        raise ValueError(f"'{field}' has no wording for: {', '.join(missing)}")
    if unknown:
        raise ValueError(f"'{field}' has wording for unknown id(s): {', '.join(unknown)}")


@dataclass(frozen=True)
class BuyerTerms:
    reasons: Mapping[str, Template]
    briefs: Mapping[str, Template]
    conditions: Mapping[str, Template]
    brief_conditions: Mapping[str, Template]
    modes: Mapping[str, tuple[str, str]]
    unnamed_mode: tuple[str, str]
    projects: Mapping[str, str]
    subjects: Mapping[str, Template]


@functools.cache
def buyer_terms() -> BuyerTerms:
    """Load, check and compile the buyer wording once; a gap names the missing signal."""
    text = resources.files("prompts").joinpath(BUYER_TERMS).read_text("utf-8")
    try:
        spec = _BuyerTermsFile.model_validate(yaml.safe_load(text))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(file)"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise DraftError(f"{BUYER_TERMS}: field '{where}': {message}") from None
    env = environment()

    def compile_(key: str, field: str, source: str) -> Template:
        try:
            return env.from_string(" ".join(source.split()))
        except TemplateSyntaxError as exc:
            raise DraftError(f"{BUYER_TERMS}: '{key}', {field}: {exc.message}") from None

    def each(field: str) -> dict[str, Template]:
        return {s: compile_(s, field, getattr(w, field)) for s, w in spec.signals.items()}

    return BuyerTerms(
        reasons=each("reason"),
        briefs=each("brief"),
        conditions=each("condition"),
        brief_conditions=each("brief_condition"),
        modes={m: (w.cause, w.fix) for m, w in spec.failure_modes.items()},
        unnamed_mode=(spec.unnamed_mode.cause, spec.unnamed_mode.fix),
        projects={stage: " ".join(words.split()) for stage, words in spec.projects.items()},
        subjects={o: compile_(o, "subject", s) for o, s in spec.subjects.items()},
    )
