"""Block Kit for a discussion: its opener, its reminder, its close, and the rep's notice of it.

Everything a person typed goes through safe_mrkdwn / plain_text (see bot/approvals/blocks.py).
The opener carries Agree and Override (and Read the draft) like the request does, so the
manager can answer where the two talk; once answered, it shows the answer instead.
"""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    MarkdownTextObject,
    SectionBlock,
)

from bot.approvals.blocks import (
    approver_words,
    bullets,
    deal_words,
    decided_line,
    discusser,
    link_to,
    when,
)
from bot.approvals.ping_blocks import mode_for_approver, position_buttons, read_draft_button
from bot.domain.model import Verdict
from bot.slack.ids import Block as BlockId
from bot.slack.names import MENTIONS, Naming
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn, truncate
from storage.approval_info import ApprovalInfo, Decision

Message = tuple[str, list[Block]]


def discussion_reminder(
    approval: ApprovalInfo, *, request_link: str | None, who: Naming = MENTIONS
) -> Message:
    """The one nudge for a discussion that has not reached a position, posted where the two
    talk: someone looked, so it says so instead of asking again as if nobody had."""
    started = approval.discussion_started_at or approval.requested_at
    answerer = approver_words(approval, who)
    text = (
        f":alarm_clock: Reminder: {discusser(approval, who)} started discussing "
        f"{who(approval.rep_slack_id)}'s *{approval.outcome.label}* on *{deal_words(approval)}* "
        f"({when(started)}), and there is no position yet."
    )
    if approval.hold_until_agreed:
        text += " The draft to the buyer stays on hold until it is agreed."
    where = link_to(request_link, "the request") or "the request"
    text += f" When you've talked it through, {answerer} can Agree or Override on {where}."
    return (
        plain_text(f"Reminder: {approval.deal_name} is still under discussion", 3000),
        [SectionBlock(text=MarkdownTextObject(text=truncate(text, LIMITS.SECTION_TEXT)))],
    )


def discuss_opener(
    approval: ApprovalInfo,
    *,
    verdict: Verdict,
    request_link: str | None = None,
    no_group: str | None = None,
    who: Naming = MENTIONS,
    has_draft: bool = True,
) -> Message:
    """The first message of the discussion, carrying the context both sides need.

    Three places: a group DM of rep and manager (the usual case, `request_link` points the
    manager back to their buttons); a thread on the deal-desk message; or, when no group DM
    could be opened (`no_group` is Slack's error), a thread on the manager's own DM, which the
    rep cannot see, so it says so and sends the manager to the rep directly.

    The rep is asked to talk here, so they are mentioned even in the deal-desk thread; whoever
    started it is named through `who`. Re-rendered once a position is taken: the answer then
    heads it, and the buttons are gone.
    """
    talker = discusser(approval, who)
    rep = f"<@{approval.rep_slack_id}>"
    deal = deal_words(approval)
    label = approval.outcome.label
    before = " before anything goes to the buyer" if approval.hold_until_agreed else ""
    if no_group is not None:
        opening = (
            f":warning: I couldn't start a group conversation with {rep} (Slack said "
            f"`{safe_mrkdwn(no_group, 80)}`), so they can't see this thread. Message them "
            f"directly about *{deal}*; they've been told you want to talk. The verdict was "
            f"*{label}*."
        )
    else:
        opening = (
            f"{rep}, {talker} would like to talk about *{deal}*{before}. The verdict was *{label}*."
        )
    parts = [opening]
    if not verdict.reasons:  # else the reasons and conditions below say what it says
        parts.append(f":memo: {safe_mrkdwn(verdict.record_line, 900)}")
    if approval.decision is not None:
        parts.insert(0, decided_line(approval, who))
    if verdict.reasons:
        parts.append(truncate(bullets("Why", [r.text for r in verdict.reasons]), 900))
    if verdict.conditions:
        parts.append(
            truncate(
                bullets("What would change it", [c.text for c in verdict.conditions]),
                900,
            )
        )
    buttons = []
    if no_group is None and approval.decision is None:
        answerer = approver_words(approval, who)
        where = link_to(request_link, "the request") or "the request"
        close = "Reply in this thread" if approval.approver_channel_id else "Talk it through here"
        parts.append(
            f"{close}. Discuss is not a position: when you're done, {answerer} answers with "
            f"*Agree* or *Override*, below or on {where}."
        )
        if approval.hold_until_agreed:
            parts.append(":lock: The draft to the buyer stays on hold until it is agreed.")
        else:
            parts.append(
                "Nothing is held: the draft may go to the buyer now, and the position is "
                "recorded for the team."
            )
        buttons = position_buttons(approval, discuss=False)
    elif no_group is None:
        parts.append(mode_for_approver(approval))
    if no_group is None and has_draft:
        buttons.append(read_draft_button(approval))
    text = truncate("\n".join(p for p in parts if p), LIMITS.SECTION_TEXT)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=text))]
    if buttons:
        blocks.append(ActionsBlock(block_id=BlockId.APPROVAL_ACTIONS, elements=buttons))
    return plain_text(f"Let's discuss {approval.deal_name}", 3000), blocks


def discussion_closed(approval: ApprovalInfo, who: Naming = MENTIONS) -> Message:
    """Posted in the discussion when the position is taken, so the talk ends on the answer."""
    text = decided_line(approval, who)
    if approval.hold_until_agreed and approval.decision is Decision.AGREE:
        text = truncate(f"{text}\n:unlock: The draft can go to the buyer.", LIMITS.SECTION_TEXT)
    label = approval.decision.label if approval.decision else "Update"
    return (
        plain_text(f"{label} on {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=text))],
    )


def discussion_notice(approval: ApprovalInfo, *, no_group: str | None = None) -> Message:
    """Discuss, told to the rep: who wants to talk, where, and that a position is still to come.

    `no_group` is Slack's error when the group DM could not be opened: the rep is then sent to
    the manager directly rather than to a thread they cannot see.
    """
    who = discusser(approval)
    deal = deal_words(approval)
    text = f":speech_balloon: {who} wants to talk about *{deal}* before taking a position."
    link = approval.discussion_link
    if no_group is not None:
        text += (
            f" I couldn't open a group conversation for you both (Slack said "
            f"`{safe_mrkdwn(no_group, 80)}`), so message {who} directly."
        )
    elif approval.discussion_in_thread and approval.approver_channel_id:
        where = f"<{link}|open it>" if link else "it's on the deal-desk message"
        text += (
            f" The conversation is a thread in <#{approval.approver_channel_id}>: {where}. "
            "If you're not in that channel, join it to reply."
        )
    elif approval.discussion_channel_id and not approval.discussion_in_thread:
        opened = " I've opened a group conversation for you both, with the context"
        text += f"{opened}: <{link}|open it>." if link else f"{opened}."
    else:
        text += f" They have the verdict and its reasons; reach out to {who}."
    if approval.hold_until_agreed:
        text += (
            " The draft stays on hold for now: once they *Agree*, *Mark as sent* unlocks. "
            "They can also still override."
        )
    else:
        text += (
            " Nothing is locked: you may send the draft, though talking first may be worth it; "
            "their position is recorded for the team either way."
        )
    return (
        plain_text(f"Discuss on {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=truncate(text, LIMITS.SECTION_TEXT)))],
    )
