"""`walkaway console --recheck "<deal>"`: the terminal's re-check, the same as Slack's.

It finds the person's latest record of the deal in the console workspace (the closest names
when there is none), links a check to it, and runs the console (each question shows last
time's answer; `s` or Enter keeps it). Afterwards it prints what changed, and a proceed marks
the earlier record re-engaged, once. No Slack import: the console needs no token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.domain.drafts import Signature
from bot.domain.model import Actor, AnswerValue, Outcome
from bot.domain.pathback import closest_names
from bot.domain.recheck import Changes, came_back_line, describe
from bot.qualification.console import run_console
from bot.qualification.recheck_changes import changes_of
from bot.qualification.service import Qualifications, checklist_from_snapshot
from storage.records import RecordDetail, RecordStatus
from storage.repository import Store

SUGGESTIONS = 3


def run_recheck(
    service: Qualifications,
    *,
    actor: Actor,
    deal_name: str,
    read: Callable[[str], str],
    out: TextIO,
    rep: Signature | None = None,
) -> int:
    """Re-check the deal (exit code 1, and why, when there is nothing to re-check)."""
    store = service.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    me = service.user_id(actor)
    mine = [
        item
        for item in store.deal_records(workspace_id=workspace_id, deal_name=deal_name)
        if item.rep_user_id == me
    ]
    if not mine:
        out.write(
            _unknown(deal_name, store.deal_names_of(workspace_id=workspace_id, rep_user_ids=[me]))
        )
        return 1
    latest = mine[-1]
    if latest.status == RecordStatus.WON:
        out.write(f"'{deal_name}' was won: there is nothing to re-check.\n")
        return 1
    progress = service.start(actor, deal_name)
    store.link_recheck(
        session_id=progress.session.id,
        previous_record_id=latest.record_id,
        started_by_user_id=me,
    )
    out.write(f"Re-checking '{progress.session.deal_name}' against record #{latest.record_id}.\n")
    return run_console(
        service,
        actor=actor,
        deal_name=deal_name,
        read=read,
        out=out,
        rep=rep,
        after=lambda record_id: what_changed(store, record_id, by_user_id=me),
    )


def what_changed(store: Store, record_id: int, *, by_user_id: int) -> str:
    """The comparison in words; a proceed also marks the earlier record re-engaged."""
    record = store.get_record(record_id=record_id)
    found = changes_of(store, record) if record is not None else None
    if record is None or found is None:
        return ""
    earlier, changes = found
    text = changes_text(record, earlier.id, changes)
    if record.outcome is Outcome.PROCEED:
        line = came_back_line(record.deal_name, changes)
        store.mark_came_back(
            session_id=record.session_id,
            note=f"Re-checked in record #{record.id}, which proceeds. {line}",
            by_user_id=by_user_id,
        )
        text += f"\n{line} Record #{earlier.id} is now re-engaged.\n"
    return text


def changes_text(record: RecordDetail, earlier_id: int, changes: Changes) -> str:
    """What a re-check changed, as terminal text (`records show` prints it too)."""
    checklist = checklist_from_snapshot(record.checklist_snapshot)

    def label(qid: str, value: AnswerValue) -> str:
        question = checklist.by_id.get(qid)
        return question.label_for(value) if question is not None else str(value)

    def asked(qid: str) -> str:
        question = checklist.by_id.get(qid)
        return question.text if question is not None else qid

    lines = [f"\nWhat changed since record #{earlier_id}:\n"]
    sections = describe(changes, label=label, question=asked)
    for heading, items in sections:
        lines.append(f"  {heading}:\n")
        lines.extend(f"    - {item}\n" for item in items)
    if not sections:
        lines.append("  Nothing: every answer is as it was.\n")
    return "".join(lines)


def history_text(store: Store, record_id: int) -> str:
    """The deal's checks as one history, for `records show` (empty for a deal checked once)."""
    items = store.deal_history(record_id=record_id)
    if len(items) < 2:
        return ""
    lines = ["\nThis deal's checks:\n"]
    for item in items:
        line = f"  #{item.record_id} {item.created_at:%Y-%m-%d} {item.outcome} {item.status}"
        if item.previous_record_id is not None:
            line += f" (re-check of #{item.previous_record_id})"
        lines.append(line + ("  <- this record" if item.record_id == record_id else "") + "\n")
    found = store.get_record(record_id=record_id)
    changed = changes_of(store, found) if found is not None else None
    if found is not None and changed is not None:
        lines.append(changes_text(found, changed[0].id, changed[1]))
    return "".join(lines)


def _unknown(deal: str, names: list[str]) -> str:
    said = f"No walk-away record of '{deal}' to re-check."
    close = closest_names(deal, names, limit=SUGGESTIONS)
    if not close:
        return said + ' Check it first with `walkaway console "<deal>"`.\n'
    options = "\n".join(f'  walkaway console --recheck "{name}"' for name in close)
    return f"{said} Did you mean:\n{options}\n"
