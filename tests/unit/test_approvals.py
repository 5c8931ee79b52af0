"""The approval rules that need no Slack: business days, mentions, override and settings input."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.approvals import blocks as approval_blocks
from bot.approvals import discussion_blocks, ping_blocks
from bot.approvals.payloads import pick_block_id, record_from_pick_block
from bot.approvals.rules import (
    BadMention,
    OverrideInput,
    OverrideProblem,
    SettingsProblem,
    draft_excerpt,
    needs_position,
    override_choices,
    parse_mention,
    parse_settings,
)
from bot.config import Settings, SettingsError, load_settings
from bot.domain.dates import add_business_days
from bot.domain.model import Condition, Outcome, Reason, Verdict
from bot.slack.names import Naming
from storage.approval_info import ApprovalInfo, Decision
from tests.slack.limits import assert_message_within_limits, assert_view_within_limits


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


MON, TUE, WED, THU, FRI, SAT, SUN = (date(2026, 3, d) for d in range(2, 9))


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(MON), 2, at(WED)),
        (at(FRI, 15), 1, at(MON + timedelta(days=7), 15)),
        (at(THU, 9), 2, at(MON + timedelta(days=7), 9)),
        (at(FRI), 5, at(FRI + timedelta(days=7))),
        (at(WED), 0, at(WED)),
    ],
    ids=["mon+2", "fri+1-skips-weekend", "thu+2", "fri+5", "zero"],
)
def test_business_days_skip_weekends(start: datetime, days: int, due: datetime) -> None:
    assert add_business_days(start, days) == due


@pytest.mark.parametrize("start", [at(SAT, 10), at(SUN, 23, 59)], ids=["saturday", "sunday"])
def test_a_weekend_request_counts_from_monday_morning(start: datetime) -> None:
    assert add_business_days(start, 1) == at(TUE + timedelta(days=7), 0)
    assert add_business_days(start, 0) == at(MON + timedelta(days=7), 0)


def test_business_days_refuse_naive_times_and_negative_counts() -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_days(datetime(2026, 3, 2, 10), 1)
    with pytest.raises(ValueError, match="negative"):
        add_business_days(at(MON), -1)


@given(
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
    ),
    days=st.integers(min_value=1, max_value=30),
)
def test_the_due_moment_is_on_a_weekday_after_exactly_that_many_weekdays(
    start: datetime, days: int
) -> None:
    due = add_business_days(start, days)
    assert due > start
    assert due.weekday() < 5
    weekdays = sum(
        1
        for n in range(1, (due.date() - start.date()).days + 1)
        if (start.date() + timedelta(days=n)).weekday() < 5
    )
    if start.weekday() < 5:
        assert weekdays == days
        assert due.time() == start.time()
    else:  # counting starts at Monday 00:00, so Monday itself is one of the days passed
        assert weekdays == days + 1
        assert due.time() == datetime.min.time()


XMAS_MON = MON + timedelta(days=7)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        (at(FRI, 15), 1, at(XMAS_MON + timedelta(days=1), 15)),
        (at(THU, 9), 2, at(XMAS_MON + timedelta(days=1), 9)),
        (at(SAT, 10), 0, at(XMAS_MON + timedelta(days=1), 0)),
        (at(XMAS_MON, 10), 1, at(XMAS_MON + timedelta(days=2), 0)),
        (at(MON), 2, at(WED)),
    ],
    ids=[
        "fri+1-skips-weekend-and-holiday",
        "thu+2",
        "weekend-then-holiday",
        "on-holiday",
        "holiday-elsewhere",
    ],
)
def test_business_days_also_skip_listed_holidays(start: datetime, days: int, due: datetime) -> None:
    assert add_business_days(start, days, holidays={XMAS_MON}) == due


def test_holidays_come_from_walkaway_holidays_as_iso_dates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WALKAWAY_HOLIDAYS", " 2026-12-25, 2027-01-01 ,")
    assert Settings(_env_file=None).holidays == {date(2026, 12, 25), date(2027, 1, 1)}
    monkeypatch.delenv("WALKAWAY_HOLIDAYS")
    assert Settings(_env_file=None).holidays == frozenset()
    monkeypatch.setenv("WALKAWAY_HOLIDAYS", "2026-12-25,25/12/2026")
    with pytest.raises(SettingsError, match=r"WALKAWAY_HOLIDAYS .*'25/12/2026' is not one"):
        load_settings()


@pytest.mark.parametrize(
    ("text", "user"),
    [("<@U0MGR|dana>", "U0MGR"), ("<@W123ABC>", "W123ABC"), ("  <@U0MGR|dana.k>  ", "U0MGR")],
)
def test_a_mention_as_slack_sends_it_names_one_user(text: str, user: str) -> None:
    assert parse_mention(text) == user


@pytest.mark.parametrize(
    "text",
    ["@dana", "dana", "<#C123|deals>", "<@U0MGR|dana> and <@U0TWO|sam>", "<@U0MGR> please", ""],
)
def test_anything_but_one_mention_is_refused_with_a_hint(text: str) -> None:
    with pytest.raises(BadMention, match=r"manager|one"):
        parse_mention(text)


def test_only_course_changing_verdicts_need_a_position() -> None:
    assert {o for o in Outcome if needs_position(o)} == {
        Outcome.WALK,
        Outcome.STOP_PILOT,
        Outcome.DEFER,
    }


def test_an_override_needs_another_outcome_and_a_reason() -> None:
    ok = OverrideInput.parse(outcome="proceed", reason="  Their CFO signed. ", current=Outcome.WALK)
    assert ok == OverrideInput(outcome=Outcome.PROCEED, reason="Their CFO signed.")
    with pytest.raises(OverrideProblem) as missing:
        OverrideInput.parse(outcome="proceed", reason="   ", current=Outcome.WALK)
    assert missing.value.field == "reason"
    with pytest.raises(OverrideProblem) as same:
        OverrideInput.parse(outcome="walk", reason="why not", current=Outcome.WALK)
    assert same.value.field == "outcome"
    with pytest.raises(OverrideProblem) as unknown:
        OverrideInput.parse(outcome=None, reason="x", current=Outcome.WALK)
    assert unknown.value.field == "outcome"
    assert Outcome.WALK not in override_choices(Outcome.WALK)


def test_settings_input_is_checked_again_on_the_server() -> None:
    saved = parse_settings(channel="C0DESK", hold=True, days="3")
    assert (saved.deal_desk_channel_id, saved.hold_until_agreed, saved.reminder_business_days) == (
        "C0DESK",
        True,
        3,
    )
    for bad in ("0", "31", "two", None):
        with pytest.raises(SettingsProblem):
            parse_settings(channel=None, hold=False, days=bad)


def test_the_draft_excerpt_is_at_most_300_characters_cut_on_a_word_with_an_ellipsis() -> None:
    draft = "Hi Dana,\n\n" + " ".join(f"word{n}" for n in range(200))
    excerpt = draft_excerpt(draft)
    assert excerpt is not None and len(excerpt) <= 300 and excerpt.endswith("…")
    assert excerpt.startswith("Hi Dana,\nword0 word1"), "the greeting keeps its line, no gap"
    last = excerpt[:-1].split()[-1]
    assert last in draft.split(), f"cut inside a word: {last!r}"
    assert draft_excerpt("Short.\n\n  Thanks.  ") == "Short.\nThanks."
    assert draft_excerpt("   ") is None
    unbroken = draft_excerpt("x" * 2000)
    assert unbroken is not None and len(unbroken) == 300 and unbroken.endswith("…")


@given(st.text(alphabet=st.sampled_from("ab cd\n,."), max_size=700))
def test_any_draft_excerpt_fits_and_only_ends_in_an_ellipsis_when_cut(draft: str) -> None:
    excerpt = draft_excerpt(draft)
    if excerpt is None:
        assert not draft.strip()
        return
    assert len(excerpt) <= 300
    kept = "\n".join(" ".join(line.split()) for line in draft.splitlines() if line.strip())
    assert excerpt.endswith("…") == (len(kept) > 300)
    assert kept.startswith(excerpt.removesuffix("…"))


def test_the_picker_block_id_round_trips_the_record() -> None:
    assert record_from_pick_block(pick_block_id(42)) == 42
    assert record_from_pick_block("pick_manager|x") is None
    assert record_from_pick_block("verdict") is None


# -- discussion messages at their limits -------------------------------------------------------

WORST = "<!channel> & <https://evil|x> " * 40
"""A deal name, reason or link text as long and as hostile as anyone could type."""


def _worst_approval(**changes: Any) -> ApprovalInfo:
    base = ApprovalInfo(
        id=1,
        record_id=7,
        workspace_id=1,
        team_id="T1",
        deal_name=WORST[:200],
        outcome=Outcome.WALK,
        rep_user_id=1,
        rep_slack_id="U0REP",
        rep_channel_id="DU0REP",
        rep_thread_ts="1.1",
        card_ts="1.2",
        approver_user_id=2,
        approver_slack_id="U0MGR",
        approver_channel_id=None,
        ping_channel_id="DU0MGR",
        ping_ts="2.1",
        hold_until_agreed=True,
        requested_at=at(MON),
        remind_after=at(WED),
        reminder_claimed_at=None,
        decision=None,
        decided_by=None,
        decided_at=None,
        override_outcome=None,
        reason=None,
        discussion_by="U0MGR",
        discussion_started_at=at(TUE),
        discussion_channel_id="G0MGR0REP",
        discussion_link="https://example.slack.com/archives/G0MGR0REP/p1700000000000100",
    )
    return replace(base, **changes)


def _worst_verdict() -> Verdict:
    return Verdict(
        outcome=Outcome.WALK,
        reasons=tuple(Reason(f"s{i}", WORST, Outcome.WALK) for i in range(12)),
        conditions=tuple(Condition(f"s{i}", WORST) for i in range(12)),
        cautions=(),
        recheck_on=None,
        record_line=WORST * 3,
    )


@pytest.mark.parametrize(
    "approval",
    [
        _worst_approval(),
        _worst_approval(approver_slack_id=None, approver_channel_id="C0DESK"),
        _worst_approval(discussion_channel_id="DU0MGR", discussion_link=None),
        _worst_approval(
            decision=Decision.OVERRIDE,
            decided_by="U0MGR",
            decided_at=at(WED),
            override_outcome=Outcome.PROCEED,
            reason=WORST * 2,
        ),
    ],
    ids=["group-dm", "desk-thread", "no-group-dm", "overridden-after-talk"],
)
def test_discussion_messages_stay_within_slack_limits_and_inert(approval: ApprovalInfo) -> None:
    verdict = _worst_verdict()
    link = "https://example.slack.com/archives/DU0MGR/p1700000000000001"
    messages = [
        ping_blocks.ping_message(approval, verdict=verdict, draft=WORST),
        ping_blocks.ping_message(approval, verdict=verdict, draft=WORST, who=Naming({})),
        discussion_blocks.discuss_opener(approval, verdict=verdict, request_link=link),
        discussion_blocks.discuss_opener(approval, verdict=verdict, no_group="<!here>" * 50),
        discussion_blocks.discussion_notice(approval),
        discussion_blocks.discussion_notice(approval, no_group="missing_scope"),
        discussion_blocks.discussion_reminder(approval, request_link=link),
        discussion_blocks.discussion_closed(approval),
        approval_blocks.rep_notice(approval),
    ]
    for text, blocks in messages:
        dumped = [block.to_dict() for block in blocks]
        assert_message_within_limits(dumped, text)
        seen = json.dumps(dumped)
        assert "<!channel>" not in seen and "<!here>" not in seen
        assert "<https://evil" not in seen
    assert_message_within_limits(
        [b.to_dict() for b in approval_blocks.card_blocks(approval)], "card"
    )
    record = SimpleNamespace(
        sent_text=None, draft_text=WORST * 10, verdict=verdict
    )  # the fields draft_modal reads
    modal = ping_blocks.draft_modal(approval, record).to_dict()  # type: ignore[arg-type]
    assert_view_within_limits(modal)
    assert "<!channel>" not in json.dumps(modal)
    assert "".join(b["text"]["text"] for b in modal["blocks"] if b["type"] == "section").count(
        "&lt;!channel&gt;"
    ) == 10 * WORST.count("<!channel>"), "the whole draft, nothing cut"
    assert len(approval_blocks.already_discussing(approval)) < 1000
