"""store.ops: the retention purge, the queue figures /metrics reads, the readiness checks.

Each test gets a database of its own (the purge deletes across workspaces, as it should), on
SQLite and on PostgreSQL. Age is given by the purge's `before`: rows made before that instant
are old, rows made after are recent.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest

from storage import Store
from storage.columns import utcnow
from storage.ops import migration_heads


@pytest.fixture
def db(fresh_url: Callable[[], str]) -> Iterator[Store]:
    store = Store.open(fresh_url())
    yield store
    store.close()


def job_key() -> str:
    return uuid.uuid4().hex


def post(store: Store, key: str, owner: str) -> None:
    """A post made and recorded, as post_once records one (storage/posts.py)."""
    store.intend_post(key=key, owner=owner, channel_id="D1", thread_ts=None)
    store.posted(key=key, channel_id="D1", ts="1700000000.000100")


def moment_between() -> datetime:
    """An instant after every row written so far (each write's commit came before it) and
    before any written next (their timestamps are taken after it)."""
    return utcnow()


def test_purge_removes_old_claims_and_keeps_recent_ones_and_a_live_jobs(db: Store) -> None:
    finished, live = job_key(), job_key()
    db.jobs.put_many(kind="test.live", jobs=[(live, {"team_id": "T1"})])
    assert db.claim_once(key="turn:1:1.0001", owner=finished)
    assert db.claim_once(key="click:U1:1.0002")  # a click claimed inline, without an owner
    assert db.claim_once(key="turn:1:1.0003", owner=live)  # its job may run again: kept
    cut = moment_between()
    assert db.claim_once(key="turn:1:1.0004", owner=finished)  # recent: kept

    purged = db.ops.purge(before=cut)

    assert purged.claims == 2
    assert db.claim_owner(key="turn:1:1.0001") is None
    assert db.claim_once(key="click:U1:1.0002") is True  # gone, so it can be claimed again
    assert db.claim_owner(key="turn:1:1.0003") == live
    assert db.claim_owner(key="turn:1:1.0004") == finished
    # Once the live job is done, its old claim goes at the next purge.
    taken = db.jobs.take(worker="w", stale_before=utcnow())
    assert taken is not None and taken.key == live
    db.jobs.done(job_id=taken.id)
    assert db.ops.purge(before=cut).claims == 1
    assert db.claim_owner(key="turn:1:1.0003") is None


def test_purge_removes_a_finished_jobs_own_post_records_but_never_named_posts(db: Store) -> None:
    finished, live = job_key(), job_key()
    db.jobs.put_many(kind="test.live", jobs=[(live, {})])
    post(db, f"respond:{finished}:0", finished)  # the job's private reply, recorded
    post(db, f"share:{finished}:1", finished)
    post(db, "card:42", finished)  # where record 42's card is: later updates read it
    post(db, f"respond:{live}:0", live)  # its job is still queued: kept
    db.intend_post(key=f"respond:{finished}:2", owner=finished, channel_id=None, thread_ts=None)
    cut = moment_between()
    post(db, f"respond:{finished}:3", finished)  # recent: kept

    purged = db.ops.purge(before=cut)

    assert purged.posts == 3
    for gone in (f"respond:{finished}:0", f"share:{finished}:1", f"respond:{finished}:2"):
        assert db.post_info(key=gone) is None, gone
    for kept in ("card:42", f"respond:{live}:0", f"respond:{finished}:3"):
        assert db.post_info(key=kept) is not None, kept
    info = db.post_info(key="card:42")
    assert info is not None and info.ts == "1700000000.000100"


def test_purge_goes_in_small_batches_past_rows_it_must_keep(db: Store) -> None:
    live = job_key()
    db.jobs.put_many(kind="test.live", jobs=[(live, {})])
    for n in range(7):
        # Every other old claim belongs to the live job: whole batches of keepers in between.
        owner = live if n % 2 else job_key()
        assert db.claim_once(key=f"turn:9:{n}", owner=owner)
    cut = moment_between()

    purged = db.ops.purge(before=cut, batch=2)

    assert purged.claims == 4
    assert [db.claim_owner(key=f"turn:9:{n}") == live for n in range(7)] == [
        False,
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    assert [db.claim_owner(key=f"turn:9:{n}") is not None for n in range(7)] == [
        n % 2 == 1 for n in range(7)
    ]


def test_nothing_to_purge_is_a_quick_nothing(db: Store) -> None:
    assert db.ops.purge(before=utcnow() - timedelta(days=30)).claims == 0


def test_queue_state_counts_waiting_running_and_failed_jobs_by_kind(db: Store) -> None:
    db.jobs.put_many(kind="a", jobs=[(job_key(), {}) for _ in range(3)])
    db.jobs.put_many(kind="b", jobs=[(job_key(), {})])
    now = utcnow() + timedelta(seconds=1)
    first = db.jobs.take(worker="w1", stale_before=now - timedelta(seconds=15), now=now)
    second = db.jobs.take(worker="w1", stale_before=now - timedelta(seconds=15), now=now)
    assert first is not None and second is not None
    db.jobs.retry(job_id=second.id, worker="w1", at=now + timedelta(minutes=5), error="x")

    state = db.ops.queue_state(now=now, stale_before=now - timedelta(seconds=15))

    counts = {k.kind: (k.queued, k.running, k.failed) for k in state.kinds}
    assert counts == {"a": (1, 1, 1), "b": (1, 0, 0)}
    assert state.oldest_waiting_since is not None and state.oldest_enqueued_at is not None
    assert state.oldest_enqueued_at <= state.oldest_waiting_since <= now
    # Much later, the running job's claim is stale (its worker died): it waits again.
    later = now + timedelta(minutes=1)
    state = db.ops.queue_state(now=later, stale_before=later - timedelta(seconds=15))
    assert {k.kind: (k.queued, k.running, k.failed) for k in state.kinds}["a"] == (2, 0, 1)


def test_a_migrated_database_is_current_and_answers(db: Store) -> None:
    db.ops.ping()
    assert db.ops.schema_problems() == []
    assert migration_heads()  # the code's head, read from its own migrations
