"""Coming back to an unfinished walk-away check: the list, Resume, and a restarted process."""

from __future__ import annotations

from tests.slack.signed import button_click
from tests.slack.world import World, actions_of, text_of, wait_until


def test_rep_with_nothing_unfinished_is_told_how_to_start(world: World) -> None:
    reply = world.command("")

    assert reply.status == 200
    listed = wait_until(world.private_replies, what="the list")[-1]
    assert "no unfinished walk-away checks" in text_of(listed)
    assert actions_of(listed) == []


def test_rep_lists_unfinished_checks_and_resumes_one(world: World) -> None:
    world.start("Acme renewal")
    world.run_through({"deal.stage": "renewal", "use_case.autonomous_irreversible": "no"})
    waiting = world.current_question("scar.previous_attempt")
    world.start("Globex pilot")
    world.settle()

    world.command("")

    listed = wait_until(
        lambda: [m for m in world.private_replies() if "unfinished" in text_of(m)],
        what="the list of unfinished checks",
    )[-1]
    shown = text_of(listed)
    assert "Acme renewal" in shown and "Globex pilot" in shown
    assert "2 answer(s) saved" in shown
    resume_buttons = [
        b["accessory"] for b in listed["blocks"] if b.get("accessory", {}).get("action_id")
    ]
    assert [b["action_id"] for b in resume_buttons] == ["resume", "resume"]
    acme = next(
        b for b in listed["blocks"] if b["type"] == "section" and "Acme" in b["text"]["text"]
    )
    assert acme["accessory"]["action_id"] == "resume"

    posted = len(world.fake.calls("chat.postMessage"))
    world.slack.block_action(_resume_click(world, acme["accessory"]))

    world.fake.wait_for("chat.postMessage", count=posted + 1)
    world.settle()
    again = world.current_question("scar.previous_attempt")
    assert again["ts"] != waiting["ts"]
    assert again["thread_ts"] == waiting["thread_ts"]
    old = next(m for m in world.fake.messages(world.dm) if m["ts"] == waiting["ts"])
    assert actions_of(old) == [] and "Asked again further down" in text_of(old)
    assert any("Resumed" in text_of(m) for m in world.private_replies())
    world.answer("scar.previous_attempt", "no")
    world.current_question("buyer.evidence_receptive")


def test_rep_resumes_after_the_app_process_restarted(world: World) -> None:
    world.start("Acme renewal")
    world.run_through({"deal.stage": "renewal", "use_case.autonomous_irreversible": "no"})
    waiting = world.current_question("scar.previous_attempt")
    opening = world.opening()
    session = world.session_id()

    world.restart_process()
    reply = world.command("Acme renewal")

    assert reply.status == 200
    picked_up = wait_until(
        lambda: [m for m in world.private_replies() if "Picking up" in text_of(m)],
        what="the picking-up note",
    )
    assert "2 answer(s) saved" in text_of(picked_up[-1])
    again = wait_until(
        lambda: next(
            (m for m in world.open_questions() if m["ts"] != waiting["ts"]),
            None,
        ),
        what="the question asked again",
    )
    assert again["thread_ts"] == opening["ts"], "the same thread carries on"
    assert world.question_id(again) == "scar.previous_attempt"
    assert [m for m in world.fake.messages(world.dm) if "thread_ts" not in m] == [opening]
    world.settle()
    assert len(world.open_questions()) == 1, "the old copy no longer takes answers"
    world.answer("scar.previous_attempt", "no")
    world.current_question("buyer.evidence_receptive")
    assert world.session_id() == session
    assert world.store().current_answers(session_id=session) == {
        "deal.stage": "renewal",
        "use_case.autonomous_irreversible": "no",
        "scar.previous_attempt": "no",
    }


def test_click_on_a_question_posted_before_a_restart_is_taken_by_the_new_process(
    world: World,
) -> None:
    world.start("Acme renewal")
    waiting = world.current_question("deal.stage")

    world.restart_process()
    world.click(waiting, value="evaluation")

    world.current_question("use_case.autonomous_irreversible")
    assert world.store().current_answers(session_id=world.session_id()) == {
        "deal.stage": "evaluation"
    }


def _resume_click(world: World, button: dict[str, object]) -> dict[str, object]:
    return button_click(
        world.user,
        world.team,
        "C1",
        "1700000000.999999",
        str(button["action_id"]),
        str(button["value"]),
        "resume",
        response_url=world.slack.response_url(world.team),
        is_ephemeral=True,
    )


def test_rep_resumes_from_the_home_tab(world: World) -> None:
    world.start("Acme renewal")
    world.answer("deal.stage", "renewal")
    waiting = world.current_question("use_case.autonomous_irreversible")
    world.settle()

    home = world.home()

    assert "Acme renewal" in text_of(home) and "1 answer(s) saved" in text_of(home)
    button = next(
        b["accessory"]
        for b in home["blocks"]
        if b.get("accessory", {}).get("action_id") == "resume"
    )
    before = world.mark()
    world.click_in_home(button)
    world.settle()

    again = world.current_question("use_case.autonomous_irreversible")
    assert again["ts"] != waiting["ts"]
    said = [text_of(c.args) for c in world.calls_since(before)]
    assert not [t for t in said if "Sorry" in t], said


def test_a_refused_resume_from_the_home_tab_is_explained_in_the_dm(world: World) -> None:
    world.start("Acme renewal")
    button = next(
        b["accessory"]
        for b in world.home()["blocks"]
        if b.get("accessory", {}).get("action_id") == "resume"
    )
    store = world.store()
    session = world.session_id()
    store.abandon_session(session_id=session)
    before = world.mark()

    world.click_in_home(button)
    world.settle()

    said = world.calls_since(before)
    assert [c.method for c in said] == ["chat.postMessage"]
    assert said[0].args["channel"] == world.user and "finished" in said[0].args["text"]


def test_a_click_on_the_copy_a_resume_retired_answers_the_copy_asked_again(world: World) -> None:
    """The chaos run's one lost answer: the rep clicked the question while a Resume (their own
    `/walkaway <deal>` sent again) was retiring that copy. The Resume took the copy's turn
    first, and the click was dropped as if answered; it now answers the copy asked again."""
    world.start("Acme renewal")
    clicked = world.current_question("deal.stage")  # as the rep's screen still shows it
    world.command("Acme renewal")
    again = wait_until(
        lambda: next((m for m in world.open_questions() if m["ts"] != clicked["ts"]), None),
        what="the question asked again",
    )
    world.settle()

    reply = world.click(clicked, value="renewal")
    assert reply.status == 200
    world.settle()

    session = world.session_id()
    assert world.store().current_answers(session_id=session) == {"deal.stage": "renewal"}
    world.current_question("use_case.autonomous_irreversible")
    answered = next(m for m in world.fake.messages(world.dm) if m["ts"] == again["ts"])
    assert actions_of(answered) == [] and "Renewal" in text_of(answered)
    assert not any("already answered" in text_of(m) for m in world.private_replies())
