"""Re-checks end to end: *Re-check now* on a walk's card, a check that starts from what was
known, the card saying what changed, the earlier record re-engaged and the manager told once;
`/walkaway recheck` for an unknown deal, a stranger, a won deal, and a double click.

Signed requests to the real app, the recording fake Web API, every call within Block Kit limits
(the `world` fixture checks them all once each journey is done).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.qualification.recheck_blocks import details_button
from bot.search.payloads import SearchRecordRef
from storage.records import RecordStatus
from tests.slack.fake_slack import FakeSlack
from tests.slack.form_world import Form
from tests.slack.world import World, actions_of, text_of, wait_until

MGR = "U0MGR"
OTHER = "U0OTHER"
DEAL = "Acme renewal"
SCAR_WALK = {
    "deal.stage": "negotiation",
    "use_case.autonomous_irreversible": "no",
    "scar.previous_attempt": "yes",
    "scar.failure_mode": "unclear_ownership",
    "scar.still_present": "yes",
    "scar.addressable": "no",
    "scar.months_since": "12",
    "buyer.evidence_receptive": "yes",
    "terms.guarantee_demanded": "no",
    "terms.values_compromised": "no",
    "terms.mutual_benefit": "yes",
    "dynamics.deadlock": "no",
    "dynamics.better_alternative": "no",
    "self.quota_only": "no",
}
TYPED = {"scar.months_since"}


def walk(world: World, deal: str = DEAL, answers: dict[str, str] = SCAR_WALK) -> int:
    """A finished walk-away check; returns its record id."""
    world.start(deal)
    for question_id, value in answers.items():
        if question_id in TYPED:
            assert world.answer_in_modal(question_id, value).status == 200
            world.settle()
        else:
            world.answer(question_id, value)
    card = world.verdict()
    world.settle()
    return record_of(card)


def record_of(card: dict[str, Any]) -> int:
    return int(next(e for e in actions_of(card) if e["action_id"] == "recheck_now")["value"])


def set_manager(world: World) -> None:
    assert world.command(f"manager <@{MGR}|dana>").status == 200
    world.settle()


def still_true(world: World, question_id: str) -> dict[str, Any]:
    """Click *Still true* on the waiting question; returns the question as it was asked."""
    message = world.current_question(question_id)
    button = next(e for e in actions_of(message) if e["text"]["text"] == "Still true")
    posted = len(world.fake.calls("chat.postMessage"))
    assert world.click(message, action_id=button["action_id"]).status == 200
    world.fake.wait_for("chat.postMessage", count=posted + 1)
    return message


def came_back_lines(fake: FakeSlack) -> list[dict[str, Any]]:
    return [m for m in fake.messages("D" + MGR) if "came back" in str(m.get("text"))]


def test_a_walk_rechecked_with_an_owner_named_proceeds_and_the_manager_is_told_once(
    world: World,
) -> None:
    set_manager(world)
    earlier = walk(world)
    card = world.verdict()
    assert world.click(card, action_id="recheck_now").status == 200

    asked = []
    for question_id in SCAR_WALK:
        if question_id == "scar.addressable":
            message = world.current_question(question_id)
            assert "Last time: *No*" in text_of(message)
            assert actions_of(message)[0]["text"]["text"] == "Still true"
            world.answer(question_id, "yes")  # changed: the buyer will name an owner now
        else:
            if question_id == "self.quota_only":  # the last: Slack fails telling the manager
                world.fake.fail_next("conversations.open", "internal_error", status=500, times=3)
            asked.append(still_true(world, question_id))
    assert all("Last time:" in text_of(m) for m in asked)
    totals = [int(re.search(r"of (?:up to )?(\d+)", str(m["text"])).group(1)) for m in asked]  # type: ignore[union-attr]
    assert totals == sorted(totals, reverse=True)  # the progress shown never grows
    number = next(m for m in asked if "scar.months_since|" in json.dumps(m["blocks"]))
    assert "Last time: *12*" in text_of(number)

    new_card = wait_until(
        lambda: next(
            (m for m in reversed(world.thread()) if "Proceed:" in str(m.get("text"))), None
        ),
        what="the re-check's card",
    )
    world.settle()
    said = text_of(new_card)
    assert "What changed since last time" in said
    assert "No → Yes" in said
    assert "An earlier failure still in the way" in said  # a label, never the signal id
    assert "scar_not_removable" not in said and "scar.addressable" not in said
    assert f"Re-check of record #{earlier}" in said
    link = next(e for e in actions_of(new_card) if e["action_id"] == "search_details")
    assert SearchRecordRef.load(link["value"]).record == earlier
    assert not any(e["action_id"] == "recheck_now" for e in actions_of(new_card))

    store = world.store()
    record = store.get_record(record_id=earlier)
    assert record is not None and record.status == RecordStatus.RE_ENGAGED
    assert record.status_history[-1].note and "owner is named" in record.status_history[-1].note
    assert [c.status for c in record.status_history].count(RecordStatus.RE_ENGAGED) == 1
    lines = came_back_lines(world.fake)
    assert len(lines) == 1
    assert lines[0]["text"] == "Acme renewal came back: an operational owner is named."

    first_card = next(m for m in world.thread() if f"Record #{earlier}" in text_of(m))
    assert not any(e["action_id"] == "came_back" for e in actions_of(first_card))  # redrawn

    history = store.deal_history(record_id=earlier)
    assert [h.previous_record_id for h in history] == [None, earlier]


def test_details_show_the_deals_checks_as_one_history(world: World) -> None:
    earlier = walk(world)
    assert world.click(world.verdict(), action_id="recheck_now").status == 200
    for question_id in SCAR_WALK:
        still_true(world, question_id)
    later = wait_until(
        lambda: next(
            (
                m
                for m in reversed(world.thread())
                if "Re-check of record" in text_of(m) and "verdict" in json.dumps(m["blocks"])
            ),
            None,
        ),
        what="the second card",
    )
    world.settle()
    assert "Nothing: every answer is as it was." in text_of(later)
    view = world.open_view(later, "search_details")
    shown = text_of({"blocks": view["blocks"]})
    assert "This deal's checks" in shown
    assert f"re-check of #{earlier}" in shown and "(this record)" in shown


def test_recheck_of_an_unknown_deal_names_the_closest_deals_of_that_rep(world: World) -> None:
    walk(world)
    assert world.command("recheck Acme renwal").status == 200
    world.settle()
    said = world.ephemeral_texts()[-1]
    assert "I can't find a walk-away check of *Acme renwal*" in said
    assert "`/walkaway recheck Acme renewal`" in said
    other_team = world.slack.command(text="recheck Acme renwal", user_id=world.user, team_id="T2")
    assert other_team.status == 200
    world.settle()
    assert "Did you mean" not in world.ephemeral_texts()[-1]  # scoped to the workspace


def test_a_stranger_is_refused_and_a_won_deal_is_refused(world: World) -> None:
    record_id = walk(world)
    card = world.verdict()
    opened = len(world.fake.calls("conversations.open"))
    assert world.click(card, action_id="recheck_now", user=OTHER).status == 200
    world.settle()
    assert world.ephemeral_texts()[-1] == "Only the deal's rep or their manager can re-check it."
    assert len(world.fake.calls("conversations.open")) == opened

    store = world.store()
    rep = store.find_user(
        workspace_id=store.ensure_workspace(team_id=world.team), slack_user_id=world.user
    )
    assert rep is not None
    store.set_status(record_id=record_id, status="won", note="Signed", by_user_id=rep)
    assert world.command(f"recheck {DEAL}").status == 200
    world.settle()
    assert world.ephemeral_texts()[-1] == f"*{DEAL}* was won: there is nothing to re-check."
    workspace = store.ensure_workspace(team_id=world.team)
    assert store.list_open_sessions(workspace_id=workspace, rep_user_id=rep) == []


def test_a_double_click_opens_one_recheck(world: World) -> None:
    record_id = walk(world)
    card = world.verdict()
    world.click(card, action_id="recheck_now", action_ts="1700000000.000001")
    world.click(card, action_id="recheck_now", action_ts="1700000000.000001")  # Slack's retry
    world.click(card, action_id="recheck_now", action_ts="1700000000.000002")  # a second click
    world.settle()
    store = world.store()
    workspace = store.ensure_workspace(team_id=world.team)
    rep = store.find_user(workspace_id=workspace, slack_user_id=world.user)
    assert rep is not None
    sessions = store.list_open_sessions(workspace_id=workspace, rep_user_id=rep)
    assert len(sessions) == 1
    assert store.recheck_of(session_id=sessions[0].id) == record_id
    first = [m for m in world.open_questions() if "deal.stage|" in json.dumps(m["blocks"])]
    assert len(first) == 1


def test_the_form_of_a_recheck_offers_still_true_first_and_fills_in_numbers(
    world: World,
) -> None:
    earlier = walk(world)
    assert world.click(world.verdict(), action_id="recheck_now").status == 200
    world.settle()
    opening = wait_until(
        lambda: [m for m in world.fake.messages(world.dm) if "thread_ts" not in m][1:],
        what="the re-check's thread",
    )[-1]
    form = Form.open_from(world, opening)
    world.settle()
    stage = form.element("deal.stage")
    assert stage["options"][0] == {
        "text": {"type": "plain_text", "text": "Still true: Negotiation", "emoji": True},
        "value": "negotiation",
    }
    assert "Last time: Negotiation" in json.dumps(form.block("deal.stage")["hint"])
    assert [o["value"] for o in stage["options"]].count("negotiation") == 1
    for question_id, value in SCAR_WALK.items():
        if question_id in TYPED:
            assert form.element(question_id)["initial_value"] == "12"  # kept unless retyped
            continue
        chosen = "yes" if question_id == "scar.addressable" else value
        element = form.element(question_id)
        assert element["type"] != "checkboxes"  # a yes/no asked again offers Still true too
        assert element["options"][0]["text"]["text"].startswith("Still true")
        form.choose(question_id, chosen)
        world.settle()
    assert form.send().status == 200
    world.settle()
    card = world.verdict()
    assert "Proceed:" in str(card.get("text"))
    assert f"Re-check of record #{earlier}" in text_of(card)
    record = world.store().get_record(record_id=earlier)
    assert record is not None and record.status == RecordStatus.RE_ENGAGED


def test_a_manager_rechecks_their_reps_deal_in_the_reps_dm_from_details(world: World) -> None:
    set_manager(world)
    record_id = walk(world)
    manager = World(fake=world.fake, slack=world.slack, database_url=world.database_url, user=MGR)
    assert manager.command(f"recheck {DEAL}").status == 200
    world.settle()
    assert manager.ephemeral_texts()[-1].startswith(
        f"Re-check of *{DEAL}* opened in <@{world.user}>"
    )
    question = world.current_question("deal.stage")
    assert "Last time: *Negotiation*" in text_of(question)
    assert world.fake.messages("D" + MGR, thread_ts=None)  # the ping; no thread of their own
    assert not [m for m in world.fake.messages("D" + MGR) if "thread_ts" in m]

    link = details_button(record_id).to_dict()  # as a search result's Details button
    holder = {
        "ts": world.verdict()["ts"],
        "blocks": [{"type": "actions", "block_id": "d", "elements": [link]}],
    }
    details = world.open_view(holder, "search_details")
    button = next(
        e
        for b in details["blocks"]
        if b.get("type") == "actions"
        for e in b["elements"]
        if e["action_id"] == "recheck_now"
    )
    assert button["value"] == str(record_id)
    payload = {
        "type": "block_actions",
        "team": {"id": world.team},
        "user": {"id": world.user, "team_id": world.team},
        "api_app_id": "A1",
        "token": "unused",
        "trigger_id": "1.trigger",
        "container": {"type": "view", "view_id": "V1"},
        "view": {"id": "V1", "type": "modal", "callback_id": "record_details_view"},
        "actions": [{**button, "block_id": "b", "action_ts": "1700000001.000001"}],
    }
    assert world.slack.block_action(payload).status == 200
    world.settle()
    said = [m for m in world.fake.messages(world.dm) if "already open" in str(m.get("text"))]
    assert said  # a click in a modal has no response_url: the word comes in the DM


def test_a_question_last_time_did_not_ask_is_asked_plainly(world: World) -> None:
    no_scar = {
        "deal.stage": "negotiation",
        "use_case.autonomous_irreversible": "no",
        "scar.previous_attempt": "no",
        "buyer.evidence_receptive": "yes",
        "terms.guarantee_demanded": "no",
        "terms.values_compromised": "yes",
        "terms.mutual_benefit": "yes",
        "dynamics.deadlock": "no",
        "dynamics.better_alternative": "no",
        "self.quota_only": "no",
    }
    walk(world, answers=no_scar)
    assert world.click(world.verdict(), action_id="recheck_now").status == 200
    still_true(world, "deal.stage")
    still_true(world, "use_case.autonomous_irreversible")
    world.answer("scar.previous_attempt", "yes")  # an earlier failure, news since last time
    plain = world.current_question("scar.failure_mode")
    assert "Last time" not in text_of(plain)
    assert all(e["text"]["text"] != "Still true" for e in actions_of(plain))
