"""Work that follows an inline step, done as a job so Slack's failures cannot lose it.

A modal submission must be answered within 3 s, inline: the answer is stored there and the modal
closes, and what the rep then sees (the answer shown, the next question, the saved draft) is
queued here, and so is writing the draft afresh for a new recipient. `repair` makes a thread
show what its check has stored; a click on an old message queues it when the thread may be
missing a step.
"""

from __future__ import annotations

from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.qualification.steps import carry_on
from bot.qualification.thread import finish, post_next, redraw_draft, service
from bot.slack.deps import Deps
from bot.slack.jobs import deferred
from storage.records import SessionStatus

CARRY_ON = "qualification.carry_on"
REPAIR = "qualification.repair"
DRAFT_SAVED = "qualification.draft_saved"
RECIPIENT_SET = "qualification.recipient_set"


def register(app: App, deps: Deps) -> None:
    @deferred(deps, CARRY_ON)
    def after_answer(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        carry_on(
            client,
            deps,
            session_id=int(body["session"]),
            question_id=str(body["question"]),
            channel=str(body["channel"]),
            ts=str(body["ts"]),
            by_user=str(body["user"]),
        )

    @deferred(deps, REPAIR)
    def repair(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        progress = service(deps).progress(int(body["session"]))
        if progress is None or not progress.session.thread_ts:
            return
        if progress.session.status == SessionStatus.OPEN:
            post_next(client, deps, progress)
        elif progress.session.status == SessionStatus.COMPLETE:
            finish(client, deps, progress)

    @deferred(deps, DRAFT_SAVED)
    def draft_saved(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        redraw_draft(
            client,
            deps,
            record_id=int(body["record"]),
            channel=str(body["channel"]),
            ts=str(body["ts"]),
            redraft=False,
        )

    @deferred(deps, RECIPIENT_SET)
    def recipient_set(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        redraw_draft(
            client,
            deps,
            record_id=int(body["record"]),
            channel=str(body["channel"]),
            ts=str(body["ts"]),
            redraft=True,
        )


def queue_repair(deps: Deps, session_id: int, team_id: str | None = None) -> None:
    deps.jobs.later(REPAIR, {"session": session_id, "team_id": team_id})
