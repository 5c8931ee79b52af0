"""Block Kit for the request to a manager (or the deal desk): the ping in its three states, the
position buttons it shares with the discussion's opener, and the whole draft in a modal.

The ping is read on a phone between meetings, so it is short: what is asked and what it means
for the draft on top, then why, what would change it, the draft's opening (at most 300
characters; *Read the draft* shows all of it), and the buttons. Once a position is taken its
top line says who took which, and when; while a discussion is open, that it is.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.approvals.blocks import (
    LIST_ITEMS,
    Message,
    deal_words,
    decided_line,
    discussion_line,
    quote,
)
from bot.approvals.payloads import ApprovalRef
from bot.domain.model import Verdict
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.ids import View as ViewId
from bot.slack.names import MENTIONS, Naming
from bot.slack.text import LIMITS, escape, plain_text, safe_mrkdwn, truncate
from storage.approval_info import ApprovalInfo, Decision
from storage.records import RecordDetail

DRAFT_SECTIONS = 40
"""The draft modal splits the text into sections of 3,000 characters; a draft is far shorter."""


def mode_for_approver(approval: ApprovalInfo) -> str:
    """What the position means for the rep's draft, said to whoever gives it (right after
    naming the rep), in this approval's real mode: held until an Agree, or free to send with
    the position on record."""
    yours = "the deal desk's" if approval.approver_channel_id else "your"
    agree = "the desk agrees" if approval.approver_channel_id else "you agree"
    decision = approval.decision
    if not approval.hold_until_agreed:
        if decision is None:
            return f"They may send the draft now; {yours} position is recorded for the team."
        return ""
    if decision is Decision.AGREE:
        return ":unlock: The draft is unlocked: the rep can send it."
    if decision is Decision.OVERRIDE:
        return ":lock: The draft stays locked: it can't be marked as sent."
    return f":lock: The draft waits for {yours} position: it stays locked until {agree}."


def ping_message(
    approval: ApprovalInfo, *, verdict: Verdict, draft: str | None, who: Naming = MENTIONS
) -> Message:
    """What the manager (or deal desk) reads: enough to take a position from a phone."""
    outcome = approval.outcome
    rep = who(approval.rep_slack_id)
    reached = f"{rep} reached *{outcome.label}* on *{deal_words(approval)}*"
    mode = mode_for_approver(approval)
    if approval.decision is not None:
        top = f"{decided_line(approval, who)}\n{reached}."
    elif approval.discussing:
        top = f"{discussion_line(approval, who)}\n{reached}."
    elif approval.approver_channel_id:
        top = (
            f"{reached}, and has no manager set, so the deal desk is asked. Any member of this "
            "channel can answer; the first answer counts."
        )
    else:
        top = f"{reached} and asks for your position."
    if mode:
        top += f" {mode}" if approval.decision is None and not approval.discussing else f"\n{mode}"
    blocks: list[Block] = [
        HeaderBlock(text=plain_text(f"{outcome.label}: {approval.deal_name}", LIMITS.HEADER)),
        SectionBlock(
            block_id=BlockId.APPROVAL_STATUS
            if approval.decision is not None or approval.discussing
            else None,
            text=MarkdownTextObject(text=truncate(top, LIMITS.SECTION_TEXT)),
        ),
    ]
    why = _why(verdict)
    if why:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=why)))
    if draft:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=f"*The draft begins*\n{quote(draft, 1000)}"))
        )
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f"Record #{approval.record_id}")]))
    actions = position_buttons(approval, discuss=not approval.discussing)
    if draft:
        actions.append(read_draft_button(approval))
    if actions:
        block_id = BlockId.APPROVAL_ACTIONS if approval.decision is None else BlockId.DRAFT_READ
        blocks.append(ActionsBlock(block_id=block_id, elements=actions))
    return plain_text(f"{outcome.label} on {approval.deal_name}: {_state(approval)}"), blocks


def _state(approval: ApprovalInfo) -> str:
    if approval.decision is not None:
        return approval.decision.label
    whose = "the deal desk's" if approval.approver_channel_id else "your"
    if approval.discussing:
        return f"under discussion, {whose} position is still to come"
    return f"{whose} position is asked"


def _why(verdict: Verdict) -> str:
    """Reasons and conditions in one section: two short lists, no gap between them."""
    parts = []
    if verdict.reasons:
        parts.append(_list("Why", [r.text for r in verdict.reasons], 1200))
    if verdict.conditions:
        parts.append(_list("What would change it", [c.text for c in verdict.conditions], 1200))
    return "\n".join(parts)


def _list(heading: str, items: list[str], budget: int) -> str:
    shown = items[:LIST_ITEMS]
    each = budget // max(len(shown), 1)
    lines = "\n".join(f"• {safe_mrkdwn(item, each)}" for item in shown)
    more = f"\n_…and {len(items) - len(shown)} more_" if len(items) > len(shown) else ""
    return f"*{heading}*\n{lines}{more}"


def position_buttons(approval: ApprovalInfo, *, discuss: bool) -> list[ButtonElement]:
    """Agree, (Discuss), Override while no position is taken; none after. The same buttons,
    with the same handlers, on the ping and in the discussion, so a position can be given
    wherever the manager is reading."""
    if approval.decision is not None:
        return []
    ref = ApprovalRef(record=approval.record_id).dump()
    buttons = [
        ButtonElement(text="Agree", action_id=Action.APPROVAL_AGREE, value=ref, style="primary")
    ]
    if discuss:
        buttons.append(ButtonElement(text="Discuss", action_id=Action.APPROVAL_DISCUSS, value=ref))
    buttons.append(
        ButtonElement(
            text="Override", action_id=Action.APPROVAL_OVERRIDE, value=ref, style="danger"
        )
    )
    return buttons


def read_draft_button(approval: ApprovalInfo) -> ButtonElement:
    return ButtonElement(
        text="Read the draft",
        action_id=Action.APPROVAL_READ_DRAFT,
        value=ApprovalRef(record=approval.record_id).dump(),
    )


def draft_modal(approval: ApprovalInfo, record: RecordDetail) -> View:
    """The whole draft as it stands now (or as it was sent), with what goes on the record."""
    sent = record.sent_text is not None
    body = (record.sent_text if sent else record.draft_text) or ""
    state = "as it was sent" if sent else "as it stands now"
    intro = (
        f"<@{approval.rep_slack_id}>'s message to the buyer about *{deal_words(approval)}* "
        f"({approval.outcome.label}), {state}."
    )
    blocks: list[Block] = [ContextBlock(elements=[MarkdownTextObject(text=intro)])]
    blocks += [
        SectionBlock(text=MarkdownTextObject(text=chunk))
        for chunk in _chunks(body)[:DRAFT_SECTIONS]
    ]
    line = safe_mrkdwn(record.verdict.record_line, 2800)
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=f":memo: On the record: {line}")]))
    return View(
        type="modal",
        callback_id=ViewId.DRAFT_READ,
        title=plain_text("The draft", LIMITS.MODAL_TITLE),
        close=plain_text("Close", LIMITS.MODAL_CLOSE),
        blocks=blocks,
    )


def _chunks(text: str) -> list[str]:
    """Escaped text in sections Slack accepts, split between paragraphs, else between words;
    nothing is cut off."""
    chunks: list[str] = []
    current = ""
    for paragraph in text.strip().split("\n\n"):
        for piece in _pieces(escape(paragraph), LIMITS.SECTION_TEXT):
            if current and len(current) + 2 + len(piece) > LIMITS.SECTION_TEXT:
                chunks.append(current)
                current = piece
            else:
                current = f"{current}\n\n{piece}" if current else piece
    if current:
        chunks.append(current)
    return chunks or ["_The draft is empty._"]


def _pieces(escaped: str, limit: int) -> list[str]:
    """One paragraph in pieces of at most `limit`, cut at a space, else before an entity."""
    pieces = []
    while len(escaped) > limit:
        cut = escaped.rfind(" ", limit // 2, limit)
        if cut == -1:
            amp = escaped.rfind("&", limit - 4, limit)
            cut = amp if amp != -1 else limit
        pieces.append(escaped[:cut].rstrip())
        escaped = escaped[cut:].lstrip()
    return [*pieces, escaped] if escaped else pieces
