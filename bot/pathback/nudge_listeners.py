"""The nudge's listeners: the job that posts a nudge, *Snooze*, *Close for good* (and its
modal), `/walkaway due` and the due section of App Home.

Every click carries the re-check date it was shown with (NudgeRef), and every change is a
conditional UPDATE on that date (storage/nudges.py): a click on an old nudge, a second click
or a click racing in another process applies nothing twice, and is shown the record as it is.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block

from bot.domain.model import Actor
from bot.pathback import due as due_lists
from bot.pathback import nudges
from bot.pathback.close_modal import close_modal, close_values
from bot.pathback.due_blocks import due_blocks
from bot.pathback.nudge_blocks import nudge_message
from bot.pathback.payloads import CloseRef, NudgeRef
from bot.pathback.snooze import PERIODS, moved_on, snoozed_until
from bot.pathback.ticks import card_too
from bot.slack.dates import calendar_day
from bot.slack.deps import Deps, Subcommand, actor_from, homes_changed
from bot.slack.errors import Refusal, reply_privately, tell
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.ids import View as ViewId
from bot.slack.jobs import deferred
from bot.slack.names import MENTIONS
from bot.slack.text import safe_mrkdwn
from storage.columns import utcnow
from storage.records import RecordDetail, RecordStatus

log = logging.getLogger(__name__)

NOT_FOUND = "I can't find that walk-away record in this workspace."
NOT_ALLOWED = "Only the rep who owns this record, or their manager, can change its re-check."
REFRESH = "pathback.nudge_refresh"


def register(app: App, deps: Deps) -> None:
    store = deps.store
    deps.jobs.define(nudges.POST_NUDGE, nudges.work(store))

    @deferred(deps, "pathback.snooze")
    def snooze(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        actor = actor_from(body)
        action = body["actions"][0]
        ref = NudgeRef.load((action.get("selected_option") or {}).get("value"))
        record = _record(deps, actor, ref.r, body)
        state = moved_on(record.status, record.recheck_on, ref.d)
        if state is None and ref.p in PERIODS:
            until = snoozed_until(max(utcnow().date(), ref.d), ref.p)
            if store.snooze_record(
                record_id=ref.r, from_date=ref.d, to_date=until, by=actor.user_id, at=utcnow()
            ):
                _show(deps, client, body, respond, ref.r, ref.d)
                card_too(client, deps, ref.r)  # its *Look again* day moved too
                _homes(deps, actor, record)
                said = f"the next nudge for *{safe_mrkdwn(record.deal_name, 200)}* comes on"
                reply_privately(
                    body, client, respond, f":zzz: Snoozed: {said} *{calendar_day(until)}*."
                )
                return
            record = _record(deps, actor, ref.r, body)
            state = moved_on(record.status, record.recheck_on, ref.d)
        _show(deps, client, body, respond, ref.r, ref.d)
        closed = record.status in (RecordStatus.LOST, RecordStatus.CLOSED)
        reply_privately(
            body, client, respond, f"{state} Nothing was snoozed." if closed else f"{state}"
        )

    @app.action(Action.NUDGE_SNOOZE, middleware=[snooze.first])
    def snooze_picked(ack: Ack) -> None:
        ack()

    @app.action(Action.NUDGE_CLOSE)
    def close_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

        def open_modal() -> None:
            actor = actor_from(body)
            ref = NudgeRef.load(body["actions"][0].get("value"))
            record = _record(deps, actor, ref.r, body)
            state = moved_on(record.status, record.recheck_on, ref.d)
            if state is not None and record.status is not RecordStatus.OPEN:
                raise Refusal(f"{state} Nothing to close.")
            container = body.get("container") or {}
            meta = CloseRef(
                r=ref.r,
                d=ref.d,
                c=container.get("channel_id"),
                t=container.get("message_ts"),
                home=container.get("type") == "view",
            )
            client.views_open(trigger_id=body["trigger_id"], view=close_modal(record, meta))

        tell(body, client, respond, open_modal)

    @app.view(ViewId.CLOSE_FOR_GOOD)
    def close_submitted(ack: Ack, body: dict[str, Any]) -> None:
        view = body["view"]
        meta = CloseRef.load(view.get("private_metadata"))
        actor = actor_from(body)
        status, note, problem = close_values(view["state"]["values"])
        if problem is not None:
            ack(response_action="errors", errors=problem)
            return
        workspace_id = store.ensure_workspace(team_id=actor.team_id)
        record = store.get_record(record_id=meta.r, workspace_id=workspace_id)
        if record is None or not _may_act(deps, actor, record, meta.c):
            ack(response_action="errors", errors={BlockId.RECORD_STATUS: NOT_ALLOWED})
            return
        assert status is not None
        done = store.close_for_good(
            record_id=meta.r,
            status=status,
            note=note,
            by_user_id=deps.user_id(actor),
            by=actor.user_id,
            at=utcnow(),
        )
        if not done:
            fresh = store.get_record(record_id=meta.r)
            state = moved_on(fresh.status, fresh.recheck_on, meta.d) if fresh else None
            ack(
                response_action="errors",
                errors={BlockId.RECORD_STATUS: state or "This record is no longer open."},
            )
            return
        ack()
        deps.jobs.later(REFRESH, {"meta": meta.dump(), "team_id": actor.team_id})
        _homes(deps, actor, record)

    def refresh(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        meta = CloseRef.load(body.get("meta"))
        if meta.c and meta.t:
            _update(deps, client, meta.c, meta.t, meta.r, meta.d)
        card_too(client, deps, meta.r)  # closed: the card stops offering ticks

    deps.jobs.define(REFRESH, refresh)


def _record(deps: Deps, actor: Actor, record_id: int, body: dict[str, Any]) -> RecordDetail:
    """The record within the clicker's workspace, if they may act on it (else a Refusal)."""
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    record = deps.store.get_record(record_id=record_id, workspace_id=workspace_id)
    if record is None:
        raise Refusal(NOT_FOUND)
    channel = (body.get("container") or {}).get("channel_id")
    if not _may_act(deps, actor, record, channel):
        raise Refusal(NOT_ALLOWED)
    return record


def _may_act(deps: Deps, actor: Actor, record: RecordDetail, channel: str | None) -> bool:
    """The rep, their manager, or whoever sees the nudge where it was posted (the desk)."""
    if actor.user_id == record.rep_slack_user_id:
        return True
    rep_id = deps.store.find_user(
        workspace_id=record.workspace_id, slack_user_id=record.rep_slack_user_id
    )
    manager = deps.store.approvals.manager_of(rep_user_id=rep_id) if rep_id else None
    if manager is not None and manager.slack_user_id == actor.user_id:
        return True
    if channel and record.recheck_on is not None:
        for due_on in {record.recheck_on, *_nudged_dates(deps, record)}:
            nudge = deps.store.get_nudge(record_id=record.id, due_on=due_on)
            if nudge is not None and nudge.channel_id == channel:
                return True
    return False


def _nudged_dates(deps: Deps, record: RecordDetail) -> list[date]:
    return deps.store.nudge_dates(record_id=record.id)


def _show(
    deps: Deps,
    client: WebClient,
    body: dict[str, Any],
    respond: Respond,
    record_id: int,
    due_on: date,
) -> None:
    """Redraw what was clicked, from the record as it is now: the nudge, the due list, Home."""
    block_id = str(body["actions"][0].get("block_id") or "")
    container = body.get("container") or {}
    actor = actor_from(body)
    if block_id.startswith(BlockId.NUDGE_ACTIONS) and container.get("message_ts"):
        _update(deps, client, container["channel_id"], container["message_ts"], record_id, due_on)
    elif container.get("type") == "view":
        homes_changed(deps, team_id=actor.team_id, users=[actor.user_id])
    elif respond.response_url:
        respond(replace_original=True, **due_reply(deps, actor))


def _update(
    deps: Deps, client: WebClient, channel: str, ts: str, record_id: int, due_on: date
) -> None:
    record = deps.store.get_record(record_id=record_id)
    if record is None:
        return
    conditions = deps.store.conditions.for_record(record_id=record.id)
    text, blocks = nudge_message(record, conditions, due_on=due_on, who=MENTIONS)
    try:
        client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    except SlackApiError as error:  # the message is gone or not ours: the reply still says it
        log.warning("could not redraw nudge %s: %s", ts, error.response.get("error"))


def _homes(deps: Deps, actor: Actor, record: RecordDetail) -> None:
    homes_changed(deps, team_id=actor.team_id, users=[actor.user_id, record.rep_slack_user_id])


# -- /walkaway due and App Home ----------------------------------------------------------------


def due_reply(deps: Deps, actor: Actor, days: int = due_lists.DEFAULT_DAYS) -> dict[str, Any]:
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    due = due_lists.due_for(
        deps.store, workspace_id=workspace_id, slack_user_id=actor.user_id, now=utcnow(), days=days
    )
    text = f"{due.total} re-check(s) due" if due.total else "Nothing to re-check"
    return {"text": text, "blocks": due_blocks(due, viewer=actor.user_id)}


def due_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """`/walkaway due [days]`: privately, the re-checks due (and overdue) for you and your reps."""
    days = int(rest) if rest.strip() else due_lists.DEFAULT_DAYS
    if not due_lists.MIN_DAYS <= days <= due_lists.MAX_DAYS:
        respond(
            text=f"Give a number of days from {due_lists.MIN_DAYS} to {due_lists.MAX_DAYS} "
            f"(`/walkaway due 30`); {days} is outside that.",
            response_type="ephemeral",
        )
        return
    respond(response_type="ephemeral", **due_reply(deps, actor_from(body), days))


def due_section(deps: Deps, actor: Actor) -> list[Block]:
    """App Home: the re-checks due, or nothing for someone with none (a Hooks.home_sections)."""
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    due = due_lists.due_for(
        deps.store, workspace_id=workspace_id, slack_user_id=actor.user_id, now=utcnow()
    )
    return due_blocks(due, viewer=actor.user_id, empty_line=False)


def _takes(rest: str) -> bool:
    """`due` alone or with a number of days; "Due diligence review" stays a deal name."""
    text = rest.strip()
    return not text or (text.isdigit() and len(text) <= 6)


SUBCOMMANDS = (Subcommand("due", due_command, takes=_takes),)
