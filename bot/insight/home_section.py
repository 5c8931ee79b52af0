"""Team insight's section of App Home: a rep's own numbers for the last 90 days, and, for a
manager (someone a rep names as their manager), their team's, with the top signals and the
comebacks named. One storage call per set of figures (store.insight.numbers).

Someone who was asked for positions but whom no rep names as manager now gets a sentence saying
so, rather than a team section with nothing in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from slack_sdk.models.blocks import Block

from bot.domain.model import Actor
from bot.insight import numbers_blocks
from bot.slack.deps import Deps
from storage.columns import utcnow
from storage.repository import Store

DAYS = 90


def numbers_section(deps: Deps, actor: Actor) -> list[Block]:
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    me = store.find_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    return blocks_for(store, workspace_id=workspace_id, user_id=me, now=utcnow())


def blocks_for(
    store: Store, *, workspace_id: int, user_id: int | None, now: datetime
) -> list[Block]:
    """The section for this person (None: never seen here) over the DAYS before `now`."""
    insight = store.insight
    since = now - timedelta(days=DAYS)
    own = insight.numbers(
        workspace_id=workspace_id,
        rep_ids=[] if user_id is None else [user_id],
        since=since,
        until=now,
    )
    if user_id is None:  # nothing of theirs to count, and nobody's manager
        return numbers_blocks.mine(own, DAYS)
    reps = insight.team_rep_ids(workspace_id=workspace_id, manager_user_id=user_id)
    # A manager who runs no checks of their own is shown their team's alone.
    blocks = [] if reps and own.is_empty else numbers_blocks.mine(own, DAYS)
    if reps:
        team = insight.numbers(workspace_id=workspace_id, rep_ids=reps, since=since, until=now)
        blocks += numbers_blocks.team(team, DAYS, len(reps))
    elif insight.asked_for_positions(approver_user_id=user_id):
        blocks += numbers_blocks.no_team(DAYS)
    return blocks
