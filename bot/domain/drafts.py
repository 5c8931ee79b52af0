"""Drafting: the buyer-facing walk-away message and the internal record, from templates.

The verdict speaks to the rep; the draft speaks to the buyer, so every signal has a second,
buyer-side phrasing in `prompts/buyer_terms.yml`, and the message is built around the
buyer's outcome rather than the seller's limits. Templates are plain text: Slack escaping
belongs to the Slack edge, and the same draft may be pasted into an email.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from jinja2 import Environment, PackageLoader, StrictUndefined, Template, TemplateSyntaxError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.domain.checklist import CONTRACT
from bot.domain.dates import day_words
from bot.domain.model import AnswerValue, Outcome, Verdict
from bot.domain.predicates import as_number
from bot.domain.signals import FAILURE_MODE, FRESH_SCAR_MONTHS, MONTHS_SINCE, SIGNAL_IDS
from bot.domain.verdict import months_words

BUYER_TERMS = "buyer_terms.yml"
"""Top level of `prompts/`: the package data globs ship `*.yml` from there only."""
RECORD_TEMPLATE = "record.txt.j2"


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


def draft_template_name(outcome: Outcome) -> str:
    return f"drafts/{outcome.value}.md.j2"


# --- buyer wording -----------------------------------------------------------------------------


class _SignalWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reason: str = Field(min_length=1)
    condition: str = Field(min_length=1)


class _ModeWords(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    cause: str = Field(min_length=1)
    fix: str = Field(min_length=1)


class _BuyerTermsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    signals: dict[str, _SignalWords]
    failure_modes: dict[str, _ModeWords]
    unnamed_mode: _ModeWords

    @model_validator(mode="after")
    def _covers_every_signal_and_mode(self) -> _BuyerTermsFile:
        _same_keys("signals", set(self.signals), set(SIGNAL_IDS))
        _same_keys("failure_modes", set(self.failure_modes), set(CONTRACT[FAILURE_MODE] or ()))
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
    conditions: Mapping[str, Template]
    modes: Mapping[str, tuple[str, str]]
    unnamed_mode: tuple[str, str]


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

    def compile_(signal: str, field: str, source: str) -> Template:
        try:
            return env.from_string(" ".join(source.split()))
        except TemplateSyntaxError as exc:
            raise DraftError(f"{BUYER_TERMS}: signal '{signal}', {field}: {exc.message}") from None

    return BuyerTerms(
        reasons={s: compile_(s, "reason", w.reason) for s, w in spec.signals.items()},
        conditions={s: compile_(s, "condition", w.condition) for s, w in spec.signals.items()},
        modes={m: (w.cause, w.fix) for m, w in spec.failure_modes.items()},
        unnamed_mode=(spec.unnamed_mode.cause, spec.unnamed_mode.fix),
    )


def _facts(
    verdict: Verdict, answers: Mapping[str, AnswerValue], terms: BuyerTerms
) -> dict[str, Any]:
    mode = answers.get(FAILURE_MODE)
    cause, fix = (
        terms.modes.get(mode, terms.unnamed_mode) if isinstance(mode, str) else (terms.unnamed_mode)
    )
    months = as_number(answers.get(MONTHS_SINCE))
    return {
        "mode": cause,
        "mode_fix": fix,
        "ago": "" if months is None else f"{months_words(max(months, 0.0))} ago",
        "fresh": months is not None and months < FRESH_SCAR_MONTHS,
        "still_present": answers.get("scar.still_present") == "yes",
        "recheck": day_words(verdict.recheck_on) if verdict.recheck_on else "",
        "partly": answers.get("use_case.autonomous_irreversible") == "partly",
    }


def _words(templates: Mapping[str, Template], signal: str, facts: Mapping[str, Any]) -> str:
    template = templates.get(signal)
    if template is None:
        raise DraftError(f"no buyer wording for signal '{signal}' (see {BUYER_TERMS})")
    return template.render(facts).strip()


# --- rendering ---------------------------------------------------------------------------------


def render_draft(
    verdict: Verdict,
    *,
    deal_name: str,
    answers: Mapping[str, AnswerValue],
    rep_name: str | None = None,
    buyer_name: str | None = None,
) -> str | None:
    """The message the rep can edit and send, or None when the deal simply goes ahead."""
    if not verdict.outcome.has_buyer_draft:
        return None
    terms = buyer_terms()
    facts = _facts(verdict, answers, terms)
    reasons = [_words(terms.reasons, r.signal, facts) for r in verdict.reasons]
    conditions = [_words(terms.conditions, c.signal, facts) for c in verdict.conditions]
    template = environment().get_template(draft_template_name(verdict.outcome))
    text = template.render(
        deal_name=deal_name.strip(),
        buyer_name=(buyer_name or "").strip() or None,
        rep_name=(rep_name or "").strip() or None,
        outcome=verdict.outcome.value,
        reasons=reasons,
        conditions=list(dict.fromkeys(conditions)),
    )
    return _tidy(text)


def render_record(verdict: Verdict, *, deal_name: str, rep_name: str | None = None) -> str:
    """The internal record: enough for a teammate to see later why we walked and what returns."""
    template = environment().get_template(RECORD_TEMPLATE)
    text = template.render(
        deal_name=deal_name.strip(),
        rep_name=(rep_name or "").strip() or None,
        outcome=verdict.outcome.value,
        outcome_label=verdict.outcome.label,
        record_line=verdict.record_line,
        reasons=verdict.reasons,
        conditions=verdict.conditions,
        cautions=verdict.cautions,
        recheck=verdict.recheck_on.isoformat() if verdict.recheck_on else None,
        recheck_words=day_words(verdict.recheck_on) if verdict.recheck_on else None,
        tags=verdict.tags,
    )
    return _tidy(text)


def _tidy(text: str) -> str:
    """No trailing spaces and at most one blank line, whatever the template branches did."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    kept: list[str] = []
    for line in lines:
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept) + "\n"
