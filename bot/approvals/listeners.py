"""Manager approval surfaces: Agree / Discuss / Override on a ping, the Override and settings
modals, the manager picker on a verdict card, and `/walkaway manager` / `/walkaway settings`.

Buttons ack and store their work as a job (bot/jobs.py); those opening a modal ack and work
inline, since a trigger_id expires in 3 s. The work calls the steps beside this module
(ping, managers, access, positions, discussion); refusals become a private reply or an inline
modal error.
How approvals meets the check (the ping after a verdict, the hold on a draft, the card's
section) is wired in bot/app.py, through the hooks in bot/slack/deps.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.blocks import MarkdownTextObject, SectionBlock

from bot.approvals import discussion, managers, positions
from bot.approvals import modals as approval_modals
from bot.approvals.access import ApprovalRefusal
from bot.approvals.payloads import ApprovalRef, OverrideMeta, record_from_pick_block
from bot.approvals.rules import (
    OverrideInput,
    OverrideProblem,
    SettingsProblem,
    is_user_id,
    parse_settings,
)
from bot.slack.admins import is_admin
from bot.slack.deps import Deps, Subcommand, actor_from
from bot.slack.effects import post_for_job
from bot.slack.errors import tell
from bot.slack.ids import Action, Block, Field, View
from bot.slack.jobs import deferred
from bot.slack.payloads import BadPayload
from storage.approval_info import Decision

_ANSWERS = {Action.APPROVAL_AGREE: positions.agree, Action.APPROVAL_DISCUSS: discussion.discuss}
_OVERRIDE_FIELDS = {"outcome": Block.OVERRIDE_OUTCOME, "reason": Block.OVERRIDE_REASON}
STALE = "That button carries something I don't recognise, so I did nothing."


NOT_ADMIN = (
    "Only workspace admins and owners (or people the app was set up to allow) can change the "
    "walk-away settings. Ask one of them to run `/walkaway settings`."
)


ANNOUNCE = "approvals.announce"
SETTINGS_SAVED = "approvals.settings_saved"


def register(app: App, deps: Deps) -> None:
    @deferred(deps, ANNOUNCE, stale=STALE)
    def announce(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """An Override stored inline (its modal must answer at once): now tell everyone."""
        approval = deps.store.approvals.get(record_id=int(body["record"]))
        if approval is not None and approval.decision is not None:
            positions.announce(client, deps, approval)

    @deferred(deps, SETTINGS_SAVED, stale=STALE)
    def settings_saved(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        """What the settings are now, in the admin's DM."""
        user = str(body["user_id"])
        workspace_id = deps.store.ensure_workspace(team_id=str(body["team_id"]))
        current = deps.store.approvals.settings(workspace_id=workspace_id)
        summary = approval_modals.settings_summary(
            current, default_days=deps.settings.walkaway_reminder_business_days
        )
        for part in deps.hooks.settings_parts:  # the other capabilities' settings
            summary = f"{summary.removesuffix('.')} · {part.summary(deps, workspace_id)}."
        channel = str(client.conversations_open(users=user)["channel"]["id"])
        post_for_job(
            client,
            deps.store,
            what="settings",
            channel=channel,
            text=summary,
            blocks=[SectionBlock(text=MarkdownTextObject(text=summary))],
        )

    @deferred(deps, "approvals.decision", stale=STALE)
    def decision(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = body["actions"][0]
        ref = ApprovalRef.load(action.get("value"))
        answer = _ANSWERS[Action(action["action_id"])]
        answer(client, deps, actor=actor_from(body), record_id=ref.record)

    @app.action(Action.APPROVAL_AGREE, middleware=[decision.first])
    @app.action(Action.APPROVAL_DISCUSS, middleware=[decision.first])
    def decision_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()

    def open_from_click(
        body: dict[str, Any], client: WebClient, respond: Respond, opener: Callable[..., None]
    ) -> None:
        """A modal for the record on the clicked button: inline, as a trigger_id lasts 3 s."""

        def open_modal() -> None:
            ref = ApprovalRef.load(body["actions"][0].get("value"))
            opener(
                client,
                deps,
                actor=actor_from(body),
                record_id=ref.record,
                trigger_id=body["trigger_id"],
            )

        tell(body, client, respond, open_modal, stale=STALE)

    @app.action(Action.APPROVAL_OVERRIDE)
    def override_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        open_from_click(body, client, respond, positions.open_override)

    @app.action(Action.APPROVAL_READ_DRAFT)
    def read_draft_clicked(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        """The whole draft in a modal."""
        ack()
        open_from_click(body, client, respond, positions.open_draft)

    @deferred(deps, "approvals.pick_manager", stale=STALE)
    def pick_manager(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        action = body["actions"][0]
        record_id = record_from_pick_block(str(action.get("block_id", "")))
        picked = action.get("selected_user")
        if record_id is None or not is_user_id(picked):
            raise BadPayload("manager picker without a record or a person")
        said = managers.pick_manager(
            client, deps, actor=actor_from(body), record_id=record_id, picked=picked
        )
        respond(text=said, response_type="ephemeral", replace_original=False)

    @app.action(Action.PICK_MANAGER, middleware=[pick_manager.first])
    def manager_picked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()

    @app.view(View.OVERRIDE)
    def override_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        meta = OverrideMeta.load(view.get("private_metadata"))
        values = view["state"]["values"]
        actor = actor_from(body)
        current = deps.store.approvals.get(record_id=meta.record)
        if current is None:
            ack(response_action="errors", errors={Block.OVERRIDE_REASON: "Record not found."})
            return
        try:
            override = OverrideInput.parse(
                outcome=_selected(values, Block.OVERRIDE_OUTCOME, Field.OUTCOME),
                reason=_text(values, Block.OVERRIDE_REASON, Field.REASON),
                current=current.outcome,
            )
            approval = positions.record_decision(
                client,
                deps,
                actor=actor,
                record_id=meta.record,
                decision=Decision.OVERRIDE,
                override=override,
            )
        except OverrideProblem as problem:
            ack(response_action="errors", errors={_OVERRIDE_FIELDS[problem.field]: str(problem)})
            return
        except ApprovalRefusal as problem:
            ack(response_action="errors", errors={Block.OVERRIDE_REASON: problem.plain})
            return
        deps.jobs.later(
            ANNOUNCE,
            {"record": approval.record_id, "user_id": actor.user_id, "team_id": actor.team_id},
        )
        ack()

    @app.view(View.APPROVAL_SETTINGS)
    def settings_submitted(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        actor = actor_from(body)
        values = body["view"]["state"]["values"]
        if not is_admin(client, deps, actor.user_id):
            ack(response_action="errors", errors={Block.REMINDER_DAYS: NOT_ADMIN})
            return
        hold_state = values.get(Block.HOLD, {}).get(Field.HOLD, {})
        try:
            chosen = parse_settings(
                channel=values.get(Block.DESK_CHANNEL, {})
                .get(Field.CHANNEL, {})
                .get("selected_channel"),
                hold=bool(hold_state.get("selected_options")),
                days=_text(values, Block.REMINDER_DAYS, Field.DAYS),
            )
        except SettingsProblem as problem:
            ack(response_action="errors", errors={Block.REMINDER_DAYS: str(problem)})
            return
        problems = {
            k: v for part in deps.hooks.settings_parts for k, v in part.check(values).items()
        }
        if problems:
            ack(response_action="errors", errors=problems)
            return
        workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
        deps.store.approvals.save_settings(workspace_id=workspace_id, settings=chosen)
        for part in deps.hooks.settings_parts:
            part.save(deps, workspace_id, values)
        deps.jobs.later(SETTINGS_SAVED, {"user_id": actor.user_id, "team_id": actor.team_id})
        ack()


def manager_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """`/walkaway manager @someone` (or none, or nothing to see the current one)."""
    tell(
        body,
        client,
        respond,
        lambda: respond(
            text=managers.set_manager(client, deps, actor=actor_from(body), text=rest),
            response_type="ephemeral",
        ),
    )


def settings_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """`/walkaway settings`: the workspace's approval settings, for admins only."""
    actor = actor_from(body)
    if not is_admin(client, deps, actor.user_id):
        respond(text=NOT_ADMIN, response_type="ephemeral")
        return
    workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
    current = deps.store.approvals.settings(workspace_id=workspace_id)
    view = approval_modals.settings_modal(
        current,
        default_days=deps.settings.walkaway_reminder_business_days,
        more=[b for part in deps.hooks.settings_parts for b in part.blocks(deps, workspace_id)],
    )
    client.views_open(trigger_id=body["trigger_id"], view=view)


def _selected(values: dict[str, Any], block: str, field: str) -> str | None:
    option = values.get(block, {}).get(field, {}).get("selected_option") or {}
    value = option.get("value")
    return value if isinstance(value, str) else None


def _text(values: dict[str, Any], block: str, field: str) -> str | None:
    value = values.get(block, {}).get(field, {}).get("value")
    return value if isinstance(value, str) else None


def _names_one_manager(rest: str) -> bool:
    """`manager @dana`, `manager none`, bare `manager`; "manager offsite planning" is a deal."""
    return len(rest.split()) <= 1 or rest.startswith(("<@", "@"))


SUBCOMMANDS = (
    Subcommand("manager", manager_command, takes=_names_one_manager),
    Subcommand("settings", settings_command, takes=lambda rest: not rest, opens_modal=True),
)
