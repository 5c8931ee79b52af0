"""The Override modal and the workspace settings modal, with the summary sent after saving."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ChannelSelectElement,
    CheckboxesElement,
    InputBlock,
    MarkdownTextObject,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.approvals.blocks import REASON_LIMIT, deal_words
from bot.approvals.payloads import OverrideMeta
from bot.approvals.rules import override_choices
from bot.slack.ids import Block as BlockId
from bot.slack.ids import Field
from bot.slack.ids import View as ViewId
from bot.slack.text import LIMITS, plain_text
from storage.approval_info import (
    MAX_REMINDER_DAYS,
    MIN_REMINDER_DAYS,
    ApprovalInfo,
    ApprovalSettings,
)

Message = tuple[str, list[Block]]


def override_modal(approval: ApprovalInfo, *, meta: OverrideMeta) -> View:
    options = [
        Option(text=plain_text(o.label, LIMITS.OPTION_TEXT), value=o.value)
        for o in override_choices(approval.outcome)
    ]
    intro = (
        f"<@{approval.rep_slack_id}>'s verdict on *{deal_words(approval)}* is "
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


def settings_modal(
    current: ApprovalSettings, *, default_days: int, more: Sequence[Block] = ()
) -> View:
    """The workspace's settings; `more`: the other capabilities' inputs (Hooks.settings_parts)."""
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
            *more,
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
