"""Whole checks, and a manager's Agree, against a Slack that fails 30% of the calls.

The fake Web API fails 30% of the app's calls at random (seeded): HTTP 429 with Retry-After,
HTTP 500, `ok: false, ratelimited`, a reset connection, and a timeout after Slack did the work.
The rep acts once on each question, as a person would, and the journey must still end with
every answer stored once, each question, the verdict card and the draft posted once, and no
apology: what slack_sdk's retry handlers do not absorb, the job queue retries (its delays pass
on the test clock, never in a sleep). WALKAWAY_CHAOS_SEED shifts the seeds, to try other draws.

Number answers are typed into the thread (a message event), not given in the Answer… modal:
a modal must open within 3 s of the click, so it cannot be retried, and a rep whose modal did
not open clicks again, which these journeys must not need.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.slack.fake_slack import FakeSlack
from tests.slack.limits import assert_call_within_limits
from tests.slack.test_journey_managers import click_in
from tests.slack.test_journey_outcomes import CALM, LABELS, NUMBERS, PATHS
from tests.slack.world import (
    SLACK_TIMEOUT,
    World,
    actions_of,
    block_ids,
    sqlite_url,
    text_of,
)

RATE = 0.3
MGR = "U0MGR"
SETTLE = 60.0
"""Generous: a timeout fault costs a second of real time, and a few come in a row."""


@pytest.fixture
def chaotic(fake: FakeSlack, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    fake.rate_limit_retry_after = 0
    fake.timeout_delay = SLACK_TIMEOUT + 0.5
    with World.serving(fake, sqlite_url(tmp_path)) as world:
        seed = sum(map(ord, request.node.name)) + int(os.environ.get("WALKAWAY_CHAOS_SEED", "0"))
        fake.chaos(RATE, seed=seed)
        yield world
        fake.chaos(0)
        world.settle(SETTLE)
        for call in fake.calls():
            assert_call_within_limits(call)


def play(world: World, answers: dict[str, str]) -> list[str]:
    """Answer each question the thread shows, once; return the question ids in asked order."""
    asked: list[str] = []
    while True:
        world.settle(SETTLE)
        waiting = world.open_questions()
        if not waiting:
            return asked
        assert len(waiting) == 1, f"one question waits at a time, posted once: {_shown(waiting)}"
        (question,) = waiting
        qid = world.question_id(question)
        assert qid not in asked, f"{qid} is shown again: the rep would have to answer twice"
        asked.append(qid)
        if qid in NUMBERS:
            assert world.typed(answers[qid], settle=False).status == 200
        else:
            assert world.click(question, value=answers[qid]).status == 200


def _shown(messages: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(m["ts"], block_ids(m)[:1], m.get("metadata")) for m in messages]


def posts(world: World, channel: str) -> list[dict[str, Any]]:
    """Every message the app posted in a channel, however it was updated since."""
    return [
        call.args
        for call in world.fake.calls("chat.postMessage")
        if call.error is None and world.fake._dm_channel(str(call.args.get("channel"))) == channel
    ]


def assert_posted_once_each(world: World, channel: str) -> None:
    """No two posts of the same message (the key every post carries names what it is)."""
    keys = Counter(
        (args.get("metadata") or {}).get("event_payload", {}).get("key")
        for args in posts(world, channel)
    )
    assert keys, "the app posted here"
    twice = {key: n for key, n in keys.items() if n > 1}
    assert twice == {}, f"posted more than once: {twice}"
    assert None not in keys, "every post carries its key"


def assert_no_apology(world: World) -> None:
    said = world.ephemeral_texts() + [text_of(m) for m in world.fake.messages(world.dm)]
    assert not [t for t in said if "Sorry" in t], said


@pytest.mark.parametrize("outcome", list(PATHS))
def test_each_outcome_survives_a_slack_that_fails_30_percent_of_the_calls(
    chaotic: World, outcome: str
) -> None:
    world = chaotic
    answers = {**CALM, **PATHS[outcome]}

    assert world.command(f"Acme {outcome}").status == 200
    asked = play(world, answers)

    faults = world.fake.faults()
    assert len(faults) >= 3, f"Slack failed the journey often enough to matter: {faults}"
    session = world.session_id()
    history = world.answers_stored(session)
    assert [a.question_id for a in history] == asked, "every answer stored once, in order"
    assert all(a.superseded_at is None for a in history)

    thread = world.thread()
    cards = [m for m in thread if "verdict" in block_ids(m)]
    assert len(cards) == 1 and LABELS[outcome] in text_of(cards[0])
    drafts = [  # the draft's message: asking who it is for, until the rep says
        m for m in thread if {"draft_actions", "recipient_actions"} & set(block_ids(m))
    ]
    assert len(drafts) == (0 if outcome == "proceed" else 1)
    answered = [m for m in thread if any("|answered" in b for b in block_ids(m))]
    assert len(answered) == len(asked), "each question message shows its answer"
    assert all(not actions_of(m) for m in answered)
    assert_posted_once_each(world, world.dm)
    assert_no_apology(world)


def test_a_managers_agree_survives_a_slack_that_fails_30_percent_of_the_calls(
    chaotic: World,
) -> None:
    world = chaotic
    assert world.command(f"manager <@{MGR}|dana>").status == 200
    world.settle(SETTLE)
    walk = {**CALM, **PATHS["walk"]}
    assert world.command("Acme walk").status == 200
    play(world, walk)

    manager_dm = "D" + MGR
    (ping,) = [m for m in world.fake.messages(manager_dm) if "approval_actions" in block_ids(m)]
    click_in(world, manager_dm, ping, "approval_agree", user=MGR)
    world.settle(SETTLE)

    (decided,) = world.fake.messages(manager_dm)
    assert "approval_actions" not in block_ids(decided), "the ping shows the answer, no buttons"
    record_id = _record_id(world)
    notices = [m for m in world.thread() if "agrees with *Walk away*" in text_of(m)]
    assert len(notices) == 1, [text_of(m) for m in world.thread()]
    card = next(m for m in world.thread() if "verdict" in block_ids(m))
    assert "Waiting for" not in text_of(card), "the card shows the position"
    approval = world.store().approvals.get(record_id=record_id)
    assert approval is not None and approval.decision is not None
    assert approval.decision.value == "agree"
    assert_posted_once_each(world, world.dm)
    assert_posted_once_each(world, manager_dm)
    assert_no_apology(world)


def _record_id(world: World) -> int:
    workspace = world.store().ensure_workspace(team_id=world.team)
    (record,) = world.store().list_records(workspace_id=workspace, limit=1)
    return record.id
