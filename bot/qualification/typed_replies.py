"""Events: answers typed into the qualification thread (message.im).

Slack retries events it thinks failed, so each event id is claimed in the database first (in
the job, so a retry that arrives while the first is still queued is dropped there too). A reply
from anyone but the rep whose thread it is is dropped before that, without a word: nobody else
types in that DM, so such an event is not a person to answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, Respond
from slack_sdk import WebClient

from bot.domain.conversation import InvalidAnswer
from bot.domain.model import Actor
from bot.qualification.console import NOTE_MARK
from bot.qualification.steps import take_answer
from bot.qualification.thread import question_key, service
from bot.slack.deps import Deps
from bot.slack.effects import owner, post_for_job
from bot.slack.errors import Duplicate, Refusal, RetryLater
from bot.slack.jobs import deferred
from bot.slack.text import escape, unescape
from storage.base import Claim
from storage.records import SessionInfo

log = logging.getLogger("walkaway")


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "events.typed_reply")
    def take_typed_answer(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        event = body["event"]
        thread_ts, user = event["thread_ts"], event["user"]
        session = deps.store.find_session_by_thread(
            channel_id=event["channel"], thread_ts=thread_ts
        )
        if session is None:
            return
        sender = deps.store.find_user(workspace_id=session.workspace_id, slack_user_id=user)
        if sender != session.rep_user_id:
            # Only the rep and the app write in that DM, so an event saying someone else did
            # has no person to answer; a reply would only post where the event pointed.
            log.info("ignored a typed reply by %s in session %s: not its rep", user, session.id)
            return
        # What the reply answers is decided once, with the claim on the event: a Slack retry
        # finds it taken, and this job's own re-run answers the same question it chose then.
        key = f"event:{body.get('event_id') or event['ts']}"
        mine = owner()
        if mine is not None and deps.store.claim_owner(key=key) == mine:
            claim, target = deps.store.claim(key=key, owner=mine)
        else:
            claim, target = deps.store.claim(key=key, owner=mine, note=_waiting(deps, session))
        if claim is Claim.TAKEN or target is None:
            return
        question_id, _, prompt_ts = target.rpartition("|")
        typed = unescape(str(event.get("text") or ""))
        raw, _, note = typed.partition(NOTE_MARK.strip())
        actor = Actor(team_id=str(body.get("team_id") or event.get("team")), user_id=user)
        try:
            take_answer(
                client,
                deps,
                actor=actor,
                session_id=session.id,
                question_id=question_id,
                raw=raw.strip(),
                note=note.strip() or None,
                channel=event["channel"],
                ts=prompt_ts,
            )
        except (InvalidAnswer, Refusal) as problem:
            _reply(
                client,
                deps,
                event,
                f"{escape(str(problem))} You can also use the buttons on the question.",
            )
        except Duplicate:  # a click on the question won the turn, or its message moved on
            _reply(client, deps, event, TURN_TAKEN)

    def store_first(body: dict[str, Any], next: Callable[[], None]) -> None:
        """Queue replies in a thread of a DM with us, before Bolt acks the event.

        Bolt acknowledges an event on its own as its listener starts, so a job stored by the
        listener could be lost to a crash after the ack, and Slack, having had its 200, would
        never send the reply again. This runs on the request thread before that ack.
        """
        event = body.get("event") or {}
        thread_ts = event.get("thread_ts")
        if (
            event.get("channel_type") == "im"
            and not event.get("bot_id")
            and not event.get("subtype")
            and thread_ts
            and event.get("user")
            and thread_ts != event.get("ts")
        ):
            take_typed_answer.later(body)
        next()

    @app.event("message", middleware=[store_first])
    def typed_reply() -> None:
        """Stored by store_first already; Bolt acks the event."""


def _waiting(deps: Deps, session: SessionInfo) -> str | None:
    """`question id|ts` of the question on show, which a typed reply answers (None: none is)."""
    progress = service(deps).progress(session.id)
    question = progress.next_question if progress else None
    if question is None or session.status != "open":
        return None
    # The question on show is the one posted for this revision of the answers; its ts is
    # recorded the moment it is posted, a step before the session's prompt_ts, which a fast
    # reply (or a worker dying in between) can overtake.
    posted = deps.store.post_info(key=question_key(session))
    if posted is not None and posted.ts is None:
        # Being posted, and perhaps already on the rep's screen (Slack's answer to the post was
        # lost): answer it once the post is recorded, not the one before it.
        raise RetryLater(RuntimeError(f"question {posted.key} is not recorded yet"))
    prompt = (posted.ts if posted is not None else None) or session.prompt_ts
    return f"{question.id}|{prompt}" if prompt else None


TURN_TAKEN = (
    "That question already has an answer, so I left your reply out. If no new question "
    "appeared, type `/walkaway` and click *Resume*."
)


def _reply(client: WebClient, deps: Deps, event: dict[str, Any], text: str) -> None:
    post_for_job(
        client,
        deps.store,
        what="reply",
        channel=event["channel"],
        thread_ts=event["thread_ts"],
        text=text,
    )
