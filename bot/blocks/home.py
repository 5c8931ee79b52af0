"""The App Home tab: what to resume, and the rep's latest walk-away records."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.blocks.command import HELP, resume_list
from bot.blocks.text import safe_mrkdwn
from storage.records import RecordSummary, SessionInfo

MAX_RECORDS = 20


def home_view(
    sessions: Sequence[SessionInfo], answered: dict[int, int], records: Sequence[RecordSummary]
) -> View:
    _, unfinished = resume_list(sessions, answered)
    blocks: list[Block] = [HeaderBlock(text="Walk-away advisor"), *unfinished, DividerBlock()]
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Your latest verdicts*")))
    if not records:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="None yet.")]))
    for record in records[:MAX_RECORDS]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{safe_mrkdwn(record.deal_name, 200)}* · {record.outcome.label} · "
                    f"{record.status} · {record.created_at:%d %b %Y}\n"
                    f"{safe_mrkdwn(record.record_line, 2000)}"
                )
            )
        )
    blocks += [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=HELP))]
    return View(type="home", blocks=blocks[:100])
