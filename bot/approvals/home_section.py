"""Approvals' section of App Home: the positions waiting for this manager, with the buttons.

A manager should not have to dig the ping out of their DMs: Home lists each verdict routed to
them that has no final position yet, oldest first, with Agree / Discuss / Override. The buttons
carry the ping's own action ids and payload (ApprovalRef), so the listeners that answer a ping
answer these too, with the same checks of who may answer; once a position is given, Home is
republished without it (positions.announce calls Hooks.home_changed).

Only approvals routed to the person are listed; requests posted to a deal-desk channel are
answered in that channel, where its members see them.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.approvals.payloads import ApprovalRef
from bot.domain.model import Actor
from bot.slack.dates import slack_day
from bot.slack.deps import Deps
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.text import safe_mrkdwn

MAX_SHOWN = 10
"""Four blocks each: with the other sections, well under Home's 100 blocks."""
LINE_LIMIT = 500


def waiting_positions(deps: Deps, actor: Actor) -> list[Block]:
    """Nothing at all for someone nobody waits on: most people are not managers."""
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    me = store.find_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    if me is None:
        return []
    waiting = store.approvals.waiting_for(approver_user_id=me, limit=MAX_SHOWN + 1)
    if not waiting:
        return []
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="*Waiting for your position*"))
    ]
    for approval in waiting[:MAX_SHOWN]:
        record = store.get_record(record_id=approval.record_id, workspace_id=workspace_id)
        line = safe_mrkdwn(record.record_line, LINE_LIMIT) if record is not None else ""
        state = " · under discussion" if approval.discussing else ""
        blocks += [
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{safe_mrkdwn(approval.deal_name, 200)}* · {approval.outcome.label}"
                    f" · rep <@{approval.rep_slack_id}>{state}\n{line}"
                )
            ),
            ContextBlock(
                elements=[MarkdownTextObject(text=f"Asked {slack_day(approval.requested_at)}")]
            ),
            _buttons(approval.record_id, discussing=approval.discussing),
        ]
    if len(waiting) > MAX_SHOWN:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text="…and more: answer these first, or see the DMs.")]
            )
        )
    return blocks


def _buttons(record_id: int, *, discussing: bool) -> ActionsBlock:
    """The ping's buttons; each block id is the record's, as block ids are unique in a view."""
    ref = ApprovalRef(record=record_id).dump()
    elements = [
        ButtonElement(text="Agree", action_id=Action.APPROVAL_AGREE, value=ref, style="primary")
    ]
    if not discussing:
        elements.append(ButtonElement(text="Discuss", action_id=Action.APPROVAL_DISCUSS, value=ref))
    elements.append(
        ButtonElement(
            text="Override", action_id=Action.APPROVAL_OVERRIDE, value=ref, style="danger"
        )
    )
    return ActionsBlock(block_id=f"{BlockId.APPROVAL_ACTIONS}:{record_id}", elements=elements)
