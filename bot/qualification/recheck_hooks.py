"""Where re-checks meet the rest of the app, through the hooks wired in bot/app.py.

- `card_section` (Hooks.card_sections): a re-check's card says what changed since the earlier
  check and links it; a walk-away still standing offers *Re-check now*.
- `details_section` (Hooks.details_sections): a record's Details show the deal's checks as one
  history, and *Re-check now* to its rep or their manager.
- `after_verdict` (Hooks.after_verdict): a re-check that ends in *proceed* marks the earlier
  record re-engaged and tells the rep's manager in one line. It runs in the job that posted the
  card, so a failure retries it; the status changes once (storage/rechecks.py) and the line is
  posted once (bot/slack/effects.py `post_once`), however often the job runs; the earlier
  card is redrawn, re-engaged. A proceed re-checked that still proceeds came back from nothing:
  it is not marked and nobody is told (a stale *Re-check now* on an old nudge does that).
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import ActionsBlock, Block

from bot.domain.model import Actor, Outcome
from bot.domain.recheck import came_back_line
from bot.qualification.recheck_blocks import (
    came_back_message,
    changes_blocks,
    history_blocks,
    offers_recheck,
    recheck_button,
)
from bot.qualification.recheck_changes import changes_of
from bot.qualification.service import checklist_from_snapshot
from bot.slack import card
from bot.slack.deps import Deps, VerdictPosted, homes_changed
from bot.slack.effects import post_once
from bot.slack.errors import is_transient
from bot.slack.text import escape
from storage.records import RecordDetail

log = logging.getLogger(__name__)


def card_section(deps: Deps, record: RecordDetail) -> list[Block]:
    blocks: list[Block] = []
    found = changes_of(deps.store, record)
    if found is not None:
        earlier, changes = found
        checklist = checklist_from_snapshot(record.checklist_snapshot)
        blocks += changes_blocks(changes, checklist=checklist, earlier_id=earlier.id)
    if offers_recheck(record.outcome, record.status):
        blocks.append(ActionsBlock(elements=[recheck_button(record.id)]))
    return blocks


def details_section(deps: Deps, actor: Actor, record: RecordDetail) -> list[Block]:
    blocks = history_blocks(deps.store.deal_history(record_id=record.id), current=record.id)
    if offers_recheck(record.outcome, record.status) and _may(deps, actor, record):
        blocks.append(ActionsBlock(elements=[recheck_button(record.id)]))
    return blocks


def _may(deps: Deps, actor: Actor, record: RecordDetail) -> bool:
    if actor.user_id == record.rep_slack_user_id:
        return True
    rep_id = deps.store.find_user(
        workspace_id=record.workspace_id, slack_user_id=record.rep_slack_user_id
    )
    manager = deps.store.approvals.manager_of(rep_user_id=rep_id) if rep_id else None
    return manager is not None and manager.slack_user_id == actor.user_id


def after_verdict(client: WebClient, deps: Deps, posted: VerdictPosted) -> None:
    """A re-check that proceeds: the deal came back for real (repeatable)."""
    if posted.outcome is not Outcome.PROCEED:
        return
    record = deps.store.get_record(record_id=posted.record_id)
    found = changes_of(deps.store, record) if record is not None else None
    if record is None or found is None:
        return
    earlier, changes = found
    if earlier.outcome is Outcome.PROCEED:
        return  # a proceed looked at again that still proceeds: nothing came back
    line = came_back_line(record.deal_name, changes)
    deps.store.mark_came_back(
        session_id=record.session_id,
        note=f"Re-checked in record #{record.id}, which proceeds. {line}",
        by_user_id=posted.rep_user_id,
    )
    tell_manager(client, deps, posted, earlier_id=earlier.id, line=line, deal=record.deal_name)
    redraw_earlier(client, deps, earlier.id)
    team = deps.store.team_id_of(workspace_id=posted.workspace_id)
    if team:
        homes_changed(deps, team_id=team, users=[record.rep_slack_user_id])


def redraw_earlier(client: WebClient, deps: Deps, record_id: int) -> None:
    """The earlier card shows it is re-engaged now (an update: the same however often)."""
    ts = card.card_ts(deps, record_id)
    record = deps.store.get_record(record_id=record_id)
    if ts is None or record is None:
        return
    try:
        card.refresh_card(client, deps, record=record, ts=ts)
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning("could not redraw the card of record %s: %s", record_id, error)


def tell_manager(
    client: WebClient, deps: Deps, posted: VerdictPosted, *, earlier_id: int, line: str, deal: str
) -> None:
    """One line to the rep's manager (or, without one, the deal desk), posted once."""
    approvals = deps.store.approvals
    manager = approvals.manager_of(rep_user_id=posted.rep_user_id)
    desk = approvals.settings(workspace_id=posted.workspace_id).deal_desk_channel_id
    if manager is None and not desk:
        return
    escaped = escape(line)  # the line names the deal, typed by the rep
    text, blocks = came_back_message(escaped, new_record_id=posted.record_id, earlier_id=earlier_id)
    try:
        channel = (
            str(client.conversations_open(users=manager.slack_user_id)["channel"]["id"])
            if manager is not None
            else str(desk)
        )
        post_once(
            client,
            deps.store,
            key=f"came-back:{posted.record_id}",
            channel=channel,
            text=text,
            blocks=blocks,
        )
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning("could not tell the manager that %s came back: %s", deal, error)
