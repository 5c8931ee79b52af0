"""Block Kit for a record's *Details*: its verdict, answers, history and status, with the form
its rep or their manager changes the status in.

Everything a person typed goes through bot.slack.text before it reaches Slack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    Option,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.labels import STATUS_LABELS
from bot.search.blocks import (
    EMOJI,
    STATUS_CHOICES,
    STATUS_NOTE_LIMIT,
    bullets,
    context,
    decision_line,
    mention,
    recheck_stated,
    section,
)
from bot.search.payloads import SearchRecordRef
from bot.slack.dates import calendar_day, slack_day, slack_when
from bot.slack.ids import Block as BlockId
from bot.slack.ids import Field
from bot.slack.ids import View as ViewId
from bot.slack.inputs import note_input
from bot.slack.text import LIMITS, escape, plain_text, safe_mrkdwn, truncate
from storage.records import AnswerInfo, RecordDetail, RecordStatus
from storage.search import SearchHit

Message = tuple[str, list[Block]]
NOTHING_CALLED = "*Why* Nothing in the answers called for walking away."


def details_modal(
    record: RecordDetail,
    hit: SearchHit,
    *,
    can_change: bool,
    meta: SearchRecordRef,
    notice: str | None = None,
    labels: Mapping[tuple[str, str], str] | None = None,
    sections: Iterable[Block] = (),
    conditions_listed: bool = False,
) -> View:
    """The whole history of one record; its rep or their manager also gets the status form."""
    blocks: list[Block] = []
    if notice:
        blocks.append(section(notice))
    blocks += [
        HeaderBlock(text=plain_text(record.deal_name, LIMITS.HEADER)),
        section(
            f"{EMOJI[record.outcome]} *{record.outcome.label}* · "
            f"status *{STATUS_LABELS[record.status]}* · rep {mention(record.rep_slack_user_id)}"
            f" · {slack_day(record.created_at)}"
            + (
                f" · re-check on {calendar_day(record.recheck_on)}"
                if record.recheck_on
                and record.status is RecordStatus.OPEN  # only an open record is nudged
                and not recheck_stated(
                    record.recheck_on, [c.text for c in record.verdict.conditions]
                )
                else ""
            )
        ),
    ]
    # The record line is not shown: it only summarises the reasons and conditions below.
    if not record.verdict.reasons:
        blocks.append(section(NOTHING_CALLED))
    verdict = record.verdict
    for heading, items in (
        ("Why", [r.text for r in verdict.reasons]),
        ("What would change it", [] if conditions_listed else [c.text for c in verdict.conditions]),
        ("Cautions", [c.text for c in verdict.cautions]),
    ):
        if items:
            blocks.append(section(bullets(heading, items)))
    blocks.append(section(f"*Manager* {decision_line(hit.decision, hit.discussion)}"))
    blocks += sections  # the other capabilities' (Hooks.details_sections)
    labels = {**(labels or {}), **choice_labels(record.checklist_snapshot)}
    blocks += _list_sections(
        "Answers",
        [_answer_line(a, labels, rep=record.rep_slack_user_id) for a in record.answers],
        limit=6,
    )
    blocks += _list_sections(
        "Status history",
        [
            f"{STATUS_LABELS[c.status]} — {mention(c.changed_by) if c.changed_by else 'system'}"
            f", {_when(c.changed_at)}" + (f": {safe_mrkdwn(c.note, 1000)}" if c.note else "")
            for c in record.status_history
        ],
        limit=4,
    )
    blocks += _text_sections("Draft to the buyer", record.draft_text)
    if record.sent_text is not None:
        by = f" by {mention(record.sent_by)}" if record.sent_by else ""
        when = f" · {_when(record.sent_at)}" if record.sent_at else ""
        blocks += _text_sections(f"Sent{by}{when}", record.sent_text)
    if can_change:
        blocks += _status_inputs()
    else:
        blocks.append(
            context(
                f"Only {mention(record.rep_slack_user_id)} or their manager can change "
                "this record's status."
            )
        )
    return View(
        type="modal",
        callback_id=ViewId.RECORD_DETAILS,
        private_metadata=meta.dump(),
        title=plain_text("Walk-away record", LIMITS.MODAL_TITLE),
        submit=plain_text("Save status", LIMITS.MODAL_SUBMIT) if can_change else None,
        close=plain_text("Close", LIMITS.MODAL_CLOSE),
        blocks=blocks[: LIMITS.BLOCKS_PER_VIEW],
    )


def choice_labels(snapshot: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(question id, value) -> the choice's label, from the checklist the record was answered
    against: an answer reads "Negotiation", not `negotiation`, even after the file changed.
    `details_modal` takes the current checklist's labels for what the snapshot lacks."""
    labels: dict[tuple[str, str], str] = {}
    questions = snapshot.get("questions")
    for question in questions if isinstance(questions, list) else []:
        choices = question.get("choices") if isinstance(question, dict) else None
        for choice in choices if isinstance(choices, list) else []:
            if isinstance(choice, dict) and "value" in choice and "label" in choice:
                labels[(str(question.get("id")), str(choice["value"]))] = str(choice["label"])
    return labels


def _answer_line(answer: AnswerInfo, labels: Mapping[tuple[str, str], str], *, rep: str) -> str:
    """The question and the answer in words; who answered only when it was not the rep."""
    value = labels.get((answer.question_id, str(answer.value)), str(answer.value))
    line = f"{safe_mrkdwn(answer.question_text, 300)} — *{safe_mrkdwn(value, 300)}*"
    if answer.answered_by != rep:
        line += f" (answered by {mention(answer.answered_by)})"
    if answer.note:
        line += f"\n   _{safe_mrkdwn(answer.note, 600)}_"
    if answer.superseded_at:
        line = f"~{line}~ (changed {_when(answer.superseded_at)})"
    return line


def _when(moment: datetime | date | None) -> str:
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        return slack_when(moment)
    return calendar_day(moment)


def _list_sections(heading: str, lines: Iterable[str], *, limit: int) -> list[Block]:
    """Bullet lines packed into as few sections as fit, at most `limit` sections."""
    sections: list[str] = []
    current = f"*{heading}*"
    for line in lines:
        bullet = f"• {truncate(line, 1400)}"
        if len(current) + 1 + len(bullet) > LIMITS.SECTION_TEXT - 20:
            sections.append(current)
            current = bullet
        else:
            current = f"{current}\n{bullet}"
    sections.append(current)
    if len(sections) > limit:
        hidden = sum(text.count("\n• ") + text.startswith("• ") for text in sections[limit - 1 :])
        sections = [*sections[: limit - 1], f"_…and {hidden} more, too many to show here_"]
    return [section(text) for text in sections] if len(sections[0]) > len(heading) + 2 else []


def _text_sections(heading: str, body: str | None, *, limit: int = 3) -> list[Block]:
    """A draft or sent message, quoted, split on line breaks into at most `limit` sections."""
    if not body:
        return []
    budget = LIMITS.SECTION_TEXT - 20
    parts: list[str] = []
    current = f"*{heading}*"
    for line in escape(body).splitlines() or [""]:
        quoted = truncate(f">{line}", budget)  # escaped first: a cut never splits an entity
        if len(current) + 1 + len(quoted) > budget:
            parts.append(current)
            current = quoted
        else:
            current = f"{current}\n{quoted}"
    parts.append(current)
    if len(parts) > limit:
        parts = [*parts[:limit], "_…too long to show it all here_"]
    return [section(part) for part in parts]


def _status_inputs() -> list[Block]:
    return [
        DividerBlock(),
        InputBlock(
            block_id=BlockId.RECORD_STATUS,
            label=plain_text("Change the status to", 2000),
            element=StaticSelectElement(
                action_id=Field.STATUS,
                placeholder=plain_text("Pick a status", 150),
                options=[
                    Option(text=plain_text(STATUS_LABELS[s], LIMITS.OPTION_TEXT), value=s.value)
                    for s in STATUS_CHOICES
                ],
            ),
        ),
        note_input(
            BlockId.RECORD_STATUS_NOTE,
            label="What happened",
            placeholder="e.g. They named an owner and asked us back in",
            max_length=STATUS_NOTE_LIMIT,
            optional=False,
        ),
    ]
