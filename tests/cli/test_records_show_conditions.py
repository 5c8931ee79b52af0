"""`walkaway records show` prints each condition with its state, who changed it and when."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from storage import Store
from tests.storage.builders import make_team
from tests.storage.search_builders import SCAR_WALK, make_record


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", url)
    store = Store.open(url)
    yield store
    store.close()


def test_records_show_lists_the_conditions_with_state_who_and_when(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    record_id = make_record(
        database, workspace_id=team.workspace_id, rep_id=team.rep_id, deal="Acme", answers=SCAR_WALK
    )
    items = database.conditions.for_record(record_id=record_id)
    assert items, "a walk has conditions"
    database.conditions.set_state(
        record_id=record_id,
        position=0,
        state="met",
        by_user_id=team.manager_id,
        note="Owner named in the kickoff",
        now=datetime(2026, 12, 2, 10, 5, tzinfo=UTC),
    )
    with pytest.raises(SystemExit) as done:
        main(["records", "show", str(record_id)])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "Conditions:" in out
    assert (
        f"[Met] {items[0].text} ({team.manager_slack_id}, 2026-12-02 10:05 UTC)"
        " - Owner named in the kickoff"
    ) in out
    assert all(f"[Open] {item.text}" in out for item in items[1:])
    assert "Re-check: " in out
