"""Search blocks for a record under discussion: the result line and the Details modal say so, in
escaped mrkdwn and within Slack's limits; a final position still wins."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.domain.model import Outcome
from bot.domain.search_query import SearchQuery
from bot.search import blocks, details
from bot.search.payloads import SearchRecordRef
from bot.slack.names import Naming
from storage.records import RecordDetail, RecordStatus
from storage.search import ManagerDecision, ManagerDiscussion, SearchHit, SearchPage
from tests.slack.limits import assert_message_within_limits, assert_view_within_limits
from tests.storage.builders import defer_verdict

STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SINCE = "<!date^1795428000^{date_short_pretty}|23 Nov 2026>"
"""STARTED as Slack shows it: the day in the reader's own zone, UTC for old clients."""
TALKING = ManagerDiscussion(started_by="U0MGR", started_at=STARTED)
AGREED = ManagerDecision(
    decision="agree",
    decided_by="U0MGR",
    decided_at=datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    override_outcome=None,
    reason=None,
)


def _hit(
    *, decision: ManagerDecision | None = None, discussion: ManagerDiscussion | None = TALKING
) -> SearchHit:
    return SearchHit(
        id=7,
        deal_name="Acme <renewal> & co",
        rep_slack_user_id="U0REP",
        rep_manager_slack_id="U0MGR",
        outcome=Outcome.WALK,
        status=RecordStatus.OPEN,
        created_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        recheck_on=None,
        record_line="Walk: the earlier failure is still there.",
        reasons=("x" * 3000,) * 8,
        conditions=("an operational owner is named",),
        decision=decision,
        channel_id="D0REP",
        thread_ts="1700000000.000100",
        discussion=discussion,
    )


def _texts(blocks_: list[Any]) -> str:
    return repr([b.to_dict() for b in blocks_])


def test_a_discussion_says_since_when_and_who_started_it() -> None:
    assert blocks.decision_line(None, TALKING) == (
        f":speech_balloon: Under discussion since {SINCE} (started by <@U0MGR>)"
    )


def test_a_final_position_wins_over_a_discussion_and_nothing_is_still_nothing() -> None:
    assert blocks.decision_line(AGREED, TALKING).startswith(":white_check_mark: Manager agreed")
    assert blocks.decision_line(AGREED) == blocks.decision_line(AGREED, None)
    assert blocks.decision_line(None, None) == "No manager decision yet."
    assert blocks.decision_line(None) == "No manager decision yet."


def test_an_unknown_starter_is_left_out_and_a_strange_id_is_escaped() -> None:
    unknown = ManagerDiscussion(started_by=None, started_at=STARTED)
    assert blocks.decision_line(None, unknown) == (
        f":speech_balloon: Under discussion since {SINCE}"
    )
    odd = ManagerDiscussion(started_by="U1><!channel>&", started_at=STARTED)
    line = blocks.decision_line(None, odd)
    assert "<!channel>" not in line
    assert "(started by <@U1&gt;&lt;!channel&gt;&amp;>)" in line


def test_the_result_page_and_a_shared_result_show_the_discussion_within_limits() -> None:
    page = SearchPage(
        hits=(_hit(), _hit(discussion=None)), page=0, page_size=5, total=2, capped=False
    )
    text, found = blocks.results(SearchQuery(words=("acme",)), page, {}, channel="C0SEARCH")
    assert_message_within_limits(found, text)
    shown = _texts(found)
    assert f"Under discussion since {SINCE} (started by <@U0MGR>)" in shown
    assert "No manager decision yet." in shown  # the other hit, never looked at
    names = Naming({"U0MGR": "Sam <Ortiz>", "U0REP": "Dana", "U0SHARER": "Lee"})
    text, one = blocks.shared_one(_hit(), None, shared_by="U0SHARER", channel="C0SEARCH", who=names)
    assert_message_within_limits(one, text)
    assert f"Under discussion since {SINCE} (started by Sam &lt;Ortiz&gt;)" in _texts(one)
    assert "<@" not in _texts(one) + text and text.startswith("Lee shared")


def test_the_details_modal_shows_the_discussion_as_the_managers_line() -> None:
    verdict = defer_verdict()
    record = RecordDetail(
        id=7,
        deal_name="Acme <renewal> & co",
        rep_slack_user_id="U0REP",
        outcome=verdict.outcome,
        status=RecordStatus.OPEN,
        created_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
        recheck_on=date(2026, 12, 1),
        record_line=verdict.record_line,
        workspace_id=1,
        session_id=1,
        verdict=verdict,
        answers=(),
        notes={},
        checklist_hash="sha256:0",
        checklist_snapshot={},
        draft_text="Hello",
        sent_text=None,
        sent_at=None,
        sent_by=None,
        status_history=(),
        channel_id="D0REP",
        thread_ts="1700000000.000100",
        updated_at=datetime(2026, 11, 20, 8, 0, tzinfo=UTC),
    )
    view = details.details_modal(
        record, _hit(), can_change=True, meta=SearchRecordRef(record=7, channel=None)
    )
    assert_view_within_limits(view)
    texts = [b.to_dict().get("text", {}).get("text", "") for b in view.blocks]
    manager = [t for t in texts if t.startswith("*Manager*")]
    assert manager == [
        f"*Manager* :speech_balloon: Under discussion since {SINCE} (started by <@U0MGR>)"
    ]


def test_a_capped_page_says_whether_every_match_or_only_the_newest_was_ranked() -> None:
    query = SearchQuery(words=("acme",))
    for ranked_all, said in (
        (False, "so I ranked the newest 1,000"),
        (True, "More than 100 records match; the best are first"),
    ):
        total = 100 if ranked_all else 1000  # PostgreSQL counts to 100 (storage.search.pg)
        page = SearchPage(
            hits=(_hit(),), page=0, page_size=5, total=total, capped=True, ranked_all=ranked_all
        )
        text, found = blocks.results(query, page, {}, channel="C0SEARCH")
        assert_message_within_limits(found, text)
        assert said in _texts(found)
        assert ("newest" in _texts(found)) is not ranked_all
