"""The digest's storage (storage/digest.py, digest_lists.py) on SQLite and PostgreSQL: the
setting beside other features' keys, one claim per (manager, week) however many stores race,
the steps recorded, and the lists on records seeded with known answers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from bot.domain.digest_time import DigestSettings
from bot.domain.model import Outcome, Reason, Verdict
from storage import Store
from storage.digest_info import DigestClaim
from storage.models import RecordStatusChange, WalkawayRecord
from storage.records import RecordStatus
from tests.storage.builders import Team, open_deal

END = datetime(2026, 11, 30, 14, 0, tzinfo=UTC)


def _verdict(outcome: Outcome, reason: str = "Because.", recheck: date | None = None) -> Verdict:
    return Verdict(
        outcome=outcome,
        reasons=(Reason("sig", reason, outcome),),
        conditions=(),
        cautions=(),
        recheck_on=recheck,
        record_line=".",
        tags=("sig",),
    )


def _record(store: Store, team: Team, deal: str, verdict: Verdict, at: datetime) -> int:
    record = store.complete_session(
        session_id=open_deal(store, team, deal).id, verdict=verdict, draft_text="x"
    )
    with store._engine.begin() as conn:
        conn.execute(
            update(WalkawayRecord).where(WalkawayRecord.id == record).values(created_at=at)
        )
    return record


def _status(store: Store, team: Team, record: int, status: RecordStatus, at: datetime) -> None:
    store.set_status(record_id=record, status=status, note=None, by_user_id=team.manager_id)
    with store._engine.begin() as conn:
        conn.execute(
            update(RecordStatusChange)
            .where(RecordStatusChange.record_id == record)
            .values(changed_at=at)
        )


def test_the_setting_keeps_other_keys_and_reads_off_when_missing(store: Store, team: Team) -> None:
    assert store.digest.settings(workspace_id=team.workspace_id) == DigestSettings()
    store.pathback.save_recheck_days(workspace_id=team.workspace_id, days=30)
    on = DigestSettings(enabled=True, weekday=2, hour=7)
    store.digest.save_settings(workspace_id=team.workspace_id, settings=on, at=END)
    read = store.digest.settings(workspace_id=team.workspace_id)
    assert (read.enabled, read.weekday, read.hour, read.since) == (True, 2, 7, END)
    again = DigestSettings(enabled=True, weekday=4, hour=7)
    store.digest.save_settings(
        workspace_id=team.workspace_id, settings=again, at=END + timedelta(1)
    )
    assert store.digest.settings(workspace_id=team.workspace_id).since == END, "still on since"
    assert store.pathback.recheck_days(workspace_id=team.workspace_id) == 30
    assert team.workspace_id in dict(store.digest.enabled_workspaces())


def test_one_claim_per_manager_and_week_however_many_stores_race(
    open_store: Callable[[], Store], team: Team
) -> None:
    stores = [open_store() for _ in range(4)]
    won: list[list[DigestClaim]] = [[] for _ in stores]
    start = threading.Barrier(len(stores))

    def race(n: int) -> None:
        claim = DigestClaim(team.manager_id, "2026-W49", team.workspace_id, f"job{n}", END)
        start.wait()
        won[n] = stores[n].digest.claim(claims=[claim], at=END)

    threads = [threading.Thread(target=race, args=(n,)) for n in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(w) for w in won) == 1
    (winner,) = (w[0] for w in won if w)
    stranded = stores[0].digest.unqueued(claimed_before=END + timedelta(minutes=5))
    assert winner in stranded
    stores[0].digest.mark_queued(claims=[winner], at=END)
    assert winner not in stores[0].digest.unqueued(claimed_before=END + timedelta(minutes=5))
    stores[1].digest.mark(
        manager_user_id=team.manager_id, week="2026-W49", ts="1.2", channel_id="D"
    )
    row = stores[2].digest.get(manager_user_id=team.manager_id, week="2026-W49")
    assert row is not None and (row.job_key, row.ts, row.sent_at) == (winner.job_key, "1.2", None)


def test_the_lists_on_seeded_records(store: Store, team: Team) -> None:
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.manager_id)
    week, old = END - timedelta(days=2), END - timedelta(days=30)
    walk = _record(store, team, "Walked", _verdict(Outcome.WALK, "No owner."), week)
    _record(store, team, "Kept", _verdict(Outcome.PROCEED), week)
    _record(store, team, "After the end", _verdict(Outcome.WALK), END + timedelta(hours=1))
    due = _record(store, team, "Due", _verdict(Outcome.DEFER, recheck=date(2026, 12, 3)), old)
    back = _record(store, team, "Back", _verdict(Outcome.STOP_PILOT), old)
    won = _record(store, team, "Won", _verdict(Outcome.WALK), old)
    plain_win = _record(store, team, "Always kept", _verdict(Outcome.PROCEED), old)
    _status(store, team, back, RecordStatus.RE_ENGAGED, week)
    _status(store, team, won, RecordStatus.WON, week)
    _status(store, team, plain_win, RecordStatus.WON, week)  # a proceed that won: no comeback
    store.approvals.open(
        record_id=walk,
        approver_user_id=team.manager_id,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts=None,
    )
    lists = store.digest.lists(
        workspace_id=team.workspace_id,
        manager_user_id=team.manager_id,
        end=END,
        today=date(2026, 11, 30),
    )
    assert lists.reps == 1
    assert [line.record_id for line in lists.waiting.lines] == [walk]
    assert [(line.deal_name, line.reasons) for line in lists.walkaways.lines] == [
        ("Walked", ("No owner.",))
    ]
    assert [line.record_id for line in lists.rechecks_due.lines] == [due]
    assert lists.quiet_reps == (), "a rep with a walk is not one to ask about"
    assert len(lists.weeks) == 12 and lists.weeks[-1].comebacks == 1
    assert lists.weeks[-1].outcomes == {Outcome.WALK: 1, Outcome.PROCEED: 1}
    assert sum(sum(w.outcomes.values()) for w in lists.weeks) == 6, "not the one after the end"


def test_a_rep_with_many_checks_and_no_walk_or_defer_is_named(store: Store, team: Team) -> None:
    store.approvals.set_manager(rep_user_id=team.rep_id, manager_user_id=team.manager_id)
    for n in range(5):
        _record(store, team, f"Deal {n}", _verdict(Outcome.PROCEED), END - timedelta(days=10 + n))
    _record(store, team, "Too old", _verdict(Outcome.WALK), END - timedelta(days=91))
    lists = store.digest.lists(
        workspace_id=team.workspace_id, manager_user_id=team.manager_id, end=END, today=END.date()
    )
    assert [(q.slack_user_id, q.checks) for q in lists.quiet_reps] == [(team.rep_slack_id, 5)]


def test_a_manager_with_no_reps_has_empty_lists(store: Store, team: Team) -> None:
    lists = store.digest.lists(
        workspace_id=team.workspace_id, manager_user_id=team.manager_id, end=END, today=END.date()
    )
    assert lists.reps == 0 and lists.walkaways.total == 0 and lists.weeks == ()
