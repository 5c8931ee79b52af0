"""What the check's buttons and modals carry (see bot/slack/payloads.py for why)."""

from __future__ import annotations

from pydantic import Field

from bot.domain.checklist import Question
from bot.slack.payloads import BadPayload, Ref


class AnswerRef(Ref):
    """An answer control: which session, which question, which answer (none: open the modal).

    A menu option carries the answer as its position among the question's values (`choice`):
    Slack cuts option values at 150 characters, which a question id and a value together can
    pass, and a cut value is no answer at all. A position always fits (see
    bot/domain/checklist.py MAX_ID) and means the same on every click, because a session is
    answered against the checklist it stored. Buttons, whose values may be 2000 characters,
    carry the value itself, as every button and menu posted before positions did.
    """

    session: int
    question: str
    value: str | None = None
    choice: int | None = Field(default=None, ge=0)

    def answer_to(self, question: Question) -> str | None:
        """The answer this control gives `question` (None: it opens the modal instead)."""
        if self.choice is None:
            return self.value
        if self.choice >= len(question.choices):
            raise BadPayload(f"{question.id} has no choice #{self.choice}")
        return question.choices[self.choice].value


class SessionRef(Ref):
    """Back / Start over / Resume: the session, and the question shown when it was clicked."""

    session: int
    question: str | None = None


class RecordRef(Ref):
    record: int


class AnswerModalMeta(Ref):
    """Where the question message lives, so submitting the modal can update it in place."""

    session: int
    question: str
    channel: str
    ts: str


class DraftModalMeta(Ref):
    """Where the draft message lives; `length`, which of its two drafts the modal edits."""

    record: int
    channel: str
    ts: str
    length: str = "email"


class LengthRef(Ref):
    """*Show short note* / *Show email* on the draft."""

    record: int
    length: str = Field(pattern="^(email|short)$")


class DealRef(Ref):
    """*Start a new check* of a deal whose latest check is finished; `channel` and `ts`: the
    message it was asked from with *Check this deal*, which the new check keeps."""

    deal: str = Field(min_length=1, max_length=200)
    channel: str | None = Field(default=None, max_length=64)
    ts: str | None = Field(default=None, max_length=64)


class FormMeta(Ref):
    """The form's private_metadata: which check it answers (the answers live in the store)."""

    session: int
