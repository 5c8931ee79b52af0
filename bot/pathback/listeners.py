"""The path back's listeners: tick a condition, change the re-check date, *They came back*
(button, modal, `/walkaway back`).

Clicks ack at once and leave their work in the job queue (bot/slack/jobs.py); the button that
opens a modal works inline, since a trigger_id lasts 3 s, and so does the modal's submission,
which must answer with its errors. The work is in ticks.py and came_back.py beside this.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.pathback import came_back, notes, ticks
from bot.pathback.payloads import RecordRef
from bot.slack.deps import Deps, Subcommand, actor_from
from bot.slack.errors import Refusal, tell
from bot.slack.ids import Action, Block, Field, View
from bot.slack.jobs import deferred
from bot.slack.payloads import BadPayload

STALE = "That button is out of date, so I changed nothing. Open the record again."
CAME_BACK_SAID = "pathback.came_back"


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "pathback.tick", stale=STALE)
    def tick(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ticks.tick(client, deps, body, respond)

    @app.action(ticks.TICK, middleware=[tick.first])
    def tick_clicked(ack: Ack) -> None:
        ack()

    @app.action(notes.NOTE_BUTTON)
    def note_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        tell(body, client, respond, lambda: notes.open_modal(client, deps, body), stale=STALE)

    @deferred(deps, "pathback.note_saved", stale=STALE)
    def note_saved(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        notes.refresh(client, deps, int(body["record"]))

    @app.view(View.CONDITION_NOTE)
    def note_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        try:
            record_id = notes.save(client, deps, body)
        except (BadPayload, Refusal) as problem:
            message = STALE if isinstance(problem, BadPayload) else str(problem)
            ack(response_action="errors", errors={Block.NOTE_INPUT: message.replace("*", "")})
            return
        note_saved.later({"record": record_id, "user": body.get("user"), "team": body.get("team")})
        _close(ack, body)

    @deferred(deps, "pathback.recheck_date", stale=STALE)
    def recheck_date(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ticks.change_recheck(client, deps, body, respond)

    @app.action(Action.RECHECK_DATE, middleware=[recheck_date.first])
    def recheck_date_chosen(ack: Ack) -> None:
        ack()

    @app.action(Action.CAME_BACK)
    def came_back_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        tell(body, client, respond, lambda: came_back.open_modal(client, deps, body), stale=STALE)

    @deferred(deps, CAME_BACK_SAID, stale=STALE)
    def came_back_said(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        came_back.said_back(client, deps, body, respond)

    @app.view(View.CAME_BACK)
    def came_back_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        values = view["state"]["values"]
        note = (values.get(Block.NOTE_INPUT, {}).get(Field.NOTE, {}).get("value")) or ""
        try:
            ref = RecordRef.load(view.get("private_metadata"))
            actor = actor_from(body)
            marked = came_back.mark(client, deps, actor, ref.record, note.strip() or None)
        except (BadPayload, Refusal) as problem:
            message = STALE if isinstance(problem, BadPayload) else str(problem)
            ack(response_action="errors", errors={Block.NOTE_INPUT: message.replace("*", "")})
            return
        if not marked.changed:
            already = came_back.ALREADY.format(deal=marked.deal_name).replace("*", "")
            ack(response_action="errors", errors={Block.NOTE_INPUT: already})
            return
        came_back_said.later(
            {
                "meta": ref.dump(),
                "user": {"id": actor.user_id},
                "team": {"id": actor.team_id},
            }
        )
        _close(ack, body)


def _close(ack: Ack, body: dict[str, Any]) -> None:
    """Pushed over *Details*, close both: the Details beneath would show the record as it was."""
    if (body.get("view") or {}).get("previous_view_id"):
        ack(response_action="clear")
    else:
        ack()


SUBCOMMANDS = (Subcommand("back", came_back.back_command),)
