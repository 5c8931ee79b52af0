"""`walkaway records show` names the conversation a check was started from (*Check this deal*)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from storage import Store
from tests.storage.builders import make_team
from tests.storage.search_builders import SCAR_WALK, make_record

LINK = "https://acme.slack.com/archives/C0DEALS/p1700000000000100"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", url)
    store = Store.open(url)
    yield store
    store.close()


def _show(record_id: int, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(["records", "show", str(record_id)])
    assert done.value.code == 0
    return capsys.readouterr().out


def test_records_show_gives_the_conversations_link_or_says_there_is_none(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    linked, unlinked, plain = (
        make_record(
            database, workspace_id=team.workspace_id, rep_id=team.rep_id, deal=d, answers=SCAR_WALK
        )
        for d in ("Acme", "Globex", "Initech")
    )
    for record_id, link in ((linked, LINK), (unlinked, None)):
        record = database.get_record(record_id=record_id)
        assert record is not None
        database.contexts.keep(
            session_id=record.session_id, channel_id="C0DEALS", message_ts="1700000000.000100"
        )
        if link:
            database.contexts.set_link(session_id=record.session_id, permalink=link)

    assert f"From this conversation: {LINK}" in _show(linked, capsys)
    assert "a message in C0DEALS at 1700000000.000100 (Slack gave no link)" in _show(
        unlinked, capsys
    )
    assert "From this conversation" not in _show(plain, capsys)
