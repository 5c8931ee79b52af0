"""`/walkaway search`, end to end: signed commands and clicks to the real app, the fake Web API.

Records come from a real qualification run through the DM thread where the journey is about
what a finished check leaves behind, and from tests.storage.search_builders where a journey
needs many varied records. Every reply the app sends, through the Web API or a response_url,
and every view it returns, is checked against Slack's limits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage.approval_info import Decision
from storage.columns import utcnow
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD, FakeSlack
from tests.slack.limits import (
    assert_call_within_limits,
    assert_message_within_limits,
    assert_view_within_limits,
)
from tests.slack.signed import Response, button_click, submission
from tests.slack.world import REP, TEAM, World, actions_of, sqlite_url, text_of, wait_until
from tests.storage.conftest import postgres_databases  # noqa: F401  (fixture, used by name)
from tests.storage.search_builders import (
    FRESH_SCAR,
    GUARANTEE_WALK,
    KILL_CRITERIA,
    SCAR_WALK,
    make_record,
)

CHANNEL = "C0DEALS"
MGR = "U0MGR"
OTHER = "U0OTHER"
WALK_ANSWERS = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
    "scar.months_since": "9",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path) -> Iterator[World]:
    """The conftest's world, on SQLite and on PostgreSQL: search differs most between them."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = str(request.getfixturevalue("postgres_databases").create())
    with World.serving(fake, url) as running:
        yield running
        running.settle()
        for call in fake.calls():
            assert_call_within_limits(call)


@pytest.fixture
def store(world: World) -> Iterator[Store]:
    opened = world.store()
    yield opened
    opened.close()


@pytest.fixture
def workspace(store: Store) -> int:
    return store.ensure_workspace(team_id=TEAM)


@pytest.fixture
def rep(store: Store, workspace: int) -> int:
    return store.ensure_user(workspace_id=workspace, slack_user_id=REP)


# -- helpers --------------------------------------------------------------------------------


def replies(world: World) -> list[dict[str, Any]]:
    """Everything the app posted to a response_url (private replies, shares, page turns)."""
    return [c.args for c in world.fake.calls(RESPONSE_URL_METHOD)]


def search(world: World, text: str, *, user: str = REP, team: str = TEAM) -> dict[str, Any]:
    """Run `/walkaway search <text>` in CHANNEL and return the reply the searcher sees."""
    before = len(replies(world))
    reply = world.slack.command(
        text="search " + text, user_id=user, team_id=team, channel_id=CHANNEL
    )
    assert reply.status == 200, reply
    return next_reply(world, before)


def next_reply(world: World, before: int) -> dict[str, Any]:
    world.fake.wait_for(RESPONSE_URL_METHOD, count=before + 1)
    world.settle()
    answer = replies(world)[before]
    assert_message_within_limits(answer.get("blocks"), answer.get("text"))
    return answer


def button(message: dict[str, Any], action_id: str, nth: int = 0) -> dict[str, Any]:
    found = [
        e
        for e in actions_of(message)
        if e.get("action_id") == action_id or str(e.get("action_id")).startswith(action_id + ":")
    ]
    assert len(found) > nth, f"no {action_id} #{nth} in {actions_of(message)}"
    return found[nth]


def click(
    world: World,
    element: dict[str, Any],
    *,
    user: str = REP,
    team: str = TEAM,
    value: str | None = None,
    ephemeral: bool = True,
) -> Response:
    """Click a button of a message shown in CHANNEL (ephemeral results, or a shared post)."""
    payload = button_click(
        user,
        team,
        CHANNEL,
        "1700000000.000001",
        element["action_id"],
        value if value is not None else element["value"],
        "results",
        is_ephemeral=ephemeral,
        response_url=world.slack.response_url(team),
    )
    reply = world.slack.block_action(payload)
    assert reply.status == 200, reply
    return reply


def deals_in(message: dict[str, Any]) -> list[str]:
    """Deal names in a results message, in order (each result's first line is *deal* · …)."""
    names = []
    for block in message.get("blocks", []):
        text = (block.get("text") or {}).get("text", "") if block.get("type") == "section" else ""
        if text.startswith("*") and "  ·  " in text:
            names.append(text[1:].split("*  ·  ")[0])
    return names


def open_details(world: World, element: dict[str, Any], *, user: str = REP) -> dict[str, Any]:
    opened = len(world.fake.calls("views.open"))
    click(world, element, user=user)
    view: dict[str, Any] = world.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
    return view


def submit_status(
    world: World, view: dict[str, Any], status: str, note: str, *, user: str = REP
) -> dict[str, Any]:
    state: dict[str, dict[str, Any]] = {
        "record_status": {
            "status": {"type": "static_select", "selected_option": {"value": status}}
        },
        "record_status_note": {"note": note},
    }
    payload = submission(user, TEAM, view["callback_id"], view["private_metadata"], state)
    reply = world.slack.view_submission(payload)
    assert reply.status == 200, reply
    body: dict[str, Any] = reply.json()
    if body.get("response_action") == "update":
        assert_view_within_limits(body["view"])
    return body


# -- finding --------------------------------------------------------------------------------


def test_a_finished_qualification_is_found_by_a_word_from_its_note(world: World) -> None:
    world.command("Northwind Logistics renewal")
    for question_id, value in WALK_ANSWERS.items():
        if question_id == "scar.addressable":
            reply = world.answer_in_modal(
                question_id,
                value,
                note="Procurement lead Okafor refuses to name an owner",
                select=True,
            )
            assert reply.status == 200
            world.settle()
        elif question_id == "scar.months_since":
            world.answer_in_modal(question_id, value)
            world.settle()
        else:
            world.answer(question_id, value)
    wait_until(lambda: any("Walk away" in text_of(m) for m in world.thread()), what="verdict")

    found = search(world, "okafor")
    shown = text_of(found)
    assert found.get("response_type") == "ephemeral"
    assert deals_in(found) == ["Northwind Logistics renewal"]
    assert "Walk away" in shown and f"<@{REP}>" in shown and "Open" in shown
    assert "What sank the earlier attempt (unclear ownership) is still there" in shown
    assert "An operational owner is named" in shown
    assert "No manager decision yet." in shown
    thread_link = "https://fake-workspace.slack.com/archives/D" + REP
    assert thread_link in shown and "|the check's thread>" in shown
    assert world.fake.calls("chat.getPermalink")


def test_results_are_ranked_and_paged_five_at_a_time(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    for n in range(12):
        make_record(store, workspace_id=workspace, rep_id=rep, deal=f"Wayne {n:02d}")
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Gotham", notes={"deal.stage": "x"})
    first = search(world, "wayne")
    assert deals_in(first) == [f"Wayne {n:02d}" for n in (11, 10, 9, 8, 7)]
    assert "*1-5 of 12*" in text_of(first)
    assert [b["text"]["text"] for b in actions_of(first) if "search_page" in b["action_id"]] == [
        "Next"
    ]

    before = len(replies(world))
    click(world, button(first, "search_page"))
    second = next_reply(world, before)
    assert second.get("replace_original") is True
    assert deals_in(second) == [f"Wayne {n:02d}" for n in (6, 5, 4, 3, 2)]

    before = len(replies(world))
    click(world, button(second, "search_page", nth=1))  # [Previous, Next]
    third = next_reply(world, before)
    assert deals_in(third) == ["Wayne 01", "Wayne 00"]
    assert [e["text"]["text"] for e in actions_of(third) if "search_page" in e["action_id"]] == [
        "Previous"
    ]

    before = len(replies(world))
    click(world, button(third, "search_page"))
    assert deals_in(next_reply(world, before)) == deals_in(second)


def test_filters_narrow_and_a_mention_names_the_rep(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    other = store.ensure_user(workspace_id=workspace, slack_user_id=OTHER)
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Pilot", answers=KILL_CRITERIA)
    make_record(store, workspace_id=workspace, rep_id=other, deal="Acme Later", answers=FRESH_SCAR)
    make_record(
        store, workspace_id=workspace, rep_id=other, deal="Acme Terms", answers=GUARANTEE_WALK
    )

    def found(query: str) -> set[str]:
        return set(deals_in(search(world, query)))

    assert found("acme outcome:walk") == {"Acme Terms", "Acme Scar"}
    assert found("signal:unclear_ownership") == {"Acme Scar"}
    assert found(f"acme rep:<@{OTHER}|other>") == {"Acme Terms", "Acme Later"}
    assert found("acme rep:me outcome:stop-pilot,walk") == {"Acme Pilot", "Acme Scar"}
    assert found("acme status:open since:2020-01-01 until:2099-12-31") == {
        "Acme Terms",
        "Acme Later",
        "Acme Pilot",
        "Acme Scar",
    }


def test_filters_take_what_a_person_types_not_our_ids(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    dana = store.ensure_user(workspace_id=workspace, slack_user_id="U0DANA")
    world.fake.set_user("U0DANA", name="dana", real_name="Dana Reyes")
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    make_record(store, workspace_id=workspace, rep_id=dana, deal="Acme Later", answers=FRESH_SCAR)
    make_record(
        store, workspace_id=workspace, rep_id=dana, deal="Acme Pilot", answers=KILL_CRITERIA
    )

    def found(query: str) -> set[str]:
        return set(deals_in(search(world, query)))

    assert found("signal:ownership") == {"Acme Scar"}
    assert found("acme outcome:walked") == {"Acme Scar"}
    assert found("acme outcome:deferred") == {"Acme Later"}
    assert found("acme outcome:stop") == {"Acme Pilot"}
    # A name Slack knows (display name, asked once and kept), with or without the @.
    assert found("acme rep:@dana") == {"Acme Later", "Acme Pilot"}
    assert found("acme rep:Dana outcome:defer") == {"Acme Later"}
    assert found("acme rep:<@U0DANA>") == {"Acme Later", "Acme Pilot"}
    assert found('acme rep:"Dana Reyes"') == {"Acme Later", "Acme Pilot"}
    # What the page says it searched for is in words, not ids.
    shown = text_of(search(world, "signal:ownership"))
    assert "Earlier attempt: nobody owned it" in shown and "unclear_ownership" not in shown


def test_an_ambiguous_or_unknown_filter_value_is_answered_with_the_choices(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    shown = text_of(search(world, "acme signal:pilot"))
    assert "`signal:pilot` matches 2 signals. Which one?" in shown
    assert "`signal:kill_criteria_met`" in shown and "`signal:guarantee_refused_pilot`" in shown
    shown = text_of(search(world, "acme signal:price"))
    assert "is not a signal I know" in shown and "`signal:unclear_ownership`" in shown
    for who, name in (("U0DANA1", "dana.reyes"), ("U0DANA2", "dana.lee")):
        user = store.ensure_user(workspace_id=workspace, slack_user_id=who)
        world.fake.set_user(who, name=name)
        make_record(
            store, workspace_id=workspace, rep_id=user, deal=f"Acme {name}", answers=SCAR_WALK
        )
    shown = text_of(search(world, "acme rep:@dana"))
    assert "`rep:@dana` could be 2 people. Which one?" in shown
    assert "Dana Reyes: `rep:U0DANA1`" in shown and "Dana Lee: `rep:U0DANA2`" in shown
    assert "<@U0DANA" not in shown, "choices name people without mentioning them"
    assert deals_in(search(world, "acme rep:U0DANA2")) == ["Acme dana.lee"]
    shown = text_of(search(world, "acme rep:@zed"))
    assert "I don't know anyone called @zed here" in shown and "`rep:U0DANA1`" in shown


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        '"acme',
        'NEAR("acme" "scar", 2) OR acme*',
        "acme'; DROP TABLE walkaway_records; --",
        "💥 acme 🔥 :fire:",
        "acme " + "x" * 4995,
        " ".join(["acme"] * 1250),
        "<!channel> <https://evil.example|acme> &amp; acme",
    ],
)
def test_hostile_queries_are_searched_as_text_never_an_error(
    world: World, store: Store, workspace: int, rep: int, query: str
) -> None:
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    found = search(world, query)
    shown = text_of(found)
    assert "went wrong" not in shown
    assert "<!channel>" not in shown and "<https://evil" not in shown
    assert found.get("response_type") == "ephemeral"
    # The data is intact and still found.
    assert deals_in(search(world, "acme")) == ["Acme Scar"]


def test_an_unknown_filter_is_named_with_the_valid_ones(world: World) -> None:
    shown = text_of(search(world, "acme colour:blue"))
    assert "`colour:`" in shown
    for name in ("outcome:", "signal:", "rep:", "status:", "since:", "until:"):
        assert name in shown


def test_a_malformed_date_is_named(world: World) -> None:
    shown = text_of(search(world, "acme since:2026-13-45"))
    assert "since:2026-13-45" in shown and "YYYY-MM-DD" in shown


def test_a_bad_filter_value_lists_the_accepted_ones(world: World) -> None:
    shown = text_of(search(world, "status:maybe"))
    assert "status:maybe" in shown and "re-engaged" in shown


def test_an_empty_result_says_so_and_suggests_dropping_filters(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    shown = text_of(search(world, "acme outcome:defer status:won"))
    assert "No walk-away records match" in shown
    assert "Try dropping a filter" in shown and "`outcome:defer`" in shown
    assert "`status:won`" in shown


def test_a_rep_name_nobody_has_is_explained(world: World) -> None:
    shown = text_of(search(world, "acme rep:@nobody"))
    assert "@nobody" in shown and "rep:@" in shown


def test_search_alone_explains_the_syntax(world: World) -> None:
    shown = text_of(search(world, ""))
    assert "outcome:" in shown and "since:" in shown and "&lt;words&gt;" in shown


# -- sharing --------------------------------------------------------------------------------


def test_share_posts_the_page_visibly_in_the_channel_naming_the_sharer(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    for name in ("Acme Scar", "Acme Pilot"):
        make_record(store, workspace_id=workspace, rep_id=rep, deal=name, answers=SCAR_WALK)
    found = search(world, "acme")
    posted = len(world.fake.calls("chat.postMessage"))
    click(world, button(found, "search_share"))
    world.fake.wait_for("chat.postMessage", count=posted + 1)
    world.settle()
    [message] = world.fake.messages(CHANNEL)
    assert "u0rep shared 2 of 2 walk-away records for *acme*" in text_of(message)
    assert deals_in(message) == ["Acme Pilot", "Acme Scar"]
    assert {e["action_id"] for e in actions_of(message)} == {"search_details"}


def test_share_one_record_and_fall_back_to_the_response_url_outside_the_bot_s_channels(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Pilot", answers=SCAR_WALK)
    found = search(world, "acme")
    world.fake.fail_next("chat.postMessage", "not_in_channel")
    before = len(replies(world))
    click(world, button(found, "search_share_one", nth=1))
    shared = next_reply(world, before)
    assert shared["response_type"] == "in_channel" and shared.get("replace_original") is False
    assert "u0rep shared a walk-away record" in text_of(shared)
    assert deals_in(shared) == ["Acme Scar"]


REPS = {"U0DANA": "Dana Reyes", "U0SAM": "Sam Ortiz", "U0KIM": "Kim Park"}
"""Reps whose walk-aways a shared search shows: none of them may be pinged by it."""
LEAD, STARTER = "U0LEAD", "U0STARTER"


def _several_reps_records(world: World, store: Store, workspace: int) -> list[str]:
    """A record per rep in REPS; one agreed by LEAD, one under a discussion STARTER began."""
    for person, name in {**REPS, LEAD: "Lee Chan", STARTER: "Ana Lima", REP: "Rae Quinn"}.items():
        world.fake.set_user(person, name=name, real_name=name)
    lead = store.ensure_user(workspace_id=workspace, slack_user_id=LEAD)
    starter = store.ensure_user(workspace_id=workspace, slack_user_id=STARTER)
    deals = []
    for n, person in enumerate(REPS):
        rep_id = store.ensure_user(workspace_id=workspace, slack_user_id=person)
        deal = f"Acme {REPS[person].split()[0]}"
        record = make_record(
            store, workspace_id=workspace, rep_id=rep_id, deal=deal, answers=SCAR_WALK
        )
        store.approvals.open(
            record_id=record,
            approver_user_id=lead,
            approver_channel_id=None,
            hold_until_agreed=False,
            card_ts=None,
        )
        if n == 0:
            store.approvals.decide(record_id=record, decision=Decision.AGREE, by_user_id=lead)
        elif n == 1:
            store.approvals.start_discussion(
                record_id=record, by_user_id=starter, at=utcnow(), remind_after=None
            )
        deals.append(deal)
    return deals


def _no_mention_of_anyone(posted: dict[str, Any]) -> str:
    seen = json.dumps([posted.get("text"), posted.get("blocks")], ensure_ascii=False)
    for person in [*REPS, LEAD, STARTER, REP]:
        assert f"<@{person}" not in seen, f"{person} would be pinged by the shared post"
    # Slack's date tokens (bot/slack/dates.py) notify no one; any other <!…> would (@here, …).
    unpinged = re.sub(r"<!date\^\d+\^[^|<>]*\|[^<>]*>", "", seen)
    assert "<@" not in unpinged and "<!" not in unpinged
    return seen


def test_sharing_a_search_names_every_rep_and_manager_without_pinging_them(
    world: World, store: Store, workspace: int
) -> None:
    deals = _several_reps_records(world, store, workspace)
    found = search(world, "acme")
    assert {f"<@{person}>" for person in REPS} <= set(
        re.findall(r"<@\w+>", json.dumps(found["blocks"]))
    ), "the private page may mention: nobody else sees it"
    posted = len(world.fake.calls("chat.postMessage"))
    click(world, button(found, "search_share"))
    world.fake.wait_for("chat.postMessage", count=posted + 1)
    world.settle()
    [message] = world.fake.messages(CHANNEL)
    assert sorted(deals_in(message)) == sorted(deals)
    call = world.fake.calls("chat.postMessage")[-1].args
    seen = _no_mention_of_anyone(call)
    assert "Rae Quinn shared 3 of 3 walk-away records" in text_of(message)
    for name in REPS.values():
        assert f"rep {name}" in seen
    assert "Manager agreed — Lee Chan" in seen and "(started by Ana Lima)" in seen

    looked_up = len(world.fake.calls("users.info"))
    before = len(replies(world))
    world.fake.fail_next("chat.postMessage", "not_in_channel")  # the response_url fallback
    click(world, button(found, "search_share_one", nth=1))
    shared = next_reply(world, before)
    assert shared["response_type"] == "in_channel"
    _no_mention_of_anyone(shared)
    assert "Rae Quinn shared a walk-away record" in text_of(shared)
    assert len(world.fake.calls("users.info")) == looked_up, "names learnt once are stored"


def test_a_person_slack_will_not_name_is_a_teammate_not_a_mention(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Scar", answers=SCAR_WALK)
    found = search(world, "acme")
    world.fake.fail_next("users.info", "user_not_found")
    posted = len(world.fake.calls("chat.postMessage"))
    click(world, button(found, "search_share"))
    world.fake.wait_for("chat.postMessage", count=posted + 1)
    world.settle()
    [message] = world.fake.messages(CHANNEL)
    assert "a teammate shared 1 of 1" in text_of(message) and "<@" not in text_of(message)


# -- details and status ---------------------------------------------------------------------


def _one_record(world: World, store: Store, workspace: int, rep: int) -> dict[str, Any]:
    record_id = make_record(
        store,
        workspace_id=workspace,
        rep_id=rep,
        deal="Initech",
        answers=SCAR_WALK,
        notes={"scar.addressable": "They refuse to name an owner"},
        draft="Hi,\nWe want your rollout to succeed.",
    )
    store.mark_sent(
        record_id=record_id, text="Hi,\nWe want your rollout to succeed.", by_user_id=rep
    )
    return search(world, "initech")


def test_details_show_the_whole_history_and_the_owner_changes_the_status(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    found = _one_record(world, store, workspace, rep)
    view = open_details(world, button(found, "search_details"))
    shown = text_of(view)
    assert "Initech" in shown and "Walk away" in shown
    assert "They refuse to name an owner" in shown and f"<@{REP}>" in shown  # answer, rep
    # Answers in words (the choice's label), not our ids; the rep's own answers need no name.
    assert "*Nobody owned it*" in shown and "unclear_ownership" not in shown
    assert "answered by" not in shown
    assert "<!date^" in shown and "UTC" in shown  # times in the reader's zone, UTC fallback
    assert "*Status history*" in shown and "No manager decision yet." in shown
    assert "We want your rollout to succeed." in shown and "*Sent by" in shown
    assert view.get("submit") is not None

    body = submit_status(world, view, "won", "Signed after they named an owner")
    assert body["response_action"] == "update"
    assert "Status set to *Won*" in text_of(body["view"])
    world.settle()  # the rep's Home shows the record's new status
    (home,) = [c.args["view"] for c in world.fake.calls("views.publish")]
    assert "Initech* · Walk away · Won" in text_of(home)
    assert "Signed after they named an owner" in text_of(body["view"])
    assert deals_in(search(world, "named owner status:won")) == ["Initech"]


def test_the_reps_manager_may_change_the_status(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    manager = store.ensure_user(workspace_id=workspace, slack_user_id=MGR)
    store.approvals.set_manager(rep_user_id=rep, manager_user_id=manager)
    found = _one_record(world, store, workspace, rep)
    view = open_details(world, button(found, "search_details"), user=MGR)
    assert view.get("submit") is not None
    body = submit_status(world, view, "re-engaged", "New CFO wants to talk", user=MGR)
    assert body["response_action"] == "update"
    assert deals_in(search(world, "status:re-engaged")) == ["Initech"]


def test_anyone_else_sees_the_history_but_cannot_change_the_status(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    found = _one_record(world, store, workspace, rep)
    view = open_details(world, button(found, "search_details"), user=OTHER)
    assert view.get("submit") is None
    assert "can change this record's status" in text_of(view)
    body = submit_status(world, view, "lost", "I say so", user=OTHER)  # crafted anyway
    assert body["response_action"] == "errors"
    assert "Only the rep" in json.dumps(body["errors"])
    assert deals_in(search(world, "initech status:open")) == ["Initech"]


def test_a_status_change_needs_a_status_and_a_note(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    found = _one_record(world, store, workspace, rep)
    view = open_details(world, button(found, "search_details"))
    assert submit_status(world, view, "open", "back to open")["response_action"] == "errors"
    assert submit_status(world, view, "won", "  ")["errors"] == {
        "record_status_note": "Say what happened, for the record's history."
    }


# -- isolation ------------------------------------------------------------------------------


def test_another_workspace_s_records_are_never_found_nor_reachable_by_id(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    theirs_workspace = store.ensure_workspace(team_id="T2")
    their_rep = store.ensure_user(workspace_id=theirs_workspace, slack_user_id=REP)
    theirs = make_record(
        store,
        workspace_id=theirs_workspace,
        rep_id=their_rep,
        deal="Acme Secret",
        answers=SCAR_WALK,
    )
    make_record(store, workspace_id=workspace, rep_id=rep, deal="Acme Mine", answers=SCAR_WALK)
    mine = search(world, "acme")
    assert deals_in(mine) == ["Acme Mine"]
    assert "Secret" not in json.dumps(replies(world))
    assert deals_in(search(world, "acme", team="T2")) == ["Acme Secret"]

    crafted = json.dumps({"record": theirs, "channel": CHANNEL})
    attempts_from = len(replies(world))
    opened = len(world.fake.calls("views.open"))
    posted = len(world.fake.calls("chat.postMessage"))
    for action in ("search_details", "search_share_one"):
        before = len(replies(world))
        click(world, button(mine, action), value=crafted)
        refusal = next_reply(world, before)
        assert refusal["text"] == "I can't find that walk-away record in this workspace."
    assert len(world.fake.calls("views.open")) == opened
    assert len(world.fake.calls("chat.postMessage")) == posted

    meta = {"callback_id": "record_details_view", "private_metadata": crafted}
    body = submit_status(world, meta, "lost", "hijack")
    assert body["response_action"] == "errors"
    assert "can't find" in json.dumps(body["errors"])
    assert "Secret" not in json.dumps(replies(world)[attempts_from:])


def test_a_tampered_page_button_is_refused_as_out_of_date(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    for n in range(6):
        make_record(store, workspace_id=workspace, rep_id=rep, deal=f"Acme {n}")
    found = search(world, "acme")
    for value in (
        "not json",
        json.dumps({"q": "acme colour:red", "page": 1}),
        json.dumps({"q": "x", "page": -1}),
    ):
        before = len(replies(world))
        click(world, button(found, "search_page"), value=value)
        assert (
            next_reply(world, before)["text"] == "That button is out of date. Run the search again."
        )


def test_long_hostile_record_text_stays_escaped_and_within_slack_limits(
    world: World, store: Store, workspace: int, rep: int
) -> None:
    deal = "<!channel> Acme " + "🎉" * 60 + " & <@U0EVIL> " + "x" * 100
    note = ("<https://evil.example|click> " * 40)[:1000]
    record_id = make_record(
        store,
        workspace_id=workspace,
        rep_id=rep,
        deal=deal,
        answers=SCAR_WALK,
        notes={"scar.addressable": note},
        draft=("A long draft line & more <b> " * 200)[:3000],
    )
    store.mark_sent(record_id=record_id, text=("sent " * 700)[:3000], by_user_id=rep)
    found = search(world, "acme")
    assert "<!channel>" not in text_of(found) and "&lt;!channel&gt;" in text_of(found)
    view = open_details(world, button(found, "search_details"))
    assert_view_within_limits(view)
    assert "<https://evil" not in text_of(view)
    posted = len(world.fake.calls("chat.postMessage"))
    click(world, button(found, "search_share"))
    world.fake.wait_for("chat.postMessage", count=posted + 1)
    assert "<@U0EVIL>" not in text_of(world.fake.messages(CHANNEL)[-1])
