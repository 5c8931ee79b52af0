"""The whole check as one form, beside the conversation, over the same stored answers.

*Use a form instead* (on the thread's opening message and its first question) opens a modal
with every question that applies. Each choice the rep makes is a block action: it is stored
through the same service as a click in the thread, and the modal redrawn with the branches the
answers open or close (`views.update` with the view's hash, so an older drawing never replaces
a newer one). A number or text is read when the form is sent, or when it is closed (Slack
reports the closing with the view's state), so closing loses nothing; the thread then picks up
at the first question still open. Sending it stores whatever is left (an unticked box: no) and
finishes exactly as the thread does (`thread.finish`), so the verdict card is the same.

Opening needs the click's trigger_id within 3 s, so it happens in the listener; the rest runs
in jobs like every other step.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.checklist import Question
from bot.domain.conversation import InvalidAnswer
from bot.domain.model import Actor, AnswerValue
from bot.qualification import form_blocks
from bot.qualification import question_blocks as convo_blocks
from bot.qualification.payloads import FormMeta, SessionRef
from bot.qualification.service import Progress
from bot.qualification.steps import current_for
from bot.qualification.thread import finish, post_next, service, turn_key, update_old
from bot.slack.deps import Deps, actor_from
from bot.slack.effects import owner
from bot.slack.errors import Duplicate, Refusal, is_transient, tell
from bot.slack.ids import Action, View
from bot.slack.jobs import deferred
from bot.slack.payloads import BadPayload
from storage.records import SessionStatus

log = logging.getLogger(__name__)

FORM_DONE = "form.done"
STALE_VIEW_ERRORS = frozenset({"hash_conflict", "not_found", "view_not_found"})
"""views.update answers: a newer drawing is already on show, or the form was closed."""
NEEDS_MORE = "{n} more question(s) apply given your answers. Answer them, then ask again."

Raws = dict[str, object | None]


def register(app: App, deps: Deps) -> None:
    @app.action(Action.OPEN_FORM)
    def form_opened(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

        def open_form() -> None:
            ref = SessionRef.load((body.get("actions") or [{}])[0].get("value"))
            progress = current_for(client, deps, actor=actor_from(body), session_id=ref.session)
            client.views_open(trigger_id=body["trigger_id"], view=view_of(deps, progress))

        tell(body, client, respond, open_form)

    @deferred(deps, "form.answer")
    def changed(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """One choice changed in the form: store it, then redraw the form from the store."""
        action = (body.get("actions") or [{}])[0]
        view = body.get("view") or {}
        meta = FormMeta.load(view.get("private_metadata"))
        question_id = form_blocks.question_of(str(action.get("block_id", "")))
        if question_id is None:
            raise BadPayload("a form action outside a question block")
        _first_time(deps, body, action)
        actor = actor_from(body)
        progress = current_for(client, deps, actor=actor, session_id=meta.session)
        raws: Raws = {question_id: _raw(action, ticked_means_no=True)}
        store_answers(deps, progress, actor=actor, raws=raws, claim=f"form:{owner()}")
        redraw(client, deps, meta.session, view_id=view.get("id"), view_hash=view.get("hash"))

    @app.action(Action.FORM_ANSWER, middleware=[changed.first])
    def form_changed(ack: Ack, body: dict[str, Any]) -> None:
        ack()

    @app.view(View.FORM)
    def form_sent(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        """Store what the form holds, then close it and queue the verdict; or say what is left.

        Inline, because a modal submission is answered within 3 s: errors go back on their
        question, and questions newly open come back in the same modal.
        """
        view = body["view"]
        values = view.get("state", {}).get("values", {})
        inputs = [b.get("block_id") for b in view.get("blocks") or [] if b.get("type") == "input"]
        try:
            meta = FormMeta.load(view.get("private_metadata"))
            actor = actor_from(body)
            progress = current_for(
                client, deps, actor=actor, session_id=meta.session, repair=lambda _: None
            )
        except (BadPayload, Refusal) as problem:
            message = str(problem) if isinstance(problem, Refusal) else STALE_FORM
            if inputs:  # errors can only sit under an input block
                ack(response_action="errors", errors={inputs[0]: message.replace("*", "")})
            else:
                ack()
            return
        raws = edits(form_raws(values, ticked_means_no=True), view, progress)
        errors, progress = store_answers(deps, progress, actor=actor, raws=raws)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        if progress.next_question is not None:
            left = len(progress.conversation.pending())
            ack(
                response_action="update",
                view=view_of(deps, progress, notice=NEEDS_MORE.format(n=left)),
            )
            return
        deps.jobs.later(FORM_DONE, {"session": meta.session, **_who(actor)})
        ack()

    @deferred(deps, FORM_DONE)
    def done(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        progress = service(deps).progress(int(body["session"]))
        if progress is not None:
            catch_up(client, deps, progress)

    @deferred(deps, "form.closed")
    def closed(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """Closed without asking for the verdict: keep what was typed, and let the thread go on."""
        view = body.get("view") or {}
        meta = FormMeta.load(view.get("private_metadata"))
        actor = actor_from(body)
        progress = service(deps).progress(meta.session)
        if progress is None or progress.session.status != SessionStatus.OPEN:
            return
        if progress.session.rep_user_id != deps.user_id(actor):
            return
        values = (view.get("state") or {}).get("values") or {}
        raws = edits(form_raws(values, ticked_means_no=False), view, progress)
        _, progress = store_answers(deps, progress, actor=actor, raws=raws, claim=f"form:{owner()}")
        catch_up(client, deps, progress)

    @app.view_closed(View.FORM, middleware=[closed.first])
    def form_closed(ack: Ack) -> None:
        ack()


STALE_FORM = "This form is out of date. Close it and open it again from our DM thread."


def view_of(deps: Deps, progress: Progress, *, notice: str | None = None) -> Any:
    """The form; a re-check's also shows last time's answers (Still true)."""
    return form_blocks.form_view(
        progress.conversation,
        session_id=progress.session.id,
        deal_name=progress.session.deal_name,
        notice=notice,
        earlier=deps.store.earlier_answers(session_id=progress.session.id),
    )


def redraw(
    client: WebClient,
    deps: Deps,
    session_id: int,
    *,
    view_id: object,
    view_hash: object,
) -> None:
    """Show the form as stored now, converging on the newest answers however jobs interleave.

    The first update names the hash the click saw, so a drawing made since is never replaced
    blindly. A conflict means another job drew since: if the answers changed after this
    drawing was made, the job that changed them draws after its change, so this one stops;
    if not, this drawing is the newest, and it is shown. After each update the answers are
    read again, and a change made meanwhile is drawn too. A closed form is left alone.
    """
    if not isinstance(view_id, str):
        return
    wanted = view_hash if isinstance(view_hash, str) else None
    for _ in range(REDRAWS):
        progress = service(deps).progress(session_id)
        if progress is None:
            return
        drawn = progress.session.revision
        try:
            client.views_update(view_id=view_id, hash=wanted, view=view_of(deps, progress))
        except SlackApiError as error:
            problem = error.response.get("error")
            if is_transient(error) or problem not in STALE_VIEW_ERRORS:
                raise
            if problem != "hash_conflict" or _revision(deps, session_id) != drawn:
                log.info("form %s not redrawn: %s", view_id, problem)
                return
        else:
            if _revision(deps, session_id) == drawn:
                return
        wanted = None


REDRAWS = 4


def _revision(deps: Deps, session_id: int) -> int | None:
    session = deps.store.get_session(session_id=session_id)
    return None if session is None else session.revision


def form_raws(values: dict[str, Any], *, ticked_means_no: bool) -> Raws:
    """Each shown question's input as Slack reports it (None: nothing entered)."""
    raws: Raws = {}
    for block, fields in values.items():
        question_id = form_blocks.question_of(str(block))
        state = (fields or {}).get(Action.FORM_ANSWER)
        if question_id is not None and isinstance(state, dict):
            raws[question_id] = _raw(state, ticked_means_no=ticked_means_no)
    return raws


def edits(raws: Raws, view: dict[str, Any], progress: Progress) -> Raws:
    """What the rep changed in this form, and what it leaves to fill in.

    A value still as the form drew it is not an edit: if the question was answered since (in
    the thread, while the form stayed open), the stored answer stands. A question with no
    stored answer takes what the form holds (an untouched tick box: no).
    """
    drawn = form_raws(
        {
            str(b.get("block_id", "")): {Action.FORM_ANSWER: _drawn_state(b)}
            for b in view.get("blocks") or []
            if isinstance(b, dict)
        },
        ticked_means_no=True,
    )
    answers = progress.conversation.answers
    return {
        qid: raw
        for qid, raw in raws.items()
        if qid not in answers or qid not in drawn or drawn[qid] != raw
    }


def _drawn_state(block: dict[str, Any]) -> dict[str, Any]:
    """An input as drawn, in the shape Slack reports state (initial values as chosen ones)."""
    element = block.get("element") or block.get("accessory") or {}
    return {
        "type": element.get("type"),
        "selected_options": element.get("initial_options") or [],
        "selected_option": element.get("initial_option"),
        "value": element.get("initial_value"),
    }


def _raw(state: dict[str, Any], *, ticked_means_no: bool) -> object | None:
    kind = state.get("type")
    if kind == "checkboxes":
        if state.get("selected_options"):
            return form_blocks.YES
        return form_blocks.NO if ticked_means_no else None
    if kind in ("radio_buttons", "static_select"):
        return (state.get("selected_option") or {}).get("value")
    value = state.get("value")
    return value if isinstance(value, str) and value.strip() else None


def store_answers(
    deps: Deps,
    progress: Progress,
    *,
    actor: Actor,
    raws: Raws,
    claim: str | None = None,
) -> tuple[dict[str, str], Progress]:
    """Store each answer that applies and differs from the stored one, in checklist order.

    The order matters: an answer may open or close the questions after it. Returns the
    problems, by the form's block id, and the check as stored afterwards. `claim` (a job's
    own) makes a re-run of the job store nothing twice.
    """
    errors: dict[str, str] = {}
    qualifications = service(deps)
    for question in progress.checklist.questions:
        raw = raws.get(question.id)
        answers = progress.conversation.answers
        if raw is None or not question.applies(answers):
            continue
        try:
            value = progress.conversation.answer(question.id, raw).value
        except InvalidAnswer as problem:
            errors[form_blocks.block_id(question.id)] = _plain(question, problem)
            continue
        if answers.get(question.id) == value:
            continue
        updated = qualifications.answer(
            progress.session.id,
            actor=actor,
            question_id=question.id,
            raw=value,
            claim_key=f"{claim}:{question.id}" if claim else None,
            owner=owner() if claim else None,
            current=progress,
        )
        progress = updated or qualifications.progress(progress.session.id) or progress
    return errors, progress


def _plain(question: Question, problem: InvalidAnswer) -> str:
    """The engine names questions by id; in the form the error sits under the question."""
    return str(problem).replace(f"{question.id} ", "This ").replace(question.id, "this")


def catch_up(client: WebClient, deps: Deps, progress: Progress) -> None:
    """Bring the thread in step with answers given in the form (repeatable).

    The question waiting in the thread, when the form answered anything since it was asked,
    becomes the list of what the form stored (its turn claimed, so a click on it loses
    cleanly); then the thread asks the first question still open, or finishes with the same
    verdict card and draft as the conversation.
    """
    session = progress.session
    if session.status == SessionStatus.COMPLETE:
        finish(client, deps, progress)
        return
    if session.status != SessionStatus.OPEN or not session.channel_id:
        return
    prompt = session.prompt_ts
    given = _given_in_form(deps, progress, since=prompt)
    if prompt and given:
        claim = deps.store.ask_anew(
            session_id=session.id, claim_key=turn_key(session.id, prompt), owner=owner()
        )
        if claim.ours:
            text, blocks = convo_blocks.form_transcript(given)
            update_old(client, channel=session.channel_id, ts=prompt, text=text, blocks=blocks)
        progress = service(deps).progress(session.id) or progress
    if progress.next_question is None:
        finish(client, deps, progress)
    else:
        post_next(client, deps, progress)


def _given_in_form(
    deps: Deps, progress: Progress, *, since: str | None
) -> list[tuple[Question, AnswerValue]]:
    """Live answers with no message of their own (the form's), given after `since` was asked."""
    after = datetime.fromtimestamp(float(since), tz=UTC) if since else None
    live = progress.conversation.answers
    given = {
        a.question_id
        for a in deps.store.answer_history(session_id=progress.session.id)
        if a.superseded_at is None
        and a.message_ts is None
        and a.question_id in live
        and (after is None or a.answered_at >= after)
    }
    return [(q, live[q.id]) for q in progress.checklist.questions if q.id in given]


def _first_time(deps: Deps, body: dict[str, Any], action: dict[str, Any]) -> None:
    """Slack stamps every change; the same stamp twice is one change delivered twice."""
    user = (body.get("user") or {}).get("id")
    stamp = action.get("action_ts")
    if user and stamp and not deps.store.claim_once(key=f"click:{user}:{stamp}", owner=owner()):
        raise Duplicate


def _who(actor: Actor) -> dict[str, str]:
    return {"user_id": actor.user_id, "team_id": actor.team_id}
