"""`walkaway report`: the export on standard output, for sales ops and CRM imports.

Bad input (a date not written YYYY-MM-DD, a start after the end, a day still to come, a format
other than csv or json) is one line on standard error and exit 2, checked before the database
is opened. An empty period is the CSV header alone (or `[]`), with a note on standard error,
so a script piping the output into an import still gets a well-formed file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TextIO

from bot.insight.period import PeriodError, parse_period
from bot.insight.report import FORMATS, batches, write
from storage.repository import Store


def cli_report(
    open_store: Callable[[], Store],
    *,
    team_id: str,
    since: str | None,
    until: str | None,
    fmt: str,
    today: date,
    out: TextIO,
    err: TextIO,
) -> int:
    """Write the period's records of the workspace to `out`; returns the exit code."""
    fmt = fmt.strip().casefold()
    if fmt not in FORMATS:
        print(f"walkaway: unknown --format {fmt!r}: use csv or json.", file=err)
        return 2
    try:
        period = parse_period(since, until, today=today)
    except PeriodError as problem:
        print(f"walkaway: {problem}", file=err)
        return 2
    store = open_store()
    try:
        workspace_id = store.workspace_of_team(team_id=team_id)
        parts = (
            batches(store, workspace_id=workspace_id, start=period.start, end=period.end)
            if workspace_id is not None
            else iter(())
        )
        count = write(fmt, parts, out)
    finally:
        store.close()
    if workspace_id is None:
        print(f"walkaway: no workspace {team_id} in this database, so no records.", file=err)
    elif count == 0:
        print(f"walkaway: no records {period.words()}.", file=err)
    return 0
