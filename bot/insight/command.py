"""`/walkaway report [since:YYYY-MM-DD] [until:YYYY-MM-DD]`: the export, as a CSV file in a DM.

Sales ops leads and managers ask for it from Slack rather than a shell. Who may: a workspace
admin (bot/slack/admins.py, WALKAWAY_ADMINS included) gets the whole workspace; a manager (the
manager of at least one rep) gets their reps' records only; anyone else is told who may. The
command already runs as a durable job (bot/slack/command.py). The file is uploaded with
slack_sdk's `files_upload_v2` to the asker's DM, once per job (bot/slack/uploads.py
`upload_once`): a re-run after the file went out says so again (a claim under the job's key),
and one after an attempt that died or lost Slack's answer mid-upload first looks in the DM for
the file (its name carries the job's reference) and uploads only if it is not there.
"""

from __future__ import annotations

import io
import uuid
from datetime import date
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.insight.period import Period, PeriodError, parse_period
from bot.insight.report import batches, write_csv
from bot.slack.admins import is_admin
from bot.slack.deps import Deps, Subcommand, actor_from
from bot.slack.effects import current_job
from bot.slack.errors import Refusal, tell
from bot.slack.text import escape
from bot.slack.uploads import upload_once
from storage.columns import utcnow

WORDS = ("since", "until")
USAGE = (
    "Try `/walkaway report`, or narrow it with `since:YYYY-MM-DD` and `until:YYYY-MM-DD`, "
    "e.g. `/walkaway report since:2026-01-01 until:2026-03-31`."
)
WHO_MAY = (
    "Only a workspace admin (or someone named in the app's admin list) and managers can "
    "export records: an admin gets the whole workspace, a manager their reps' records. Ask "
    "your manager or your Slack admin for the report."
)


def takes(rest: str) -> bool:
    """`report` alone or followed by since:/until: words; "report card redesign" is a deal."""
    return all(word.partition(":")[0].casefold() in WORDS and ":" in word for word in rest.split())


def parse(rest: str, *, today: date) -> Period:
    """The period from `since:` and `until:`; a word given twice or a bad date is refused."""
    given: dict[str, str] = {}
    for word in rest.split():
        name, _, value = word.partition(":")
        name = name.casefold()
        if name in given:
            raise PeriodError(f"`{name}:` is given twice.")
        given[name] = value
    return parse_period(given.get("since"), given.get("until"), today=today, names=WORDS)


def report_command(
    rest: str, body: dict[str, Any], client: WebClient, respond: Respond, deps: Deps
) -> None:
    """Build the CSV for whoever asked, within what they may see, and send it to their DM."""

    def send() -> None:
        actor = actor_from(body)
        try:
            period = parse(rest, today=utcnow().date())
        except PeriodError as problem:
            raise Refusal(f"{escape(str(problem))}\n{USAGE}") from None
        workspace_id = deps.store.ensure_workspace(team_id=actor.team_id)
        reps: list[int] | None = None
        whole = is_admin(client, deps, actor.user_id)
        if not whole:
            me = deps.store.find_user(workspace_id=workspace_id, slack_user_id=actor.user_id)
            reps = (
                deps.store.reps_managed_by(workspace_id=workspace_id, manager_user_id=me)
                if me is not None
                else []
            )
            if not reps:
                raise Refusal(WHO_MAY)
        job = current_job()
        key = f"report:{job.key}" if job is not None else None
        if key is not None and job is not None and deps.store.claim_owner(key=key) is not None:
            # This job's file went out already: a re-run only says so again.
            _, sent = deps.store.claim(key=key, owner=job.key)
            respond(text=sent or "Sent the records to our DM.", response_type="ephemeral")
            return
        out = io.StringIO()
        count = write_csv(
            batches(
                deps.store,
                workspace_id=workspace_id,
                start=period.start,
                end=period.end,
                rep_user_ids=reps,
            ),
            out,
        )
        scope = "the workspace's" if whole else "your reps'"
        if count == 0:
            raise Refusal(f"No records {period.words()} among {scope} records: nothing to send.")
        dm = str(client.conversations_open(users=actor.user_id)["channel"]["id"])
        today = utcnow().date().isoformat()
        upload_once(
            client,
            deps.store,
            key=f"report-file:{job.key if job is not None else uuid.uuid4().hex}",
            channel=dm,
            content=out.getvalue(),
            filename=f"walkaway-report-{today}.csv",
            title=f"Walk-away records {period.words()}",
            initial_comment=f"{_records(count)} of {scope} walk-aways {period.words()}, as CSV.",
        )
        said = f"Sent {_records(count)} {period.words()} to our DM as a CSV file."
        if key is not None and job is not None:
            deps.store.claim(key=key, owner=job.key, note=said)
        respond(text=said, response_type="ephemeral")

    tell(body, client, respond, send)


def _records(count: int) -> str:
    return f"{count} record" if count == 1 else f"{count} records"


SUBCOMMANDS = (Subcommand("report", report_command, takes=takes),)
