"""Where a check came from (`store.contexts`): the Slack message it was started from.

A check started with the *Check this deal* message shortcut keeps that message (channel and
ts) and, once Slack gives it, the message's permalink. Written once per session: a retried job
or a second shortcut on another message while the check is open finds the first one and keeps
it, so a check's context never changes halfway through its questions.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from storage import queries as q
from storage.base import StorePart
from storage.columns import utcnow
from storage.context_models import MAX_PERMALINK, CheckContext
from storage.errors import InvalidValueError
from storage.models import SLACK_ID


@dataclass(frozen=True)
class ContextInfo:
    """The message a check was started from."""

    session_id: int
    channel_id: str
    message_ts: str
    permalink: str | None
    """None: Slack gave no link (or it has not been asked yet)."""


class Contexts(StorePart):
    """Reached as `store.contexts`; shares the Store's session factories and their locking."""

    def keep(self, *, session_id: int, channel_id: str, message_ts: str) -> ContextInfo:
        """The session's context: this message, unless it already has one (which stays)."""
        for value in (channel_id, message_ts):
            if not 0 < len(value) <= (SLACK_ID.length or 0):
                raise InvalidValueError(f"a Slack id is 1-{SLACK_ID.length} characters")
        existing = select(CheckContext).where(CheckContext.session_id == session_id)
        with self._write() as s:
            row = s.scalar(existing)
            if row is None:
                q.session_row(s, session_id)  # a missing session is NotFoundError, not a link
                row = q.insert_or_get(
                    s,
                    CheckContext(
                        session_id=session_id,
                        channel_id=channel_id,
                        message_ts=message_ts,
                        created_at=utcnow(),
                    ),
                    existing,
                )
            return _info(row)

    def set_link(self, *, session_id: int, permalink: str) -> None:
        """Store the message's permalink (the first one given stays)."""
        if not 0 < len(permalink) <= MAX_PERMALINK:
            raise InvalidValueError(f"a permalink is 1-{MAX_PERMALINK} characters")
        with self._write() as s:
            s.execute(
                update(CheckContext)
                .where(CheckContext.session_id == session_id, CheckContext.permalink.is_(None))
                .values(permalink=permalink)
            )

    def of_session(self, *, session_id: int) -> ContextInfo | None:
        with self._reads() as s:
            row = s.get(CheckContext, session_id)
            return _info(row) if row is not None else None


def _info(row: CheckContext) -> ContextInfo:
    return ContextInfo(
        session_id=row.session_id,
        channel_id=row.channel_id,
        message_ts=row.message_ts,
        permalink=row.permalink,
    )
