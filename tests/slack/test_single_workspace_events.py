"""Single-workspace mode (SLACK_BOT_TOKEN) hears an uninstall too: acknowledged and logged."""

from __future__ import annotations

import pytest

from tests.slack.world import World


@pytest.mark.parametrize("event", ["app_uninstalled", "tokens_revoked"])
def test_an_uninstall_in_single_workspace_mode_is_acknowledged_and_logged(
    world: World, event: str, caplog: pytest.LogCaptureFixture
) -> None:
    mark = world.mark()
    body = {"type": event, "tokens": {"bot": ["UBOT"]}} if event == "tokens_revoked" else {}

    reply = world.slack.event({"type": event, **body}, team_id=world.team)
    world.settle()

    assert reply.status == 200
    assert world.calls_since(mark) == []
    assert f"the app lost its token in workspace {world.team}" in caplog.text
