"""Row building for the export: records in, rows out, the same for CSV and JSON."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

from bot.domain.model import Outcome
from bot.domain.pathback import ConditionState
from bot.insight.report import COLUMNS, rows, write_csv, write_json
from storage.conditions import ConditionInfo
from storage.records import RecordStatus
from storage.report import ReportRecord

WALK = ReportRecord(
    id=7,
    deal_name='Acme, "the big one"',
    rep_slack_id="U0REP0001",
    rep_name="Ria",
    created_at=datetime(2026, 2, 1, 9, 30, tzinfo=UTC),
    outcome=Outcome.WALK,
    status=RecordStatus.RE_ENGAGED,
    recheck_on=date(2026, 5, 1),
    signals=("no_mutual_benefit", "unclear_ownership"),
    decision="override",
    decided_by="U0MGR0001",
    decided_at=datetime(2026, 2, 2, 10, tzinfo=UTC),
    override_outcome="defer",
    reengaged_at=datetime(2026, 3, 1, tzinfo=UTC),
    rechecks_record=3,
    rechecked_by=(9, 11),
)
PLAIN = ReportRecord(
    id=8,
    deal_name="Globex",
    rep_slack_id="U0REP0002",
    rep_name=None,
    created_at=datetime(2026, 2, 3, tzinfo=UTC),
    outcome=Outcome.DEFER,
    status=RecordStatus.OPEN,
    recheck_on=None,
)


def _condition(position: int, text: str, state: ConditionState) -> ConditionInfo:
    return ConditionInfo(
        record_id=7,
        position=position,
        signal="s",
        text=text,
        state=state,
        changed_by=None,
        changed_at=None,
        note=None,
    )


CONDITIONS = {
    7: (
        _condition(0, "Budget signed", ConditionState.MET),
        _condition(1, "A named owner", ConditionState.OPEN),
    )
}


def test_a_record_becomes_one_row_with_labels_conditions_and_iso_dates() -> None:
    walk, plain = rows({7: WALK, 8: PLAIN}, CONDITIONS)
    assert walk["signals"] == ["no_mutual_benefit", "unclear_ownership"]
    assert walk["signal_labels"] == [
        "No terms that serve both sides",
        "Earlier attempt: nobody owned it",
    ]
    assert walk["conditions"] == ["Budget signed", "A named owner"]
    assert walk["condition_states"] == ["met", "open"]
    assert (walk["manager_position"], walk["position_by"], walk["override_to"]) == (
        "override",
        "U0MGR0001",
        "defer",
    )
    assert walk["created_at"] == "2026-02-01T09:30:00+00:00"
    assert (
        walk["recheck_on"] == "2026-05-01" and walk["came_back_at"] == "2026-03-01T00:00:00+00:00"
    )
    assert walk["rechecks_record"] == 3 and walk["rechecked_by"] == [9, 11]
    assert plain["conditions"] == [] and plain["manager_position"] is None
    assert plain["rep_name"] is None and plain["status"] == "open"
    assert list(walk) == list(COLUMNS)


def test_csv_joins_lists_and_quotes_what_needs_it() -> None:
    out = io.StringIO()
    assert write_csv([rows({7: WALK, 8: PLAIN}, CONDITIONS)], out) == 2
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert read[0]["deal"] == 'Acme, "the big one"'
    assert read[0]["conditions"] == "Budget signed; A named owner"
    assert read[0]["rechecked_by"] == "9; 11"
    assert read[1]["recheck_on"] == "" and read[1]["signals"] == ""


def test_empty_is_a_header_alone_or_an_empty_list() -> None:
    out = io.StringIO()
    assert write_csv([], out) == 0
    assert out.getvalue() == ",".join(COLUMNS) + "\n"
    out = io.StringIO()
    write_json([], out)
    assert json.loads(out.getvalue()) == []
    out = io.StringIO()
    write_json([rows({8: PLAIN}, {}), rows({7: WALK}, CONDITIONS)], out)
    assert [r["record"] for r in json.loads(out.getvalue())] == [8, 7]
