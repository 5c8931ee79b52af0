"""State that rides on a button `value` or a modal's `private_metadata`, as validated JSON.

Nothing about a conversation is kept in process memory; whatever a click needs beyond the
database travels with the click, and is checked at the edge like any other input. Each
capability declares its own payloads (its `payloads.py`) on this base.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

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
