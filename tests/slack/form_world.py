"""The check's form as a rep uses it in Slack: open it, choose, type, close, send.

Slack keeps what the rep entered in an input when the app updates the view, as long as the
block and action ids stay the same; inputs the rep never touched show their initial value. The
`Form` here does the same, from the views the fake Web API was sent, and sends the payloads
Slack would: a block action for each choice (the input blocks dispatch), `view_submission`,
`view_closed`. It counts the rep's interactions (clicks and submissions), which the journey
tests compare between the form and the conversation.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from tests.slack.signed import Response, submission
from tests.slack.world import World, actions_of

FIELD = "form_answer"


@dataclass
class Form:
    world: World
    view_id: str
    entered: dict[str, dict[str, Any]] = field(default_factory=dict)
    """What the rep entered by hand, by block id (Slack keeps it across updates)."""
    interactions: int = 0

    @classmethod
    def open_from(cls, world: World, message: dict[str, Any]) -> Form:
        """Click *Use a form instead* on a thread message; wait for the modal."""
        opened = len(world.fake.calls("views.open"))
        reply = world.click(message, action_id="open_form")
        assert reply.status == 200, reply
        view = world.fake.wait_for("views.open", count=opened + 1)[-1].result["view"]
        form = cls(world=world, view_id=str(view["id"]))
        form.interactions += 1
        return form

    # -- what the rep sees ---------------------------------------------------------------

    @property
    def view(self) -> dict[str, Any]:
        return self.world.fake.view(self.view_id)

    def questions(self) -> list[str]:
        """The question ids shown, top to bottom."""
        return [
            str(b["block_id"]).removeprefix("form|")
            for b in self.view["blocks"]
            if str(b.get("block_id", "")).startswith("form|")
        ]

    def block(self, question_id: str) -> dict[str, Any]:
        return next(b for b in self.view["blocks"] if b.get("block_id") == f"form|{question_id}")

    def element(self, question_id: str) -> dict[str, Any]:
        """The question's control: an input's element, or a tick box beside its question."""
        block = self.block(question_id)
        found: dict[str, Any] = block.get("element") or block["accessory"]
        return found

    def text(self) -> str:
        return json.dumps(self.view["blocks"], ensure_ascii=False)

    def state(self) -> dict[str, dict[str, Any]]:
        """state.values as Slack would send them now: entered values, else the initial ones."""
        values: dict[str, dict[str, Any]] = {}
        for block in self.view["blocks"]:
            block_id = str(block.get("block_id", ""))
            if not block_id.startswith("form|"):
                continue
            element = block.get("element") or block["accessory"]
            values[block_id] = {FIELD: self.entered.get(block_id) or _initial(element)}
        return values

    # -- what the rep does ---------------------------------------------------------------

    def choose(self, question_id: str, value: str) -> Response:
        """Pick a radio button or menu option; for a tick box, "yes" ticks and "no" unticks."""
        block = self.block(question_id)
        element = self.element(question_id)
        kind = element["type"]
        if kind == "checkboxes":
            picked = [o for o in element["options"] if o["value"] == value]
            entered: dict[str, Any] = {"type": kind, "selected_options": picked}
        else:
            option = next(o for o in element["options"] if o["value"] == value)
            entered = {"type": kind, "selected_option": option}
        self.entered[block["block_id"]] = entered
        action = {
            "action_id": FIELD,
            "block_id": block["block_id"],
            "action_ts": f"{time.time():.6f}",
            **entered,
        }
        self.interactions += 1
        reply = self.world.slack.block_action(self._payload("block_actions", actions=[action]))
        assert reply.status == 200, reply
        return reply

    def type(self, question_id: str, text: str) -> None:
        """Type into a number or text input: no request until the form is sent or closed."""
        block = self.block(question_id)
        kind = self.element(question_id)["type"]
        self.entered[block["block_id"]] = {"type": kind, "value": text}

    def send(self) -> Response:
        """*Get the verdict*. A `response_action: update` is shown, as Slack shows it."""
        view = self.view
        payload = submission(
            self.world.user,
            self.world.team,
            view["callback_id"],
            view["private_metadata"],
            self.state(),
            view_id=self.view_id,
            blocks=view["blocks"],
        )
        self.interactions += 1
        reply = self.world.slack.view_submission(payload)
        if reply.status == 200 and reply.body:
            answer = json.loads(reply.body)
            if answer.get("response_action") == "update":
                self.world.fake.replace_view(self.view_id, answer["view"])
        return reply

    def close(self) -> Response:
        """*Later*: Slack reports the closing with the view's state (notify_on_close)."""
        self.world.fake.close_view(self.view_id)
        payload = self._payload("view_closed", is_cleared=False)
        payload.pop("trigger_id", None)
        self.interactions += 1
        return self.world.slack.interaction(payload)

    def _payload(self, kind: str, **extra: Any) -> dict[str, Any]:
        view = self.view
        return {
            "type": kind,
            "team": {"id": self.world.team, "domain": "fake-workspace"},
            "user": {"id": self.world.user, "team_id": self.world.team, "name": "rep"},
            "api_app_id": "A1",
            "token": "verification-token-unused",
            "container": {"type": "view", "view_id": self.view_id},
            "trigger_id": f"{time.time():.6f}.trigger",
            "view": {
                **view,
                "state": {"values": self.state()},
            },
            **extra,
        }


def _initial(element: dict[str, Any]) -> dict[str, Any]:
    kind = element["type"]
    if kind == "checkboxes":
        return {"type": kind, "selected_options": element.get("initial_options") or []}
    if kind in ("radio_buttons", "static_select"):
        return {"type": kind, "selected_option": element.get("initial_option")}
    return {"type": kind, "value": element.get("initial_value")}


def form_buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The *Use a form instead* buttons of a message (actions block or section accessory)."""
    found = [e for e in actions_of(message) if e.get("action_id") == "open_form"]
    for block in message.get("blocks", []):
        accessory = block.get("accessory") or {}
        if accessory.get("action_id") == "open_form":
            found.append(accessory)
    return found
