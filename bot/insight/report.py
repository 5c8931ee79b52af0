"""The export's rows: one per record, the same for `walkaway report` and `/walkaway report`.

No Slack here. Rows are built from the storage batches (storage/report.py) and each batch's
conditions, then written as CSV through `csv` (lists joined with "; ", for a spreadsheet or a
CRM import) or as a JSON list (lists kept as lists). Both stream batch by batch, so a large
workspace is never held in memory at once.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO

from bot.domain.labels import signal_label
from storage.conditions import ConditionInfo
from storage.report import ReportRecord
from storage.repository import Store

FORMATS = ("csv", "json")
JOIN = "; "

COLUMNS = (
    "record",
    "deal",
    "rep",
    "rep_name",
    "created_at",
    "outcome",
    "signals",
    "signal_labels",
    "conditions",
    "condition_states",
    "manager_position",
    "position_by",
    "position_at",
    "override_to",
    "status",
    "recheck_on",
    "came_back_at",
    "rechecks_record",
    "rechecked_by",
)
"""The CSV header, in order; JSON objects carry the same keys."""


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def row(record: ReportRecord, conditions: Sequence[ConditionInfo] = ()) -> dict[str, Any]:
    """One record as a JSON-shaped dict: lists stay lists, dates are ISO strings."""
    return {
        "record": record.id,
        "deal": record.deal_name,
        "rep": record.rep_slack_id,
        "rep_name": record.rep_name,
        "created_at": _iso(record.created_at),
        "outcome": record.outcome.value,
        "signals": list(record.signals),
        "signal_labels": [signal_label(s) for s in record.signals],
        "conditions": [c.text for c in conditions],
        "condition_states": [c.state.value for c in conditions],
        "manager_position": record.decision,
        "position_by": record.decided_by,
        "position_at": _iso(record.decided_at),
        "override_to": record.override_outcome,
        "status": record.status.value,
        "recheck_on": _iso(record.recheck_on),
        "came_back_at": _iso(record.reengaged_at),
        "rechecks_record": record.rechecks_record,
        "rechecked_by": list(record.rechecked_by),
    }


def rows(
    records: Mapping[int, ReportRecord],
    conditions: Mapping[int, Sequence[ConditionInfo]],
) -> list[dict[str, Any]]:
    """Rows for records by id, in the order given; a record without conditions has none."""
    return [row(record, conditions.get(record_id, ())) for record_id, record in records.items()]


def flat(values: Mapping[str, Any]) -> dict[str, str]:
    """A row for CSV: lists joined with "; ", None as an empty cell."""
    cells: dict[str, str] = {}
    for column in COLUMNS:
        value = values.get(column)
        if isinstance(value, list):
            cells[column] = JOIN.join(str(v) for v in value)
        else:
            cells[column] = "" if value is None else str(value)
    return cells


def batches(
    store: Store,
    *,
    workspace_id: int,
    start: datetime | None,
    end: datetime | None,
    rep_user_ids: Sequence[int] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Rows of the workspace's records in [start, end), a storage batch at a time."""
    for found in store.report_records(
        workspace_id=workspace_id, since=start, until=end, rep_user_ids=rep_user_ids
    ):
        by_id = {record.id: record for record in found}
        yield rows(by_id, store.conditions.for_records(record_ids=list(by_id)))


def write_csv(parts: Iterable[list[dict[str, Any]]], out: TextIO) -> int:
    """The header, then one line per row; returns how many rows were written."""
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for part in parts:
        writer.writerows(flat(values) for values in part)
        count += len(part)
    return count


def write_json(parts: Iterable[list[dict[str, Any]]], out: TextIO) -> int:
    """A JSON list of objects, written as it is read; returns how many objects."""
    count = 0
    out.write("[")
    for part in parts:
        for values in part:
            out.write(",\n  " if count else "\n  ")
            out.write(json.dumps(values, ensure_ascii=False))
            count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write(fmt: str, parts: Iterable[list[dict[str, Any]]], out: TextIO) -> int:
    return write_csv(parts, out) if fmt == "csv" else write_json(parts, out)
