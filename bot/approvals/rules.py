"""The rules of manager approval that do not need Slack: who must be asked, when to remind,
what a mention or an override form must contain.

Kept free of Slack imports so the business-day arithmetic and the input rules are unit-tested
directly, and the Slack-side steps beside it only move messages around.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.model import Outcome
from storage.approval_info import MAX_REASON, MAX_REMINDER_DAYS, MIN_REMINDER_DAYS, ApprovalSettings

NEEDS_POSITION = frozenset({Outcome.WALK, Outcome.STOP_PILOT, Outcome.DEFER})
"""Verdicts that change course with the buyer; the team speaks with one voice on these."""

SLACKBOT = "USLACKBOT"
_MENTION = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^>]*)?>")
_WEEKEND = (5, 6)


def is_user_id(text: object) -> bool:
    """A Slack user id as a select sends it, before it is put into a mention."""
    return isinstance(text, str) and re.fullmatch(r"[UW][A-Z0-9]{2,}", text) is not None


def needs_position(outcome: Outcome) -> bool:
    return outcome in NEEDS_POSITION


def reminder_days(settings: ApprovalSettings, default: int) -> int:
    return settings.reminder_business_days or default


class BadMention(ValueError):
    """`/walkaway manager` text that does not name exactly one person."""


def parse_mention(text: str) -> str:
    """The Slack user id in `<@U123|name>` (how an escaped slash command sends a mention)."""
    found = _MENTION.findall(text)
    if len(found) == 1 and _MENTION.fullmatch(text.strip()):
        return str(found[0])
    if len(found) > 1:
        raise BadMention("Name one manager: mention exactly one person.")
    raise BadMention(
        "Mention your manager with @, for example `/walkaway manager @dana`, and pick them "
        "from Slack's list so I know exactly who they are."
    )


EXCERPT_CHARS = 300
"""A ping shows this much of the draft: its opening, to judge the tone; the rest is a click away."""


def draft_excerpt(draft: str | None, *, chars: int = EXCERPT_CHARS) -> str | None:
    """The draft's opening in at most `chars` characters, cut after a whole word and ending
    with an ellipsis when anything was left out.

    Blank lines go (on a phone they take more room than the words between them); each
    remaining line keeps its own line, so "Hi Dana," still reads as a greeting.
    """
    if not draft or not draft.strip():
        return None
    text = "\n".join(" ".join(line.split()) for line in draft.splitlines() if line.strip())
    if len(text) <= chars:
        return text
    cut = text[: chars - 1]
    if not text[chars - 1].isspace():
        space = max(cut.rfind(" "), cut.rfind("\n"))
        cut = cut[:space] if space > chars // 2 else cut
    return cut.rstrip(" ,;:-\n") + "…"


def override_choices(current: Outcome) -> list[Outcome]:
    """What a manager may want instead: any outcome but the one the rep already has."""
    return [outcome for outcome in Outcome if outcome is not current]


class OverrideProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class OverrideInput:
    outcome: Outcome
    reason: str

    @classmethod
    def parse(cls, *, outcome: str | None, reason: str | None, current: Outcome) -> OverrideInput:
        """Raises OverrideProblem naming the field ('outcome' or 'reason') to flag inline."""
        try:
            wanted = Outcome(outcome or "")
        except ValueError:
            raise OverrideProblem("outcome", "Choose the outcome you want instead.") from None
        if wanted is current:
            raise OverrideProblem(
                "outcome", f"That is the rep's verdict already ({current.label}); pick another."
            )
        text = (reason or "").strip()
        if not text:
            raise OverrideProblem(
                "reason", "Say why: the rep and the record need the reason for an override."
            )
        if len(text) > MAX_REASON:
            raise OverrideProblem("reason", f"Keep the reason under {MAX_REASON} characters.")
        return cls(outcome=wanted, reason=text)


class SettingsProblem(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def parse_settings(*, channel: str | None, hold: bool, days: str | None) -> ApprovalSettings:
    """The settings modal's values, checked again here: Slack's own min/max are advisory."""
    raw = (days or "").strip()
    try:
        count = int(raw)
    except ValueError:
        raise SettingsProblem("days", "Give a whole number of business days.") from None
    if not MIN_REMINDER_DAYS <= count <= MAX_REMINDER_DAYS:
        raise SettingsProblem(
            "days", f"Choose between {MIN_REMINDER_DAYS} and {MAX_REMINDER_DAYS} business days."
        )
    return ApprovalSettings(
        deal_desk_channel_id=channel or None, hold_until_agreed=hold, reminder_business_days=count
    )
