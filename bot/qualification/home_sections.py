"""The check's sections of App Home: what to resume, the rep's latest verdicts, and the help."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock

from bot.domain.labels import status_label
from bot.domain.model import Actor
from bot.qualification.command_blocks import HELP, MAX_LISTED, resume_list
from bot.slack.dates import slack_day
from bot.slack.deps import Deps
from bot.slack.text import safe_mrkdwn

MAX_RECORDS = 20


def unfinished(deps: Deps, actor: Actor) -> list[Block]:
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    sessions = store.list_open_sessions(workspace_id=workspace_id, rep_user_id=rep_id)
    answered = {s.id: len(store.current_answers(session_id=s.id)) for s in sessions[:MAX_LISTED]}
    _, blocks = resume_list(sessions, answered)
    return blocks


def latest_verdicts(deps: Deps, actor: Actor) -> list[Block]:
    store = deps.store
    workspace_id = store.ensure_workspace(team_id=actor.team_id)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
    records = store.list_records(workspace_id=workspace_id, limit=MAX_RECORDS, rep_user_id=rep_id)
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text="*Your latest verdicts*"))]
    if not records:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text="None yet.")]))
    for record in records[:MAX_RECORDS]:
        blocks.append(
            SectionBlock(
                text=MarkdownTextObject(
                    text=f"*{safe_mrkdwn(record.deal_name, 200)}* · {record.outcome.label} · "
                    f"{status_label(record.status)} · {slack_day(record.created_at)}\n"
                    f"{safe_mrkdwn(record.record_line, 2000)}"
                )
            )
        )
    return blocks


def help_section(deps: Deps, actor: Actor) -> list[Block]:
    return [SectionBlock(text=MarkdownTextObject(text=HELP))]
