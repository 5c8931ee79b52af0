"""`walkaway workspace delete <team id>`: an operator removes everything of one workspace.

Every row of the workspace goes, its installation (the tokens) included, in one transaction
(storage/tenancy.py). It asks first, showing what would go; `--yes` skips the question for
scripts. A workspace that still has the app installed can use it again afterwards only by
installing it again.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from typing import Any, TextIO

from storage.repository import Store

TEAM_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def add_commands(
    commands: Any, open_store: Callable[[], Store], read: Callable[[str], str]
) -> None:
    """`workspace delete` on the `walkaway` command's sub-parsers."""
    workspace = commands.add_parser("workspace", help="operate on one workspace's data")
    which = workspace.add_subparsers(dest="workspace_command", required=True)
    delete = which.add_parser(
        "delete",
        help="delete every record, person and setting of one workspace, and its installation",
    )
    delete.add_argument("team_id", metavar="TEAM_ID", help="the Slack team id, e.g. T0123ABCD")
    delete.add_argument("--yes", action="store_true", help="do not ask (for scripts)")

    def run(args: argparse.Namespace) -> int:
        import sys

        return delete_workspace(
            open_store,
            team_id=args.team_id,
            yes=args.yes,
            read=read,
            out=sys.stdout,
            err=sys.stderr,
        )

    delete.set_defaults(run=run)


def delete_workspace(
    open_store: Callable[[], Store],
    *,
    team_id: str,
    yes: bool,
    read: Callable[[str], str],
    out: TextIO,
    err: TextIO,
) -> int:
    """Show what would go, ask (unless `yes`), delete; exit code 0, 1 (nothing or not confirmed)
    or 2 (a team id that cannot be one)."""
    if not TEAM_ID.fullmatch(team_id):
        print(f"walkaway: {team_id!r} is not a Slack team id (like T0123ABCD)", file=err)
        return 2
    store = open_store()
    try:
        summary = store.tenancy.summary(team_id=team_id)
        if summary is None:
            print(f"walkaway: nothing is stored for workspace {team_id}", file=err)
            return 1
        named = f" ({summary.name})" if summary.name else ""
        installed = "installed" if summary.installed else "not installed"
        print(
            f"Workspace {team_id}{named}: {summary.records} record(s), {summary.people} "
            f"person(s), {installed}.",
            file=out,
        )
        if not yes:
            try:
                answer = read(f"Delete all of it for good? Type {team_id} to confirm: ")
            except (EOFError, KeyboardInterrupt):
                answer = ""
            if answer.strip() != team_id:
                print("walkaway: nothing deleted (pass --yes to skip the question)", file=err)
                return 1
        deleted = store.tenancy.delete_workspace(team_id=team_id)
    finally:
        store.close()
    rows = sum(deleted.values())
    print(
        f"walkaway: deleted workspace {team_id}: {rows} row(s) in {len(deleted)} table(s)", file=out
    )
    return 0
