"""`walkaway due`: the re-checks due soon and overdue, as text or JSON, for one rep (and their
reps) or the whole team; a window out of range is refused with the range."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from bot.cli import main
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


def _due(store: Store, team: Team, deal: str, day: date) -> int:
    session = open_deal(store, team, deal)
    verdict = dataclasses.replace(defer_verdict(), recheck_on=day)
    return store.complete_session(session_id=session.id, verdict=verdict, draft_text="x")


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(argv)
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def test_due_lists_overdue_and_soon_but_not_later(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    today = date.today()
    late = _due(database, team, "Acme overdue", today - timedelta(days=3))
    soon = _due(database, team, "Globex soon", today + timedelta(days=5))
    _due(database, team, "Initech later", today + timedelta(days=40))
    team_id = database.team_id_of(workspace_id=team.workspace_id)
    assert team_id is not None

    code, out, _ = _run(["due", "--team", team_id], capsys)
    assert code == 0
    assert "Acme overdue" in out and "overdue 3 day(s)" in out and "Globex soon" in out
    assert "Initech later" not in out

    code, out, _ = _run(["due", "--team", team_id, "--rep", team.rep_slack_id, "--json"], capsys)
    listed = json.loads(out)
    assert [r["record"] for r in listed["due"]] == [late, soon]
    assert listed["due"][0]["overdue_days"] == 3 and listed["more"] == 0

    code, out, _ = _run(["due", "--team", team_id, "--days", "60", "--json"], capsys)
    assert json.loads(out)["total"] == 3


def test_a_window_outside_the_range_is_refused_with_the_range(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run(["due", "--days", "400"], capsys)
    assert code == 2 and out == ""
    assert "--days must be between 0 and 365" in err
    code, _, err = _run(["due", "--days", "-1"], capsys)
    assert code == 2 and "between 0 and 365" in err
