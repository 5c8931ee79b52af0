"""Every command, action_id, callback_id and block_id the app sends or listens for.

One enum per kind so a reader can grep an id once and land on both the builder and the handler.
"""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/walkaway"


class Action(StrEnum):
    ANSWER_CHOICE = "answer_choice"
    """Prefix: choice buttons are `answer_choice:<n>` (action ids must be unique in a block)."""
    ANSWER_SELECT = "answer_select"
    ANSWER_MODAL = "answer_modal"
    BACK = "back"
    START_OVER = "start_over"
    RESUME = "resume"
    EDIT_DRAFT = "edit_draft"
    MARK_SENT = "mark_sent"
    COPY_TEXT = "copy_text"


class View(StrEnum):
    ANSWER = "answer_view"
    EDIT_DRAFT = "edit_draft_view"


class Block(StrEnum):
    ANSWER_INPUT = "answer_input"
    NOTE_INPUT = "note_input"
    DRAFT_INPUT = "draft_input"
    SEND_ANYWAY = "send_anyway"
    DRAFT_ACTIONS = "draft_actions"
    VERDICT = "verdict"


class Field(StrEnum):
    """action_ids of inputs inside modals, read back from view.state.values."""

    VALUE = "value"
    NOTE = "note"
    DRAFT = "draft"
    SEND_ANYWAY = "send_anyway"
