"""The `walkaway` command: console, evaluate, tone, records, due, report, serve, worker, tick
(alias remind).

Each sub-command turns expected failures (bad settings, a broken checklist, a bad file) into
one clear line and a non-zero exit code instead of a traceback.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import OAUTH_INSTALL_PATH, Settings, SettingsError, load_settings
from bot.domain.checklist import Checklist, ChecklistError, load_checklist
from bot.qualification.evaluate import AnswersFileError, evaluate, read_answers_file
from bot.qualification.tone_file import ToneFileError

if TYPE_CHECKING:
    from storage.repository import Store

LOCAL_TEAM = "local"
EVENTS_PATH = "/slack/events"
WAITRESS_THREADS = 8
"""HTTP mode's request threads (tests/bench/ack_latency.py serves with the same number)."""
LISTENER_THREADS = 32
"""Threads running listeners. Bolt answers Slack only once a listener has called ack() on one of
these, and the listener keeps its thread for the Web API calls after the ack, so with Bolt's
default of 5, five requests waiting on Slack's API hold up every other ack. With the Web API
answering in 100 ms, 32 threads took the app from about 18 to 50-60 requests/s and its p99 ack
from 1.3 s to 0.6-0.7 s (tests/bench/ack_latency.py --api-latency-ms 100); 16 gave 33-35.
More threads do not help once SQLite's single writer is the limit."""


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        code = args.run(args)
    except (SettingsError, ChecklistError, AnswersFileError, ToneFileError) as problem:
        print(f"walkaway: {problem}", file=sys.stderr)
        code = 2
    raise SystemExit(code)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="walkaway",
        description="Decide honestly whether to keep pursuing a deal, and walk away well.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    console = commands.add_parser("console", help="run the qualification in this terminal")
    console.add_argument("deal", nargs="*", help="the deal's name (asked for when left out)")
    console.add_argument(
        "--as",
        dest="user",
        default=None,
        help="who you are, to resume your checks (default: login)",
    )
    console.add_argument(
        "--rep",
        default=None,
        help='how drafts are signed: "Name, Title" (asked once and remembered when left out)',
    )
    console.add_argument(
        "--recheck", action="store_true", help="re-check the deal, starting from last time"
    )
    console.set_defaults(run=_console)

    ev = commands.add_parser("evaluate", help="print the verdict for an answers file")
    ev.add_argument("--answers", required=True, type=Path, metavar="FILE")
    ev.add_argument("--json", action="store_true", help="print JSON for scripts")
    ev.add_argument("--today", type=date.fromisoformat, default=None, help=argparse.SUPPRESS)
    ev.set_defaults(run=_evaluate)

    tone = commands.add_parser(
        "tone",
        help="check a message's tone (a mail template, a script) as the draft editor does",
        description="List what would make the message read as blame, guilt, a threat, an "
        "ultimatum, a bluff or self-centred, with a suggestion for each. Exit 0 even when it "
        "finds something; 2 when the file cannot be read.",
    )
    tone.add_argument("file", metavar="FILE", help="a UTF-8 text file, or - for standard input")
    tone.add_argument("--json", action="store_true", help="print JSON for scripts")
    tone.add_argument(
        "--not-a-no",
        dest="expect_conditions",
        action="store_false",
        help="the message does not turn the buyer down: do not ask for what would change it",
    )
    tone.set_defaults(run=_tone)

    records = commands.add_parser("records", help="read stored walk-away records")
    which = records.add_subparsers(dest="records_command", required=True)
    listing = which.add_parser("list", help="newest first")
    listing.add_argument("--team", default=LOCAL_TEAM, help="Slack team id (default: console)")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(run=_records_list)
    show = which.add_parser("show", help="one record in full")
    show.add_argument("record_id", type=int, metavar="ID")
    show.set_defaults(run=_records_show)

    due = commands.add_parser("due", help="re-checks due soon and overdue (for scripts)")
    due.add_argument("--days", type=int, default=14, help="days ahead to include (0-365)")
    due.add_argument("--json", action="store_true", help="print JSON for scripts")
    due.add_argument("--team", default=LOCAL_TEAM, help="Slack team id (default: console)")
    due.add_argument("--rep", default=None, help="a Slack user id: theirs and their reps'")
    due.set_defaults(run=_due)

    report = commands.add_parser("report", help="every record of a period, as CSV or JSON")
    report.add_argument("--since", default=None, metavar="DATE", help="first day, YYYY-MM-DD")
    report.add_argument("--until", default=None, metavar="DATE", help="last day, YYYY-MM-DD")
    report.add_argument("--format", default="csv", help="csv (default) or json")
    report.add_argument("--team", default=LOCAL_TEAM, help="Slack team id (default: console)")
    report.set_defaults(run=_report)

    serve = commands.add_parser(
        "serve", help="run the Slack app (Socket Mode with SLACK_APP_TOKEN, else HTTP on PORT)"
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser(
        "worker",
        help="only run queued work (more workers for `serve`, on this host or others sharing "
        "the database)",
    )
    worker.set_defaults(run=_worker)

    tick = commands.add_parser(
        "tick",
        aliases=["remind"],
        help="send the timed messages that are due, such as reminders to managers about "
        "decisions pending too long (run it from cron; safe on several hosts at once)",
    )
    tick.add_argument("--now", type=_instant, default=None, help=argparse.SUPPRESS)
    tick.set_defaults(run=_tick)
    from bot.slack.workspaces import add_commands  # `walkaway workspace delete <team id>`

    add_commands(commands, lambda: _store(load_settings()), input)
    return parser


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _checklist(settings: Settings) -> Checklist:
    return load_checklist(settings.walkaway_checklist)


def _store(settings: Settings) -> Store:
    """The Store, migrated; a DATABASE_URL it cannot use is one line naming it (exit 2).

    Every command that opens the database comes through here, so none of them shows the
    operator a traceback for a typo, a server that is down or a file that cannot be made; the
    URL is shown with its password masked.
    """
    from storage.db import explain
    from storage.errors import DatabaseUrlError
    from storage.repository import Store

    try:
        return Store.open(settings.database_url)
    except DatabaseUrlError as problem:
        raise SettingsError(f"DATABASE_URL {explain(settings.database_url, problem)}") from None


def _console(args: argparse.Namespace) -> int:
    from bot.domain.drafts import Signature
    from bot.domain.model import Actor
    from bot.qualification.console import run_console
    from bot.qualification.recheck_console import run_recheck
    from bot.qualification.service import Qualifications

    settings = load_settings()
    checklist = _checklist(settings)
    deal = " ".join(args.deal).strip()
    try:
        while not deal:
            deal = input("Which deal? ").strip()
    except (KeyboardInterrupt, EOFError):
        print()
        return 130
    store = _store(settings)
    service = Qualifications(store=store, checklist=checklist)
    # The login only tells this person's checks apart; drafts are signed with --rep or the
    # name the console asks for (display_name None keeps the one remembered).
    actor = Actor(team_id=LOCAL_TEAM, user_id=args.user or getpass.getuser(), display_name=None)
    rep = Signature.parse(args.rep) if args.rep else None
    run = run_recheck if args.recheck else run_console  # a re-check starts from last time
    return run(service, actor=actor, deal_name=deal, read=input, out=sys.stdout, rep=rep)


def _evaluate(args: argparse.Namespace) -> int:
    from bot.domain.model import Verdict
    from bot.qualification.console import format_verdict

    checklist = _checklist(load_settings())
    given = read_answers_file(args.answers, checklist)
    result = evaluate(
        given.deal,
        given.answers,
        checklist=checklist,
        today=args.today or date.today(),
        recipient=given.recipient,
        signature=given.signature,
    )
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(format_verdict(Verdict.from_dict(result), deal_name=given.deal), end="")
    if result["ignored"]:
        print(f"\nIgnored (their question does not apply): {', '.join(result['ignored'])}")
    if result["draft"]:
        print(f"\nDraft email to the buyer\nSubject: {result['subject']}\n\n{result['draft']}")
        print(f"\nShort note (chat or LinkedIn):\n\n{result['draft_short']}")
    return 0


def _tone(args: argparse.Namespace) -> int:
    from bot.qualification.tone_file import as_json, as_text, check_text, read_text_file

    issues = check_text(read_text_file(args.file), expect_conditions=args.expect_conditions)
    if args.json:
        print(json.dumps(as_json(issues), indent=2, ensure_ascii=False))
    else:
        print(as_text(issues, source=args.file), end="")
    return 0


def _records_list(args: argparse.Namespace) -> int:
    from bot.qualification.records_text import records_list_text

    store = _store(load_settings())
    print(records_list_text(store, team_id=args.team, limit=args.limit), end="")
    return 0


def _records_show(args: argparse.Namespace) -> int:
    from bot.qualification.records_text import record_text

    store = _store(load_settings())
    text = record_text(store, record_id=args.record_id)
    if text is None:
        print(f"walkaway: no record #{args.record_id}", file=sys.stderr)
        return 1
    print(text, end="")
    return 0


def _due(args: argparse.Namespace) -> int:
    from bot.pathback.due import cli_due

    store = _store(load_settings())
    out, code = cli_due(
        store,
        team_id=args.team,
        rep=args.rep,
        days=args.days,
        json_out=args.json,
        now=datetime.now(UTC),
    )
    print(out, end="", file=sys.stderr if code else sys.stdout)
    return code


def _report(args: argparse.Namespace) -> int:
    from bot.insight.cli import cli_report

    return cli_report(
        lambda: _store(load_settings()),
        team_id=args.team,
        since=args.since,
        until=args.until,
        fmt=args.format,
        today=datetime.now(UTC).date(),
        out=sys.stdout,
        err=sys.stderr,
    )


def _tick(args: argparse.Namespace) -> int:
    from bot.app import scheduler, web_client
    from bot.slack.install import app_client

    settings = load_settings()
    if not settings.can_call_slack:
        raise SettingsError(
            "Set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs) "
            "in the environment or .env to send timed messages."
        )
    store = _store(settings)
    try:
        ticker = scheduler(
            app_client(settings, store, web_client(settings)), store, settings=settings
        )
        sent = ticker.tick(args.now or datetime.now(UTC))
    finally:
        store.close()
    for what, count in sent.items():
        print(f"walkaway: sent {count} {what}")
    return 0


def listener_pool() -> ThreadPoolExecutor:
    """The pool `serve` runs listeners on (see LISTENER_THREADS)."""
    return ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="walkaway-listener")


def _serve(args: argparse.Namespace) -> int:
    from bot.slack.ops_setup import configure_logging, share_metrics

    settings = load_settings()
    settings.require_slack()
    if not settings.socket_mode:
        share_metrics()  # before bot.app imports prometheus_client: workers count with /metrics
    from bot.app import scheduler, supervise_workers, wire
    from bot.slack.ops import operable
    from storage.db import is_in_memory

    checklist = _checklist(settings)
    configure_logging(settings.walkaway_log_format)
    store = _store(settings)
    wired = wire(settings, store=store, checklist=checklist, listener_executor=listener_pool())
    threads, processes = settings.walkaway_worker_threads, settings.walkaway_worker_processes
    if processes and is_in_memory(settings.database_url):
        # Another process would get a database of its own, and never see these jobs.
        print("walkaway: in-memory database, so the workers run inside serve", file=sys.stderr)
        processes = 0
    if processes:
        supervise_workers(settings, store, processes=processes, threads=threads)
    else:
        wired.start_worker(threads=threads)
    scheduler(wired.app.client, store, settings=settings).start()
    app = wired.app
    if settings.slack_app_token is not None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        print("walkaway: Socket Mode, connecting to Slack…", file=sys.stderr)
        handler = SocketModeHandler(app, settings.slack_app_token.get_secret_value())
        handler.start()  # type: ignore[no-untyped-call]
        return 0
    import waitress

    from bot.slack.http import VerifiedRequestHandler

    if settings.slack_signing_secret is None:  # require_slack() insists on it in HTTP mode
        raise SettingsError("Set SLACK_SIGNING_SECRET (in the environment or .env) to serve HTTP.")
    # Our handler, not Bolt's: nothing reaches the app before its signature is verified.
    edge = VerifiedRequestHandler(
        app, signing_secret=settings.slack_signing_secret.get_secret_value(), path=EVENTS_PATH
    )
    print(
        f"walkaway: HTTP mode on http://{settings.host}:{settings.port}{EVENTS_PATH}",
        file=sys.stderr,
    )
    if settings.oauth:  # many workspaces: bot/slack/install.py
        where = f"http://{settings.host}:{settings.port}{OAUTH_INSTALL_PATH}"
        print(f"walkaway: workspaces install the app at {where}", file=sys.stderr)
    waitress.serve(
        operable(edge, store, settings),  # /healthz, /readyz and /metrics beside EVENTS_PATH
        host=settings.host,
        port=settings.port,
        threads=WAITRESS_THREADS,
    )
    return 0


def _worker(args: argparse.Namespace) -> int:
    from bot.app import run_worker_process

    settings = load_settings()
    if not settings.can_call_slack:  # no HTTP served here, so no signing secret needed
        raise SettingsError(
            "Set SLACK_BOT_TOKEN (or SLACK_CLIENT_ID and SLACK_CLIENT_SECRET for OAuth installs) "
            "in the environment or .env to run workers; "
            "without Slack, `walkaway console` works."
        )
    _checklist(settings)  # a broken checklist is one line here, not a traceback per job
    store = _store(settings)  # and so is a DATABASE_URL it cannot use
    print(
        f"walkaway: running queued work with {settings.walkaway_worker_threads} thread(s)",
        file=sys.stderr,
    )
    run_worker_process(settings, settings.walkaway_worker_threads, store=store)
    return 0
