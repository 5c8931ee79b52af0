"""The rep's signature under a draft, from their Slack profile (users.info).

A draft signed "root" or with nothing is a draft the rep must fix before sending; Slack already
knows their real name and title. A passing failure is raised so the job tries again; any other
(a deactivated account, a missing scope) leaves the draft unsigned rather than unwritten.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.drafts import Signature
from bot.slack.errors import is_transient

log = logging.getLogger(__name__)


def rep_signature(client: WebClient, slack_user_id: str) -> Signature:
    """Real name (else display name) and title, as the person set them in Slack."""
    try:
        user: dict[str, Any] = client.users_info(user=slack_user_id)["user"]
    except SlackApiError as error:
        if is_transient(error):
            raise
        log.warning("no profile for %s: %s", slack_user_id, error.response.get("error"))
        return Signature()
    profile: dict[str, Any] = user.get("profile") or {}
    name = (
        profile.get("real_name")
        or user.get("real_name")
        or profile.get("display_name")
        or user.get("name")
    )
    return Signature.of(str(name or ""), str(profile.get("title") or ""))
