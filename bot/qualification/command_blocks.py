"""Replies to the slash command itself: help, the resume list, short confirmations."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.qualification.payloads import DealRef, SessionRef
from bot.qualification.recheck_blocks import recheck_button
from bot.slack.dates import slack_day
from bot.slack.ids import COMMAND, Action
from bot.slack.text import LIMITS, safe_mrkdwn
from storage.records import RecordDetail, RecordStatus, SessionInfo

Message = tuple[str, list[Block]]
MAX_LISTED = 15
DEAL_PLACEHOLDER = "&lt;deal name&gt;"
"""Escaped: a bare `<deal name>` is Slack link syntax, not text."""
"""Each unfinished qualification takes two blocks; this stays well under 50 per message."""

HELP = (
    f"*{COMMAND} {DEAL_PLACEHOLDER}* — start (or resume) a walk-away check for a deal. "
    "I'll ask a few questions in a DM thread, then give a verdict, what would change it, "
    "and a draft message for the buyer.\n"
    f"*{COMMAND}* — list your unfinished checks with a Resume button. My *Home* tab has them "
    "too, with *Start a check*.\n"
    f"*{COMMAND} manager @someone* — who is asked to agree, discuss or override your walk, "
    "stop-pilot and defer verdicts (no name: show yours; `none`: clear it).\n"
    f"*{COMMAND} settings* — admins: the deal-desk channel, holding drafts until the manager "
    "agrees, when to remind, and how long until a no is looked at again.\n"
    f"*{COMMAND} search &lt;words&gt; [outcome:walked] [rep:@someone] …* — find past "
    f"walk-away records: why we walked and what happened since (`{COMMAND} search` alone lists "
    "the filters).\n"
    f"*{COMMAND} recheck {DEAL_PLACEHOLDER}* — check a deal again, starting from last time: "
    "each question shows the earlier answer with *Still true*, and the verdict says what "
    "changed.\n"
    f"*{COMMAND} due* — your re-checks due in the next two weeks and overdue ones (a manager "
    "also sees their reps'), with *Re-check now* and *Snooze*.\n"
    f"*{COMMAND} back {DEAL_PLACEHOLDER} [what happened]* — the buyer came back: mark the "
    "deal re-engaged and tell your manager.\n"
    f"*{COMMAND} report [since:YYYY-MM-DD] [until:YYYY-MM-DD]* — admins and managers: the "
    "records as a CSV file in our DM (a manager gets their reps').\n"
    f"*{COMMAND} help* — this help.\n"
    "In the thread: click an answer, or *Answer…* to type a number or add a note; "
    "*Back* changes your previous answer; *Start over* begins again. "
    "*Use a form instead* shows every question at once; the form and the thread share "
    "the same saved answers. "
    "Your answers are saved as you go: close Slack and pick up later from the *Home* tab "
    "or with *Resume*."
)


def help_message() -> Message:
    return "How to use /walkaway", [SectionBlock(text=MarkdownTextObject(text=HELP))]


def resume_list(sessions: Sequence[SessionInfo], answered: dict[int, int]) -> Message:
    if not sessions:
        return (
            "No unfinished checks",
            [
                SectionBlock(
                    text=MarkdownTextObject(
                        text=f"You have no unfinished walk-away checks. Start one with "
                        f"`{COMMAND} {DEAL_PLACEHOLDER}`, or `{COMMAND} help` for more."
                    )
                )
            ],
        )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="*Your unfinished walk-away checks*"))
    ]
    for session in sessions[:MAX_LISTED]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{safe_mrkdwn(session.deal_name, 300)}*\n"
                    f"{answered.get(session.id, 0)} answer(s) saved · started "
                    f"{slack_day(session.started_at)}"
                ),
                accessory=ButtonElement(
                    text="Resume",
                    action_id=Action.RESUME,
                    value=SessionRef(session=session.id).dump(),
                ),
            )
        )
    if len(sessions) > MAX_LISTED:
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"…and {len(sessions) - MAX_LISTED} older ones.")]
            )
        )
    return "Your unfinished walk-away checks", blocks[: LIMITS.BLOCKS_PER_MESSAGE]


def notice(text: str) -> Message:
    """A short reply; `text` must already be escaped by the caller if it holds user input."""
    return text, [SectionBlock(text=MarkdownTextObject(text=text))]


def last_verdict(
    record: RecordDetail, *, thread_link: str | None, source: tuple[str, str] | None = None
) -> Message:
    """`/walkaway <deal>` when the deal's latest check is finished: that verdict, and a way on."""
    deal = safe_mrkdwn(record.deal_name, 200)
    where = f"<{thread_link}|in our DM thread>" if thread_link else "in our DM thread"
    lines = [
        f"Your latest check of *{deal}* is finished: *{record.verdict.outcome.label}* "
        f"({slack_day(record.created_at)}).",
        safe_mrkdwn(record.verdict.record_line, 1500),
        f"The full verdict and the draft are {where}.",
    ]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="\n".join(lines))),
        ActionsBlock(
            elements=[
                ButtonElement(
                    text="Start a new check",
                    action_id=Action.START_NEW,
                    value=DealRef(
                        deal=record.deal_name[:200],
                        channel=source[0] if source else None,
                        ts=source[1] if source else None,
                    ).dump(),
                    style="primary",
                ),
                # From last time's answers (bot/qualification/recheck.py); never for a win.
                *([recheck_button(record.id)] if record.status != RecordStatus.WON else []),
            ]
        ),
    ]
    return f"Your latest check of {record.deal_name} is finished", blocks
