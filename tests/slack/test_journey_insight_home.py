"""Team numbers on App Home (issue 13 part 3), as Slack drives it: app_home_opened over signed
HTTP, and the view the app publishes (the fake Web API records views.publish).

The rep reaches a walk verdict in the DM, their manager agrees from the ping; an older walk of
theirs came back three days ago, and a second rep's only check is 100 days old (outside the 90
days). The rep sees their own numbers; the manager sees their own (none) and their team's, with
the top signals and the comeback named. Then the empty cases: a newcomer in an empty workspace,
and a manager whose only rep has cleared them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from bot.domain.labels import signal_label
from bot.domain.model import Outcome, Verdict
from storage.columns import utcnow
from storage.models import QualificationSession, WalkawayRecord
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_journey_home import home_of
from tests.slack.test_journey_managers import (
    MGR,
    click_in,
    manager_dm,
    ping_in,
    reach_verdict,
    serving,
    set_manager,
)
from tests.slack.world import REP, World, sqlite_url, text_of
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)

SAM = "U0SAM"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path) -> Iterator[World]:
    """The rep's world on SQLite and on PostgreSQL."""
    url = (
        sqlite_url(tmp_path)
        if request.param == "sqlite"
        else str(request.getfixturevalue("postgres_databases").create())
    )
    with serving(fake, url) as world:
        yield world


def _seed_record(world: World, rep: str, deal: str, days_ago: int, name: str | None = None) -> int:
    """A walk finished `days_ago` days ago, as an earlier check would have left it."""
    store = world.store()
    workspace_id = store.ensure_workspace(team_id=world.team)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=rep, display_name=name)
    session = store.open_session(
        workspace_id=workspace_id,
        rep_user_id=rep_id,
        deal_name=deal,
        checklist_hash="sha256:seed",
        checklist_snapshot={"version": 1},
    )
    verdict = Verdict(
        outcome=Outcome.WALK,
        reasons=(),
        conditions=(),
        cautions=(),
        recheck_on=None,
        record_line="Walked: seeded.",
        tags=("terms.values_compromised", Outcome.WALK.value),
    )
    record = store.complete_session(session_id=session.id, verdict=verdict, draft_text="x")
    then = utcnow() - timedelta(days=days_ago)
    with store._engine.begin() as conn:
        conn.execute(
            update(QualificationSession)
            .where(QualificationSession.id == session.id)
            .values(started_at=then)
        )
        conn.execute(
            update(WalkawayRecord)
            .where(WalkawayRecord.id == record)
            .values(created_at=then, recheck_on=None)
        )
    return record


def test_a_rep_sees_their_numbers_and_their_manager_sees_the_team(both: World) -> None:
    world = both
    set_manager(world)
    reach_verdict(world)
    click_in(world, manager_dm(), ping_in(world.fake, manager_dm()), "approval_agree", user=MGR)
    world.settle()
    store = world.store()
    workspace_id = store.ensure_workspace(team_id=world.team)
    (latest,) = store.list_records(workspace_id=workspace_id, limit=1)
    detail = store.get_record(record_id=latest.id)
    assert detail is not None and detail.outcome is Outcome.WALK
    signals = [t for t in detail.verdict.tags if t not in {o.value for o in Outcome}]
    old = _seed_record(world, REP, "Old Globex", days_ago=200)
    rep_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=REP)
    store.pathback.came_back(
        record_id=old, note=None, by_user_id=rep_id, now=utcnow() - timedelta(days=3)
    )
    _seed_record(world, SAM, "Initech", days_ago=100, name="Sam")
    manager_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=MGR)
    sam_id = store.ensure_user(workspace_id=workspace_id, slack_user_id=SAM)
    store.approvals.set_manager(rep_user_id=sam_id, manager_user_id=manager_id)

    rep_home = text_of(home_of(world, REP))
    assert "*Your numbers, last 90 days*" in rep_home
    assert "Walk away  ██████████ 1" in rep_home
    assert "Proceed    ·········· 0" in rep_home
    assert "*Checks* 1 started, 1 finished" in rep_home
    assert "*Manager positions* 1 given, 0 overrides (0%)" in rep_home
    assert "*Came back* 1 · *Won after a walk* 0" in rep_home
    assert f"*Most frequent signals* {signal_label(signals[0])} (1)" in rep_home
    assert "team's numbers" not in rep_home  # a rep nobody reports to sees no team

    manager_home = text_of(home_of(world, MGR))
    assert "Your numbers, last" not in manager_home  # no checks of their own: the team alone
    assert "*Your team's numbers, last 90 days* · 2 reps" in manager_home
    assert "Walk away  ██████████ 1" in manager_home  # Sam's 100-day-old walk is not counted
    assert "*Checks* 1 started, 1 finished\n*Re-checks* 0 done, 0 due\n*Manager" in manager_home
    assert "Median under a day from a check's start to its position" in manager_home
    assert (
        "*Top signals*\n"
        + "\n".join(
            f"{n}. {signal_label(s)} · 1" for n, s in enumerate(sorted(signals)[:5], start=1)
        )
        in manager_home
    )
    assert "*Came back* (1)\n• *Old Globex* · <@U0REP> · <!date^" in manager_home
    assert "Initech" not in manager_home


def test_a_newcomer_in_an_empty_workspace_reads_a_sentence(world: World) -> None:
    home = text_of(home_of(world, "U0NEW"))
    assert (
        "*Your numbers, last 90 days*\nNo checks of yours in the last 90 days, so nothing "
        "to count yet." in home
    )
    assert "```" not in home and "team's numbers" not in home


def test_a_manager_left_with_no_reps_is_told_why_there_is_no_team(world: World) -> None:
    set_manager(world)
    reach_verdict(world)
    ping_in(world.fake, manager_dm())  # MGR was asked for a position
    assert world.command("manager none").status == 200
    world.settle()

    home = text_of(home_of(world, MGR))
    assert "Nobody names you as their manager right now" in home
    assert "`/walkaway manager @you`" in home
    assert "Your team's numbers, last" not in home
