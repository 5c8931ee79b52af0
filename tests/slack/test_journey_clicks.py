"""How many times a rep clicks or submits to reach each verdict, in the thread and in the form.

Both modes answer the same deal (tests/slack/test_journey_outcomes.py) and must reach the same
verdict card. Every request the rep's Slack sends after `/walkaway <deal>` counts: a button, a
choice in the form, opening a modal, submitting one. The figures are printed (run with `-s`)
and recorded as test properties; the form must take fewer than the conversation.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.slack.form_world import Form
from tests.slack.signed import Response
from tests.slack.test_journey_form import _card_shape, fill
from tests.slack.test_journey_outcomes import CALM, PATHS, answer_everything
from tests.slack.world import World

FIGURES: dict[str, dict[str, int]] = {}


class Counted:
    """Counts the rep's requests through the world's signed client."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.count = 0
        self._send = world.slack.interaction

    def __enter__(self) -> Counted:
        def counted(payload: Any, **options: Any) -> Response:
            self.count += 1
            return self._send(payload, **options)

        self.world.slack.interaction = counted  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self.world.slack.interaction = self._send  # type: ignore[method-assign]


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    yield
    if FIGURES:
        print("\nClicks and submissions to a verdict (after /walkaway <deal>):")
        print(f"{'outcome':<12}{'conversation':>14}{'form':>8}")
        for outcome, figures in FIGURES.items():
            print(f"{outcome:<12}{figures['conversation']:>14}{figures['form']:>8}")


def _without_similar(card: dict[str, Any]) -> dict[str, Any]:
    kept = [b for b in card["blocks"] if not str(b.get("block_id", "")).startswith("similar")]
    return {**card, "blocks": kept}


@pytest.mark.parametrize("outcome", list(PATHS))
def test_the_form_reaches_each_verdict_in_fewer_interactions_than_the_conversation(
    world: World, outcome: str, record_property: Any
) -> None:
    answers = {**CALM, **PATHS[outcome]}

    world.start(f"Thread {outcome}")
    with Counted(world) as thread:
        answer_everything(world, answers)
    world.settle()
    by_thread = world.verdict()

    world.start(f"Form {outcome}")
    with Counted(world) as form_clicks:
        form = Form.open_from(world, world.current_question("deal.stage"))
        fill(form, answers)
        reply = form.send()
        assert reply.status == 200 and reply.body == "", reply.body
    world.settle()
    by_form = world.verdict()

    # The second card also lists the first as a similar past walk (bot/insight/similar.py): the
    # two cards are the same verdict once that section is set aside.
    similar = [b for b in by_form["blocks"] if str(b.get("block_id", "")).startswith("similar")]
    assert (f"Thread {outcome}" in str(similar)) is (outcome != "proceed"), similar
    assert _card_shape(_without_similar(by_form), f"Form {outcome}") == _card_shape(
        _without_similar(by_thread), f"Thread {outcome}"
    )
    FIGURES[outcome] = {"conversation": thread.count, "form": form_clicks.count}
    record_property(f"clicks_{outcome}", FIGURES[outcome])
    assert form_clicks.count == form.interactions
    assert form_clicks.count < thread.count, FIGURES[outcome]
