"""Modal submissions: validation errors go back inline on the field, before the modal closes."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.domain.conversation import InvalidAnswer
from bot.domain.drafts import Recipient
from bot.domain.tone_report import tone_issues
from bot.qualification import modals
from bot.qualification.followups import CARRY_ON, DRAFT_SAVED, RECIPIENT_SET, queue_repair
from bot.qualification.payloads import AnswerModalMeta, DraftModalMeta
from bot.qualification.steps import record_for, take_answer
from bot.slack.deps import Deps, actor_from
from bot.slack.errors import Duplicate, Refusal, report
from bot.slack.ids import Block, Field, View
from bot.slack.payloads import BadPayload


def register(app: App, deps: Deps) -> None:
    @app.view(View.ANSWER)
    def answer_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        try:
            meta = AnswerModalMeta.load(view.get("private_metadata"))
        except BadPayload:
            ack(response_action="errors", errors={Block.ANSWER_INPUT: STALE_MODAL})
            return
        values = view["state"]["values"]
        raw = _input_value(values, Block.ANSWER_INPUT, Field.VALUE)
        note = _input_value(values, Block.NOTE_INPUT, Field.NOTE)
        acked = False
        actor = actor_from(body)

        def close_modal() -> None:  # the answer is stored: queue the rest, then close
            nonlocal acked
            deps.jobs.later(
                CARRY_ON,
                {
                    "session": meta.session,
                    "question": meta.question,
                    "channel": meta.channel,
                    "ts": meta.ts,
                    "user": actor.user_id,
                    "user_id": actor.user_id,
                    "team_id": actor.team_id,
                },
            )
            ack()
            acked = True

        try:
            take_answer(
                client,
                deps,
                actor=actor,
                session_id=meta.session,
                question_id=meta.question,
                raw=raw,
                note=note,
                channel=meta.channel,
                ts=meta.ts,
                then=close_modal,
                repair=lambda progress: queue_repair(deps, progress.session.id, actor.team_id),
            )
        except InvalidAnswer as problem:
            ack(response_action="errors", errors={Block.ANSWER_INPUT: str(problem)})
        except Refusal as problem:
            ack(
                response_action="errors", errors={Block.ANSWER_INPUT: str(problem).replace("*", "")}
            )
        except Duplicate:
            ack()
        except Exception as error:
            if not acked:
                raise  # app.error keeps the modal open with an apology on the field
            report(error, body=body, client=client, respond=None)

    @app.view(View.EDIT_DRAFT)
    def draft_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        try:
            meta = DraftModalMeta.load(view.get("private_metadata"))
        except BadPayload:
            ack(response_action="errors", errors={Block.DRAFT_INPUT: STALE_MODAL})
            return
        values = view["state"]["values"]
        text = (_input_value(values, Block.DRAFT_INPUT, Field.DRAFT) or "").strip()
        send_anyway = bool(
            values.get(Block.SEND_ANYWAY, {}).get(Field.SEND_ANYWAY, {}).get("selected_options")
        )
        actor = actor_from(body)
        try:
            record = record_for(deps, actor=actor, record_id=meta.record)
        except Refusal as problem:
            ack(response_action="errors", errors={Block.DRAFT_INPUT: str(problem)})
            return
        if record.sent_at is not None:
            ack(
                response_action="errors",
                errors={Block.DRAFT_INPUT: "This draft is already marked as sent."},
            )
            return
        if not text:
            ack(response_action="errors", errors={Block.DRAFT_INPUT: "The message is empty."})
            return
        if len(text) > modals.DRAFT_LIMIT:
            too_long = f"Keep the message under {modals.DRAFT_LIMIT} characters ({len(text)} now)."
            ack(response_action="errors", errors={Block.DRAFT_INPUT: too_long})
            return
        issues = tone_issues(text)
        if issues and not send_anyway:
            view = modals.edit_draft_modal(draft=text, meta=meta, issues=issues)
            ack(response_action="update", view=view)
            return
        deps.store.update_draft(record_id=meta.record, text=text, length=meta.length)
        deps.jobs.later(
            DRAFT_SAVED,
            {"record": meta.record, "channel": meta.channel, "ts": meta.ts, "team": body["team"]},
        )
        ack()

    @app.view(View.RECIPIENT)
    def recipient_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Kept on the deal at once; the draft is written for them and shown by a job."""
        view = body["view"]
        try:
            meta = DraftModalMeta.load(view.get("private_metadata"))
        except BadPayload:
            ack(response_action="errors", errors={Block.ORGANISATION_INPUT: STALE_MODAL})
            return
        values = view["state"]["values"]
        recipient = Recipient.of(
            _input_value(values, Block.ORGANISATION_INPUT, Field.ORGANISATION),
            _input_value(values, Block.CONTACT_INPUT, Field.CONTACT),
        )
        try:
            record = record_for(deps, actor=actor_from(body), record_id=meta.record)
        except Refusal as problem:
            ack(response_action="errors", errors={Block.ORGANISATION_INPUT: str(problem)})
            return
        if record.sent_at is not None:
            ack(
                response_action="errors",
                errors={Block.ORGANISATION_INPUT: "This draft is already marked as sent."},
            )
            return
        deps.store.address_record(
            record_id=meta.record,
            organisation=recipient.organisation,
            contact=recipient.contact,
            remember=True,
        )
        deps.jobs.later(
            RECIPIENT_SET,
            {"record": meta.record, "channel": meta.channel, "ts": meta.ts, "team": body["team"]},
        )
        ack()


STALE_MODAL = (
    "This form is out of date, so nothing was saved. Close it and open it again from the "
    "latest message."
)


def _input_value(values: dict[str, Any], block: str, field: str) -> str | None:
    state = values.get(block, {}).get(field, {})
    if state.get("type") == "static_select":
        option = state.get("selected_option") or {}
        return option.get("value")
    value = state.get("value")
    return value if isinstance(value, str) else None
