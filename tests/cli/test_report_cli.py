"""`walkaway report`: a period's records as CSV or JSON on stdout; bad input is one line and
exit 2; an empty period is the header alone."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.insight.report import COLUMNS
from storage import Store
from tests.storage.builders import Team, defer_verdict, make_team, open_deal


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", url)
    store = Store.open(url)
    yield store
    store.close()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def _records(store: Store) -> tuple[Team, str, list[int]]:
    team = make_team(store)
    made = []
    for deal in ("Acme", "Globex"):
        session = open_deal(store, team, deal)
        made.append(
            store.complete_session(session_id=session.id, verdict=defer_verdict(), draft_text="x")
        )
    team_id = store.team_id_of(workspace_id=team.workspace_id)
    assert team_id is not None
    return team, team_id, made


def test_csv_has_a_header_and_one_row_per_record(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team, team_id, made = _records(database)
    today = datetime.now(UTC).date().isoformat()
    code, out, err = _run(["report", "--team", team_id, "--since", today], capsys)
    assert code == 0 and err == ""
    read = list(csv.DictReader(io.StringIO(out)))
    assert out.splitlines()[0] == ",".join(COLUMNS)
    assert [int(r["record"]) for r in read] == made
    assert read[0]["deal"] == "Acme" and read[0]["rep"] == team.rep_slack_id
    assert read[0]["rep_name"] == "Ria" and read[0]["outcome"] == "defer"
    assert read[0]["signals"] == "scar.fresh; unclear_ownership"
    assert read[0]["conditions"] == "Re-check in October, after their audit."
    assert read[0]["condition_states"] == "open" and read[0]["status"] == "open"


def test_json_is_a_list_of_objects(database: Store, capsys: pytest.CaptureFixture[str]) -> None:
    _, team_id, made = _records(database)
    code, out, _ = _run(["report", "--team", team_id, "--format", "json"], capsys)
    listed = json.loads(out)
    assert code == 0 and [r["record"] for r in listed] == made
    assert listed[1]["signal_labels"][1] == "Earlier attempt: nobody owned it"
    assert listed[1]["conditions"] == ["Re-check in October, after their audit."]


def test_an_empty_period_prints_the_header_only(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    _, team_id, _ = _records(database)
    argv = ["report", "--team", team_id, "--since", "2020-01-01", "--until", "2020-12-31"]
    code, out, err = _run(argv, capsys)
    assert code == 0 and out == ",".join(COLUMNS) + "\n"
    assert "no records from 2020-01-01 to 2020-12-31" in err
    code, out, err = _run(["report", "--team", "TNOBODY"], capsys)
    assert code == 0 and out == ",".join(COLUMNS) + "\n" and "no workspace TNOBODY" in err


TOMORROW = (date.today() + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--since", "01/02/2026"], "--since '01/02/2026' is not a date: use YYYY-MM-DD"),
        (["--until", "last week"], "--until 'last week' is not a date"),
        (["--since", "2026-02-30"], "is not a date"),
        (["--since", "2026-03-01", "--until", "2026-02-01"], "--since 2026-03-01 is after"),
        (["--until", TOMORROW], "no records can be from the future"),
        (["--format", "xlsx"], "unknown --format 'xlsx': use csv or json"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], says: str, database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["report", *argv], capsys)
    assert code == 2 and out == ""
    assert says in err and len(err.strip().splitlines()) == 1
