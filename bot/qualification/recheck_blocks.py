"""Block Kit for re-checks: *Still true* on each question, what changed on the new card, a
deal's history in Details, the manager's one line, and the replies to `/walkaway recheck`.

Pure: builders take domain values and return blocks. Everything a person typed (deal names,
text answers) is escaped through bot.slack.text.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot.domain.checklist import Checklist, Question
from bot.domain.conversation import InvalidAnswer, parse_answer
from bot.domain.labels import status_label
from bot.domain.model import AnswerValue, Outcome
from bot.domain.recheck import STILL_TRUE, Ask, Changes, Describe, describe
from bot.qualification.payloads import AnswerRef
from bot.slack.dates import slack_day
from bot.slack.ids import Action
from bot.slack.text import LIMITS, escape, plain_text, safe_mrkdwn, truncate
from storage.rechecks import HistoryItem
from storage.records import RecordStatus

RECHECK_NOW = "Re-check now"
EARLIER = "Earlier check"
_HISTORY_LINES = 12


def last_time_words(question: Question, value: AnswerValue) -> str:
    """'Last time: *Negotiation*' under a re-check's question."""
    return f":repeat: Last time: *{safe_mrkdwn(question.label_for(value), 300)}*"


def still_true_button(
    question: Question, session_id: int, value: AnswerValue
) -> ButtonElement | None:
    """The first answer button of a re-check's question: the earlier answer again.

    None when that answer no longer fits the question (the team edited the checklist) or will
    not fit in a button's value: the question is then asked plainly, with the earlier answer
    still shown above it.
    """
    try:
        parse_answer(question, value if isinstance(value, str) else str(value))
    except InvalidAnswer:
        return None
    ref = AnswerRef(session=session_id, question=question.id, value=str(value)).dump()
    if len(ref) > LIMITS.BUTTON_VALUE:
        return None
    return ButtonElement(
        text=STILL_TRUE,
        # An answer_choice id, so the check's answer handler takes it like any other choice;
        # the suffix past the last choice keeps action ids unique within the block.
        action_id=f"{Action.ANSWER_CHOICE}:{len(question.choices)}",
        value=ref,
        style="primary",
    )


def recheck_button(record_id: int) -> ButtonElement:
    """*Re-check now*: its value is the record's id, as every surface that offers it sends."""
    return ButtonElement(text=RECHECK_NOW, action_id=Action.RECHECK_NOW, value=str(record_id))


def details_button(record_id: int, text: str = EARLIER) -> ButtonElement:
    """The record's *Details* (search's modal; the value is its SearchRecordRef, channel-less)."""
    return ButtonElement(
        text=plain_text(text, LIMITS.BUTTON_TEXT),
        action_id=Action.SEARCH_DETAILS,
        value=json.dumps({"record": record_id}),
    )


def offers_recheck(outcome: Outcome, status: RecordStatus) -> bool:
    """A walk-away still standing and open. A re-engaged one gets *Re-check now* from the path
    back's section instead (bot/pathback/sections.py), and won, lost or closed ones none (a
    command may still re-check a lost or closed deal; a won one never)."""
    return outcome is not Outcome.PROCEED and status == RecordStatus.OPEN


def answer_words(checklist: Checklist) -> tuple[Describe, Ask]:
    """(label, question) callables for bot.domain.recheck.describe, from one checklist."""

    def label(qid: str, value: AnswerValue) -> str:
        question = checklist.by_id.get(qid)
        return question.label_for(value) if question is not None else str(value)

    def question(qid: str) -> str:
        found = checklist.by_id.get(qid)
        return found.text if found is not None else qid.replace("_", " ").replace(".", ": ")

    return label, question


def changes_blocks(changes: Changes, *, checklist: Checklist, earlier_id: int) -> list[Block]:
    """The new card's *What changed since last time*, with the earlier check one click away."""
    label, question = answer_words(checklist)
    sections = describe(changes, label=label, question=question)
    if sections:
        room = (LIMITS.SECTION_TEXT - 60) // len(sections)
        parts = [_bullets(heading, lines, room) for heading, lines in sections]
        body = "*What changed since last time*\n" + "\n".join(parts)
    else:
        body = "*What changed since last time*\nNothing: every answer is as it was."
    return [
        SectionBlock(text=MarkdownTextObject(text=truncate(body, LIMITS.SECTION_TEXT))),
        ContextBlock(elements=[MarkdownTextObject(text=f"Re-check of record #{earlier_id}")]),
        ActionsBlock(elements=[details_button(earlier_id)]),
    ]


def _bullets(heading: str, lines: Sequence[str], room: int) -> str:
    shown = list(lines[:8])
    more = f"\n   _…and {len(lines) - len(shown)} more_" if len(lines) > len(shown) else ""
    budget = max((room - len(heading) - len(more) - 4) // max(len(shown), 1) - 4, 20)
    items = "\n".join(f"• {safe_mrkdwn(line, budget)}" for line in shown)
    return f"_{heading}_\n{items}{more}"


def history_blocks(items: Sequence[HistoryItem], *, current: int) -> list[Block]:
    """A deal's checks as one history, oldest first; this record marked, each linked to the
    record it re-checked."""
    if len(items) < 2:
        return []
    lines = []
    for item in items[-_HISTORY_LINES:]:
        line = (
            f"#{item.record_id} · {item.outcome.label} · {status_label(item.status)}"
            f" · {slack_day(item.created_at)}"
        )
        if item.previous_record_id is not None:
            line += f" · re-check of #{item.previous_record_id}"
        if item.record_id == current:
            line = f"*{line}* (this record)"
        lines.append(f"• {line}")
    if len(items) > _HISTORY_LINES:
        lines.insert(0, f"_…{len(items) - _HISTORY_LINES} earlier check(s) not shown_")
    others = [i.record_id for i in items if i.record_id != current][-5:]
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text="*This deal's checks*\n" + "\n".join(lines)))
    ]
    blocks.append(ActionsBlock(elements=[details_button(r, f"Record #{r}") for r in others]))
    return blocks


def came_back_message(line: str, *, new_record_id: int, earlier_id: int) -> tuple[str, list[Block]]:
    """The manager's one line (already escaped), and where to read more."""
    return plain_text(line, LIMITS.MESSAGE_TEXT), [
        SectionBlock(text=MarkdownTextObject(text=f":tada: {line}")),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Record #{earlier_id} is now re-engaged; its re-check is record "
                    f"#{new_record_id}."
                )
            ]
        ),
        ActionsBlock(elements=[details_button(new_record_id, "Details")]),
    ]


def started_words(deal: str, *, for_rep: str | None, resumed: bool = False) -> str:
    """The private reply once a re-check is open (or found open)."""
    name = escape(deal)
    if resumed:
        where = f"<@{for_rep}>'s DM with me" if for_rep else "our DM"
        return f"The re-check of *{name}* is already open: its waiting question is in {where}."
    if for_rep is not None:
        return (
            f"Re-check of *{name}* opened in <@{for_rep}>'s DM with me: they get each question "
            "with last time's answer."
        )
    return (
        f"Re-checking *{name}*: each question in our DM shows last time's answer, with "
        f"*{STILL_TRUE}* to keep it."
    )


def unknown_deal_words(deal: str, suggestions: Sequence[str]) -> str:
    """`/walkaway recheck` for a deal with no record: the closest names this person has."""
    said = f"I can't find a walk-away check of *{safe_mrkdwn(deal, 200)}* in this workspace."
    if not suggestions:
        return said + " Start one with `/walkaway <deal>`."
    names = "\n".join(
        f"• *{safe_mrkdwn(name, 200)}*: `/walkaway recheck {safe_mrkdwn(name, 200)}`"
        for name in suggestions
    )
    return f"{said} Did you mean:\n{names}"


def earlier_labels(earlier: Mapping[str, AnswerValue], checklist: Checklist) -> dict[str, str]:
    """Question id -> the earlier answer in words (the console prints these)."""
    label, _ = answer_words(checklist)
    return {qid: label(qid, value) for qid, value in earlier.items()}
