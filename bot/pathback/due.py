"""Due lists: the re-checks a person has to work through, for `/walkaway due`, App Home and
`walkaway due` in a terminal.

A rep sees their own open records due within the window (14 days unless asked) and every
overdue one; a manager sees their reps' as well. Lists are bounded: the first MAX_SHOWN, soonest
first, and how many more there are. No Slack here, so the terminal and Slack show the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.nudge_info import DueRecord
from storage.repository import Store

DEFAULT_DAYS = 14
MIN_DAYS, MAX_DAYS = 0, 365
"""A window past a year is not a to-do list; 0 means overdue and today only."""
MAX_SHOWN = 10
CLI_MAX_SHOWN = 200


class DaysOutOfRange(ValueError):
    def __init__(self, days: int) -> None:
        super().__init__(
            f"--days must be between {MIN_DAYS} and {MAX_DAYS} (days ahead to include); "
            f"{days} is not"
        )


@dataclass(frozen=True)
class DueList:
    today: date
    through: date
    shown: list[DueRecord]
    total: int

    @property
    def more(self) -> int:
        return max(0, self.total - len(self.shown))


def check_days(days: int) -> int:
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise DaysOutOfRange(days)
    return days


def due_for(
    store: Store,
    *,
    workspace_id: int,
    slack_user_id: str | None,
    now: datetime,
    days: int = DEFAULT_DAYS,
    limit: int = MAX_SHOWN,
) -> DueList:
    """What `slack_user_id` has to re-check (with their reps' if they manage anyone); None:
    the whole workspace (the terminal, for scripts)."""
    check_days(days)
    found = store.due_list(
        workspace_id=workspace_id, slack_user_id=slack_user_id, now=now, days=days, limit=limit
    )
    return DueList(found.today, found.through, found.shown, found.total)


def as_json(due: DueList) -> str:
    rows: list[dict[str, Any]] = [
        {
            "record": r.record_id,
            "deal": r.deal_name,
            "outcome": r.outcome.value,
            "recheck_on": r.recheck_on.isoformat(),
            "overdue_days": max(0, (due.today - r.recheck_on).days),
            "rep": r.rep_slack_user_id,
        }
        for r in due.shown
    ]
    return json.dumps(
        {
            "today": due.today.isoformat(),
            "through": due.through.isoformat(),
            "total": due.total,
            "more": due.more,
            "due": rows,
        },
        indent=2,
        ensure_ascii=False,
    )


def as_text(due: DueList) -> str:
    if not due.shown:
        return f"No re-checks due through {due.through.isoformat()}.\n"
    lines = [f"Re-checks due through {due.through.isoformat()} ({due.total}):"]
    for r in due.shown:
        late = (due.today - r.recheck_on).days
        overdue = f"  overdue {late} day(s)" if late > 0 else ""
        lines.append(
            f"  #{r.record_id:<7} {r.recheck_on.isoformat()}  {r.deal_name}  "
            f"({r.outcome.label}, rep {r.rep_slack_user_id}){overdue}"
        )
    if due.more:
        lines.append(f"  …and {due.more} more")
    return "\n".join(lines) + "\n"


def cli_due(
    store: Store, *, team_id: str, rep: str | None, days: int, json_out: bool, now: datetime
) -> tuple[str, int]:
    """`walkaway due`: the output and the exit code (2 for a window out of range)."""
    try:
        check_days(days)
    except DaysOutOfRange as problem:
        return f"walkaway: {problem}\n", 2
    workspace_id = store.ensure_workspace(team_id=team_id)
    due = due_for(
        store,
        workspace_id=workspace_id,
        slack_user_id=rep,
        now=now,
        days=days,
        limit=CLI_MAX_SHOWN,
    )
    return (as_json(due) + "\n" if json_out else as_text(due)), 0
