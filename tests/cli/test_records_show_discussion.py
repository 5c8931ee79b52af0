"""`walkaway records show`: a Discuss reads as a discussion, not as nobody having looked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.model import Outcome
from storage import Store
from storage.approval_info import Decision
from tests.storage.builders import Team, make_team
from tests.storage.search_builders import SCAR_WALK, make_record

STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
LINK = "https://acme.slack.com/archives/G0TALK/p1795428000000100"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    url = f"sqlite:///{tmp_path / 'walkaway.db'}"
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", url)
    store = Store.open(url)
    yield store
    store.close()


def _walk(store: Store, team: Team, *, desk: str | None = None) -> int:
    record_id = make_record(
        store, workspace_id=team.workspace_id, rep_id=team.rep_id, deal="Acme", answers=SCAR_WALK
    )
    store.approvals.open(
        record_id=record_id,
        approver_user_id=None if desk else team.manager_id,
        approver_channel_id=desk,
        hold_until_agreed=False,
        card_ts=None,
    )
    return record_id


def _discuss(store: Store, team: Team, record_id: int, *, link: str | None = LINK) -> None:
    started = store.approvals.start_discussion(
        record_id=record_id,
        by_user_id=team.manager_id,
        at=STARTED,
        remind_after=STARTED + timedelta(days=2),
    )
    assert started.won
    if link is not None:
        store.approvals.set_discussion_place(record_id=record_id, channel_id="G0TALK", link=link)


def _manager_line(record_id: int, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as done:
        main(["records", "show", str(record_id)])
    assert done.value.code == 0
    lines = [x for x in capsys.readouterr().out.splitlines() if x.startswith("Manager: ")]
    assert len(lines) == 1
    return lines[0]


def test_a_pending_approval_is_waiting_for_the_manager(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    record_id = _walk(database, team)
    assert _manager_line(record_id, capsys) == f"Manager: waiting for {team.manager_slack_id}"


def test_a_discussion_says_since_when_who_started_it_and_whose_position_is_awaited(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    record_id = _walk(database, team)
    _discuss(database, team, record_id)
    assert _manager_line(record_id, capsys) == (
        f"Manager: under discussion since 2026-11-23 10:00 UTC, started by "
        f"{team.manager_slack_id} (waiting for a position from {team.manager_slack_id}); "
        f"discussion: {LINK}"
    )


def test_a_deal_desk_discussion_names_the_desk_and_needs_no_link(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    record_id = _walk(database, team, desk="C0DESK")
    _discuss(database, team, record_id, link=None)
    assert _manager_line(record_id, capsys) == (
        f"Manager: under discussion since 2026-11-23 10:00 UTC, started by "
        f"{team.manager_slack_id} (waiting for a position from deal desk C0DESK)"
    )


def test_a_position_taken_after_discussing_shows_as_before(
    database: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    team = make_team(database)
    record_id = _walk(database, team)
    _discuss(database, team, record_id)
    database.approvals.decide(
        record_id=record_id,
        decision=Decision.OVERRIDE,
        by_user_id=team.manager_id,
        at=STARTED + timedelta(hours=3),
        override_outcome=Outcome.PROCEED,
        reason="Their CFO signed.",
    )
    assert _manager_line(record_id, capsys) == (
        f"Manager: Override by {team.manager_slack_id} on 2026-11-23 13:00 UTC "
        "(wants Proceed): Their CFO signed."
    )
