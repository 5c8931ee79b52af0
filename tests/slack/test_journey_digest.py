"""The weekly digest for managers, over the real app with the fake Web API and a clock moved by
the test: it shows a week seeded with known answers, comes at the workspace's weekday and hour
in each manager's own zone, once however many schedulers tick, carries its chart through the
external upload flow, survives a failed upload, and says nothing while the workspace has not
turned it on. Every message sent is checked against Block Kit's limits (the `world` fixture)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import update

from bot.app import scheduler
from bot.domain.digest_time import DigestSettings, iso_week
from bot.domain.model import Outcome, Reason, Verdict
from bot.insight.digest import send_digest
from bot.slack.effects import running_job
from storage.digest_info import DigestClaim
from storage.models import RecordStatusChange, WalkawayRecord
from storage.records import RecordStatus
from storage.repository import Store
from tests.slack.fake_slack import FakeSlack
from tests.slack.test_journey_managers import serving
from tests.slack.world import TOKEN, World, sqlite_url, text_of
from tests.storage.builders import CHECKLIST_HASH, CHECKLIST_SNAPSHOT
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)

NEW_YORK = ZoneInfo("America/New_York")
MANAGER = "U0MGR"
DUE = datetime(2026, 11, 30, 9, 0, tzinfo=NEW_YORK)
"""Monday 30 November 2026, 9:00 in New York: the digest's moment for a New York manager."""
REPS = ("U0RIA", "U0SAM", "U0KAI")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def both_dbs(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path) -> Iterator[World]:
    """The app on SQLite and on PostgreSQL, for the journeys whose claims race in the database."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = str(request.getfixturevalue("postgres_databases").create())
    with serving(fake, url) as world:
        yield world


def verdict(outcome: Outcome, *reasons: str, recheck_on: date | None = None) -> Verdict:
    return Verdict(
        outcome=outcome,
        reasons=tuple(Reason(f"sig{n}", text, outcome) for n, text in enumerate(reasons)),
        conditions=(),
        cautions=(),
        recheck_on=recheck_on,
        record_line=f"{outcome.label}.",
        tags=tuple(f"sig{n}" for n in range(len(reasons))),
    )


class Team:
    """A manager and their reps in the world's workspace, with records made at chosen times."""

    def __init__(self, world: World, manager: str = MANAGER, reps: tuple[str, ...] = REPS):
        self.world = world
        self.store = world.store()
        self.workspace = self.store.ensure_workspace(team_id=world.team)
        self.manager = self.store.ensure_user(workspace_id=self.workspace, slack_user_id=manager)
        self.reps = {}
        for rep in reps:
            rep_id = self.store.ensure_user(workspace_id=self.workspace, slack_user_id=rep)
            self.store.approvals.set_manager(rep_user_id=rep_id, manager_user_id=self.manager)
            self.reps[rep] = rep_id

    def record(self, rep: str, deal: str, made: Verdict, at: datetime) -> int:
        session = self.store.open_session(
            workspace_id=self.workspace,
            rep_user_id=self.reps[rep],
            deal_name=deal,
            checklist_hash=CHECKLIST_HASH,
            checklist_snapshot=CHECKLIST_SNAPSHOT,
        )
        record = self.store.complete_session(session_id=session.id, verdict=made, draft_text="x")
        with self.store._engine.begin() as conn:
            conn.execute(
                update(WalkawayRecord).where(WalkawayRecord.id == record).values(created_at=at)
            )
        return record

    def status(self, record: int, status: RecordStatus, at: datetime) -> None:
        self.store.set_status(record_id=record, status=status, note=None, by_user_id=self.manager)
        with self.store._engine.begin() as conn:
            conn.execute(
                update(RecordStatusChange)
                .where(RecordStatusChange.record_id == record)
                .values(changed_at=at)
            )

    def turn_on(
        self, weekday: int = 0, hour: int = 9, at: datetime = DUE - timedelta(days=7)
    ) -> None:
        """On since `at` (by default the week before the digest's Monday)."""
        self.store.digest.save_settings(
            workspace_id=self.workspace,
            settings=DigestSettings(enabled=True, weekday=weekday, hour=hour),
            at=at,
        )


def tick(world: World, now: datetime, *, processes: int = 1, at_once: bool = False) -> int:
    """`processes` schedulers, each on its own Store as separate hosts would be, tick at `now`
    (`at_once`: in threads released together), then the workers finish what they queued."""
    stores = [Store.open(world.database_url) for _ in range(processes)]
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    sent = [0] * processes
    start = threading.Barrier(processes)

    def run(n: int) -> None:
        if at_once:
            start.wait()
        sent[n] = scheduler(client, stores[n]).tick(now.astimezone(UTC)).get("digest(s)", 0)

    try:
        if at_once:
            threads = [threading.Thread(target=run, args=(n,)) for n in range(processes)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        else:
            for n in range(processes):
                run(n)
    finally:
        for store in stores:
            store.close()
    world.settle()
    return sum(sent)


def digests(world: World, manager: str = MANAGER) -> list[dict[str, Any]]:
    return [m for m in world.fake.messages("D" + manager) if "Your team's week" in text_of(m)]


def charts(world: World, manager: str = MANAGER) -> list[dict[str, Any]]:
    return [f for f in world.fake.uploaded_files() if f["channel_id"] == "D" + manager]


def seeded_week(team: Team) -> dict[str, int]:
    """A week with one of everything the digest shows, each with a known answer."""
    week = DUE.astimezone(UTC) - timedelta(days=3)
    old = DUE.astimezone(UTC) - timedelta(days=40)
    made = {
        "walk": team.record(
            "U0RIA",
            "Initech rollout",
            verdict(Outcome.WALK, "They will not name an owner.", "No budget this year."),
            week,
        ),
        "stop": team.record(
            "U0SAM", "Globex pilot", verdict(Outcome.STOP_PILOT, "The pilot has no goal."), week
        ),
        "defer": team.record(
            "U0SAM",
            "Umbrella renewal",
            verdict(Outcome.DEFER, "Their audit runs to March.", recheck_on=date(2026, 12, 2)),
            week - timedelta(days=20),
        ),
        "came_back": team.record(
            "U0RIA", "Hooli expansion", verdict(Outcome.WALK, "Legal said no."), old
        ),
        "won": team.record(
            "U0SAM", "Stark upgrade", verdict(Outcome.DEFER, "Wait for the merger."), old
        ),
        "last_week": team.record(
            "U0RIA",
            "Soylent deal",
            verdict(Outcome.WALK, "Old news."),
            DUE.astimezone(UTC) - timedelta(days=8),
        ),
    }
    team.status(made["came_back"], RecordStatus.RE_ENGAGED, week)
    team.status(made["won"], RecordStatus.WON, week + timedelta(hours=2))
    for n in range(6):  # Kai: six checks in 90 days, every one a proceed
        team.record("U0KAI", f"Kai deal {n}", verdict(Outcome.PROCEED), old + timedelta(days=n))
    team.store.approvals.open(
        record_id=made["stop"],
        approver_user_id=team.manager,
        approver_channel_id=None,
        hold_until_agreed=False,
        card_ts=None,
    )
    return made


def test_the_digest_shows_the_seeded_week_with_its_chart(both_dbs: World) -> None:
    world = both_dbs
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    seeded_week(team)
    team.turn_on()
    assert tick(world, DUE + timedelta(minutes=1)) == 1
    (digest,) = digests(world)
    said = text_of(digest)
    # Positions waiting: the stop-pilot's, asked of this manager.
    waiting = said.split("Positions waiting for you")[1].split("This week's walk-aways")[0]
    assert "Globex pilot" in waiting and "<@U0SAM>" in waiting
    # The week's walk-aways, each with its reasons; last week's is not among them.
    walks = said.split("This week's walk-aways")[1].split("Re-checks due")[0]
    assert "2 clean exits" in walks
    assert "Initech rollout" in walks and "They will not name an owner." in walks
    assert "No budget this year." in walks and "The pilot has no goal." in walks
    assert "Soylent deal" not in walks and "Hooli" not in walks
    # Re-checks due within the coming week (the deferral's 2 December).
    due = said.split("Re-checks due")[1].split("Comebacks and wins")[0]
    assert "Umbrella renewal" in due and "Wednesday 2 December 2026" in due
    # Comebacks and wins after a walk, celebrated.
    good = said.split("Comebacks and wins after a walk")[1].split("For your pipeline review")[0]
    assert "Hooli expansion* came back" in good and "Stark upgrade* won after a defer" in good
    # Kai: many checks, no walk or defer, as a question for the review.
    review = said.split("For your pipeline review")[1]
    assert "<@U0KAI>: 6 checks, every one kept going" in review
    assert "<@U0RIA>" not in review and "<@U0SAM>" not in review
    assert "3 reps" in said
    (chart,) = charts(world)
    assert chart["raw"].startswith(b"\x89PNG\r\n\x1a\n")
    assert chart["filename"] == f"walkaway-digest-{iso_week(DUE.date())}.png"
    assert [c.method for c in world.fake.calls() if "ile" in c.method or c.method == "upload"] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


def test_a_workspace_that_has_not_turned_it_on_gets_nothing(world: World) -> None:
    world.fake.set_user(MANAGER, tz="America/New_York")
    seeded_week(Team(world))
    assert tick(world, DUE + timedelta(minutes=1)) == 0
    assert tick(world, DUE + timedelta(days=2)) == 0
    assert digests(world) == [] and world.fake.uploaded_files() == []


def test_it_comes_at_the_weekday_and_hour_in_each_managers_own_zone(world: World) -> None:
    world.fake.set_user(MANAGER, tz="America/New_York")
    world.fake.set_user("U0TOKYO", tz="Asia/Tokyo")
    Team(world)
    tokyo = Team(world, manager="U0TOKYO", reps=("U0AKI",))
    # Turned on on Sunday (New York's): the digest is owed from the next Monday 9:00 on, not for
    # the week already under way.
    tokyo_due = datetime(2026, 11, 30, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))
    tokyo.turn_on(weekday=0, hour=9, at=tokyo_due - timedelta(hours=1))
    # Monday 9:00 in Tokyo is Sunday 19:00 in New York: only Tokyo's manager is due.
    assert tick(world, tokyo_due - timedelta(minutes=1)) == 0
    assert tick(world, tokyo_due) == 1
    assert len(digests(world, "U0TOKYO")) == 1 and digests(world) == []
    assert tick(world, DUE - timedelta(minutes=1)) == 0, "8:59 in New York"
    assert tick(world, DUE) == 1
    assert len(digests(world)) == 1
    # Later the same week (a process that was down on Monday catches up), nothing new.
    assert tick(world, DUE + timedelta(days=3)) == 0
    assert len(digests(world)) == 1 and len(digests(world, "U0TOKYO")) == 1
    # The next Monday is a new week.
    assert tick(world, DUE + timedelta(days=7)) == 2
    assert len(digests(world)) == 2


def test_two_schedulers_ticking_at_once_send_one_digest(both_dbs: World) -> None:
    world = both_dbs
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    seeded_week(team)
    team.turn_on()
    assert tick(world, DUE + timedelta(minutes=5), processes=2, at_once=True) == 1
    assert tick(world, DUE + timedelta(minutes=15), processes=2) == 0
    assert len(digests(world)) == 1 and len(charts(world)) == 1


def test_a_failed_upload_is_retried_and_the_digest_is_sent_once(world: World) -> None:
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    seeded_week(team)
    team.turn_on()
    world.fake.fail_next("files.completeUploadExternal", "internal_error")
    assert tick(world, DUE + timedelta(minutes=1)) == 1
    assert len(digests(world)) == 1, "the message is not posted again when the chart is"
    assert len(charts(world)) == 1
    failed = [c for c in world.fake.calls("files.completeUploadExternal") if c.error]
    assert len(failed) == 1
    row = team.store.digest.get(manager_user_id=team.manager, week=iso_week(DUE.date()))
    assert row is not None and row.sent_at is not None and row.chart_file_id


def test_a_rerun_after_the_chart_went_out_unrecorded_does_not_upload_it_again(
    world: World,
) -> None:
    """A worker that died between Slack sharing the chart and recording it: the re-run finds
    the file in the DM by its name and only records it."""
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    seeded_week(team)
    team.turn_on()
    assert tick(world, DUE + timedelta(minutes=1)) == 1
    week = iso_week(DUE.date())
    store = team.store
    store.digest.mark(manager_user_id=team.manager, week=week, chart_file_id=None, sent_at=None)
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    with running_job("rerun"):
        send_digest(store, client, {"manager": team.manager, "week": week})
    assert len(charts(world)) == 1 and len(digests(world)) == 1
    row = store.digest.get(manager_user_id=team.manager, week=week)
    assert row is not None and row.sent_at is not None
    assert row.chart_file_id == charts(world)[0]["id"]


def test_a_manager_left_with_no_reps_gets_no_digest(world: World) -> None:
    """Chosen: a manager whose reps all moved on since the claim gets no message at all (a
    weekly note saying there is nothing would be noise); the claim is ended 'no-reps'."""
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    team.turn_on()
    week = iso_week(DUE.date())
    store = team.store
    claim = DigestClaim(team.manager, week, team.workspace, "k1", DUE.astimezone(UTC))
    assert store.digest.claim(claims=[claim], at=DUE) == [claim]
    for rep in team.reps.values():
        store.approvals.set_manager(rep_user_id=rep, manager_user_id=None)
    client = WebClient(token=TOKEN, base_url=world.fake.base_url)
    with running_job("k1"):
        send_digest(store, client, {"manager": team.manager, "week": week})
    assert digests(world) == [] and world.fake.uploaded_files() == []
    row = store.digest.get(manager_user_id=team.manager, week=week)
    assert row is not None and row.ended == "no-reps"
    assert tick(world, DUE + timedelta(hours=1)) == 0, "and nobody is a manager any more"


def test_a_quiet_week_says_so_in_each_part(world: World) -> None:
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    team.turn_on()
    assert tick(world, DUE + timedelta(minutes=1)) == 1
    (digest,) = digests(world)
    said = text_of(digest)
    assert "No positions waiting for you" in said
    assert "No walk-aways this week." in said
    assert "No re-checks due in the coming week." in said
    assert "No comebacks or wins after a walk this week." in said
    (chart,) = charts(world)
    assert chart["raw"].startswith(b"\x89PNG")


def _pick(value: str) -> dict[str, Any]:
    return {"value": {"type": "static_select", "selected_option": {"value": value}}}


def test_an_admin_turns_the_digest_on_in_the_settings_modal(world: World) -> None:
    from tests.slack.test_journey_managers import settings_values

    world.fake.set_user(world.user, is_admin=True)
    world.command("settings")
    view = {"private_metadata": "", **world.fake.wait_for("views.open")[-1].args["view"]}
    shown = {b.get("block_id"): b for b in view["blocks"]}
    assert shown["digest_on"]["element"]["initial_option"]["value"] == "off", "off by default"
    assert shown["digest_day"]["element"]["initial_option"]["text"]["text"] == "Monday"
    assert shown["digest_hour"]["element"]["initial_option"]["text"]["text"] == "09:00"
    values = {
        **settings_values(None, hold=False, days="2"),
        "digest_on": _pick("on"),
        "digest_day": _pick("3"),
        "digest_hour": _pick("16"),
    }
    bad = world.submit_view(view, {**values, "digest_day": _pick("9")})
    assert "one of the seven weekdays" in bad.json()["errors"]["digest_on"]
    assert world.submit_view(view, values).status == 200
    world.settle()
    workspace = world.store().ensure_workspace(team_id=world.team)
    chosen = world.store().digest.settings(workspace_id=workspace)
    assert (chosen.enabled, chosen.weekday, chosen.hour) == (True, 3, 16)
    said = world.fake.calls("chat.postMessage")[-1].args["text"]
    assert "weekly digest Thursdays at 16:00 managers' time" in said
    assert world.submit_view(view, {**values, "digest_on": _pick("off")}).status == 200
    world.settle()
    assert not world.store().digest.settings(workspace_id=workspace).enabled


def test_a_claim_whose_sweep_died_before_queueing_is_sent_by_a_later_tick(world: World) -> None:
    """A process that claimed the week and died before queueing its job: the next tick queues
    it again under the same job key, and the digest goes out once."""
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    team.turn_on()
    week = iso_week(DUE.date())
    claim = DigestClaim(team.manager, week, team.workspace, "stranded1", DUE.astimezone(UTC))
    assert team.store.digest.claim(claims=[claim], at=DUE.astimezone(UTC)) == [claim]
    assert tick(world, DUE + timedelta(minutes=1)) == 0, "too fresh to be taken for dead"
    assert digests(world) == []
    assert tick(world, DUE + timedelta(minutes=5)) == 0, "not claimed again, only queued"
    assert len(digests(world)) == 1 and len(charts(world)) == 1
    row = team.store.digest.get(manager_user_id=team.manager, week=week)
    assert row is not None and row.job_key == "stranded1" and row.sent_at is not None


def test_a_busy_week_fits_slack_and_counts_what_it_does_not_show(world: World) -> None:
    """Ten walk-aways with long names and long reasons: eight are shown, the rest counted, and
    every text stays inside Block Kit's limits (checked for every call by the fixture)."""
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    long_reason = "They asked for a guarantee we cannot give & <@U0EVIL> said so " * 6
    for n in range(10):
        team.record(
            REPS[n % 3],
            f"<!channel> Deal {n} " + "with a very long name " * 8,
            verdict(Outcome.WALK, long_reason, long_reason),
            DUE.astimezone(UTC) - timedelta(days=1, minutes=n),
        )
    team.turn_on()
    assert tick(world, DUE + timedelta(minutes=1)) == 1
    (digest,) = digests(world)
    said = text_of(digest)
    assert "10 clean exits" in said and "…and 2 more." in said
    assert "<!channel>" not in said and "<@U0EVIL>" not in said, "the reps' text is escaped"
    assert "&lt;!channel&gt; Deal 0" in said and "Deal 9" not in said, "newest first"


def test_a_digest_claimed_before_the_workspace_turned_it_off_is_not_sent(world: World) -> None:
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    team.turn_on()
    week = iso_week(DUE.date())
    claim = DigestClaim(team.manager, week, team.workspace, "k2", DUE.astimezone(UTC))
    assert team.store.digest.claim(claims=[claim], at=DUE.astimezone(UTC)) == [claim]
    team.store.digest.save_settings(workspace_id=team.workspace, settings=DigestSettings())
    with running_job("k2"):
        send_digest(
            team.store,
            WebClient(token=TOKEN, base_url=world.fake.base_url),
            {"manager": team.manager, "week": week},
        )
    assert digests(world) == [] and world.fake.uploaded_files() == []
    row = team.store.digest.get(manager_user_id=team.manager, week=week)
    assert row is not None and row.ended == "off"


def test_an_upload_url_that_refuses_the_chart_is_retried_with_a_new_one(world: World) -> None:
    world.fake.set_user(MANAGER, tz="America/New_York")
    team = Team(world)
    team.turn_on()
    world.fake.fail_next("upload")
    assert tick(world, DUE + timedelta(minutes=1)) == 1
    assert len(digests(world)) == 1 and len(charts(world)) == 1
    assert len(world.fake.calls("files.getUploadURLExternal")) == 2, "a fresh URL for the retry"
