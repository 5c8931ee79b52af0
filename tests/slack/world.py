"""The real app, served over HTTP, driven by signed requests and watched through the fake API.

A `World` is what a rep's Slack looks like: the messages in their DM thread (with updates
applied), the modals opened, the private replies. Tests act through it the way Slack would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.app import create_app
from bot.config import Settings
from bot.domain.checklist import load_checklist
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD, Call, FakeSlack
from tests.slack.server import serve_bolt
from tests.slack.signed import Response, SlackClient, button_click, submission

SECRET = "e2e-signing-secret"
TOKEN = "xoxb-e2e-token-000"
TEAM = "T1"
REP = "U0REP"


def settings_for(fake: FakeSlack, database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=fake.base_url,
        walkaway_checklist=None,
    )


@contextmanager
def running_app(fake: FakeSlack, database_url: str) -> Iterator[SlackClient]:
    """One app process: its own Store and Bolt app on the shared database."""
    settings = settings_for(fake, database_url)
    store = Store.open(database_url)
    app = create_app(settings, store=store, checklist=load_checklist())
    try:
        with serve_bolt(app) as url:
            yield SlackClient(url, SECRET, response_url_base=fake.response_url_base)
    finally:
        store.close()


def wait_until(check: Callable[[], Any], *, timeout: float = 5.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def block_ids(message: dict[str, Any]) -> list[str]:
    return [b.get("block_id", "") for b in message.get("blocks", [])]


def actions_of(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        element
        for block in message.get("blocks", [])
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def text_of(message: dict[str, Any]) -> str:
    """Everything a person can read in a message: its text and every text in its blocks."""
    parts = [str(message.get("text", ""))]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and "text" in node:
                parts.append(str(node["text"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks", []))
    return "\n".join(parts)


@dataclass
class World:
    fake: FakeSlack
    slack: SlackClient
    database_url: str
    user: str = REP
    team: str = TEAM
    replies: list[Response] = field(default_factory=list)

    @property
    def dm(self) -> str:
        return "D" + self.user

    # -- what the rep sees -------------------------------------------------------------------

    def thread(self) -> list[dict[str, Any]]:
        """The qualification thread's replies (not the opening message), oldest first."""
        return [m for m in self.fake.messages(self.dm) if m.get("thread_ts")]

    def open_questions(self) -> list[dict[str, Any]]:
        return [
            m
            for m in self.thread()
            if any(
                a.get("action_id") == "back" or a.get("action_id") == "start_over"
                for a in actions_of(m)
            )
        ]

    def current_question(
        self, question_id: str | None = None, *, timeout: float = 5.0
    ) -> dict[str, Any]:
        """Wait for the newest unanswered question (optionally: this one) and return it."""

        def newest() -> dict[str, Any] | None:
            open_ = self.open_questions()
            if not open_:
                return None
            latest = open_[-1]
            if question_id and not any(b.startswith(question_id + "|") for b in block_ids(latest)):
                return None
            return latest

        found: dict[str, Any] = wait_until(
            newest, timeout=timeout, what=f"question {question_id or ''}"
        )
        return found

    def question_id(self, message: dict[str, Any]) -> str:
        actions = next(b for b in message["blocks"] if b.get("type") == "actions")
        return str(actions["block_id"]).split("|")[0]

    def ephemeral_texts(self) -> list[str]:
        return [
            str(c.args.get("text", ""))
            for c in self.fake.calls()
            if c.method in (RESPONSE_URL_METHOD, "chat.postEphemeral")
        ]

    # -- what the rep does -------------------------------------------------------------------

    def command(self, text: str, **options: Any) -> Response:
        reply = self.slack.command(text=text, user_id=self.user, team_id=self.team, **options)
        self.replies.append(reply)
        return reply

    def click(
        self,
        message: dict[str, Any],
        *,
        value: str | None = None,
        action_id: str | None = None,
        user: str | None = None,
        action_ts: str | None = None,
        **options: Any,
    ) -> Response:
        element = self.element(message, value=value, action_id=action_id)
        block_id = next(
            b["block_id"]
            for b in message["blocks"]
            if b.get("type") == "actions" and element in b["elements"]
        )
        payload = button_click(
            user or self.user,
            self.team,
            self.dm,
            message["ts"],
            element["action_id"],
            element["value"],
            block_id,
            action_ts,
            response_url=self.slack.response_url(self.team),
        )
        return self.slack.block_action(payload, **options)

    def element(
        self, message: dict[str, Any], *, value: str | None = None, action_id: str | None = None
    ) -> dict[str, Any]:
        for element in actions_of(message):
            if action_id is not None and element.get("action_id") != action_id:
                continue
            if value is not None:
                raw = element.get("value")
                if raw is None or json.loads(raw).get("value") != value:
                    continue
            return element
        raise AssertionError(
            f"no element value={value} action_id={action_id} in {actions_of(message)}"
        )

    def answer(self, question_id: str, value: str) -> None:
        """Click the answer button on the current question and wait for the thread to move on."""
        message = self.current_question(question_id)
        posted = len(self.fake.calls("chat.postMessage"))
        reply = self.click(message, value=value)
        assert reply.status == 200, reply
        self.fake.wait_for("chat.postMessage", count=posted + 1)

    def answer_in_modal(
        self, question_id: str, value: str, *, note: str | None = None, select: bool = False
    ) -> Response:
        """Open the Answer… modal on the current question and submit it."""
        message = self.current_question(question_id)
        opened = len(self.fake.calls("views.open"))
        self.click(message, action_id="answer_modal")
        view_call = self.fake.wait_for("views.open", count=opened + 1)[-1]
        view = view_call.args["view"]
        state: dict[str, Any] = {
            "answer_input": {
                "value": {"type": "static_select", "selected_option": {"value": value}}
                if select
                else {"type": "plain_text_input", "value": value}
            },
            "note_input": {"note": {"type": "plain_text_input", "value": note}},
        }
        payload = submission(
            self.user, self.team, view["callback_id"], view["private_metadata"], state
        )
        return self.slack.view_submission(payload)

    def run_through(self, answers: dict[str, str]) -> None:
        for question_id, value in answers.items():
            self.answer(question_id, value)

    def calls(self, method: str) -> list[Call]:
        return self.fake.calls(method)

    def store(self) -> Store:
        return Store.open(self.database_url, migrate=False)


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'slack.db'}"
