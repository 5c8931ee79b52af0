"""Finding people by the name someone typed (`rep:dana`), on SQLite and PostgreSQL alike."""

from __future__ import annotations

from storage import Store
from tests.storage.builders import Team
from tests.storage.search_builders import make_record


def _person(store: Store, team: Team, slack_id: str, name: str | None) -> int:
    return store.ensure_user(
        workspace_id=team.workspace_id, slack_user_id=slack_id, display_name=name
    )


def test_a_whole_name_wins_over_names_that_start_with_it(store: Store, team: Team) -> None:
    _person(store, team, "U0DANA", "Dana")
    _person(store, team, "U0DANAR", "Dana Reyes")
    assert store.find_people(workspace_id=team.workspace_id, name="DANA") == [("U0DANA", "Dana")]


def test_any_word_of_a_name_may_be_typed_and_wildcards_are_literal(
    store: Store, team: Team
) -> None:
    _person(store, team, "U0REYES", "Dana Reyes")
    _person(store, team, "U0DOT", "ria.reyes")
    _person(store, team, "U0ADANA", "Adana")
    _person(store, team, "U0PCT", "100% Sales")
    found = store.find_people(workspace_id=team.workspace_id, name="reyes")
    assert sorted(found) == [("U0DOT", "ria.reyes"), ("U0REYES", "Dana Reyes")]
    assert store.find_people(workspace_id=team.workspace_id, name="dana") == [
        ("U0REYES", "Dana Reyes")
    ]
    assert store.find_people(workspace_id=team.workspace_id, name="%") == []
    assert store.find_people(workspace_id=team.workspace_id, name="_ana") == []
    assert store.find_people(workspace_id=team.workspace_id, name="100%") == [
        ("U0PCT", "100% Sales")
    ]


def test_the_reps_with_records_newest_first_and_no_one_else(store: Store, team: Team) -> None:
    older = _person(store, team, "U0OLD", "Old Hand")
    newer = _person(store, team, "U0NEW", None)
    _person(store, team, "U0IDLE", "Never Checked")
    make_record(store, workspace_id=team.workspace_id, rep_id=older, deal="Acme")
    make_record(store, workspace_id=team.workspace_id, rep_id=newer, deal="Globex")
    make_record(store, workspace_id=team.workspace_id, rep_id=older, deal="Initech")
    assert store.reps_with_records(workspace_id=team.workspace_id) == [
        ("U0OLD", "Old Hand"),
        ("U0NEW", None),
    ]
