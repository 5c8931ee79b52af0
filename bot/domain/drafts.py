"""Drafting: the buyer-facing message (subject, email, short note) and the internal record.

The draft is addressed and signed: it greets the buyer's contact by name, speaks of their
organisation and their project (named from the deal stage, in `prompts/buyer_terms.yml`),
never of the internal deal name unless nothing else is known, and is signed with the rep's
name and title. It comes in two lengths, because a rep sends an email from one place and a
chat or LinkedIn note from another: an email of at most EMAIL_WORDS words and a note of at
most SHORT_WORDS. Templates are plain text: Slack escaping belongs to the Slack edge, and the
same draft is pasted into an email.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from jinja2 import Template

from bot.domain.buyer_terms import (
    STAGE,
    UNKNOWN_STAGE,
    BuyerTerms,
    DraftError,
    buyer_terms,
    environment,
)
from bot.domain.dates import day_words
from bot.domain.model import AnswerValue, Outcome, Verdict
from bot.domain.predicates import as_number
from bot.domain.signals import FAILURE_MODE, FRESH_SCAR_MONTHS, MONTHS_SINCE
from bot.domain.verdict import months_words

__all__ = [
    "EMAIL_WORDS",
    "SHORT_WORDS",
    "Draft",
    "DraftError",
    "Length",
    "Recipient",
    "Signature",
    "buyer_terms",
    "environment",
    "render_draft",
    "render_record",
    "word_count",
    "write_draft",
]

RECORD_TEMPLATE = "record.txt.j2"
EMAIL_WORDS = 180
SHORT_WORDS = 60
ORGANISATION_LIMIT = 80
CONTACT_LIMIT = 40
NAME_LIMIT = 80


class Length(StrEnum):
    """Which of the two drafts a card shows, copies and sends."""

    EMAIL = "email"
    SHORT = "short"


def _clean(text: str | None, limit: int) -> str | None:
    """One line, no doubled spaces, within `limit`; None when nothing is left."""
    words = " ".join((text or "").split())[:limit].strip()
    return words or None


@dataclass(frozen=True)
class Recipient:
    """Who the message is for. Either part may be unknown (the rep skipped the question)."""

    organisation: str | None = None
    contact: str | None = None

    @classmethod
    def of(cls, organisation: str | None, contact: str | None) -> Recipient:
        return cls(_clean(organisation, ORGANISATION_LIMIT), _clean(contact, CONTACT_LIMIT))

    @property
    def known(self) -> bool:
        return bool(self.organisation or self.contact)

    def describe(self) -> str:
        """'Dana at Acme Corp', 'Dana', 'Acme Corp' or '' (for the rep, not the buyer)."""
        if self.contact and self.organisation:
            return f"{self.contact} at {self.organisation}"
        return self.contact or self.organisation or ""


@dataclass(frozen=True)
class Signature:
    """The rep as the buyer should see them: real name, and title when there is one."""

    name: str | None = None
    title: str | None = None

    @classmethod
    def of(cls, name: str | None, title: str | None = None) -> Signature:
        return cls(_clean(name, NAME_LIMIT), _clean(title, NAME_LIMIT))

    @classmethod
    def parse(cls, text: str | None) -> Signature:
        """'Sam Ortiz, Account Executive': the name, then the title after the first comma."""
        name, _, title = (text or "").partition(",")
        return cls.of(name, title)


@dataclass(frozen=True)
class Draft:
    subject: str
    email: str
    short: str

    def text(self, length: Length | str) -> str:
        return self.short if Length(length) is Length.SHORT else self.email


_WORD = re.compile("[^\\W_][\\w'\u2019-]*")


def word_count(text: str) -> int:
    """Words as a reader counts them: a list's dashes are not words, "I'd" is one."""
    return len(_WORD.findall(text))


def draft_template_name(outcome: Outcome, length: Length = Length.EMAIL) -> str:
    suffix = "md.j2" if length is Length.EMAIL else "short.j2"
    return f"drafts/{outcome.value}.{suffix}"


# --- what the buyer reads ----------------------------------------------------------------------


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
        raise DraftError(f"no buyer wording for signal '{signal}' (see buyer_terms.yml)")
    return template.render(facts).strip()


def _project(answers: Mapping[str, AnswerValue], org: str | None, deal_name: str) -> str:
    """The buyer's project in their terms; the internal deal name only when nothing else is."""
    terms = buyer_terms()
    stage = answers.get(STAGE)
    if isinstance(stage, str) and stage in terms.projects:
        return terms.projects[stage]
    return terms.projects[UNKNOWN_STAGE] if org else deal_name.strip()


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def _inline(text: str) -> str:
    """A sentence continued after a colon: lower-case first letter, except for 'I'."""
    return text if re.match(r"I\b", text) else text[:1].lower() + text[1:]


def _one_inline(reasons: list[str]) -> list[str]:
    """A lone reason follows "Here is why:" in the same sentence; each item of a list is one."""
    return [_inline(reasons[0])] if len(reasons) == 1 else [_first_upper(r) for r in reasons]


@dataclass(frozen=True)
class _Parts:
    reasons: list[str]
    briefs: list[str]
    conditions: list[str]
    brief_conditions: list[str]


def _parts(verdict: Verdict, answers: Mapping[str, AnswerValue]) -> _Parts:
    terms = buyer_terms()
    facts = _facts(verdict, answers, terms)
    signals = [r.signal for r in verdict.reasons]
    wanted = [c.signal for c in verdict.conditions]

    def each(templates: Mapping[str, Template], ids: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(_words(templates, s, facts) for s in ids))

    return _Parts(
        reasons=each(terms.reasons, signals),
        briefs=each(terms.briefs, signals),
        conditions=each(terms.conditions, wanted),
        brief_conditions=each(terms.brief_conditions, wanted),
    )


def write_draft(
    verdict: Verdict,
    *,
    deal_name: str,
    answers: Mapping[str, AnswerValue],
    recipient: Recipient | None = None,
    signature: Signature | None = None,
) -> Draft | None:
    """The subject, the email and the short note, or None when the deal simply goes ahead."""
    if not verdict.outcome.has_buyer_draft:
        return None
    recipient = recipient or Recipient()
    signature = signature or Signature()
    org = recipient.organisation
    parts = _parts(verdict, answers)
    common = {
        "contact": recipient.contact,
        "org": org,
        "team": f"your team at {org}" if org else "your team",
        "project": _project(answers, org, deal_name),
        "rep_name": signature.name,
        "rep_title": signature.title,
        "outcome": verdict.outcome.value,
    }
    email_template = environment().get_template(draft_template_name(verdict.outcome))
    short_template = environment().get_template(draft_template_name(verdict.outcome, Length.SHORT))
    # Each fit is tried in turn until the text is within its word limit: the full wording,
    # then each point in brief, then without the sentences that only soften the frame.
    # A very long organisation name is, at the last, left to the greeting and the subject.
    email_fits = [
        (parts.reasons, parts.conditions, False, common["team"]),
        (parts.briefs, parts.brief_conditions, False, common["team"]),
        (parts.briefs, parts.brief_conditions, True, common["team"]),
        (parts.briefs, parts.brief_conditions, True, "your team"),
    ]
    email = _fit(
        (
            email_template.render(
                {**common, "team": team},
                reasons=_one_inline(reasons),
                conditions=conditions,
                compact=compact,
            )
            for reasons, conditions, compact, team in email_fits
        ),
        EMAIL_WORDS,
    )
    reason = _inline(parts.briefs[0]) if parts.briefs else ""
    condition = parts.brief_conditions[0] if parts.brief_conditions else ""
    short = _fit(
        (
            short_template.render(common, reason=reason, condition=condition, compact=compact)
            for compact in (False, True)
        ),
        SHORT_WORDS,
    )
    subject = _first_upper(
        buyer_terms().subjects[verdict.outcome.value].render(org=org or "").strip()
    )
    return Draft(subject=subject, email=email, short=short)


def _fit(candidates: Any, limit: int) -> str:
    """The first rendering within `limit` words (the last one when none is)."""
    text = ""
    for rendered in candidates:
        text = _tidy(rendered)
        if word_count(text) <= limit:
            break
    return text


def render_draft(
    verdict: Verdict,
    *,
    deal_name: str,
    answers: Mapping[str, AnswerValue],
    rep_name: str | None = None,
    buyer_name: str | None = None,
) -> str | None:
    """The email alone, for callers that only ever wanted one text (benchmarks, old callers)."""
    draft = write_draft(
        verdict,
        deal_name=deal_name,
        answers=answers,
        recipient=Recipient.of(None, buyer_name),
        signature=Signature.of(rep_name),
    )
    return None if draft is None else draft.email


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
