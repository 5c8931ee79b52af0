"""*Start a check* on App Home: a modal asks the deal's name, then the check starts in the DM.

The button opens the modal inline, since its trigger_id lasts 3 s. The submission is stored as
a job before its ack (so a process dying after the ack loses nothing), and the job runs the very
handler `/walkaway <deal>` runs (bot/qualification/command.py `start`): a new check opens its
DM thread and asks, an unfinished one picks up where it stopped, a finished one shows its
verdict with *Start a new check*. A modal has no response_url, so what that handler would tell
the rep privately is posted in our DM instead, once per job (`DmReply`). The *Check this deal*
message shortcut (bot/qualification/shortcut.py) opens this same modal, named from a message;
its job then keeps that message and its link with the check (bot/qualification/context.py).
"""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookResponse

from bot.qualification import context, home_sections
from bot.qualification.command import deal_name_of, start
from bot.slack.deps import Deps, actor_from, homes_changed
from bot.slack.effects import post_for_job
from bot.slack.errors import tell
from bot.slack.ids import Action, Block, Field, View
from bot.slack.jobs import deferred
from storage.posts import Posts

START_FROM_HOME = "home.start_check"
NO_NAME = "Type the deal's name, e.g. Acme renewal."


class DmReply(Respond):
    """`respond` for work begun in a modal: the private reply goes to the person's DM."""

    def __init__(self, client: WebClient, store: Posts, user_id: str) -> None:
        super().__init__(response_url=None)
        self._client = client
        self._store = store
        self._user_id = user_id

    def __call__(self, *args: Any, **kwargs: Any) -> WebhookResponse:
        text = str(kwargs.get("text") or (args[0] if args else ""))
        channel = str(self._client.conversations_open(users=self._user_id)["channel"]["id"])
        post_for_job(
            self._client,
            self._store,
            what="home-reply",
            channel=channel,
            text=text,
            blocks=kwargs.get("blocks"),
        )
        return WebhookResponse(url="", status_code=200, body="ok", headers={})


def register(app: App, deps: Deps) -> None:
    @app.action(Action.HOME_START_CHECK)
    def start_clicked(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        tell(
            body,
            client,
            respond,
            lambda: client.views_open(
                trigger_id=body["trigger_id"], view=home_sections.start_modal()
            ),
        )

    @deferred(deps, START_FROM_HOME)
    def start_check(body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        deal = deal_name_of(_typed(body))
        actor = actor_from(body)
        start(deal, body, client, DmReply(client, deps.store, actor.user_id), deps)
        context.keep(client, deps, body, actor=actor, deal=deal)  # from *Check this deal*
        homes_changed(deps, team_id=actor.team_id, users=[actor.user_id])  # now unfinished

    @app.view(View.START_CHECK)
    def deal_submitted(ack: Ack, body: dict[str, Any]) -> None:
        deal = deal_name_of(_typed(body))
        if not deal:
            ack(response_action="errors", errors={Block.DEAL_INPUT: NO_NAME})
            return
        start_check.later(body)
        ack(response_action="update", view=home_sections.started_modal(deal))


def _typed(body: dict[str, Any]) -> str:
    values = ((body.get("view") or {}).get("state") or {}).get("values") or {}
    return str((values.get(Block.DEAL_INPUT, {}).get(Field.DEAL) or {}).get("value") or "")
