"""PostgreSQL's tier keys (migration 0021): id blocks that cover a date range exactly once, and
a tier read newest window first giving the same page as one read over every match."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import text

from storage import Store
from storage.db import make_engine, migrate
from storage.search import SearchCriteria, pg_scan, pg_stats
from storage.search.pg_keys import BLOCK_LEVELS, block_key, id_blocks
from tests.storage.search_builders import SCAR_WALK, backdate, make_record


def _ids(word: str) -> range:
    level, start = (int(part) for part in word[1:].split("x"))
    return range(start * 10**level, (start + 1) * 10**level)


@pytest.mark.parametrize("seed", range(5))
def test_id_blocks_cover_the_range_once_and_reach_past_it_only_in_its_end_blocks(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(200):
        low = rng.choice([0, 1, rng.randrange(10**4), rng.randrange(10**7), 999, 1000, 10**6])
        high = low + rng.choice([0, 1, 998, 999, 1000, rng.randrange(10**3, 10**8)])
        words = id_blocks(low, high)
        spans = sorted((_ids(w) for w in words), key=lambda r: r.start)
        assert all(a.stop == b.start for a, b in pairwise(spans))  # no gap
        assert spans[0].start <= low and spans[-1].stop > high
        assert low - spans[0].start < 1000 and spans[-1].stop - 1 - high < 1000
        assert len(words) <= 2 * 9 * len(BLOCK_LEVELS)
    assert id_blocks(5, 4) == []
    assert id_blocks(0, 10**6 - 1) == ["i6x0"]
    assert block_key(3, 123_456) == "i3x123"


def test_a_record_holds_its_keys_in_every_tier_and_a_window_read_gives_the_same_page(
    fresh_url: Callable[[], str], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Records whose ids straddle block boundaries (the id sequence is moved between them), all
    matching, searched with date ranges cutting through blocks: windows as narrow as one block,
    walked or from the index, give exactly the records of the range, newest first."""
    if backend != "postgres":
        pytest.skip("the tier keys are PostgreSQL's (SQLite's FTS5 has its own rowid ranges)")
    url = fresh_url()
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    store = Store.open(url, migrate=False)
    workspace = store.ensure_workspace(team_id="T0KEYS")
    other = store.ensure_workspace(team_id="T0OTHER")
    rep = store.ensure_user(workspace_id=workspace, slack_user_id="U0KEYS")
    stranger = store.ensure_user(workspace_id=other, slack_user_id="U0STRANGER")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    made: list[tuple[int, date]] = []
    with store._writes.begin() as s:  # test-only: where the next ids start
        sequence = s.scalar(text("SELECT pg_get_serial_sequence('walkaway_records', 'id')"))
    for n, next_id in enumerate([2, 998, 1000, 1002, 2500, 9998, 10_000, 10_002, 123_456]):
        with store._writes.begin() as s:
            s.execute(text(f"SELECT setval('{sequence}', {next_id - 1})"))
        record = make_record(
            store, workspace_id=workspace, rep_id=rep, deal=f"Zebra {n}", answers=SCAR_WALK
        )
        assert record == next_id
        when = start + timedelta(days=30 * n)
        backdate(store, record, when)
        made.append((record, when.date()))
        # a record of another workspace in the same block, matching too: never shown
        make_record(store, workspace_id=other, rep_id=stranger, deal="Zebra elsewhere")
    searches = [
        (None, None),
        (made[2][1], None),
        (made[3][1], made[7][1]),
        (None, made[5][1]),
        (made[8][1], None),
    ]

    def run() -> list[list[int]]:
        pages = []
        for since, until in searches:
            criteria = SearchCriteria(
                words=("zebra",), outcomes=("walk",), since=since, until=until
            )
            page = store.search_records(workspace_id=workspace, criteria=criteria, page_size=20)
            pages.append([hit.id for hit in page.hits])
        return pages

    expected = [
        [
            record
            for record, day in reversed(made)
            if (since is None or day >= since) and (until is None or day <= until)
        ]
        for since, until in searches
    ]
    assert run() == expected
    for density in (1.0, 1e-9):  # windows of 1,000 ids (then wider), or one read for all
        monkeypatch.setattr(pg_scan.Scan, "expected", lambda *_, at=density: at)
        for walk in (False, True):
            monkeypatch.setattr(pg_stats.Statistics, "walk", lambda *_, w=walk, **__: w)
            assert run() == expected, (density, walk)
    store.close()
