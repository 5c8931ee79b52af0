"""What the check's buttons and modals carry (see bot/slack/payloads.py for why)."""

from __future__ import annotations

from pydantic import Field as PydanticField

from bot.slack.payloads import Ref


class AnswerRef(Ref):
    """An answer button: which session, which question, which value (None: open the modal)."""

    session: int
    question: str
    value: str | None = None


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
    record: int
    channel: str
    ts: str


class DealRef(Ref):
    """*Start a new check* of a deal whose latest check is finished."""

    deal: str = PydanticField(min_length=1, max_length=200)
