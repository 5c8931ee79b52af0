"""`walkaway records list` and `records show` as text: a record in full for a terminal.

Kept out of bot/cli.py so the command table stays a table; no Slack import here, so the same
text serves scripts, support and tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from storage.approval_info import ApprovalInfo
    from storage.repository import Store


def records_list_text(store: Store, *, team_id: str, limit: int) -> str:
    """One line per record, newest first, or how to make the first one."""
    workspace_id = store.ensure_workspace(team_id=team_id)
    rows = store.list_records(workspace_id=workspace_id, limit=limit)
    if not rows:
        return "No records yet. Finish a qualification with `walkaway console`.\n"
    return "".join(
        f"#{row.id:<5} {row.created_at:%Y-%m-%d}  {row.outcome:<10} {row.status:<10} "
        f"{row.deal_name}\n"
        for row in rows
    )


def record_text(store: Store, *, record_id: int) -> str | None:
    """The record in full (verdict, answers, manager, history, message), or None if unknown."""
    from bot.qualification.console import format_verdict
    from bot.qualification.recheck_console import history_text

    record = store.get_record(record_id=record_id)
    if record is None:
        return None
    out = [
        f"Record #{record.id}: {record.deal_name} (rep {record.rep_slack_user_id})\n",
        f"Status: {record.status}    Created: {record.created_at:%Y-%m-%d %H:%M} UTC\n",
        format_verdict(record.verdict, deal_name=record.deal_name),
        *_conditions(store, record.id),
        f"\nRe-check: {record.recheck_on.isoformat() if record.recheck_on else 'none'}\n",
        *_context(store, record.session_id),
        "\nAnswers:\n",
    ]
    for answer in record.answers:
        if answer.superseded_at is None:
            note = f"  (note: {answer.note})" if answer.note else ""
            out.append(f"  {answer.question_id}: {answer.value}{note}\n")
    approval = store.approvals.get(record_id=record.id)
    if approval is not None:
        out.append(f"\nManager: {_position(approval)}\n")
    out.append("\nStatus history:\n")
    for change in record.status_history:
        note = f" - {change.note}" if change.note else ""
        out.append(f"  {change.changed_at:%Y-%m-%d %H:%M} {change.status}{note}\n")
    out.append(history_text(store, record.id))  # earlier and later checks of the deal
    text = record.sent_text or record.draft_text
    if text:
        subject = (
            f"Subject: {record.subject}\n\n" if record.subject and not record.sent_text else ""
        )
        heading = "as sent:" if record.sent_text else "drafted:"
        out.append(f"\nMessage {heading}\n\n{subject}{text}\n")
    if record.draft_short and not record.sent_text:
        out.append("\nShort note drafted:\n\n" + record.draft_short + "\n")
    return "".join(out)


def _context(store: Store, session_id: int) -> list[str]:
    """The conversation the check was started from (*Check this deal*), if it was."""
    context = store.contexts.of_session(session_id=session_id)
    if context is None:
        return []
    where = context.permalink or (
        f"a message in {context.channel_id} at {context.message_ts} (Slack gave no link)"
    )
    return [f"From this conversation: {where}\n"]


def _conditions(store: Store, record_id: int) -> list[str]:
    """Each condition with its state, who changed it and when (and the last *Not yet*)."""
    items = store.conditions.for_record(record_id=record_id)
    if not items:
        return []
    out = ["\nConditions:\n"]
    for item in items:
        line = f"  [{item.state.label}] {item.text}"
        if item.changed_at is not None:
            line += f" ({item.changed_by or 'system'}, {item.changed_at:%Y-%m-%d %H:%M} UTC)"
        if item.checked_at is not None and item.is_open:
            line += f" (not yet: {item.checked_by}, {item.checked_at:%Y-%m-%d %H:%M} UTC)"
        if item.note:
            line += f" - {item.note}"
        out.append(line + "\n")
    return out


def _position(approval: ApprovalInfo) -> str:
    asked = approval.approver_slack_id or (
        f"deal desk {approval.approver_channel_id}" if approval.approver_channel_id else None
    )
    if approval.discussing and approval.discussion_started_at is not None:
        started = approval.discussion_started_at
        line = f"under discussion since {started:%Y-%m-%d %H:%M} UTC"
        if approval.discussion_by:
            line += f", started by {approval.discussion_by}"
        line += f" (waiting for a position from {asked})" if asked else " (no position yet)"
        link = approval.discussion_link
        return line + (f"; discussion: {link}" if link else "")
    if approval.decision is None or approval.decided_at is None:
        return f"waiting for {asked}" if asked else "no manager picked yet"
    line = (
        f"{approval.decision.label} by {approval.decided_by} "
        f"on {approval.decided_at:%Y-%m-%d %H:%M} UTC"
    )
    if approval.override_outcome is not None:
        line += f" (wants {approval.override_outcome.label})"
    return line + (f": {approval.reason}" if approval.reason else "")
