"""Typed storage errors, so the Slack layer can turn each into a message a rep understands.

Every error the Store raises on purpose derives from StorageError; anything else escaping it is a
bug or an outage and should reach the generic error handler untouched.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base for refusals the caller is expected to handle."""


class NotFoundError(StorageError, LookupError):
    """A session or record id that does not exist (or is not visible to this workspace)."""


class SessionNotOpenError(StorageError):
    """The session is complete or abandoned, so its answers can no longer change."""

    def __init__(self, session_id: int, status: str) -> None:
        super().__init__(f"qualification session {session_id} is {status}, not open")
        self.session_id = session_id
        self.status = status


class InvalidValueError(StorageError, ValueError):
    """A value the schema would accept but the product does not (empty deal name, bad status)."""


class DatabaseUrlError(StorageError):
    """The database URL cannot be used at all: malformed, unknown kind, unreachable, refused.

    Raised while opening the Store, before any work, so the command can stop with one line
    naming the setting instead of a traceback that hides the reason among a hundred lines. The
    message is the reason only, never the URL (which may hold a password): storage.db.explain
    puts the URL, credentials masked, in front of it.
    """
