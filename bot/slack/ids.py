"""Every command, action_id, callback_id and block_id the app sends or listens for.

One enum per kind so a reader can grep an id once and land on both the builder and the handler;
the comments name the module that handles each group.
"""

from __future__ import annotations

from enum import StrEnum

COMMAND = "/walkaway"


class Action(StrEnum):
    # bot/qualification/buttons.py
    ANSWER_CHOICE = "answer_choice"
    """Prefix: choice buttons are `answer_choice:<n>` (action ids must be unique in a block)."""
    ANSWER_SELECT = "answer_select"
    ANSWER_MODAL = "answer_modal"
    BACK = "back"
    START_OVER = "start_over"
    RESUME = "resume"
    START_NEW = "start_new_check"
    """On a finished check's verdict shown again: check the deal afresh."""
    EDIT_DRAFT = "edit_draft"
    MARK_SENT = "mark_sent"
    COPY_TEXT = "copy_text"
    OPEN_EMAIL = "open_email"
    """A url button (mailto:); Slack still sends the click, which is only acknowledged."""
    DRAFT_LENGTH = "draft_length"
    """Switch the card between the email and the short note."""
    ADD_RECIPIENT = "add_recipient"
    """Before the draft (and on it, to change): who the message is for, in a modal."""
    SKIP_RECIPIENT = "skip_recipient"
    # bot/qualification/form.py
    OPEN_FORM = "open_form"
    """*Use a form instead*: the whole check as one modal."""
    FORM_ANSWER = "form_answer"
    """Every answer input in the form (its block_id names the question)."""
    # bot/qualification/home_start.py
    HOME_START_CHECK = "home_start_check"
    """*Start a check* on App Home: opens the modal asking the deal's name."""
    # bot/approvals/listeners.py
    APPROVAL_AGREE = "approval_agree"
    APPROVAL_DISCUSS = "approval_discuss"
    APPROVAL_OVERRIDE = "approval_override"
    APPROVAL_READ_DRAFT = "approval_read_draft"
    """On a ping and in a discussion: the whole draft in a modal (the ping shows its start)."""
    PICK_MANAGER = "pick_manager"
    """The user select on a verdict card whose rep has neither a manager nor a deal desk."""
    # bot/search/listeners.py
    SEARCH_PAGE = "search_page"
    SEARCH_SHARE = "search_share"
    SEARCH_SHARE_ONE = "search_share_one"
    SEARCH_DETAILS = "search_details"
    # bot/pathback/listeners.py (conditions, the re-check date, they came back)
    CONDITION_MET = "condition_met"
    """Prefix: `condition_met:<n>` on the card, Details and the nudge (ids unique in a block)."""
    CONDITION_NOT_YET = "condition_not_yet"
    CONDITION_NOT_RELEVANT = "condition_not_relevant"
    CONDITION_REOPEN = "condition_reopen"
    RECHECK_DATE = "recheck_date"
    """The card's select: look again in 1, 3, 6 or 12 months, or never."""
    CAME_BACK = "came_back"
    # bot/pathback/nudge_listeners.py (the nudge on the re-check date)
    NUDGE_SNOOZE = "nudge_snooze"
    NUDGE_CLOSE = "nudge_close"
    # bot/qualification/recheck.py (a new check that starts from the earlier answers)
    RECHECK_NOW = "recheck_now"
    """On a nudge, a card, Details, a came-back reply, a due list: re-check this record's deal."""
    # bot/pathback/listeners.py
    CONDITION_ADD_NOTE = "condition_add_note"
    """Prefix: `condition_add_note:<n>`, opening View.CONDITION_NOTE for that condition."""


class View(StrEnum):
    # bot/qualification/submissions.py
    ANSWER = "answer_view"
    EDIT_DRAFT = "edit_draft_view"
    RECIPIENT = "recipient_view"
    # bot/qualification/form.py
    FORM = "check_form_view"
    # bot/qualification/home_start.py
    START_CHECK = "start_check_view"
    # bot/approvals/listeners.py
    OVERRIDE = "override_view"
    APPROVAL_SETTINGS = "approval_settings_view"
    DRAFT_READ = "approval_draft_view"
    # bot/search/listeners.py
    RECORD_DETAILS = "record_details_view"
    # bot/pathback/listeners.py
    CAME_BACK = "came_back_view"
    CONDITION_NOTE = "condition_note_view"
    # bot/pathback/nudge_listeners.py
    CLOSE_FOR_GOOD = "close_for_good_view"


class Block(StrEnum):
    ANSWER_INPUT = "answer_input"
    NOTE_INPUT = "note_input"
    DRAFT_INPUT = "draft_input"
    TONE_FAULTS = "tone_faults"
    SEND_ANYWAY = "send_anyway"
    DRAFT_ACTIONS = "draft_actions"
    DRAFT_OPTIONS = "draft_options"
    RECIPIENT_ACTIONS = "recipient_actions"
    ORGANISATION_INPUT = "organisation_input"
    CONTACT_INPUT = "contact_input"
    VERDICT = "verdict"
    APPROVAL_ACTIONS = "approval_actions"
    APPROVAL_STATUS = "approval_status"
    DRAFT_READ = "approval_draft"
    """The actions block left on an answered ping: only Read the draft."""
    OVERRIDE_OUTCOME = "override_outcome"
    OVERRIDE_REASON = "override_reason"
    DESK_CHANNEL = "desk_channel"
    HOLD = "hold"
    REMINDER_DAYS = "reminder_days"
    RECORD_STATUS = "record_status"
    RECORD_STATUS_NOTE = "record_status_note"
    DEAL_INPUT = "deal_input"
    HOME_START = "home_start"
    RECHECK_DAYS = "recheck_days"
    """The settings modal's "Re-check after (days)" (bot/pathback/settings.py)."""
    NUDGE_ACTIONS = "nudge_actions"
    """Prefix: `nudge_actions:<record>`, the nudge's Re-check now / Snooze / Close for good."""
    DUE_ACTIONS = "due_actions"
    """Prefix: `due_actions:<record>`, a line's buttons in `/walkaway due` and on App Home."""
    SIMILAR = "similar"
    """The card's *Similar past walks* heading; `similar:<record>`, one earlier record's line."""
    DIGEST_ON = "digest_on"
    """The settings modal's weekly digest inputs (bot/insight/digest_settings.py)."""
    DIGEST_DAY = "digest_day"
    DIGEST_HOUR = "digest_hour"


class Field(StrEnum):
    """action_ids of inputs inside modals, read back from view.state.values."""

    VALUE = "value"
    NOTE = "note"
    DRAFT = "draft"
    ORGANISATION = "organisation"
    CONTACT = "contact"
    SEND_ANYWAY = "send_anyway"
    OUTCOME = "outcome"
    REASON = "reason"
    CHANNEL = "channel"
    HOLD = "hold"
    DAYS = "days"
    STATUS = "status"
    DEAL = "deal"


class Shortcut(StrEnum):
    """callback_ids of the app's shortcuts (each declared in manifest.yml)."""

    # bot/qualification/shortcut.py
    CHECK_THIS_DEAL = "check_this_deal"
    """The message shortcut *Check this deal*: the start modal, named from the message."""
