"""Block Kit for manager approval: the ping, its decided form, the card's approval section,
the notices to the rep, the Override modal and the workspace settings modal.

Everything a person typed (deal names, drafts, override reasons) and everything derived from it
goes through safe_mrkdwn / plain_text; Slack ids we produced ourselves are put in mentions as-is.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ChannelSelectElement,
    CheckboxesElement,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.approvals import ApprovalRef, OverrideMeta, override_choices, pick_block_id
from bot.blocks.text import LIMITS, plain_text, safe_mrkdwn, truncate
from bot.domain.model import Verdict
from bot.ids import Action, Field
from bot.ids import Block as BlockId
from bot.ids import View as ViewId
from storage.approvals import (
    MAX_REMINDER_DAYS,
    MIN_REMINDER_DAYS,
    ApprovalInfo,
    ApprovalSettings,
    Decision,
)

Message = tuple[str, list[Block]]

_LIST_ITEMS = 8
_DECISION_EMOJI = {
    Decision.AGREE: ":white_check_mark:",
    Decision.DISCUSS: ":speech_balloon:",
    Decision.OVERRIDE: ":leftwards_arrow_with_hook:",
}
REASON_LIMIT = 1500
"""The override reason field; long enough for a real argument, short enough to quote back."""


def when(moment: datetime) -> str:
    """A time each reader sees in their own zone, with a UTC fallback for old clients."""
    fallback = f"{moment:%d %b %Y %H:%M} UTC"
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"


def when_plain(moment: datetime) -> str:
    """For places Slack shows as plain text (modal errors), where <!date> would show raw."""
    return f"{moment:%d %b %Y %H:%M} UTC"


def approver_words(approval: ApprovalInfo) -> str:
    if approval.approver_slack_id:
        return f"<@{approval.approver_slack_id}>"
    if approval.approver_channel_id:
        return f"the deal desk (<#{approval.approver_channel_id}>)"
    return "your manager"


def _deal(approval: ApprovalInfo, limit: int = 200) -> str:
    return safe_mrkdwn(approval.deal_name, limit)


def _bullets(heading: str, items: Sequence[str]) -> str:
    shown = list(items[:_LIST_ITEMS])
    budget = (LIMITS.SECTION_TEXT - len(heading) - 60) // max(len(shown), 1)
    lines = "\n".join(f"• {safe_mrkdwn(item, budget)}" for item in shown)
    more = f"\n_…and {len(items) - len(shown)} more_" if len(items) > len(shown) else ""
    return f"*{heading}*\n{lines}{more}"


def _quote(text: str, limit: int) -> str:
    escaped = safe_mrkdwn(text, limit)
    return "\n".join(f">{line}" if line else ">" for line in escaped.splitlines())


def decided_line(approval: ApprovalInfo) -> str:
    """Who answered what, and when: the line that replaces the buttons everywhere."""
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        return ":hourglass_flowing_sand: Waiting for an answer."
    who = f"<@{approval.decided_by}>" if approval.decided_by else "Someone"
    stamp = when(approval.decided_at)
    if decision is Decision.AGREE:
        text = f"{who} *agreed* with {approval.outcome.label} · {stamp}"
    elif decision is Decision.DISCUSS:
        text = f"{who} chose *Discuss*: talk before anything goes to the buyer · {stamp}"
    else:
        wanted = approval.override_outcome.label if approval.override_outcome else "another outcome"
        text = f"{who} *overrode* {approval.outcome.label}: wants *{wanted}* instead · {stamp}"
    line = f"{_DECISION_EMOJI[decision]} {text}"
    if approval.reason:
        line += "\n" + _quote(approval.reason, REASON_LIMIT)
    return truncate(line, LIMITS.SECTION_TEXT)


def already_decided(approval: ApprovalInfo) -> str:
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        return "This has no answer yet."
    who = f"<@{approval.decided_by}>" if approval.decided_by else "someone"
    return (
        f"Already answered: *{decision.label}* by {who} on {when(approval.decided_at)}. "
        "The first answer is the one on the record."
    )


def already_decided_plain(approval: ApprovalInfo) -> str:
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        return "This has no answer yet."
    return (
        f"Already answered ({decision.label}) on {when_plain(approval.decided_at)}; "
        "the first answer is the one on the record."
    )


# -- the ping -----------------------------------------------------------------------------


def ping_message(approval: ApprovalInfo, *, verdict: Verdict, draft: str | None) -> Message:
    """What the manager (or deal desk) reads: enough to take a position without opening Slack
    threads elsewhere. Once answered, the buttons give way to who answered and when."""
    outcome = approval.outcome
    deal = _deal(approval)
    rep = f"<@{approval.rep_slack_id}>"
    if approval.approver_channel_id:
        ask = (
            f"{rep} has no manager set, so the deal desk is asked. Any member of this channel "
            "can answer; the first answer counts."
        )
    else:
        ask = "Your position is needed before anything goes to the buyer."
    blocks: list[Block] = [
        HeaderBlock(text=plain_text(f"{outcome.label}: {approval.deal_name}", LIMITS.HEADER)),
        SectionBlock(
            text=MarkdownTextObject(text=f"{rep} reached *{outcome.label}* on *{deal}*. {ask}")
        ),
        SectionBlock(
            text=MarkdownTextObject(text=f":memo: {safe_mrkdwn(verdict.record_line, 2900)}")
        ),
    ]
    if verdict.reasons:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(text=_bullets("Why", [r.text for r in verdict.reasons]))
            )
        )
    if verdict.conditions:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=_bullets(
                        "What would change the decision", [c.text for c in verdict.conditions]
                    )
                )
            )
        )
    if draft:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*The draft to the buyer begins*\n{_quote(draft, 2000)}"
                )
            )
        )
    context = f"Record #{approval.record_id}"
    if approval.hold_until_agreed:
        context += " · The draft is held: it cannot be marked as sent until you agree."
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=context)]))
    if approval.decision is None:
        ref = ApprovalRef(record=approval.record_id).dump()
        blocks.append(
            ActionsBlock(
                block_id=BlockId.APPROVAL_ACTIONS,
                elements=[
                    ButtonElement(
                        text="Agree", action_id=Action.APPROVAL_AGREE, value=ref, style="primary"
                    ),
                    ButtonElement(text="Discuss", action_id=Action.APPROVAL_DISCUSS, value=ref),
                    ButtonElement(
                        text="Override",
                        action_id=Action.APPROVAL_OVERRIDE,
                        value=ref,
                        style="danger",
                    ),
                ],
            )
        )
    else:
        blocks.append(
            SectionBlock(
                block_id=BlockId.APPROVAL_STATUS,
                text=MarkdownTextObject(text=decided_line(approval)),
            )
        )
    state = approval.decision.label if approval.decision else "your position is needed"
    text = f"{outcome.label} on {approval.deal_name}: {state}"
    return plain_text(text, 3000), blocks


def reminder_message(approval: ApprovalInfo) -> Message:
    whose = "the deal desk's" if approval.approver_channel_id else "your"
    text = (
        f":alarm_clock: Reminder: <@{approval.rep_slack_id}>'s *{approval.outcome.label}* on "
        f"*{_deal(approval)}* has been waiting for {whose} position since "
        f"{when(approval.requested_at)}. Agree, Discuss or Override on the message above."
    )
    return (
        plain_text(f"Reminder: {approval.deal_name} is waiting for a position", 3000),
        [SectionBlock(text=MarkdownTextObject(text=text))],
    )


def discuss_opener(approval: ApprovalInfo, *, verdict: Verdict) -> Message:
    """The first reply of the thread the manager and rep talk in, carrying the context."""
    who = f"<@{approval.decided_by}>" if approval.decided_by else "The deal desk"
    parts = [
        f"<@{approval.rep_slack_id}>, {who} would like to talk about *{_deal(approval)}* before "
        f"anything goes to the buyer. The verdict was *{approval.outcome.label}*.",
        f":memo: {safe_mrkdwn(verdict.record_line, 1200)}",
    ]
    if verdict.conditions:
        parts.append(
            truncate(
                _bullets("What would change the decision", [c.text for c in verdict.conditions]),
                1200,
            )
        )
    parts.append("Reply in this thread to talk it through.")
    text = truncate("\n".join(parts), LIMITS.SECTION_TEXT)
    return (
        plain_text(f"Let's discuss {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=text))],
    )


# -- back to the rep ----------------------------------------------------------------------


def rep_notice(approval: ApprovalInfo, *, discussion_link: str | None = None) -> Message:
    """The decision, told to the rep in their qualification thread."""
    who = f"<@{approval.decided_by}>" if approval.decided_by else "Your manager"
    deal = _deal(approval)
    label = approval.outcome.label
    decision = approval.decision
    if decision is Decision.AGREE:
        text = f":white_check_mark: {who} agrees with *{label}* on *{deal}*."
        if approval.hold_until_agreed:
            text += " The draft is unlocked: *Mark as sent* once it has gone to the buyer."
    elif decision is Decision.DISCUSS:
        text = (
            f":speech_balloon: {who} wants to talk about *{deal}* before anything goes to the "
            "buyer. Hold the draft for now."
        )
        if discussion_link:
            text += f" The conversation is here: {discussion_link}"
        else:
            text += f" They have the verdict and its reasons; reach out to {who}."
    else:
        wanted = approval.override_outcome.label if approval.override_outcome else "another way"
        text = (
            f":leftwards_arrow_with_hook: {who} overrides *{label}* on *{deal}*: they want "
            f"*{wanted}* instead. Don't send the draft; talk to them about the next step."
        )
        if approval.reason:
            text += "\n" + _quote(approval.reason, REASON_LIMIT)
    return (
        plain_text(f"{decision.label if decision else 'Update'} on {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=truncate(text, LIMITS.SECTION_TEXT)))],
    )


def card_blocks(approval: ApprovalInfo, *, note: str | None = None) -> list[Block]:
    """The approval section under the verdict card: pick a manager, waiting, or the answer."""
    blocks: list[Block] = []
    if not approval.routed:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text="*Who is your manager?* A walk-away is a team decision: pick your "
                    "manager and I'll ask for their position before anything goes to the buyer."
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
    elif approval.decision is None:
        asked = when(approval.requested_at) if approval.ping_ts else "just now"
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text=f":hourglass_flowing_sand: Waiting for {approver_words(approval)} "
                        f"to agree, discuss or override (asked {asked})."
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
        if approval.decision is Decision.AGREE:
            hold = ":unlock: Your manager agreed, so the draft can go to the buyer."
        else:
            hold = (
                ":lock: *The draft is on hold until your manager agrees.* This workspace asks "
                "for a manager's Agree before a walk-away message goes out, so *Mark as sent* "
                "stays locked until then."
            )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=hold)))
    if note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=note)]))
    return blocks


# -- modals -------------------------------------------------------------------------------


def override_modal(approval: ApprovalInfo, *, meta: OverrideMeta) -> View:
    options = [
        Option(text=plain_text(o.label, LIMITS.OPTION_TEXT), value=o.value)
        for o in override_choices(approval.outcome)
    ]
    intro = (
        f"<@{approval.rep_slack_id}>'s verdict on *{_deal(approval)}* is "
        f"*{approval.outcome.label}*. Say what you want instead and why; the rep sees both."
    )
    return View(
        type="modal",
        callback_id=ViewId.OVERRIDE,
        private_metadata=meta.dump(),
        title=plain_text("Override", LIMITS.MODAL_TITLE),
        submit=plain_text("Override", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(text=MarkdownTextObject(text=intro)),
            InputBlock(
                block_id=BlockId.OVERRIDE_OUTCOME,
                label=plain_text("Outcome you want instead", 2000),
                element=StaticSelectElement(action_id=Field.OUTCOME, options=options),
            ),
            InputBlock(
                block_id=BlockId.OVERRIDE_REASON,
                label=plain_text("Why", 2000),
                element=PlainTextInputElement(
                    action_id=Field.REASON,
                    multiline=True,
                    max_length=REASON_LIMIT,
                    placeholder=plain_text("What the rep should know, in a sentence or two", 150),
                ),
            ),
        ],
    )


def settings_modal(current: ApprovalSettings, *, default_days: int) -> View:
    hold_option = Option(
        value="on",
        text=PlainTextObject(text="Hold the buyer draft until the manager agrees"),
        description=PlainTextObject(
            text="Mark as sent stays locked on walk, stop-pilot and defer verdicts until Agree."
        ),
    )
    days = current.reminder_business_days or default_days
    return View(
        type="modal",
        callback_id=ViewId.APPROVAL_SETTINGS,
        title=plain_text("Walk-away settings", LIMITS.MODAL_TITLE),
        submit=plain_text("Save", LIMITS.MODAL_SUBMIT),
        close=plain_text("Cancel", LIMITS.MODAL_CLOSE),
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text="Walk, stop-pilot and defer verdicts go to the rep's manager for a "
                    "position. Reps without a manager go to the deal-desk channel instead."
                )
            ),
            InputBlock(
                block_id=BlockId.DESK_CHANNEL,
                label=plain_text("Deal-desk channel", 2000),
                optional=True,
                hint=plain_text(
                    "A public channel. Invite @walkaway to it so I can post there.", 2000
                ),
                element=ChannelSelectElement(
                    action_id=Field.CHANNEL,
                    initial_channel=current.deal_desk_channel_id,
                    placeholder=PlainTextObject(text="No deal desk"),
                ),
            ),
            InputBlock(
                block_id=BlockId.HOLD,
                label=plain_text("Hold until agreed", 2000),
                optional=True,
                element=CheckboxesElement(
                    action_id=Field.HOLD,
                    options=[hold_option],
                    initial_options=[hold_option] if current.hold_until_agreed else None,
                ),
            ),
            InputBlock(
                block_id=BlockId.REMINDER_DAYS,
                label=plain_text("Remind after (business days)", 2000),
                element=NumberInputElement(
                    action_id=Field.DAYS,
                    is_decimal_allowed=False,
                    min_value=str(MIN_REMINDER_DAYS),
                    max_value=str(MAX_REMINDER_DAYS),
                    initial_value=str(days),
                ),
            ),
        ],
    )


def settings_summary(settings: ApprovalSettings, *, default_days: int) -> str:
    desk = (
        f"<#{settings.deal_desk_channel_id}> (make sure @walkaway is a member)"
        if settings.deal_desk_channel_id
        else "none"
    )
    hold = "on" if settings.hold_until_agreed else "off"
    days = settings.reminder_business_days or default_days
    return (
        f"Walk-away settings saved. Deal desk: {desk} · hold until agreed: {hold} · "
        f"reminders after {days} business day(s)."
    )
