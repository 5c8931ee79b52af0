"""Block Kit inputs several capabilities' modals share.

A free-text note is asked in five modals (an answer's note, a condition's note, They came back,
Close for good, a record's status); one builder keeps their element, its action id (read back
as `Field.NOTE` from view.state.values) and Slack's limits the same everywhere.
"""

from __future__ import annotations

from slack_sdk.models.blocks import InputBlock, PlainTextInputElement

from bot.slack.ids import Field
from bot.slack.text import plain_text

LABEL_LIMIT = 2000
PLACEHOLDER_LIMIT = 150


def note_input(
    block_id: str,
    *,
    label: str,
    placeholder: str,
    max_length: int,
    optional: bool = True,
    initial: str | None = None,
) -> InputBlock:
    """A multiline note, read back under `Field.NOTE` in `block_id`."""
    return InputBlock(
        block_id=block_id,
        label=plain_text(label, LABEL_LIMIT),
        optional=optional,
        element=PlainTextInputElement(
            action_id=Field.NOTE,
            multiline=True,
            max_length=max_length,
            initial_value=initial or None,
            placeholder=plain_text(placeholder, PLACEHOLDER_LIMIT),
        ),
    )
