"""The check's buttons and selects. Each listener acks and stores its work as a job
(bot/slack/jobs.py; the work is defined just above it), for a worker to do. Only the two that
open a modal work inline, after the ack, because a trigger_id expires in 3 s."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.qualification import context, modals
from bot.qualification import draft_blocks as verdict_blocks
from bot.qualification.command import begin
from bot.qualification.followups import queue_repair
from bot.qualification.payloads import (
    AnswerModalMeta,
    AnswerRef,
    DealRef,
    DraftModalMeta,
    LengthRef,
    RecordRef,
    SessionRef,
)
from bot.qualification.steps import (
    ALREADY_ANSWERED,
    current_for,
    go_back,
    record_for,
    take_answer,
)
from bot.qualification.thread import ask_again, redraw_draft
from bot.slack.deps import Deps, actor_from
from bot.slack.effects import owner
from bot.slack.errors import Duplicate, Refusal, tell
from bot.slack.ids import Action
from bot.slack.jobs import deferred
from bot.slack.payloads import BadPayload
from bot.slack.text import escape

ALREADY_SENT = "This draft is already marked as sent."


def register(app: App, deps: Deps) -> None:
    @deferred(deps, "actions.answer")
    def answer(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = _action(body)
        chosen = action.get("selected_option") or {}
        ref = AnswerRef.load(chosen.get("value") if chosen else action.get("value"))
        channel, ts = _message_location(body)
        _first_time(deps, body)
        take_answer(
            client,
            deps,
            actor=actor_from(body),
            session_id=ref.session,
            question_id=ref.question,
            raw=ref.answer_to,
            note=None,
            channel=channel,
            ts=ts,
        )

    @app.action(
        re.compile(f"^({Action.ANSWER_CHOICE}:\\d+|{Action.ANSWER_SELECT})$"),
        middleware=[answer.first],
    )
    def answer_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @app.action(Action.ANSWER_MODAL)
    def answer_modal_opened(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

        def open_modal() -> None:
            ref = AnswerRef.load(_action(body).get("value"))
            channel, ts = _message_location(body)
            progress = current_for(client, deps, actor=actor_from(body), session_id=ref.session)
            waiting = progress.next_question
            if waiting is None or waiting.id != ref.question:
                # the waiting question, if it was never posted
                queue_repair(deps, ref.session, actor_from(body).team_id)
                raise Refusal(ALREADY_ANSWERED)
            question = progress.checklist.question(ref.question)
            meta = AnswerModalMeta(
                session=ref.session, question=ref.question, channel=channel, ts=ts
            )
            client.views_open(
                trigger_id=body["trigger_id"], view=modals.answer_modal(question, meta=meta)
            )

        tell(body, client, respond, open_modal)

    @deferred(deps, "actions.back")
    def back(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = _action(body)
        ref = SessionRef.load(action.get("value"))
        channel, ts = _message_location(body)
        _first_time(deps, body)
        go_back(
            client,
            deps,
            actor=actor_from(body),
            session_id=ref.session,
            question_id=ref.question,
            channel=channel,
            ts=ts,
            restart=action.get("action_id") == Action.START_OVER,
        )

    @app.action(Action.BACK, middleware=[back.first])
    @app.action(Action.START_OVER, middleware=[back.first])
    def back_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @deferred(deps, "actions.resume")
    def resume(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = SessionRef.load(_action(body).get("value"))
        _first_time(deps, body)
        progress = current_for(client, deps, actor=actor_from(body), session_id=ref.session)
        ask_again(client, deps, progress)
        if respond.response_url:  # not from the Home tab, whose clicks carry none
            respond(
                text="Resumed: the next question is in our DM thread.",
                response_type="ephemeral",
                replace_original=True,
            )

    @app.action(Action.RESUME, middleware=[resume.first])
    def resume_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @deferred(deps, "actions.start_new")
    def start_new(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = DealRef.load(_action(body).get("value"))
        _first_time(deps, body)
        begin(client, deps, respond, actor=actor_from(body), deal=ref.deal)
        source = (ref.channel, ref.ts) if ref.channel and ref.ts else None  # Check this deal's
        context.keep_source(client, deps, source, actor=actor_from(body), deal=ref.deal)
        if respond.response_url:
            respond(
                text=f"Opened a new check of *{escape(ref.deal)}*: the first question is in "
                "our DM thread.",
                response_type="ephemeral",
                replace_original=True,
            )

    @app.action(Action.START_NEW, middleware=[start_new.first])
    def start_new_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

    @app.action(Action.EDIT_DRAFT)
    def edit_draft_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

        def open_editor() -> None:
            ref = RecordRef.load(_action(body).get("value"))
            channel, ts = _message_location(body)
            record = record_for(deps, actor=actor_from(body), record_id=ref.record)
            meta = DraftModalMeta(
                record=ref.record, channel=channel, ts=ts, length=record.draft_length
            )
            view = modals.edit_draft_modal(draft=record.shown_draft or "", meta=meta)
            client.views_open(trigger_id=body["trigger_id"], view=view)

        tell(body, client, respond, open_editor)

    @app.action(Action.ADD_RECIPIENT)
    def add_recipient_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

        def open_form() -> None:
            ref = RecordRef.load(_action(body).get("value"))
            channel, ts = _message_location(body)
            record = record_for(deps, actor=actor_from(body), record_id=ref.record)
            if record.sent_at is not None:
                raise Refusal(ALREADY_SENT)
            view = modals.recipient_modal(
                meta=DraftModalMeta(record=ref.record, channel=channel, ts=ts),
                organisation=record.organisation,
                contact=record.contact,
                changing=record.addressed_at is not None,
            )
            client.views_open(trigger_id=body["trigger_id"], view=view)

        tell(body, client, respond, open_form)

    @deferred(deps, "actions.skip_recipient")
    def skip(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = RecordRef.load(_action(body).get("value"))
        channel, ts = _message_location(body)
        record_for(deps, actor=actor_from(body), record_id=ref.record)
        deps.store.address_record(
            record_id=ref.record, organisation=None, contact=None, remember=False
        )
        redraw_draft(client, deps, record_id=ref.record, channel=channel, ts=ts, redraft=False)

    @app.action(Action.SKIP_RECIPIENT, middleware=[skip.first])
    def skip_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @deferred(deps, "actions.draft_length")
    def switch_length(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = LengthRef.load(_action(body).get("value"))
        channel, ts = _message_location(body)
        record = record_for(deps, actor=actor_from(body), record_id=ref.record)
        if record.sent_at is None:
            deps.store.set_draft_length(record_id=ref.record, length=ref.length)
        redraw_draft(client, deps, record_id=ref.record, channel=channel, ts=ts, redraft=False)

    @app.action(Action.DRAFT_LENGTH, middleware=[switch_length.first])
    def length_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @app.action(Action.OPEN_EMAIL)
    def open_email_clicked(ack: Ack) -> None:
        """The link opens the mail client by itself; Slack only wants the click acknowledged."""
        ack()

    @deferred(deps, "actions.mark_sent")
    def mark(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = RecordRef.load(_action(body).get("value"))
        channel, ts = _message_location(body)
        _first_time(deps, body)
        actor = actor_from(body)
        record = record_for(deps, actor=actor, record_id=ref.record)
        for check in deps.hooks.before_send:  # e.g. a draft held until the manager agrees
            check(deps, ref.record)
        me = owner()
        marked = record.sent_at is None and deps.store.mark_sent(
            record_id=ref.record,
            text=record.shown_draft or "",
            by_user_id=deps.user_id(actor),
            owner=me,
        )
        if not marked and (me is None or deps.store.claim_owner(key=f"sent:{ref.record}") != me):
            raise Refusal(ALREADY_SENT)  # (this job's own re-run goes on to show it sent)
        redraw_draft(client, deps, record_id=ref.record, channel=channel, ts=ts, redraft=False)

    @app.action(Action.MARK_SENT, middleware=[mark.first])
    def mark_sent_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

    @deferred(deps, "actions.copy_text")
    def copy(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ref = RecordRef.load(_action(body).get("value"))
        record = record_for(deps, actor=actor_from(body), record_id=ref.record)
        subject = (
            record.subject if record.sent_at is None and record.draft_length != "short" else None
        )
        text, blocks = verdict_blocks.copy_text_message(
            record.sent_text or record.shown_draft or "", subject=subject
        )
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    @app.action(Action.COPY_TEXT, middleware=[copy.first])
    def copy_text_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()


def _action(body: dict[str, Any]) -> dict[str, Any]:
    actions = body.get("actions")
    if not isinstance(actions, list) or not actions or not isinstance(actions[0], dict):
        raise BadPayload("a block_actions payload without an action")
    return actions[0]


def _first_time(deps: Deps, body: dict[str, Any]) -> None:
    """Slack stamps every click; the same stamp twice is one click delivered twice."""
    user = (body.get("user") or {}).get("id")
    stamp = _action(body).get("action_ts")
    if user and stamp and not deps.store.claim_once(key=f"click:{user}:{stamp}", owner=owner()):
        raise Duplicate


def _message_location(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        raise Refusal("That button is not attached to a message I can update.")
    return str(channel), str(ts)
