"""Similar past walks on the verdict card, end to end: a rep's walk-away check in the DM thread,
the card listing the workspace's earlier records that share its signals (most shared first,
then the newest) with what happened to each since, and *Details* opening one in a click; no
such list on a card whose signals nobody shares, nor on a proceed (SQLite and PostgreSQL).

Earlier records are made one level down (tests.storage.search_builders), as a finished check
leaves them; the check on the card is run through signed requests to the real app and the
recording fake Web API, and every call must fit Slack's limits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.domain.model import AnswerValue
from tests.slack.fake_slack import FakeSlack
from tests.slack.limits import assert_call_within_limits
from tests.slack.world import REP, TEAM, World, sqlite_url, text_of
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)
from tests.storage.search_builders import GUARANTEE_WALK, SCAR_WALK, make_record

DEAL = "Acme renewal"
VALUES: Mapping[str, AnswerValue] = {"terms.values_compromised": "yes"}
SCAR_AND_VALUES_WALK = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
    "scar.months_since": "12",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "yes",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}
"""A walk firing two signals: an earlier failure still in the way, and terms against our values."""
KILL_PILOT = {
    "deal.stage": "pilot",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "no",
    "buyer.evidence_receptive": "yes",
    "pilot.in_flight": "yes",
    "pilot.kill_criteria_written": "yes",
    "pilot.kill_criteria_met": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}
"""Stop the pilot: only kill_criteria_met fires."""
PROCEED = {**SCAR_AND_VALUES_WALK, "scar.previous_attempt": "no", "terms.values_compromised": "no"}
for _asked_only_after_a_scar in ("scar.failure_mode", "scar.still_present", "scar.addressable"):
    del PROCEED[_asked_only_after_a_scar]
del PROCEED["scar.months_since"]
TYPED = {"scar.months_since"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return str(request.getfixturevalue("postgres_databases").create())


@pytest.fixture
def on_any_db(fake: FakeSlack, database_url: str) -> Iterator[World]:
    with World.serving(fake, database_url) as world:
        yield world
        world.settle()
        for call in fake.calls():
            assert_call_within_limits(call)


def earlier(world: World, deal: str, *parts: Mapping[str, AnswerValue]) -> int:
    """A record made before the check on the card, by the same rep in the same workspace."""
    store = world.store()
    workspace = store.ensure_workspace(team_id=TEAM)
    answers: dict[str, AnswerValue] = {}
    for part in parts:
        answers.update(part)
    return make_record(
        store,
        workspace_id=workspace,
        rep_id=store.ensure_user(workspace_id=workspace, slack_user_id=REP),
        deal=deal,
        answers=answers,
    )


def check(world: World, answers: Mapping[str, str], deal: str = DEAL) -> dict[str, Any]:
    """A whole check in the DM thread; returns the verdict card once every section is on it."""
    world.start(deal)
    for question_id, value in answers.items():
        if question_id in TYPED:
            assert world.answer_in_modal(question_id, value).status == 200
            world.settle()
        else:
            world.answer(question_id, value)
    world.verdict()
    world.settle()
    return world.verdict()


def similar_lines(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in card["blocks"] if str(b.get("block_id", "")).startswith("similar:")]


def test_a_walk_card_shows_the_past_walks_sharing_its_signals_and_opens_one(
    on_any_db: World,
) -> None:
    world = on_any_db
    scar_only = earlier(world, "Hooli rollout", SCAR_WALK)
    both = earlier(world, "Globex platform", SCAR_WALK, VALUES)
    earlier(world, "Initech pilot", GUARANTEE_WALK)  # shares no signal
    values_only = earlier(world, "Umbrella <migration> & co", VALUES)
    store = world.store()
    rep = store.ensure_user(workspace_id=store.ensure_workspace(team_id=TEAM), slack_user_id=REP)
    store.pathback.came_back(record_id=both, note="They called back.", by_user_id=rep)
    store.set_status(record_id=scar_only, status="won", note="Signed in spring.", by_user_id=rep)

    card = check(world, SCAR_AND_VALUES_WALK)

    said = text_of(card)
    assert "Similar past walks" in said
    lines = similar_lines(card)
    assert [b["block_id"] for b in lines] == [
        f"similar:{both}",
        f"similar:{values_only}",
        f"similar:{scar_only}",
    ]
    first, second, third = (b["text"]["text"] for b in lines)
    assert first.startswith("*Globex platform* · Walk away · <!date^")
    assert "Came back <!date^" in first and "both signals shared" in first
    assert second.startswith("*Umbrella &lt;migration&gt; &amp; co* · Walk away")
    assert "Still open · 1 of 2 signals shared" in second
    assert "Won <!date^" in third and "1 of 2 signals shared" in third
    assert "Initech" not in said

    details = lines[0]["accessory"]
    assert (details["text"]["text"], details["action_id"]) == ("Details", "search_details")
    view = world.open_view({"ts": card["ts"], "blocks": [lines[0]]}, "search_details")
    assert view["title"]["text"] == "Walk-away record"
    assert "Globex platform" in text_of(view)
    assert "They called back." in text_of(view)  # the history: what happened since


def test_no_list_when_no_earlier_record_shares_a_signal(on_any_db: World) -> None:
    world = on_any_db
    earlier(world, "Globex platform", SCAR_WALK, VALUES)
    earlier(world, "Initech pilot", GUARANTEE_WALK)

    card = check(world, KILL_PILOT)

    assert "Stop the pilot" in text_of(card)
    assert "Similar past walks" not in text_of(card)
    assert similar_lines(card) == []
    assert not [b for b in card["blocks"] if b.get("block_id") == "similar"]


def test_a_proceed_card_lists_no_past_walks(world: World) -> None:
    earlier(world, "Globex platform", SCAR_WALK, VALUES)

    card = check(world, PROCEED)

    assert card["blocks"][0]["text"]["text"].startswith("Proceed")
    assert "Similar past walks" not in text_of(card)
    assert similar_lines(card) == []


def test_the_first_walk_of_a_workspace_shows_no_list(world: World) -> None:
    card = check(world, SCAR_AND_VALUES_WALK)

    assert "Walk away" in text_of(card)
    assert "Similar past walks" not in text_of(card)
