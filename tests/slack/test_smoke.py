from __future__ import annotations

from tests.slack.world import World, text_of


def test_rep_runs_walkaway_and_gets_first_question_in_a_dm_thread(world: World) -> None:
    reply = world.command("Acme renewal")
    assert reply.status == 200
    assert "Acme renewal" in reply.body
    question = world.current_question("deal.stage")
    assert "Where is this deal right now?" in text_of(question)
    world.run_through({"deal.stage": "pilot", "use_case.autonomous_irreversible": "no"})
    first = world.thread()[0]
    assert "Pilot" in text_of(first)
