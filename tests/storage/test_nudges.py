"""Nudges are claimed once per (record, date), however many sweeps race, and none is lost when
a sweep dies between its claim and its job; snooze and close apply once, on the date shown."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.pathback import nudges
from bot.pathback.nudges import POST_NUDGE, sweep
from storage import Store
from storage.nudge_info import NudgeClaim
from storage.records import RecordStatus
from tests.storage.builders import Team, defer_verdict, make_team, open_deal

DUE = date(2027, 1, 12)  # a Tuesday
AFTER_NINE_THIRTY = datetime(2027, 1, 12, 9, 45, tzinfo=UTC)


@pytest.fixture
def open_store(migrated_url: str) -> Iterator[Callable[[], Store]]:
    """Stores as separate processes open them, the SQLite job queue's own file migrated too."""
    stores: list[Store] = []

    def make() -> Store:
        stores.append(Store.open(migrated_url))
        return stores[-1]

    yield make
    for store in stores:
        store.close()


@pytest.fixture
def team(store: Store) -> Team:
    return make_team(store)


class NoSlack:
    """The sweep asks Slack only for zones it never learnt; these tests give their reps one, so
    any question is about a rep of another test file's records in the shared database."""

    def __init__(self) -> None:
        self.asked: list[object] = []

    def users_info(self, **query: object) -> dict[str, object]:
        self.asked.append(query.get("user"))
        return {"ok": True, "user": {"tz": "UTC"}}


def record_due(store: Store, team: Team, deal: str, due: date = DUE) -> int:
    session = open_deal(store, team, deal)
    verdict = dataclasses.replace(defer_verdict(), recheck_on=due)
    record_id = store.complete_session(session_id=session.id, verdict=verdict, draft_text="x")
    store.remember_profile(
        user_id=team.rep_id, tz="Europe/London", deactivated=False, at=AFTER_NINE_THIRTY
    )
    return record_id


def nudge_jobs(store: Store, record_ids: set[int]) -> list[dict[str, object]]:
    long_ago = datetime.now(UTC) - timedelta(days=1)  # a claim taken here is never stale
    taken = store.jobs.exchange(worker="t", stale_before=long_ago, limit=10_000)
    mine = [j for j in taken if j.kind == POST_NUDGE and j.payload["record"] in record_ids]
    for job in taken:
        store.jobs.done(job_id=job.id)
    return [j.payload for j in mine]


def test_two_sweeps_claim_each_nudge_once(open_store: Callable[[], Store], team: Team) -> None:
    one, two = open_store(), open_store()
    ids = {record_due(one, team, f"Acme {n}") for n in range(3)}
    counts = [
        sweep(NoSlack(), s, now=AFTER_NINE_THIRTY, holidays=frozenset())  # type: ignore[arg-type]
        for s in (one, two, one)
    ]
    assert counts[0] >= 3 and counts[1:] == [0, 0]
    payloads = nudge_jobs(one, ids)
    assert sorted(int(p["record"]) for p in payloads) == sorted(ids)
    assert {p["due_on"] for p in payloads} == {DUE.isoformat()}


def test_not_before_half_past_nine_in_the_reps_zone_nor_on_a_holiday(
    store: Store, team: Team
) -> None:
    record_id = record_due(store, team, "Globex")
    early = datetime(2027, 1, 12, 9, 29, tzinfo=UTC)
    sweep(NoSlack(), store, now=early, holidays=frozenset())  # type: ignore[arg-type]
    assert store.get_nudge(record_id=record_id, due_on=DUE) is None
    holiday = frozenset({DUE})
    sweep(NoSlack(), store, now=AFTER_NINE_THIRTY, holidays=holiday)  # type: ignore[arg-type]
    assert store.get_nudge(record_id=record_id, due_on=DUE) is None
    next_day = AFTER_NINE_THIRTY + timedelta(days=1)
    sweep(NoSlack(), store, now=next_day, holidays=holiday)  # type: ignore[arg-type]
    assert store.get_nudge(record_id=record_id, due_on=DUE) is not None


def test_a_claim_whose_sweep_died_before_queueing_is_queued_by_the_next(
    store: Store, team: Team
) -> None:
    record_id = record_due(store, team, "Initech")
    claim = NudgeClaim(record_id, DUE, team.workspace_id, "k" + "0" * 31)
    assert store.claim_nudges(claims=[claim], at=AFTER_NINE_THIRTY) == [claim]
    # ...and the process died here: claimed, no job queued.
    soon = AFTER_NINE_THIRTY + timedelta(seconds=30)
    assert sweep(NoSlack(), store, now=soon, holidays=frozenset()) == 0  # type: ignore[arg-type]
    assert nudge_jobs(store, {record_id}) == [], "too early to call it stranded"
    later = AFTER_NINE_THIRTY + timedelta(minutes=5)
    assert sweep(NoSlack(), store, now=later, holidays=frozenset()) == 0  # type: ignore[arg-type]
    team_id = store.team_id_of(workspace_id=team.workspace_id)
    assert nudge_jobs(store, {record_id}) == [
        {"record": record_id, "due_on": DUE.isoformat(), "team_id": team_id}
    ]
    assert store.get_nudge(record_id=record_id, due_on=DUE).queued_at is not None  # type: ignore[union-attr]
    sweep(NoSlack(), store, now=later + timedelta(minutes=5), holidays=frozenset())  # type: ignore[arg-type]
    assert nudge_jobs(store, {record_id}) == []


def test_queueing_a_job_again_under_its_key_is_still_one_job(store: Store) -> None:
    jobs = [("same-key-0001", {"record": 1, "due_on": "2027-01-12"})]
    assert store.jobs.put_many(kind=POST_NUDGE, jobs=jobs) == 1
    assert store.jobs.put_many(kind=POST_NUDGE, jobs=jobs) == 0
    assert len(nudge_jobs(store, {1})) == 1


def test_a_snooze_applies_once_and_makes_a_new_date_to_nudge(store: Store, team: Team) -> None:
    record_id = record_due(store, team, "Umbrella")
    sweep(NoSlack(), store, now=AFTER_NINE_THIRTY, holidays=frozenset())  # type: ignore[arg-type]
    later = DUE + timedelta(days=14)
    args = {"record_id": record_id, "from_date": DUE, "by": "U1", "at": AFTER_NINE_THIRTY}
    assert store.snooze_record(to_date=later, **args) is True
    assert store.snooze_record(to_date=later + timedelta(days=30), **args) is False
    record = store.get_record(record_id=record_id)
    assert record is not None and record.recheck_on == later
    assert store.get_nudge(record_id=record_id, due_on=DUE).snoozed_to == later  # type: ignore[union-attr]
    then = AFTER_NINE_THIRTY + timedelta(days=14)
    assert sweep(NoSlack(), store, now=then, holidays=frozenset()) >= 1  # type: ignore[arg-type]
    assert store.get_nudge(record_id=record_id, due_on=later) is not None


def test_close_for_good_applies_once_and_stops_the_nudges(store: Store, team: Team) -> None:
    record_id = record_due(store, team, "Hooli")
    close = {
        "record_id": record_id,
        "note": "Signed with another vendor",
        "by_user_id": team.rep_id,
        "by": team.rep_slack_id,
        "at": AFTER_NINE_THIRTY,
    }
    assert store.close_for_good(status=RecordStatus.LOST, **close) is True
    assert store.close_for_good(status=RecordStatus.CLOSED, **close) is False
    record = store.get_record(record_id=record_id)
    assert record is not None and record.status is RecordStatus.LOST
    assert record.status_history[-1].note == "Signed with another vendor"
    sweep(NoSlack(), store, now=AFTER_NINE_THIRTY, holidays=frozenset())  # type: ignore[arg-type]
    assert store.get_nudge(record_id=record_id, due_on=DUE) is None
    assert not store.snooze_record(
        record_id=record_id, from_date=DUE, to_date=DUE, by="U1", at=AFTER_NINE_THIRTY
    )


def test_due_lists_are_bounded_count_the_rest_and_include_the_reports(
    store: Store, team: Team
) -> None:
    for n in range(4):
        record_due(store, team, f"Due {n}", due=DUE + timedelta(days=n))
    record_due(store, team, "Much later", due=DUE + timedelta(days=30))
    args = {"workspace_id": team.workspace_id, "now": AFTER_NINE_THIRTY, "days": 9}
    mine = store.due_list(slack_user_id=team.rep_slack_id, limit=2, **args)
    assert mine.today == DUE and mine.through == DUE + timedelta(days=9)
    assert [r.recheck_on for r in mine.shown] == [DUE, DUE + timedelta(days=1)]
    assert mine.total == 4
    assert store.due_list(slack_user_id=team.manager_slack_id, limit=10, **args).total == 0
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.manager_id)
    theirs = store.due_list(slack_user_id=team.manager_slack_id, limit=10, **args)
    assert {r.rep_slack_user_id for r in theirs.shown} == {team.rep_slack_id}
    assert theirs.total == 4
    assert store.due_list(slack_user_id="U0NOBODY", limit=10, **args).total == 0


def test_the_sweep_reads_the_records_by_index(store: Store, migrated_url: str) -> None:
    """The candidates query, explained by the database itself, uses the re-check index."""
    engine = store._engine  # the test inspects the plan, not the data
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            plan = " ".join(
                str(r[-1])
                for r in conn.execute(
                    text(
                        "EXPLAIN QUERY PLAN SELECT id FROM walkaway_records WHERE status = 'open' "
                        "AND recheck_on >= '2027-01-01' AND recheck_on <= '2027-01-13'"
                    )
                )
            )
            assert "ix_walkaway_records_status_recheck_on" in plan, plan
    assert nudges.LOOKBACK.days == 30
