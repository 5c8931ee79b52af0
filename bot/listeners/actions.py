"""Buttons and selects. Each handler acks first, then reads the payload and calls the flow."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.blocks import modals
from bot.blocks import verdict as verdict_blocks
from bot.domain.conversation import InvalidAnswer
from bot.ids import Action
from bot.payloads import AnswerModalMeta, AnswerRef, DraftModalMeta, RecordRef, SessionRef
from bot.slack_flow import (
    Deps,
    Duplicate,
    Refusal,
    actor_from,
    current_for,
    go_back,
    post_next,
    record_for,
    take_answer,
)


def register(app: App, deps: Deps) -> None:
    @app.action(re.compile(f"^({Action.ANSWER_CHOICE}:\\d+|{Action.ANSWER_SELECT})$"))
    def answer_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        action = body["actions"][0]
        raw = action["selected_option"]["value"] if "selected_option" in action else action["value"]
        ref = AnswerRef.load(raw)
        channel, ts = _message_location(body)
        _tell(
            respond,
            lambda: take_answer(
                client,
                deps,
                actor=actor_from(body),
                session_id=ref.session,
                question_id=ref.question,
                raw=ref.value,
                note=None,
                channel=channel,
                ts=ts,
            ),
        )

    @app.action(Action.ANSWER_MODAL)
    def answer_modal_opened(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        ref = AnswerRef.load(body["actions"][0]["value"])
        channel, ts = _message_location(body)

        def open_modal() -> None:
            progress = current_for(deps, actor=actor_from(body), session_id=ref.session)
            question = progress.checklist.question(ref.question)
            meta = AnswerModalMeta(
                session=ref.session, question=ref.question, channel=channel, ts=ts
            )
            client.views_open(
                trigger_id=body["trigger_id"], view=modals.answer_modal(question, meta=meta)
            )

        _tell(respond, open_modal)

    @app.action(Action.BACK)
    @app.action(Action.START_OVER)
    def back_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        action = body["actions"][0]
        ref = SessionRef.load(action["value"])
        channel, ts = _message_location(body)
        _tell(
            respond,
            lambda: go_back(
                client,
                deps,
                actor=actor_from(body),
                session_id=ref.session,
                channel=channel,
                ts=ts,
                restart=action["action_id"] == Action.START_OVER,
            ),
        )

    @app.action(Action.RESUME)
    def resume_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        ref = SessionRef.load(body["actions"][0]["value"])

        def resume() -> None:
            progress = current_for(deps, actor=actor_from(body), session_id=ref.session)
            post_next(client, deps, progress)
            respond(
                text="Resumed: the next question is in our DM thread.",
                response_type="ephemeral",
                replace_original=True,
            )

        _tell(respond, resume)

    @app.action(Action.EDIT_DRAFT)
    def edit_draft_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        ref = RecordRef.load(body["actions"][0]["value"])
        channel, ts = _message_location(body)

        def open_editor() -> None:
            record = record_for(deps, actor=actor_from(body), record_id=ref.record)
            meta = DraftModalMeta(record=ref.record, channel=channel, ts=ts)
            view = modals.edit_draft_modal(draft=record.draft_text or "", meta=meta)
            client.views_open(trigger_id=body["trigger_id"], view=view)

        _tell(respond, open_editor)

    @app.action(Action.MARK_SENT)
    def mark_sent_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        ref = RecordRef.load(body["actions"][0]["value"])
        channel, ts = _message_location(body)

        def mark() -> None:
            actor = actor_from(body)
            record = record_for(deps, actor=actor, record_id=ref.record)
            if record.sent_at is not None or not deps.store.claim_once(key=f"sent:{ref.record}"):
                raise Refusal("This draft is already marked as sent.")
            deps.store.mark_sent(
                record_id=ref.record,
                text=record.draft_text or "",
                by_user_id=deps.service.user_id(actor),
            )
            sent = deps.store.get_record(record_id=ref.record)
            assert sent is not None
            text, blocks = verdict_blocks.draft_message(
                record_id=ref.record,
                draft=sent.sent_text or "",
                sent_at=sent.sent_at,
                sent_by=actor.user_id,
            )
            client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)

        _tell(respond, mark)

    @app.action(Action.COPY_TEXT)
    def copy_text_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        ref = RecordRef.load(body["actions"][0]["value"])

        def copy() -> None:
            record = record_for(deps, actor=actor_from(body), record_id=ref.record)
            text, blocks = verdict_blocks.copy_text_message(
                record.sent_text or record.draft_text or ""
            )
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

        _tell(respond, copy)


def _message_location(body: dict[str, Any]) -> tuple[str, str]:
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    if not channel or not ts:
        raise Refusal("That button is not attached to a message I can update.")
    return str(channel), str(ts)


def _tell(respond: Respond, step: Any) -> None:
    """Run a step; expected refusals become a short private reply, duplicates stay silent."""
    try:
        step()
    except (Refusal, InvalidAnswer) as problem:
        respond(text=str(problem), response_type="ephemeral", replace_original=False)
    except Duplicate:
        return
