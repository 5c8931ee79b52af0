"""Messages the app posts once: an intent before each post, its ts after (models.SlackPost).

Slack has no idempotency key for chat.postMessage, and an attempt can fail after Slack did the
work (a timeout, a process killed mid-call). So a post is done in three steps: `intend_post`
writes (or takes over) the intent, the caller posts with the key in the message's metadata,
and `posted` records where the message landed. An intent found without a ts means an earlier
attempt's outcome is unknown; its taker first looks for the message in the conversation
(bot/slack/effects.py) and only posts when it is not there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.base import Repo, checked_key, insert_if_absent
from storage.columns import utcnow
from storage.errors import NotFoundError
from storage.models import QualificationSession, SlackPost

INTENT_STALE = timedelta(seconds=30)
"""An intent older than this whose owner never finished belongs to an attempt that died."""
INSERT_RACES = 3
"""Lost insert races `intend_post` tries again after (each loss means another attempt moved)."""


class Intent(Enum):
    POST = "post"
    """Nothing was tried yet: post."""
    CHECK = "check"
    """An earlier attempt may have posted: look for the message first, then post if absent."""
    DONE = "done"
    """Posted already: `PostInfo.ts` says where."""
    BUSY = "busy"
    """Another job is posting it right now: leave it to that one."""


@dataclass(frozen=True)
class PostInfo:
    key: str
    channel_id: str | None
    thread_ts: str | None
    ts: str | None
    started_at: datetime
    """When the latest attempt began (what makes an intent fresh, and another job's to leave)."""
    first_started_at: datetime
    """When the first attempt began: a lookup for the message starts here, however many
    attempts came between (each moves `started_at` on)."""


class Posts(Repo):
    def post_info(self, *, key: str) -> PostInfo | None:
        with self._reads() as s:
            row = s.get(SlackPost, checked_key(key))
            return _info(row) if row is not None else None

    def intend_post(
        self,
        *,
        key: str,
        owner: str | None,
        channel_id: str | None,
        thread_ts: str | None,
        now: datetime | None = None,
    ) -> tuple[Intent, PostInfo]:
        """Take the right to post `key`, or learn it is done or in another's hands.

        Two attempts inserting the same new key at once: the loser looks again, and finds the
        winner's intent, or nothing if the winner has already forgotten it (Slack refused its
        post), in which case it may post itself.
        """
        moment = now or utcnow()
        for _ in range(INSERT_RACES):
            try:
                found = self._intend(key, owner, channel_id, thread_ts, moment)
            except IntegrityError:  # another attempt inserted the same key first
                continue
            if found is not None:
                return found
        found = self._intend(key, owner, channel_id, thread_ts, moment)
        if found is None:
            raise RuntimeError(f"the intent for {key} keeps vanishing between two statements")
        return found

    def _intend(
        self,
        key: str,
        owner: str | None,
        channel_id: str | None,
        thread_ts: str | None,
        moment: datetime,
    ) -> tuple[Intent, PostInfo] | None:
        """One attempt; None when the key was there at the insert and gone at the look (its
        owner forgot it meanwhile): the caller tries again."""
        new = {
            "key": checked_key(key),
            "owner": owner,
            "channel_id": channel_id,
            "thread_ts": thread_ts,
            "started_at": moment,
            "first_started_at": moment,
        }
        with self._write() as s:
            # The usual case, a post nobody tried yet, is this one statement.
            if insert_if_absent(s, SlackPost, new, key=["key"]):
                return Intent.POST, PostInfo(
                    key=key,
                    channel_id=channel_id,
                    thread_ts=thread_ts,
                    ts=None,
                    started_at=moment,
                    first_started_at=moment,
                )
            row = s.get(SlackPost, key, with_for_update=True)
            if row is None:
                return None
            if row.ts is not None:
                return Intent.DONE, _info(row)
            mine = owner is not None and row.owner == owner
            if not mine and row.started_at > moment - INTENT_STALE:
                return Intent.BUSY, _info(row)
            earlier = _info(row)
            row.first_started_at = earlier.first_started_at
            row.owner, row.started_at = owner, moment
            row.channel_id = row.channel_id or channel_id
            return Intent.CHECK, earlier

    def forget_intent(self, *, key: str) -> None:
        """An attempt that certainly did not post (Slack answered with an error): the next may
        post without looking first."""
        with self._write() as s:
            row = s.get(SlackPost, checked_key(key))
            if row is not None and row.ts is None:
                s.delete(row)

    def posted(
        self,
        *,
        key: str,
        channel_id: str,
        ts: str,
        prompt_of: int | None = None,
        thread_of: int | None = None,
    ) -> None:
        """Keep the ts of a post; with `prompt_of` / `thread_of`, also as that qualification
        session's open question / thread, in the same write (one commit where two were, on
        every question a check posts)."""
        at = utcnow()
        with self._write() as s:
            # Plain UPDATEs, no row loaded: this runs after every question a check posts.
            moved = s.execute(
                update(SlackPost)
                .where(SlackPost.key == checked_key(key))
                .values(channel_id=channel_id, ts=ts, posted_at=at)
            )
            if not _rowcount(moved):  # posted without an intent (or its intent was purged)
                s.add(SlackPost(key=key, started_at=at, channel_id=channel_id, ts=ts, posted_at=at))
            if prompt_of is not None:
                _set_session(s, prompt_of, prompt_ts=ts)
            if thread_of is not None:
                _set_session(s, thread_of, channel_id=channel_id, thread_ts=ts)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _set_session(s: Session, session_id: int, **values: Any) -> None:
    done = s.execute(
        update(QualificationSession).where(QualificationSession.id == session_id).values(**values)
    )
    if not _rowcount(done):
        raise NotFoundError(f"no qualification session {session_id}")


def _info(row: SlackPost) -> PostInfo:
    return PostInfo(
        key=row.key,
        channel_id=row.channel_id,
        thread_ts=row.thread_ts,
        ts=row.ts,
        started_at=row.started_at,
        first_started_at=min(row.started_at, row.first_started_at or row.started_at),
    )
