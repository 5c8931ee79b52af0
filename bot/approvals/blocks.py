"""Block Kit for manager approval shared by every message about it: who and when, the card's
approval section, the rep's notices and the reminder (the ping itself: ping_blocks.py; the
discussion: discussion_blocks.py).

Everything a person typed (deal names, drafts, override reasons) and everything derived from it
goes through safe_mrkdwn / plain_text; Slack ids we produced ourselves are put in mentions as-is.
People are written through a `Naming` (bot/slack/names.py): mentions in DMs and the rep's
thread, plain names in a channel such as the deal desk, where a mention would ping them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
    UserSelectElement,
)

from bot.approvals.payloads import pick_block_id
from bot.slack.dates import plain_when, slack_when
from bot.slack.ids import Action
from bot.slack.ids import Block as BlockId
from bot.slack.names import MENTIONS, Naming
from bot.slack.text import LIMITS, plain_text, safe_mrkdwn, truncate
from storage.approval_info import ApprovalInfo, Decision

Message = tuple[str, list[Block]]

LIST_ITEMS = 8
DECISION_EMOJI = {
    Decision.AGREE: ":white_check_mark:",
    Decision.OVERRIDE: ":leftwards_arrow_with_hook:",
}
REASON_LIMIT = 1500
"""The override reason field; long enough for a real argument, short enough to quote back."""


def when(moment: datetime) -> str:
    """A time each reader sees in their own zone, with a UTC fallback (bot/slack/dates.py)."""
    return slack_when(moment)


def when_plain(moment: datetime) -> str:
    """For places Slack shows as plain text (modal errors), where <!date> would show raw."""
    return plain_when(moment)


def approver_words(approval: ApprovalInfo, who: Naming = MENTIONS) -> str:
    if approval.approver_slack_id:
        return who(approval.approver_slack_id)
    if approval.approver_channel_id:
        return f"the deal desk (<#{approval.approver_channel_id}>)"
    return "your manager"


def deal_words(approval: ApprovalInfo, limit: int = 200) -> str:
    return safe_mrkdwn(approval.deal_name, limit)


def bullets(heading: str, items: Sequence[str]) -> str:
    shown = list(items[:LIST_ITEMS])
    budget = (LIMITS.SECTION_TEXT - len(heading) - 60) // max(len(shown), 1)
    lines = "\n".join(f"• {safe_mrkdwn(item, budget)}" for item in shown)
    more = f"\n_…and {len(items) - len(shown)} more_" if len(items) > len(shown) else ""
    return f"*{heading}*\n{lines}{more}"


def quote(text: str, limit: int) -> str:
    escaped = safe_mrkdwn(text, limit)
    return "\n".join(f">{line}" if line else ">" for line in escaped.splitlines())


def link_to(url: str | None, label: str) -> str | None:
    """A Slack link from a permalink Slack gave us; None when there is none to give."""
    return f"<{url}|{label}>" if url else None


def discusser(approval: ApprovalInfo, who: Naming = MENTIONS) -> str:
    return who(approval.discussion_by, nobody="Someone")


def discussion_line(approval: ApprovalInfo, who: Naming = MENTIONS) -> str:
    """Since when, and by whom, the verdict is being talked over, with the way to the talk."""
    started = approval.discussion_started_at
    since = f" since {when(started)}" if started else ""
    line = f":speech_balloon: *Under discussion*{since}, started by {discusser(approval, who)}."
    link = link_to(approval.discussion_link, "Open the conversation")
    return f"{line} {link}" if link else line


def decided_line(approval: ApprovalInfo, who: Naming = MENTIONS) -> str:
    """Who answered what, and when: the line that replaces the request everywhere."""
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        if approval.discussing:
            return discussion_line(approval, who)
        return ":hourglass_flowing_sand: Waiting for an answer."
    by = who(approval.decided_by, nobody="Someone")
    stamp = when(approval.decided_at)
    if decision is Decision.AGREE:
        text = f"{by} *agreed* with {approval.outcome.label} · {stamp}"
    else:
        wanted = approval.override_outcome.label if approval.override_outcome else "another outcome"
        text = f"{by} *overrode* {approval.outcome.label}: wants *{wanted}* instead · {stamp}"
    line = f"{DECISION_EMOJI[decision]} {text}"
    if approval.discussion_started_at is not None:
        line += (
            f"\n:speech_balloon: After a discussion started by {discusser(approval, who)} "
            f"({when(approval.discussion_started_at)})."
        )
    if approval.reason:
        line += "\n" + quote(approval.reason, REASON_LIMIT)
    return truncate(line, LIMITS.SECTION_TEXT)


def already_decided(approval: ApprovalInfo) -> str:
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        return "This has no answer yet."
    who = f"<@{approval.decided_by}>" if approval.decided_by else "someone"
    return (
        f"Already answered: *{decision.label}* by {who} ({when(approval.decided_at)}). "
        "The first answer is the one on the record."
    )


def already_discussing(approval: ApprovalInfo) -> str:
    """For a second Discuss: where the conversation already is, and what is still to do."""
    started = approval.discussion_started_at
    since = f" ({when(started)})" if started else ""
    text = (
        f":speech_balloon: This is already under discussion: {discusser(approval)} "
        f"started it{since}."
    )
    link = link_to(approval.discussion_link, "Open the conversation")
    if link:
        text += f" {link}."
    elif approval.discussion_channel_id is None:
        text += " The conversation is being set up; it will appear in a moment."
    return text + " When you've talked it through, answer Agree or Override on the request."


def already_decided_plain(approval: ApprovalInfo) -> str:
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        return "This has no answer yet."
    return (
        f"Already answered ({decision.label}) on {when_plain(approval.decided_at)}; "
        "the first answer is the one on the record."
    )


def reminder_message(approval: ApprovalInfo, who: Naming = MENTIONS) -> Message:
    """The one nudge for a request nobody has answered, under the request itself."""
    whose = "the deal desk's" if approval.approver_channel_id else "your"
    text = (
        f":alarm_clock: Reminder: {who(approval.rep_slack_id)}'s *{approval.outcome.label}* on "
        f"*{deal_words(approval)}* has been waiting for {whose} position since "
        f"{when(approval.requested_at)}. Agree, Discuss or Override on the message above."
    )
    return (
        plain_text(f"Reminder: {approval.deal_name} is waiting for a position", 3000),
        [SectionBlock(text=MarkdownTextObject(text=text))],
    )


def rep_notice(approval: ApprovalInfo) -> Message:
    """The final position, told to the rep in their qualification thread."""
    who = f"<@{approval.decided_by}>" if approval.decided_by else "Your manager"
    deal = deal_words(approval)
    label = approval.outcome.label
    decision = approval.decision
    if decision is Decision.AGREE:
        talked = "After talking it through, " if approval.discussion_started_at else ""
        text = f":white_check_mark: {talked}{who} agrees with *{label}* on *{deal}*."
        if approval.hold_until_agreed:
            text += " The draft is unlocked: *Mark as sent* once it has gone to the buyer."
    else:
        wanted = approval.override_outcome.label if approval.override_outcome else "another way"
        text = (
            f":leftwards_arrow_with_hook: {who} overrides *{label}* on *{deal}*: they want "
            f"*{wanted}* instead. Don't send the draft; talk to them about the next step."
        )
        if approval.reason:
            text += "\n" + quote(approval.reason, REASON_LIMIT)
    return (
        plain_text(f"{decision.label if decision else 'Update'} on {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=truncate(text, LIMITS.SECTION_TEXT)))],
    )


def _rep_mode(approval: ApprovalInfo) -> str:
    """What the position means for the rep's draft, in this approval's mode."""
    if approval.hold_until_agreed:
        return "The draft waits for it: *Mark as sent* stays locked until they agree."
    return "You may send the draft when you're ready; their position is recorded for the team."


def _unheld(approval: ApprovalInfo) -> str:
    """Said beside 'waiting' when nothing is held, so the rep knows they are not blocked."""
    if approval.hold_until_agreed:
        return ""
    return " You may send the draft when you're ready; their position is recorded for the team."


def card_blocks(approval: ApprovalInfo, *, note: str | None = None) -> list[Block]:
    """The approval section under the verdict card: pick a manager, waiting, or the answer."""
    blocks: list[Block] = []
    if not approval.routed:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="*Who is your manager?* A walk-away is a team decision: pick your "
                    f"manager and I'll ask for their position. {_rep_mode(approval)}"
                )
            )
        )
        blocks.append(
            ActionsBlock(
                block_id=pick_block_id(approval.record_id),
                elements=[
                    UserSelectElement(
                        action_id=Action.PICK_MANAGER,
                        placeholder=PlainTextObject(text="Pick your manager"),
                    )
                ],
            )
        )
    elif approval.discussing:
        blocks.append(
            SectionBlock(
                block_id=BlockId.APPROVAL_STATUS,
                text=MarkdownTextObject(
                    text=f"{discussion_line(approval)} Once you've talked, "
                    f"{approver_words(approval)} can still agree or override.{_unheld(approval)}"
                ),
            )
        )
    elif approval.decision is None:
        asked = when(approval.requested_at) if approval.ping_ts else "just now"
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":hourglass_flowing_sand: Waiting for {approver_words(approval)} "
                        f"to agree, discuss or override (asked {asked}).{_unheld(approval)}"
                    )
                ]
            )
        )
    else:
        blocks.append(
            SectionBlock(
                block_id=BlockId.APPROVAL_STATUS,
                text=MarkdownTextObject(text=decided_line(approval)),
            )
        )
    if approval.hold_until_agreed:
        asked = "the deal desk" if approval.approver_channel_id else "your manager"
        if approval.decision is Decision.AGREE:
            hold = f":unlock: {asked.capitalize()} agreed, so the draft can go to the buyer."
        elif approval.discussing:
            hold = (
                f":lock: *The draft is on hold until {asked} agrees.* Talking it over is "
                "not an answer yet: once they *Agree*, *Mark as sent* unlocks."
            )
        else:
            hold = (
                f":lock: *The draft is on hold until {asked} agrees.* This workspace asks "
                "for an Agree before a walk-away message goes out, so *Mark as sent* "
                "stays locked until then."
            )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=hold)))
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks
