"""How messages refer to people: a mention where only the people concerned read it, their name
where others do.

A `<@U…>` mention notifies the person it names. That is right in the manager's own DM or the
rep's thread, and wrong in a channel: sharing a search must not ping every rep in it about their
walk-aways, and a deal-desk request must not ping the rep each time it is updated. So a builder
takes a `Naming` and writes `who(slack_id)`; the caller decides which kind of place the message
goes to and, for a channel, looks the names up once (the store first, then `users.info`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.errors import is_transient
from bot.slack.text import escape, name_without_ping
from storage.people import People

log = logging.getLogger(__name__)

UNNAMED = "a teammate"
"""Shown for someone Slack would not name to us (a deleted user, a failed lookup)."""


@dataclass(frozen=True)
class Naming:
    """`who(slack_id)`: a mention (`names` None), or the person's name, never a mention."""

    names: Mapping[str, str] | None = None
    acting: frozenset[str] = field(default_factory=frozenset)
    """People asked to act in this very message: mentioned even where others read it."""

    @property
    def pings(self) -> bool:
        return self.names is None

    def __call__(self, slack_id: str | None, *, nobody: str = "someone") -> str:
        if not slack_id:
            return nobody
        if self.names is None or slack_id in self.acting:
            return f"<@{escape(slack_id)}>"  # an id from a payload must not close the mention
        name = self.names.get(slack_id)
        return name_without_ping(name) if name else UNNAMED

    def asking(self, *slack_ids: str | None) -> Naming:
        """The same naming, mentioning the people this message asks to do something."""
        return Naming(self.names, self.acting | {s for s in slack_ids if s})


MENTIONS = Naming()
"""For messages only the people named read (DMs, the rep's own thread, private replies)."""


def names_for(
    client: WebClient, store: People, *, workspace_id: int, slack_ids: Iterable[str | None]
) -> Naming:
    """Names for a message others will read: stored ones, and `users.info` for the rest.

    A name learnt from Slack is stored, so the next message needs no call. A lookup Slack
    refuses for good (a deleted user, a missing scope) shows the person as "a teammate" rather
    than failing the post; a passing failure is raised so the job tries again.
    """
    wanted = {s for s in slack_ids if s}
    names = dict(store.display_names(workspace_id=workspace_id, slack_user_ids=wanted))
    for slack_id in sorted(wanted - names.keys()):
        try:
            user: Mapping[str, Any] = client.users_info(user=slack_id)["user"]
        except SlackApiError as error:
            if is_transient(error):
                raise
            log.warning("no name for %s: %s", slack_id, error.response.get("error"))
            continue
        name = shown_name(user)
        if name:
            names[slack_id] = name
            store.ensure_user(workspace_id=workspace_id, slack_user_id=slack_id, display_name=name)
    return Naming(names)


def shown_name(user: Mapping[str, Any]) -> str | None:
    """The name Slack itself shows for a person: the display name they chose, else their full
    name, else their handle."""
    found = user.get("profile")
    profile: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    for value in (
        profile.get("display_name"),
        profile.get("real_name"),
        user.get("real_name"),
        user.get("name"),
    ):
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None
