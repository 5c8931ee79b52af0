"""Team insight's section of App Home: a rep's own numbers for the last 90 days, and, for a
manager (someone a rep names as their manager), their team's, with the top signals and the
comebacks named. One storage call per figure set (store.insight.numbers).

Someone who was asked for positions but whom no rep names as manager now gets a sentence saying
so, rather than a team section with nothing in it.
"""

from __future__ import annotations

from datetime import timedelta

from slack_sdk.models.blocks import Block

from bot.domain.model import Actor
from bot.insight import numbers_blocks
from bot.slack.deps import Deps
from storage.columns import utcnow

DAYS = 90


def numbers_section(deps: Deps, actor: Actor) -> list[Block]:
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    me = store.find_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    until = utcnow()
    since = until - timedelta(days=DAYS)
    if me is None:  # never seen: nothing of theirs to count, and nobody's manager
        mine = store.insight.numbers(
            workspace_id=workspace_id, rep_ids=[], since=since, until=until
        )
        return numbers_blocks.mine(mine, DAYS)
    insight = store.insight
    own = insight.numbers(workspace_id=workspace_id, rep_ids=[me], since=since, until=until)
    reps = insight.team_rep_ids(workspace_id=workspace_id, manager_user_id=me)
    # A manager who runs no checks of their own is shown their team's alone.
    blocks = [] if reps and own.is_empty else numbers_blocks.mine(own, DAYS)
    if reps:
        team = insight.numbers(workspace_id=workspace_id, rep_ids=reps, since=since, until=until)
        blocks += numbers_blocks.team(team, DAYS, len(reps))
    elif insight.asked_for_positions(approver_user_id=me):
        blocks += numbers_blocks.no_team(DAYS)
    return blocks
