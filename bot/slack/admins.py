"""Who counts as an admin of the app in a workspace.

Workspace admins and owners (from Slack's profile), plus anyone listed in WALKAWAY_ADMINS: a
sales-ops lead often is neither, yet owns the app's settings. Settings and, later, reports ask
this one question the same way.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from bot.slack.deps import Deps


def is_admin(client: WebClient, deps: Deps, user_id: str) -> bool:
    """Workspace admins and owners, plus anyone listed in WALKAWAY_ADMINS."""
    if user_id in deps.settings.admin_user_ids:
        return True
    user: dict[str, Any] = client.users_info(user=user_id)["user"]
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
