"""What search's buttons and modals carry (see bot/slack/payloads.py for why)."""

from __future__ import annotations

from pydantic import Field as PydanticField

from bot.slack.payloads import Ref


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
