"""Starting a re-check: *Re-check now* (Action.RECHECK_NOW, on cards, Details, nudges, due lists
and came-back replies) and `/walkaway recheck <deal>` open a new check of the deal, linked to
the rep's latest record of it, whose questions show what was known then.

The record's rep or their manager may start one (a manager's opens in the rep's DM, since the
rep answers it); a won record is refused, a lost or closed one can be re-checked. The start is
the check's own durable start (bot/qualification/command.py `begin`): the link is stored on
the session first, once (storage/rechecks.py), so a double click or a retried job opens one
session, linked once, and its first question already shows last time's answer.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.domain.model import Actor
from bot.domain.pathback import closest_names
from bot.qualification.command import deal_name_of
from bot.qualification.home_start import DmReply
from bot.qualification.recheck_blocks import started_words, unknown_deal_words
from bot.qualification.thread import ThreadBusy, open_thread, post_next, service
from bot.slack.deps import Deps, Subcommand, actor_from, homes_changed
from bot.slack.effects import owner
from bot.slack.errors import Duplicate, Refusal
from bot.slack.ids import Action
from bot.slack.jobs import deferred
from bot.slack.payloads import BadPayload
from bot.slack.text import escape
from storage.rechecks import HistoryItem
from storage.records import RecordDetail, RecordStatus
from storage.repository import Store

NOT_FOUND = "I can't find that walk-away record in this workspace."
NOT_YOURS = "Only the deal's rep or their manager can re-check it."
WON = "*{deal}* was won: there is nothing to re-check."
USAGE = "Say which deal: `/walkaway recheck Acme renewal`."
SUGGESTIONS = 3


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "recheck.start")
    def recheck_now(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actions = body.get("actions")
        raw = actions[0].get("value") if isinstance(actions, list) and actions else None
        if not isinstance(raw, str) or not raw.isdigit():
            raise BadPayload("a Re-check now button without a record id")
        actor = actor_from(body)
        _first_time(deps, body)
        reply = respond if respond.response_url else DmReply(client, deps.store, actor.user_id)
        start_recheck(client, deps, reply, actor=actor, record_id=int(raw))

    @app.action(Action.RECHECK_NOW, middleware=[recheck_now.first])
    def recheck_clicked(ack: Ack) -> None:
        ack()


def start_recheck(
    client: WebClient, deps: Deps, respond: Respond, *, actor: Actor, record_id: int
) -> int:
    """Open (or find open) the re-check of this record's deal; returns its session id.

    Raises Refusal for a record of another workspace, a person who is neither its rep nor
    their manager, or a won deal.
    """
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    record = store.get_record(record_id=record_id, workspace_id=workspace_id)
    if record is None:
        raise Refusal(NOT_FOUND)
    may_recheck(store, workspace_id=workspace_id, slack_user_id=actor.user_id, record=record)
    latest = latest_of_rep(store, workspace_id=workspace_id, record=record)
    rep = Actor(team_id=actor.team_id, user_id=record.rep_slack_user_id)
    progress = service(deps).start(rep, record.deal_name)
    store.link_recheck(
        session_id=progress.session.id,
        previous_record_id=latest.record_id,
        started_by_user_id=deps.user_id(actor),
    )
    for_rep = None if rep.user_id == actor.user_id else rep.user_id
    resumed = progress.session.channel_id is not None
    try:
        progress = open_thread(client, deps, progress, user_id=rep.user_id)
    except ThreadBusy:  # a racing click's job is opening it this moment, and will ask
        resumed = True
    else:
        # Posted once per revision of the answers: a second click, a retried job or a
        # racing one finds the waiting question there, rather than asking it again below.
        post_next(client, deps, progress)
    respond(
        text=started_words(record.deal_name, for_rep=for_rep, resumed=resumed),
        response_type="ephemeral",
    )
    homes_changed(deps, team_id=actor.team_id, users=[rep.user_id])
    return progress.session.id


def may_recheck(
    store: Store, *, workspace_id: int, slack_user_id: str, record: RecordDetail
) -> None:
    """The record's rep or their manager, and not a won deal; anyone else is refused."""
    rep_id = store.find_user(workspace_id=workspace_id, slack_user_id=record.rep_slack_user_id)
    manager = store.approvals.manager_of(rep_user_id=rep_id) if rep_id is not None else None
    allowed = {record.rep_slack_user_id, manager.slack_user_id if manager else None}
    if slack_user_id not in allowed:
        raise Refusal(NOT_YOURS)
    if record.status == RecordStatus.WON:
        raise Refusal(WON.format(deal=escape(record.deal_name)))


def latest_of_rep(store: Store, *, workspace_id: int, record: RecordDetail) -> HistoryItem:
    """The rep's newest record of the deal: a re-check looks again at what was last decided."""
    items = store.deal_records(workspace_id=workspace_id, deal_name=record.deal_name)
    mine = [i for i in items if i.rep_slack_user_id == record.rep_slack_user_id]
    if not mine:
        raise Refusal(NOT_FOUND)
    latest = mine[-1]
    if latest.status == RecordStatus.WON:
        raise Refusal(WON.format(deal=escape(record.deal_name)))
    return latest


def record_for_deal(store: Store, *, actor: Actor, deal: str) -> int:
    """The record `/walkaway recheck <deal>` means: the person's own latest of that deal, else
    the latest of a rep they manage. Unknown: a Refusal naming the closest deals they have."""
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    me = store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    items = store.deal_records(workspace_id=workspace_id, deal_name=deal)
    mine = [i for i in items if i.rep_user_id == me]
    if mine:
        return mine[-1].record_id
    managed = store.reps_managed_by(workspace_id=workspace_id, manager_user_id=me)
    theirs = [i for i in items if i.rep_user_id in managed]
    if theirs:
        return theirs[-1].record_id
    if items:
        raise Refusal(NOT_YOURS)
    names = store.deal_names_of(workspace_id=workspace_id, rep_user_ids=[me, *managed])
    raise Refusal(unknown_deal_words(deal, closest(deal, names)))


def closest(deal: str, names: list[str]) -> list[str]:
    """The deal names nearest to what was typed (the path back's `back` answers the same)."""
    return closest_names(deal, names, limit=SUGGESTIONS)


def recheck_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """`/walkaway recheck <deal>`: re-check the latest record of that deal."""
    deal = deal_name_of(rest)
    if not deal:
        respond(text=USAGE, response_type="ephemeral")
        return
    actor = actor_from(body)
    try:
        record_id = record_for_deal(deps.store, actor=actor, deal=deal)
        start_recheck(client, deps, respond, actor=actor, record_id=record_id)
    except Refusal as problem:
        respond(text=str(problem), response_type="ephemeral")


RECHECK = Subcommand("recheck", recheck_command, takes=lambda rest: bool(rest.strip()))
"""`/walkaway recheck <deal>`; a deal named just "Recheck" still starts its own check."""

SUBCOMMANDS = (RECHECK,)


def _first_time(deps: Deps, body: dict[str, Any]) -> None:
    """The same click delivered twice is one click (the key buttons.py takes, too)."""
    user = (body.get("user") or {}).get("id")
    actions = body.get("actions") or [{}]
    stamp = actions[0].get("action_ts") if isinstance(actions[0], dict) else None
    if user and stamp and not deps.store.claim_once(key=f"click:{user}:{stamp}", owner=owner()):
        raise Duplicate
