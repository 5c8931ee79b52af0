"""*Check this deal*: a message shortcut that starts the check of the deal a message is about.

On any message, the shortcut opens the modal App Home's *Start a check* opens
(bot/qualification/home_start.py), its name field filled from the message's first line
(bot/qualification/shortcut_name.py) and the message kept in its private_metadata. The modal
opens here, in the listener, because the trigger_id lasts 3 s: nothing is queued before it and
nothing slow is asked first (the names of bare mentions are one read of stored people, and a
failed read only leaves them out). Its submission takes Home's path: a job that starts the check
in the DM exactly as `/walkaway <deal>` does, then keeps the message and its permalink
(bot/qualification/context.py). A message with no words (empty, a file, only `@here`) opens the
modal with an empty field and a hint saying why, so the rep types the name.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.models.views import View

from bot.qualification import context, home_sections
from bot.qualification.shortcut_name import NO_TEXT, mentioned, message_text, suggested_name
from bot.slack.deps import Deps
from bot.slack.errors import tell
from bot.slack.ids import Shortcut

log = logging.getLogger(__name__)

FROM_MESSAGE = (
    "Taken from the message's first line: change it if the deal goes by another name. "
    "The check keeps a link to the message."
)
NO_TEXT_HINT = (
    "That message has no text to take a name from (a file or an image only): type the deal's "
    "name, e.g. Acme renewal. The check keeps a link to the message."
)
ONLY_MARKUP_HINT = (
    "That message has no words to take a name from, only mentions, links or emoji: type the "
    "deal's name, e.g. Acme renewal. The check keeps a link to the message."
)


def register(app: App, deps: Deps) -> None:
    @app.message_shortcut(Shortcut.CHECK_THIS_DEAL)
    def check_this_deal(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        tell(
            body,
            client,
            respond,
            lambda: client.views_open(trigger_id=body["trigger_id"], view=modal_for(deps, body)),
        )


def modal_for(deps: Deps, body: Mapping[str, Any]) -> View:
    """The start modal, named from the shortcut's message and pointing back at it."""
    message = body.get("message")
    message = message if isinstance(message, Mapping) else {}
    suggested = suggested_name(message, _names(deps, body, message))
    if suggested.name:
        hint = FROM_MESSAGE
    else:
        hint = NO_TEXT_HINT if suggested.problem == NO_TEXT else ONLY_MARKUP_HINT
    channel = body.get("channel")
    channel_id = channel.get("id") if isinstance(channel, Mapping) else None
    ts = body.get("message_ts") or message.get("ts")
    metadata = (
        context.metadata_for(channel_id, ts)
        if isinstance(channel_id, str) and isinstance(ts, str)
        else None
    )
    if metadata is None:
        hint = hint.replace(" The check keeps a link to the message.", "")
    return home_sections.start_modal(initial=suggested.name, hint=hint, private_metadata=metadata)


def _names(deps: Deps, body: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, str]:
    """Names we know for the message's bare `<@U…>` mentions; none if the store cannot say."""
    wanted = mentioned(message_text(message))
    team = body.get("team")
    team_id = team.get("id") if isinstance(team, Mapping) else None
    if not wanted or not isinstance(team_id, str):
        return {}
    try:
        workspace_id = deps.store.ensure_workspace(team_id=team_id)
        return deps.store.display_names(workspace_id=workspace_id, slack_user_ids=wanted)
    except Exception:  # the modal must open within the trigger's 3 s: a name is not worth it
        log.warning("could not read the names of mentioned people", exc_info=True)
        return {}
