from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack.fake_slack import FakeSlack
from tests.slack.limits import assert_call_within_limits
from tests.slack.world import World, sqlite_url


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def world(fake: FakeSlack, tmp_path: Path) -> Iterator[World]:
    """The real app over HTTP on a fresh SQLite file; every payload it sent must fit Slack.

    The limits check runs over every recorded call once the journey is done, so any journey
    that makes the app send an over-long text or too many blocks fails, not only the tests
    written about limits.
    """
    with World.serving(fake, sqlite_url(tmp_path)) as world:
        yield world
        world.settle()
        for call in fake.calls():
            assert_call_within_limits(call)
