"""The words people read for outcomes, record statuses and signals: one table each.

Home, search results, a record's details and the verdict card all name the same few things; when
each builder spelled them its own way, a record read "open" on Home and "Open" in search. Every
surface takes its label from here, and the search filters accept these same words back
(bot/domain/search_query.py), so what a person reads is what they can type.

Statuses are keyed by their stored value (storage.records.RecordStatus is a StrEnum over the
same strings), because the domain does not import storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from bot.domain.model import Outcome

STATUS_LABELS: Final[Mapping[str, str]] = {
    "open": "Open",
    "re-engaged": "Re-engaged",
    "won": "Won",
    "lost": "Lost",
    "closed": "Closed",
}
"""A walk-away record's standing over time; every record starts open."""

STATUS_WORDS: Final[Mapping[str, tuple[str, ...]]] = {
    "open": ("open",),
    "re-engaged": ("re-engaged", "reengaged", "re_engaged", "re-engage", "back", "reopened"),
    "won": ("won", "win"),
    "lost": ("lost", "lose"),
    "closed": ("closed", "close", "done"),
}
"""What a person may type in `status:` for each status, besides its label."""

OUTCOME_WORDS: Final[Mapping[Outcome, tuple[str, ...]]] = {
    Outcome.WALK: ("walk", "walked", "walk away", "walked away", "walkaway", "walk_away"),
    Outcome.STOP_PILOT: ("stop", "stopped", "stop pilot", "stop_pilot", "stopped the pilot"),
    Outcome.DEFER: ("defer", "deferred", "deferral", "later", "paused", "not yet"),
    Outcome.REDIRECT: ("redirect", "redirected", "adjacent"),
    Outcome.PROCEED: ("proceed", "proceeding", "proceeded", "go", "continue"),
}
"""What a person may type in `outcome:` for each outcome, besides its label."""

SIGNAL_LABELS: Final[Mapping[str, str]] = {
    "kill_criteria_met": "The pilot hit a stopping point agreed up front",
    "unworkable_use_case": "Unworkable use case, and the buyer will not move off it",
    "guarantee_refused_pilot": "A guarantee demanded, a measured pilot refused",
    "scar_not_removable": "An earlier failure still in the way",
    "values_compromised": "Terms that compromise our values",
    "no_mutual_benefit": "No terms that serve both sides",
    "fresh_scar": "An earlier failure still raw",
    "adjacent_use_case": "Redirected to the adjacent use case",
    "unclear_ownership": "Earlier attempt: nobody owned it",
    "decision_path_ignored": "Earlier attempt: decision path ignored",
    "unrealistic_expectations": "Earlier attempt: unrealistic expectations",
    "data_not_ready": "Earlier attempt: data not ready",
    "no_measurement": "Earlier attempt: nothing measured",
    "other": "Earlier attempt: something else went wrong",
}
"""Each walk-away signal and earlier failure mode a record is tagged with, in plain words."""


def outcome_label(outcome: Outcome) -> str:
    """'Walk away', 'Stop the pilot'…: the table lives with the enum (bot.domain.model)."""
    return outcome.label


def status_label(status: str) -> str:
    """'Open', 'Re-engaged'…; an unknown stored value is shown capitalised, never dropped."""
    return STATUS_LABELS.get(status, status.replace("-", " ").replace("_", " ").capitalize())


def signal_label(tag: str) -> str:
    return SIGNAL_LABELS.get(tag, tag.replace("_", " ").capitalize())
