from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.slack.fake_slack import FakeSlack
from tests.slack.world import World, running_app, sqlite_url


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as running:
        yield running


@pytest.fixture
def world(fake: FakeSlack, tmp_path: Path) -> Iterator[World]:
    url = sqlite_url(tmp_path)
    with running_app(fake, url) as slack:
        yield World(fake=fake, slack=slack, database_url=url)
