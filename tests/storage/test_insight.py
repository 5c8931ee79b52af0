"""Team numbers (storage/insight.py) on seeded records whose every figure is known (SQLite and
PostgreSQL): a manager's two reps, one rep, the whole workspace, a manager with no reps.

The period is February 2026. What is seeded, and why it counts or not:

| record | rep | verdict, tags | started → created | what happens |
|---|---|---|---|---|
| acme | Ria | walk: sig.a sig.b | 1 Feb → 3 Feb | override→proceed 5 Feb (4 d); open, due 20 Feb |
| globex | Ria | defer: sig.a | 10 Feb → 10 Feb | agree 12 Feb (2 days); came back 15 Feb |
| initech | Sam | stop_pilot: sig.a sig.c | 18 Feb → 20 Feb | agree 28 Feb (10 d); won 25 Feb |
| hooli | Sam | proceed: sig.c | 21 Feb → 21 Feb | won 22 Feb (not after a walk) |
| (open) | Sam | - | 25 Feb | a check started, not finished |
| acme again | Ria | redirect: sig.b | 26 Feb → 26 Feb | re-checks acme; no position; due 15 Mar |
| before | Ria | walk: sig.a | 10 Jan → 10 Jan | came back 2 Feb; override 3 Feb (not counted) |
| old | Sam | walk: sig.a | Dec 2025 | open, re-check 15 Jan (overdue: due) |
| after | Ria | walk: sig.a | 1 Mar 00:00 → 1 Mar 00:00 | the period's end is excluded |
| umbrella | Omar (no manager) | walk: sig.z | 5 Feb → 5 Feb | won 20 Feb (workspace, not team) |

A second workspace holds a record of the same shape on the same days, which came back on 15 Feb:
it is never counted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.domain.model import Outcome, Verdict
from storage import Store
from storage.approval_info import Decision
from storage.models import QualificationSession, RecordStatusChange, WalkawayRecord
from storage.records import RecordStatus
from tests.storage.builders import Team, make_team, open_deal

SINCE = datetime(2026, 2, 1, tzinfo=UTC)
UNTIL = datetime(2026, 3, 1, tzinfo=UTC)


def _at(month: int, day: int, year: int = 2026, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _verdict(outcome: Outcome, *signals: str) -> Verdict:
    return Verdict(
        outcome=outcome,
        reasons=(),
        conditions=(),
        cautions=(),
        recheck_on=None,
        record_line=f"{outcome.label}.",
        tags=(*signals, outcome.value),
    )


@dataclass(frozen=True)
class World:
    team: Team
    sam: int
    omar: int
    records: dict[str, int]


class Seeder:
    def __init__(self, store: Store, team: Team) -> None:
        self.store, self.team = store, team

    def record(
        self,
        deal: str,
        rep: int,
        verdict: Verdict,
        started: datetime,
        created: datetime,
        recheck_on: date | None = None,
    ) -> int:
        session = open_deal(self.store, self.team, deal)
        record = self.store.complete_session(session_id=session.id, verdict=verdict, draft_text="x")
        with self.store._engine.begin() as conn:  # the clock the check ran under
            conn.execute(
                update(QualificationSession)
                .where(QualificationSession.id == session.id)
                .values(rep_user_id=rep, started_at=started)
            )
            conn.execute(
                update(WalkawayRecord)
                .where(WalkawayRecord.id == record)
                .values(rep_user_id=rep, created_at=created, recheck_on=recheck_on)
            )
        return record

    def position(
        self, record: int, decision: Decision, at: datetime, to: Outcome | None = None
    ) -> None:
        approvals = self.store.approvals
        approvals.open(
            record_id=record,
            approver_user_id=self.team.manager_id,
            approver_channel_id=None,
            hold_until_agreed=False,
            card_ts=None,
        )
        approvals.decide(
            record_id=record,
            decision=decision,
            by_user_id=self.team.manager_id,
            at=at,
            override_outcome=to,
            reason="They found budget." if to else None,
        )

    def status(self, record: int, status: RecordStatus, at: datetime) -> None:
        self.store.set_status(
            record_id=record, status=status, note=None, by_user_id=self.team.rep_id
        )
        with self.store._engine.begin() as conn:
            conn.execute(
                update(RecordStatusChange)
                .where(RecordStatusChange.record_id == record, RecordStatusChange.status == status)
                .values(changed_at=at)
            )


def _seed(store: Store, team: Team) -> World:
    w = team.workspace_id
    sam = store.ensure_user(workspace_id=w, slack_user_id="U0SAM0001", display_name="Sam")
    omar = store.ensure_user(workspace_id=w, slack_user_id="U0OMAR001", display_name="Omar")
    for rep in (team.rep_id, sam):
        store.approvals.set_manager(rep_user_id=rep, manager_user_id=team.manager_id)
    seed = Seeder(store, team)
    ria = team.rep_id
    r: dict[str, int] = {}
    r["acme"] = seed.record(
        "Acme",
        ria,
        _verdict(Outcome.WALK, "sig.a", "sig.b"),
        _at(2, 1),
        _at(2, 3),
        date(2026, 2, 20),
    )
    seed.position(r["acme"], Decision.OVERRIDE, _at(2, 5), Outcome.PROCEED)
    r["globex"] = seed.record(
        "Globex", ria, _verdict(Outcome.DEFER, "sig.a"), _at(2, 10), _at(2, 10)
    )
    seed.position(r["globex"], Decision.AGREE, _at(2, 12))
    store.pathback.came_back(record_id=r["globex"], note=None, by_user_id=ria, now=_at(2, 15))
    r["initech"] = seed.record(
        "Initech", sam, _verdict(Outcome.STOP_PILOT, "sig.a", "sig.c"), _at(2, 18), _at(2, 20)
    )
    seed.position(r["initech"], Decision.AGREE, _at(2, 28))
    seed.status(r["initech"], RecordStatus.WON, _at(2, 25))
    r["hooli"] = seed.record(
        "Hooli", sam, _verdict(Outcome.PROCEED, "sig.c"), _at(2, 21), _at(2, 21)
    )
    seed.status(r["hooli"], RecordStatus.WON, _at(2, 22))
    unfinished = open_deal(store, team, "Pied Piper")
    with store._engine.begin() as conn:
        conn.execute(
            update(QualificationSession)
            .where(QualificationSession.id == unfinished.id)
            .values(rep_user_id=sam, started_at=_at(2, 25))
        )
    again = open_deal(store, team, "Acme")
    store.link_recheck(session_id=again.id, previous_record_id=r["acme"], started_by_user_id=ria)
    recheck = store.complete_session(
        session_id=again.id, verdict=_verdict(Outcome.REDIRECT, "sig.b"), draft_text="x"
    )
    with store._engine.begin() as conn:
        conn.execute(
            update(QualificationSession)
            .where(QualificationSession.id == again.id)
            .values(started_at=_at(2, 26))
        )
        conn.execute(
            update(WalkawayRecord)
            .where(WalkawayRecord.id == recheck)
            .values(created_at=_at(2, 26), recheck_on=date(2026, 3, 15))
        )
    r["again"] = recheck
    store.approvals.open(
        record_id=recheck,
        approver_user_id=team.manager_id,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts=None,
    )
    r["before"] = seed.record(
        "Before", ria, _verdict(Outcome.WALK, "sig.a"), _at(1, 10), _at(1, 10)
    )
    store.pathback.came_back(record_id=r["before"], note=None, by_user_id=ria, now=_at(2, 2))
    seed.position(r["before"], Decision.OVERRIDE, _at(2, 3), Outcome.DEFER)
    r["old"] = seed.record(
        "Old",
        sam,
        _verdict(Outcome.WALK, "sig.a"),
        _at(12, 1, 2025),
        _at(12, 1, 2025),
        date(2026, 1, 15),
    )
    midnight = datetime(2026, 3, 1, tzinfo=UTC)
    r["after"] = seed.record("After", ria, _verdict(Outcome.WALK, "sig.a"), midnight, midnight)
    r["umbrella"] = seed.record(
        "Umbrella", omar, _verdict(Outcome.WALK, "sig.z"), _at(2, 5), _at(2, 5)
    )
    seed.status(r["umbrella"], RecordStatus.WON, _at(2, 20))
    other = make_team(store)
    elsewhere = Seeder(store, other)
    elsewhere_record = elsewhere.record(
        "Acme",
        other.rep_id,
        _verdict(Outcome.WALK, "sig.a"),
        _at(2, 3),
        _at(2, 3),
        date(2026, 2, 1),
    )
    elsewhere.status(elsewhere_record, RecordStatus.RE_ENGAGED, _at(2, 15))
    return World(team, sam, omar, r)


@pytest.fixture
def world(store: Store, team: Team) -> World:
    return _seed(store, team)


def _mix(**counts: int) -> tuple[tuple[Outcome, int], ...]:
    return tuple((o, counts.get(o.value, 0)) for o in Outcome)


def test_a_managers_team_over_a_period(store: Store, world: World) -> None:
    team = world.team
    reps = store.insight.team_rep_ids(
        workspace_id=team.workspace_id, manager_user_id=team.manager_id
    )
    assert reps == sorted([team.rep_id, world.sam])
    n = store.insight.numbers(
        workspace_id=team.workspace_id, rep_ids=reps, since=SINCE, until=UNTIL
    )
    assert (n.checks_started, n.checks_finished) == (6, 5)
    assert n.verdict_mix == _mix(walk=1, defer=1, stop_pilot=1, proceed=1, redirect=1)
    assert n.top_signals == (("sig.a", 3), ("sig.b", 2), ("sig.c", 2))
    assert (n.positions, n.overrides, n.override_share) == (3, 1, pytest.approx(1 / 3))
    assert n.overridden_to == ((Outcome.PROCEED, 1),)
    assert n.median_days_to_position == pytest.approx(4.0)
    assert (n.rechecks_done, n.rechecks_due) == (1, 2)
    assert n.comebacks == 2
    assert [(c.deal_name, c.rep_slack_id, c.at) for c in n.comeback_records] == [
        ("Globex", team.rep_slack_id, _at(2, 15)),
        ("Before", team.rep_slack_id, _at(2, 2)),
    ]
    assert n.wins_after_walk == 1
    assert [(c.deal_name, c.rep_name, c.outcome) for c in n.win_records] == [
        ("Initech", "Sam", Outcome.STOP_PILOT)
    ]
    assert not n.is_empty


def test_one_rep(store: Store, world: World) -> None:
    team = world.team
    n = store.insight.numbers(
        workspace_id=team.workspace_id, rep_ids=[team.rep_id], since=SINCE, until=UNTIL
    )
    assert (n.checks_started, n.checks_finished) == (3, 3)
    assert n.verdict_mix == _mix(walk=1, defer=1, redirect=1)
    assert n.top_signals == (("sig.a", 2), ("sig.b", 2))
    assert (n.positions, n.overrides) == (2, 1)
    assert n.median_days_to_position == pytest.approx(3.0)
    assert (n.rechecks_done, n.rechecks_due, n.comebacks, n.wins_after_walk) == (1, 1, 2, 0)
    assert n.win_records == ()


def test_the_whole_workspace(store: Store, world: World) -> None:
    team = world.team
    n = store.insight.numbers(
        workspace_id=team.workspace_id, rep_ids=None, since=SINCE, until=UNTIL
    )
    assert (n.checks_started, n.checks_finished) == (7, 6)
    assert n.verdict_mix == _mix(walk=2, defer=1, stop_pilot=1, proceed=1, redirect=1)
    assert n.top_signals == (("sig.a", 3), ("sig.b", 2), ("sig.c", 2), ("sig.z", 1))
    assert (n.positions, n.rechecks_due, n.comebacks, n.wins_after_walk) == (3, 2, 2, 2)
    assert [c.deal_name for c in n.win_records] == ["Initech", "Umbrella"]


def test_the_period_end_is_excluded_and_the_start_included(store: Store, world: World) -> None:
    team = world.team
    march = store.insight.numbers(
        workspace_id=team.workspace_id,
        rep_ids=[team.rep_id],
        since=UNTIL,
        until=datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert (march.checks_started, march.checks_finished) == (1, 1)
    assert march.verdict_mix == _mix(walk=1)
    # On 1 March Acme's re-check date (20 Feb) has passed and it is still open.
    assert march.rechecks_due == 1
    assert (march.comebacks, march.positions, march.median_days_to_position) == (0, 0, None)


def test_a_manager_with_no_reps_and_an_empty_workspace(store: Store, world: World) -> None:
    team = world.team
    nobody = store.insight.team_rep_ids(workspace_id=team.workspace_id, manager_user_id=world.omar)
    assert nobody == []
    n = store.insight.numbers(
        workspace_id=team.workspace_id, rep_ids=nobody, since=SINCE, until=UNTIL
    )
    assert n.is_empty and n.checks_finished == 0 and n.verdict_mix == _mix()
    assert n.override_share is None and n.median_days_to_position is None
    empty = store.ensure_workspace(team_id=f"T{uuid.uuid4().hex[:12]}")
    e = store.insight.numbers(workspace_id=empty, rep_ids=None, since=SINCE, until=UNTIL)
    assert e.is_empty and e.top_signals == () and e.comeback_records == ()


def test_weeks_count_each_comeback_and_win_in_the_week_it_happened(
    store: Store, world: World
) -> None:
    """The digest asks for a week, Home for 90 days, through the same statement: week by week,
    the team's and the workspace's comebacks and wins are the month's, each in its own week."""
    team = world.team
    reps = sorted([team.rep_id, world.sam])
    weeks = [(SINCE + timedelta(days=7 * k), SINCE + timedelta(days=7 * (k + 1))) for k in range(9)]

    def weekly(scope: list[int] | None) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        found = []
        for since, until in weeks:
            n = store.insight.numbers(
                workspace_id=team.workspace_id, rep_ids=scope, since=since, until=until
            )
            assert (n.comebacks, n.wins_after_walk) == (len(n.comeback_records), len(n.win_records))
            found.append(
                (
                    tuple(c.deal_name for c in n.comeback_records),
                    tuple(c.deal_name for c in n.win_records),
                )
            )
        return found

    nothing: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
    # Weeks from 1 Feb: Before came back 2 Feb, Globex 15 Feb; Initech won 25 Feb (Hooli, won
    # 22 Feb, was a proceed); Omar's Umbrella, won 20 Feb, is the workspace's alone.
    assert (
        weekly(reps)
        == [(("Before",), ()), nothing, (("Globex",), ()), ((), ("Initech",))] + [nothing] * 5
    )
    assert (
        weekly(None)
        == [
            (("Before",), ()),
            nothing,
            (("Globex",), ("Umbrella",)),
            ((), ("Initech",)),
        ]
        + [nothing] * 5
    )
