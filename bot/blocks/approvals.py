"""Block Kit for manager approval: the ping, its discussed and decided forms, the card's approval
section, the discussion's opener, the notices to the rep, the Override modal and the workspace
settings modal.

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


def _link(url: str | None, label: str) -> str | None:
    """A Slack link from a permalink Slack gave us; None when there is none to give."""
    return f"<{url}|{label}>" if url else None


def _discusser(approval: ApprovalInfo) -> str:
    return f"<@{approval.discussion_by}>" if approval.discussion_by else "Someone"


def discussion_line(approval: ApprovalInfo) -> str:
    """Since when, and by whom, the verdict is being talked over, with the way to the talk."""
    started = approval.discussion_started_at
    since = f" since {when(started)}" if started else ""
    line = f":speech_balloon: *Under discussion*{since}, started by {_discusser(approval)}."
    link = _link(approval.discussion_link, "Open the conversation")
    return f"{line} {link}" if link else line


def decided_line(approval: ApprovalInfo) -> str:
    """Who answered what, and when: the line that replaces the buttons everywhere."""
    decision = approval.decision
    if decision is None or approval.decided_at is None:
        if approval.discussing:
            return discussion_line(approval)
        return ":hourglass_flowing_sand: Waiting for an answer."
    who = f"<@{approval.decided_by}>" if approval.decided_by else "Someone"
    stamp = when(approval.decided_at)
    if decision is Decision.AGREE:
        text = f"{who} *agreed* with {approval.outcome.label} · {stamp}"
    else:
        wanted = approval.override_outcome.label if approval.override_outcome else "another outcome"
        text = f"{who} *overrode* {approval.outcome.label}: wants *{wanted}* instead · {stamp}"
    line = f"{_DECISION_EMOJI[decision]} {text}"
    if approval.discussion_started_at is not None:
        line += (
            f"\n:speech_balloon: After a discussion started by {_discusser(approval)} "
            f"on {when(approval.discussion_started_at)}."
        )
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


def already_discussing(approval: ApprovalInfo) -> str:
    """For a second Discuss: where the conversation already is, and what is still to do."""
    started = approval.discussion_started_at
    since = f" on {when(started)}" if started else ""
    text = (
        f":speech_balloon: This is already under discussion: {_discusser(approval)} "
        f"started it{since}."
    )
    link = _link(approval.discussion_link, "Open the conversation")
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
    if approval.decision is not None or approval.discussing:
        blocks.append(
            SectionBlock(
                block_id=BlockId.APPROVAL_STATUS,
                text=MarkdownTextObject(text=decided_line(approval)),
            )
        )
    if approval.decision is None:
        blocks.append(_answer_buttons(approval))
    if approval.decision is not None:
        state = approval.decision.label
    elif approval.discussing:
        state = "under discussion, your position is still needed"
    else:
        state = "your position is needed"
    text = f"{outcome.label} on {approval.deal_name}: {state}"
    return plain_text(text, 3000), blocks


def _answer_buttons(approval: ApprovalInfo) -> ActionsBlock:
    """Agree, Discuss, Override; once a discussion is open, Discuss has done its job."""
    ref = ApprovalRef(record=approval.record_id).dump()
    buttons = [
        ButtonElement(text="Agree", action_id=Action.APPROVAL_AGREE, value=ref, style="primary")
    ]
    if not approval.discussing:
        buttons.append(ButtonElement(text="Discuss", action_id=Action.APPROVAL_DISCUSS, value=ref))
    buttons.append(
        ButtonElement(
            text="Override", action_id=Action.APPROVAL_OVERRIDE, value=ref, style="danger"
        )
    )
    return ActionsBlock(block_id=BlockId.APPROVAL_ACTIONS, elements=buttons)


def reminder_message(approval: ApprovalInfo) -> Message:
    """The one nudge for a request nobody has answered, under the request itself."""
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


def discussion_reminder(approval: ApprovalInfo, *, request_link: str | None) -> Message:
    """The one nudge for a discussion that has not reached a position, posted where the two
    talk: someone looked, so it says so instead of asking again as if nobody had."""
    started = approval.discussion_started_at or approval.requested_at
    answerer = approver_words(approval)
    text = (
        f":alarm_clock: Reminder: {_discusser(approval)} started discussing "
        f"<@{approval.rep_slack_id}>'s *{approval.outcome.label}* on *{_deal(approval)}* on "
        f"{when(started)}, and there is no position yet."
    )
    if approval.hold_until_agreed:
        text += " The draft to the buyer stays on hold until it is agreed."
    where = _link(request_link, "the request") or "the request"
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
) -> Message:
    """The first message of the discussion, carrying the context both sides need.

    Three places: a group DM of rep and manager (the usual case, `request_link` points the
    manager back to their buttons); a thread on the deal-desk message; or, when no group DM
    could be opened (`no_group` is Slack's error), a thread on the manager's own DM, which the
    rep cannot see, so it says so and sends the manager to the rep directly.
    """
    who = _discusser(approval)
    rep = f"<@{approval.rep_slack_id}>"
    deal = _deal(approval)
    label = approval.outcome.label
    if no_group is not None:
        opening = (
            f":warning: I couldn't start a group conversation with {rep} (Slack said "
            f"`{safe_mrkdwn(no_group, 80)}`), so they can't see this thread. Message them "
            f"directly about *{deal}*; they've been told you want to talk. The verdict was "
            f"*{label}*."
        )
    else:
        opening = (
            f"{rep}, {who} would like to talk about *{deal}* before anything goes to the buyer. "
            f"The verdict was *{label}*."
        )
    parts = [opening, f":memo: {safe_mrkdwn(verdict.record_line, 900)}"]
    if verdict.reasons:
        parts.append(truncate(_bullets("Why", [r.text for r in verdict.reasons]), 900))
    if verdict.conditions:
        parts.append(
            truncate(
                _bullets("What would change the decision", [c.text for c in verdict.conditions]),
                900,
            )
        )
    if no_group is None:
        answerer = approver_words(approval)
        where = _link(request_link, "the request") or "the request"
        close = "Reply in this thread" if approval.approver_channel_id else "Talk it through here"
        parts.append(
            f"{close}. Discuss is not a position: when you're done, {answerer} answers Agree "
            f"or Override on {where}."
        )
        if approval.hold_until_agreed:
            parts.append(":lock: The draft to the buyer stays on hold until it is agreed.")
    text = truncate("\n".join(parts), LIMITS.SECTION_TEXT)
    return (
        plain_text(f"Let's discuss {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=text))],
    )


def discussion_closed(approval: ApprovalInfo) -> Message:
    """Posted in the discussion when the position is taken, so the talk ends on the answer."""
    text = decided_line(approval)
    if approval.hold_until_agreed and approval.decision is Decision.AGREE:
        text = truncate(f"{text}\n:unlock: The draft can go to the buyer.", LIMITS.SECTION_TEXT)
    label = approval.decision.label if approval.decision else "Update"
    return (
        plain_text(f"{label} on {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=text))],
    )


# -- back to the rep ----------------------------------------------------------------------


def discussion_notice(approval: ApprovalInfo, *, no_group: str | None = None) -> Message:
    """Discuss, told to the rep: who wants to talk, where, and that a position is still to come.

    `no_group` is Slack's error when the group DM could not be opened: the rep is then sent to
    the manager directly rather than to a thread they cannot see.
    """
    who = _discusser(approval)
    deal = _deal(approval)
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
        text += " Hold the draft until you've talked; they can still agree or override after."
    return (
        plain_text(f"Discuss on {approval.deal_name}", 3000),
        [SectionBlock(text=MarkdownTextObject(text=truncate(text, LIMITS.SECTION_TEXT)))],
    )


def rep_notice(approval: ApprovalInfo) -> Message:
    """The final position, told to the rep in their qualification thread."""
    who = f"<@{approval.decided_by}>" if approval.decided_by else "Your manager"
    deal = _deal(approval)
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
    elif approval.discussing:
        blocks.append(
            SectionBlock(
                block_id=BlockId.APPROVAL_STATUS,
                text=MarkdownTextObject(
                    text=f"{discussion_line(approval)} Once you've talked, "
                    f"{approver_words(approval)} can still agree or override."
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
        elif approval.discussing:
            hold = (
                ":lock: *The draft is on hold until your manager agrees.* Talking it over is "
                "not an answer yet: once they *Agree*, *Mark as sent* unlocks."
            )
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
