"""`/walkaway report`, end to end over signed HTTP: a manager gets a CSV of their reps' records
in their DM, an admin the whole workspace's, a rep is told who may; bad periods are refused."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.insight.report import COLUMNS
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD
from tests.slack.world import REP, TEAM, World
from tests.storage.search_builders import GUARANTEE_WALK, SCAR_WALK, backdate, make_record

MGR = "U0MGR"
OTHER_REP = "U0OTHERREP"
ADMIN = "U0ADMIN"
CHANNEL = "C0DEALS"


@pytest.fixture
def store(world: World) -> Iterator[Store]:
    opened = world.store()
    yield opened
    opened.close()


@pytest.fixture
def records(store: Store) -> dict[str, int]:
    """Two reps' records; only REP reports to MGR."""
    workspace = store.ensure_workspace(team_id=TEAM)
    rep = store.ensure_user(workspace_id=workspace, slack_user_id=REP, display_name="Ria")
    other = store.ensure_user(workspace_id=workspace, slack_user_id=OTHER_REP)
    manager = store.ensure_user(workspace_id=workspace, slack_user_id=MGR)
    store.approvals.set_manager(rep_user_id=rep, manager_user_id=manager)
    made = {
        "Acme": make_record(
            store, workspace_id=workspace, rep_id=rep, deal="Acme", answers=SCAR_WALK
        ),
        "Globex": make_record(
            store, workspace_id=workspace, rep_id=rep, deal="Globex", answers=GUARANTEE_WALK
        ),
        "Initech": make_record(
            store, workspace_id=workspace, rep_id=other, deal="Initech", answers=SCAR_WALK
        ),
    }
    backdate(store, made["Acme"], datetime(2026, 1, 10, 12, tzinfo=UTC))
    backdate(store, made["Globex"], datetime(2026, 2, 10, 12, tzinfo=UTC))
    backdate(store, made["Initech"], datetime(2026, 2, 11, 12, tzinfo=UTC))
    return made


def _replies(world: World) -> list[dict[str, Any]]:
    return [c.args for c in world.fake.calls(RESPONSE_URL_METHOD)]


def _report(world: World, text: str, *, user: str) -> str:
    """Run `/walkaway report <text>` and return the private reply's text."""
    before = len(_replies(world))
    reply = world.slack.command(
        text=f"report {text}".strip(), user_id=user, team_id=TEAM, channel_id=CHANNEL
    )
    assert reply.status == 200, reply
    world.fake.wait_for(RESPONSE_URL_METHOD, count=before + 1)
    world.settle()
    return str(_replies(world)[before].get("text"))


def _csv(upload: dict[str, Any]) -> list[dict[str, str]]:
    content = str(upload["content"])
    assert content.splitlines()[0] == ",".join(COLUMNS)
    return list(csv.DictReader(io.StringIO(content)))


def test_a_manager_gets_their_reps_records_as_a_file_in_their_dm(
    world: World, records: dict[str, int]
) -> None:
    said = _report(world, "since:2026-01-01 until:2026-06-30", user=MGR)
    assert "Sent 2 records from 2026-01-01 to 2026-06-30" in said
    (upload,) = world.fake.uploaded_files()
    assert upload["channel_id"] == "D" + MGR and upload["filename"].endswith(".csv")
    rows = _csv(upload)
    assert [r["deal"] for r in rows] == ["Acme", "Globex"]  # not the other rep's Initech
    assert {r["rep"] for r in rows} == {REP} and rows[0]["rep_name"] == "Ria"
    assert rows[0]["outcome"] == "walk" and rows[0]["signals"]

    said = _report(world, "since:2026-02-01", user=MGR)
    assert "Sent 1 record since 2026-02-01" in said
    assert [r["deal"] for r in _csv(world.fake.uploaded_files()[1])] == ["Globex"]


def test_an_admin_gets_the_whole_workspace(world: World, records: dict[str, int]) -> None:
    world.fake.set_user(ADMIN, is_admin=True)
    _report(world, "", user=ADMIN)
    (upload,) = world.fake.uploaded_files()
    assert upload["channel_id"] == "D" + ADMIN
    assert [r["deal"] for r in _csv(upload)] == ["Acme", "Globex", "Initech"]


def test_a_rep_is_told_who_may_and_gets_no_file(world: World, records: dict[str, int]) -> None:
    said = _report(world, "", user=REP)
    assert "Only a workspace admin" in said and "managers" in said
    assert world.fake.uploaded_files() == []


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("since:31/01/2026", "is not a date: use YYYY-MM-DD"),
        ("since:2026-03-01 until:2026-02-01", "is after until 2026-02-01"),
        ("until:2999-01-01", "no records can be from the future"),
        ("since:2026-01-01 since:2026-02-01", "is given twice"),
    ],
)
def test_a_bad_period_is_one_clear_sentence(
    world: World, records: dict[str, int], text: str, says: str
) -> None:
    said = _report(world, text, user=MGR)
    assert says in said
    assert world.fake.uploaded_files() == []


def test_an_empty_period_says_so_instead_of_an_empty_file(
    world: World, records: dict[str, int]
) -> None:
    said = _report(world, "since:2020-01-01 until:2020-12-31", user=MGR)
    assert "No records from 2020-01-01 to 2020-12-31" in said
    assert world.fake.uploaded_files() == []


def test_a_deal_named_report_something_is_still_a_deal(world: World) -> None:
    from bot.insight.command import takes

    assert takes("") and takes("since:2026-01-01") and takes("UNTIL:2026-01-01")
    assert not takes("card redesign") and not takes("since 2026")


def test_a_failed_upload_is_retried_and_the_file_shared_once(
    world: World, records: dict[str, int]
) -> None:
    world.fake.fail_next("files.completeUploadExternal", "internal_error")
    said = _report(world, "", user=MGR)
    assert "Sent 2 records" in said
    assert len(world.fake.uploaded_files()) == 1
    assert [c.error for c in world.fake.calls("files.completeUploadExternal")] == [
        "internal_error",
        None,
    ]


def test_a_rerun_after_the_file_went_out_does_not_send_it_again(
    world: World, records: dict[str, int]
) -> None:
    world.fake.fail_next(RESPONSE_URL_METHOD, "internal_error", status=500, times=1)
    reply = world.slack.command(text="report", user_id=MGR, team_id=TEAM, channel_id=CHANNEL)
    assert reply.status == 200
    world.fake.wait_for(RESPONSE_URL_METHOD, count=2)
    world.settle()
    assert len(world.fake.uploaded_files()) == 1
    assert len(world.fake.calls("files.completeUploadExternal")) == 1
    assert "Sent 2 records" in str(_replies(world)[1].get("text"))


def test_a_lost_answer_after_the_file_was_shared_does_not_share_it_again(
    world: World, records: dict[str, int]
) -> None:
    # Slack shares the file, but its answer never reaches the app (a timeout): the job is
    # retried, finds the file in the DM by the reference in its name, and does not upload again.
    world.fake.chaos(1.0, kinds=["timeout"], methods={"files.completeUploadExternal"})
    reply = world.slack.command(text="report", user_id=MGR, team_id=TEAM, channel_id=CHANNEL)
    assert reply.status == 200
    world.fake.wait_for("conversations.history")
    world.fake.chaos(0)
    world.fake.wait_for(RESPONSE_URL_METHOD)
    world.settle()

    (shared,) = world.fake.uploaded_files()
    assert len(world.fake.calls("files.completeUploadExternal")) == 1
    assert len(world.fake.calls("files.getUploadURLExternal")) == 1
    assert shared["filename"].startswith("walkaway-report-") and shared["filename"].endswith(".csv")
    files_in_dm = [m for m in world.fake.messages("D" + MGR) if m.get("files")]
    assert len(files_in_dm) == 1
    assert "Sent 2 records" in str(_replies(world)[-1].get("text"))


def test_an_attempt_lost_before_the_share_uploads_again_once(
    world: World, records: dict[str, int]
) -> None:
    # The first call's answer is lost before anything was shared: the re-run looks, finds no
    # file in the DM, and shares it then, once.
    world.fake.chaos(1.0, kinds=["timeout"], methods={"files.getUploadURLExternal"})
    reply = world.slack.command(text="report", user_id=MGR, team_id=TEAM, channel_id=CHANNEL)
    assert reply.status == 200
    world.fake.wait_for("files.getUploadURLExternal")
    world.fake.chaos(0)
    world.fake.wait_for(RESPONSE_URL_METHOD)
    world.settle()

    assert len(world.fake.uploaded_files()) == 1
    assert len(world.fake.calls("conversations.history")) >= 1
    assert len([m for m in world.fake.messages("D" + MGR) if m.get("files")]) == 1
    assert "Sent 2 records" in str(_replies(world)[-1].get("text"))
