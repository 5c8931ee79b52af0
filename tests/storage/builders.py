"""Small builders for realistic values, so tests say only what differs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.domain.model import Caution, Condition, Outcome, Reason, Verdict
from storage import Store
from storage.records import SessionInfo


@dataclass(frozen=True)
class Team:
    workspace_id: int
    rep_id: int
    rep_slack_id: str
    manager_id: int
    manager_slack_id: str


def make_team(store: Store) -> Team:
    workspace_id = store.ensure_workspace(team_id=f"T{uuid.uuid4().hex[:12]}", name="Acme Sales")
    rep, manager = "U0REP0001", "U0MGR0001"
    return Team(
        workspace_id=workspace_id,
        rep_id=store.ensure_user(workspace_id=workspace_id, slack_user_id=rep, display_name="Ria"),
        rep_slack_id=rep,
        manager_id=store.ensure_user(workspace_id=workspace_id, slack_user_id=manager),
        manager_slack_id=manager,
    )


CHECKLIST_HASH = "sha256:4f2a9c"
CHECKLIST_SNAPSHOT: dict[str, Any] = {
    "version": 1,
    "questions": {
        "deal.stage": "Where is this deal right now?",
        "scar.previous_attempt": "Did an earlier project like this fail at this buyer?",
        "scar.failure_mode": "What killed it?",
        "scar.still_present": "Is that still true this time?",
    },
}


def open_deal(store: Store, team: Team, deal_name: str = "Acme Corp") -> SessionInfo:
    return store.open_session(
        workspace_id=team.workspace_id,
        rep_user_id=team.rep_id,
        deal_name=deal_name,
        checklist_hash=CHECKLIST_HASH,
        checklist_snapshot=CHECKLIST_SNAPSHOT,
    )


def answer(
    store: Store,
    team: Team,
    session_id: int,
    question_id: str,
    value: str | int | float,
    **kwargs: Any,
) -> None:
    store.record_answer(
        session_id=session_id,
        question_id=question_id,
        value=value,
        answered_by_user_id=team.rep_id,
        question_text=CHECKLIST_SNAPSHOT["questions"].get(question_id, f"{question_id}?"),
        **kwargs,
    )


def defer_verdict() -> Verdict:
    return Verdict(
        outcome=Outcome.DEFER,
        reasons=(
            Reason("scar.fresh", "An earlier attempt failed four months ago.", Outcome.DEFER),
        ),
        conditions=(Condition("scar.fresh", "Re-check in October, after their audit."),),
        cautions=(Caution("unknown", "Find out who owns the rollout.", "scar.still_present"),),
        recheck_on=date(2026, 10, 1),
        record_line="Deferred: the last attempt failed recently. Re-engage after the audit.",
        tags=("scar.fresh", "unclear_ownership"),
    )
