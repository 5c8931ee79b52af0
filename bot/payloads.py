"""State that rides on a button `value` or a modal's `private_metadata`, as validated JSON.

Nothing about a conversation is kept in process memory; whatever a click needs beyond the
database travels with the click, and is checked at the edge like any other input.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic import Field as PydanticField

Model = TypeVar("Model", bound="Ref")


class BadPayload(ValueError):
    """A click or submission carried a value we did not build (stale, tampered or truncated)."""


class Ref(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def dump(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def load(cls: type[Model], raw: str | None) -> Model:
        try:
            return cls.model_validate_json(raw or "")
        except ValidationError as exc:
            raise BadPayload(
                f"unexpected {cls.__name__} payload: {exc.error_count()} problem(s)"
            ) from None


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


class SearchRef(Ref):
    """A page of search results: the query as re-parseable text, the page, where it ran.

    The query travels rather than a result list, so every page (and a share) runs the search
    again against the database as it is now, in the clicker's own workspace.
    """

    q: str = PydanticField(max_length=1800)
    page: int = PydanticField(default=0, ge=0, le=1000)
    channel: str | None = PydanticField(default=None, max_length=64)


class SearchRecordRef(Ref):
    """One record in search results (Details, Share this one), and where the search ran."""

    record: int
    channel: str | None = PydanticField(default=None, max_length=64)
