"""The real app, served over HTTP, driven by signed requests and watched through the fake API.

A `World` is what a rep's Slack looks like: the messages in their DM thread (with updates
applied), the modals opened, the private replies. Tests act through it the way Slack would.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from pydantic import SecretStr

from bot.app import wire
from bot.config import Settings
from bot.domain.checklist import load_checklist
from bot.slack.worker import Worker
from storage.columns import utcnow
from storage.repository import Store
from tests.slack.fake_slack import RESPONSE_URL_METHOD, Call, FakeSlack
from tests.slack.server import serve_bolt
from tests.slack.signed import Response, SlackClient, button_click, submission

SECRET = "e2e-signing-secret"
TOKEN = "xoxb-e2e-token-000"
TEAM = "T1"
REP = "U0REP"


def settings_for(fake: FakeSlack, database_url: str, *, checklist: Path | None = None) -> Settings:
    """The settings a deployment would have; `checklist` is its WALKAWAY_CHECKLIST, if any."""
    return Settings(
        database_url=database_url,
        slack_bot_token=SecretStr(TOKEN),
        slack_signing_secret=SecretStr(SECRET),
        slack_api_url=fake.base_url,
        walkaway_checklist=checklist,
        walkaway_slack_timeout=SLACK_TIMEOUT,
    )


SLACK_TIMEOUT = 1
"""Seconds the app waits for the fake Web API: a chaos "timeout" answers only after longer."""
WORKER_THREADS = 2
"""Job threads per test process: more than one, so jobs can race as in production."""

P = ParamSpec("P")
T = TypeVar("T")


class TestClock:
    """Real time, plus whatever stretches a test skipped: a job put back to be retried in a
    minute is retried now, because the worker's clock is moved past its delay (never a sleep).
    """

    __test__ = False

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return utcnow() + self._offset

    def advance_to(self, moment: datetime) -> None:
        with self._lock:
            ahead = moment - (utcnow() + self._offset)
            if ahead > timedelta(0):
                self._offset += ahead + timedelta(milliseconds=1)

    @property
    def skipped(self) -> timedelta:
        with self._lock:
            return self._offset


class TrackingExecutor(ThreadPoolExecutor):
    """Bolt's listener pool, counting work in flight so tests can wait for it to finish.

    Bolt submits a listener's after-ack work before it answers the HTTP request, so once a
    request has returned, `wait_idle` returning means everything that request caused is done:
    "nothing else happened" becomes a fact to assert rather than a sleep to hope with.
    """

    def __init__(self, max_workers: int = 5) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="bolt-listener")
        self._pending = 0
        self._changed = threading.Condition()
        self.worker: Worker | None = None
        """The same process's job worker: idle also means no job is left in the queue."""
        self.clock = TestClock()
        """The worker's clock: settling skips the delays of jobs put back to be retried."""

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        with self._changed:
            self._pending += 1
        try:
            future = super().submit(fn, *args, **kwargs)
        except BaseException:
            self._finished()
            raise
        future.add_done_callback(lambda _: self._finished())
        return future

    def _finished(self) -> None:
        with self._changed:
            self._pending -= 1
            self._changed.notify_all()

    def wait_idle(self, timeout: float = 5.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._pending == 0, timeout):
                raise AssertionError(f"{self._pending} listener task(s) still running")
        if self.worker is not None:
            self.worker.wait_idle(timeout, skip_ahead=self.clock.advance_to)


@contextmanager
def running_app(
    fake: FakeSlack,
    database_url: str,
    *,
    executor: TrackingExecutor | None = None,
    checklist: Path | None = None,
) -> Iterator[SlackClient]:
    """One app process: its own Store and Bolt app on the shared database."""
    settings = settings_for(fake, database_url, checklist=checklist)
    store = Store.open(database_url)
    wired = wire(
        settings,
        store=store,
        checklist=load_checklist(settings.walkaway_checklist),
        listener_executor=executor,
    )
    clock = executor.clock if executor is not None else utcnow
    worker = wired.start_worker(threads=WORKER_THREADS, clock=clock)
    if executor is not None:
        executor.worker = worker
    try:
        with serve_bolt(wired.app, signing_secret=SECRET) as url:
            yield SlackClient(url, SECRET, response_url_base=fake.response_url_base)
    finally:
        if executor is not None:
            executor.wait_idle()
        worker.stop()
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
    executor: TrackingExecutor | None = None
    checklist: Path | None = None
    """The team checklist file the app runs with (WALKAWAY_CHECKLIST); None: the shipped one."""
    _process: ExitStack | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @classmethod
    @contextmanager
    def serving(
        cls, fake: FakeSlack, database_url: str, *, checklist: Path | None = None
    ) -> Iterator[World]:
        """A world whose app process can be stopped and started again on the same database."""
        world = cls(
            fake=fake,
            slack=None,  # type: ignore[arg-type]
            database_url=database_url,
            checklist=checklist,
        )
        world.start_process()
        try:
            yield world
        finally:
            world.stop_process()
            if world._store is not None:
                world._store.close()

    def start_process(self) -> None:
        self.executor = TrackingExecutor()
        self._process = ExitStack()
        self.slack = self._process.enter_context(
            running_app(
                self.fake, self.database_url, executor=self.executor, checklist=self.checklist
            )
        )

    def stop_process(self) -> None:
        """Stop serving, once the work already acknowledged has finished."""
        if self.executor is not None:
            self.executor.wait_idle()
        if self._process is not None:
            self._process.close()
            self._process = None
        if self.executor is not None:
            self.executor.shutdown(wait=True)

    def restart_process(self) -> None:
        """What a deploy or crash-and-restart looks like: a new process, the same database."""
        self.stop_process()
        self.start_process()

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until everything the requests sent so far set off has finished."""
        assert self.executor is not None, "settle needs a world started with World.serving"
        self.executor.wait_idle(timeout)

    @property
    def dm(self) -> str:
        return "D" + self.user

    # -- what the rep sees -------------------------------------------------------------------

    def thread(self) -> list[dict[str, Any]]:
        """The qualification thread's replies (not the opening message), oldest first."""
        return [m for m in self.fake.messages(self.dm) if m.get("thread_ts")]

    def open_questions(self) -> list[dict[str, Any]]:
        """Question messages that can still be answered (every question has an Answer… button)."""
        return [
            m
            for m in self.thread()
            if any(a.get("action_id") == "answer_modal" for a in actions_of(m))
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
            b.get("block_id", "")
            for b in message["blocks"]
            if (b.get("type") == "actions" and element in b["elements"])
            or b.get("accessory") == element
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
        accessories = [b["accessory"] for b in message.get("blocks", []) if b.get("accessory")]
        for element in actions_of(message) + accessories:
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

    def choose(self, question_id: str, label: str) -> Response:
        """Pick `label` in the current question's answer menu (a question with many values)."""
        message = self.current_question(question_id)
        menu = next(e for e in actions_of(message) if e.get("type") == "static_select")
        option = next(o for o in menu["options"] if o["text"]["text"] == label)
        return self.pick(message, menu, option)

    def pick(
        self, message: dict[str, Any], menu: dict[str, Any], option: dict[str, Any]
    ) -> Response:
        """Choose `option` in the select `menu` of `message`, as Slack sends it."""
        block_id = next(
            b["block_id"]
            for b in message["blocks"]
            if b.get("type") == "actions" and menu in b["elements"]
        )
        payload = button_click(
            self.user,
            self.team,
            self.dm,
            message["ts"],
            menu["action_id"],
            "",
            block_id,
            response_url=self.slack.response_url(self.team),
        )
        clicked = payload["actions"][0]
        del clicked["value"], clicked["text"]
        clicked.update(
            type="static_select",
            selected_option=option,
            placeholder=menu.get("placeholder"),
        )
        return self.slack.block_action(payload)

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
        if self._store is None:
            self._store = Store.open(self.database_url, migrate=False)
        return self._store

    # -- journeys' building blocks -------------------------------------------------------------

    def start(self, deal: str) -> Response:
        """`/walkaway <deal>` and wait for the first question of the thread."""
        asked = len(self.open_questions())
        reply = self.command(deal)
        assert reply.status == 200, reply
        wait_until(lambda: len(self.open_questions()) > asked, what="the first question")
        return reply

    def opening(self) -> dict[str, Any]:
        """The message that opens the qualification thread."""
        found: dict[str, Any] = wait_until(
            lambda: next((m for m in self.fake.messages(self.dm) if "thread_ts" not in m), None),
            what="the thread's opening message",
        )
        return found

    def session_id(self) -> int:
        """The qualification this thread belongs to, read from a question's buttons (as posted:
        once answered, a question message has no buttons left)."""
        for call in self.fake.calls("chat.postMessage"):
            if self.fake._dm_channel(str(call.args.get("channel"))) != self.dm:
                continue
            for element in actions_of(call.args):
                raw = element.get("value")
                if raw and raw.startswith("{") and "session" in json.loads(raw):
                    return int(json.loads(raw)["session"])
        raise AssertionError("no question with a session reference in the thread")

    def answers_stored(self, session_id: int | None = None) -> list[Any]:
        """Every answer row ever stored for the session, superseded ones included."""
        sid = self.session_id() if session_id is None else session_id
        return self.store().answer_history(session_id=sid)

    def typed(
        self,
        text: str,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        user: str | None = None,
        thread_ts: str | None = None,
        settle: bool = True,
        **options: Any,
    ) -> Response:
        """A reply typed into the qualification thread, as the `message.im` event Slack sends.

        A person reads the question before typing, so by default this waits for the app to
        finish what it was doing (storing which message holds the question); `settle=False`
        is for races.
        """
        if settle and self.executor is not None:
            self.settle()
        ts = f"{time.time():.6f}"
        event = {
            "type": "message",
            "channel": self.dm,
            "channel_type": "im",
            "user": user or self.user,
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "thread_ts": thread_ts or self.opening()["ts"],
            "team": self.team,
        }
        return self.slack.event(
            event, event_id=event_id, team_id=self.team, retry_num=retry_num, **options
        )

    def message_with(
        self, block_id: str, *, what: str = "message", timeout: float = 5.0
    ) -> dict[str, Any]:
        """The newest thread message holding a block with this id (waits for it)."""

        def find() -> dict[str, Any] | None:
            return next((m for m in reversed(self.thread()) if block_id in block_ids(m)), None)

        found: dict[str, Any] = wait_until(find, timeout=timeout, what=what)
        return found

    def verdict(self) -> dict[str, Any]:
        return self.message_with("verdict", what="the verdict card")

    def draft(self, *, skip_recipient: bool = True) -> dict[str, Any]:
        """The draft with its buttons; a draft still asking who it is for is answered *Skip*
        first (unless told not to), as a rep in a hurry would."""

        def find() -> dict[str, Any] | None:
            for message in reversed(self.thread()):
                ids = block_ids(message)
                if "draft_actions" in ids or "recipient_actions" in ids:
                    return message
            return None

        found: dict[str, Any] = wait_until(find, what="the draft or its recipient question")
        if "recipient_actions" in block_ids(found) and skip_recipient:
            self.click(found, action_id="skip_recipient")
            return self.message_with("draft_actions", what="the draft with its buttons")
        return found

    def recipient_question(self) -> dict[str, Any]:
        return self.message_with("recipient_actions", what="who the draft is for")

    def open_view(self, message: dict[str, Any], action_id: str, **click: Any) -> dict[str, Any]:
        """Click a button that opens a modal; return the modal as the app sent it."""
        opened = len(self.fake.calls("views.open"))
        reply = self.click(message, action_id=action_id, **click)
        assert reply.status == 200, reply
        view: dict[str, Any] = self.fake.wait_for("views.open", count=opened + 1)[-1].args["view"]
        return view

    def submit_view(
        self, view: dict[str, Any], values: dict[str, dict[str, Any]], *, user: str | None = None
    ) -> Response:
        payload = submission(
            user or self.user, self.team, view["callback_id"], view["private_metadata"], values
        )
        return self.slack.view_submission(payload)

    def private_replies(self) -> list[dict[str, Any]]:
        """Ephemeral replies (through response_url or chat.postEphemeral), oldest first, each
        as a message a test can read or click (the ts is made up: ephemerals have none)."""
        return [
            {"ts": f"ephemeral.{index}", **call.args}
            for index, call in enumerate(self.fake.calls())
            if call.method in (RESPONSE_URL_METHOD, "chat.postEphemeral")
        ]

    def home(self) -> dict[str, Any]:
        """Open the App Home tab; return the view the app published."""
        published = len(self.fake.calls("views.publish"))
        event = {"type": "app_home_opened", "user": self.user, "channel": self.dm, "tab": "home"}
        reply = self.slack.event(event, team_id=self.team)
        assert reply.status == 200, reply
        view: dict[str, Any] = self.fake.wait_for("views.publish", count=published + 1)[-1].args[
            "view"
        ]
        return view

    def click_in_home(self, element: dict[str, Any], *, block_id: str = "home") -> Response:
        """A button clicked in the Home tab: no message, no response_url, as Slack sends it."""
        payload = button_click(
            self.user,
            self.team,
            self.dm,
            "0",
            element["action_id"],
            element["value"],
            block_id,
        )
        payload.pop("message", None)
        payload.pop("response_url", None)
        payload.pop("channel", None)
        payload["container"] = {"type": "view", "view_id": "VHOME"}
        payload["view"] = {
            "id": "VHOME",
            "type": "home",
            "callback_id": "",
            "state": {"values": {}},
        }
        return self.slack.block_action(payload)

    def calls_since(self, mark: int) -> list[Call]:
        return self.fake.calls()[mark:]

    def mark(self) -> int:
        """A bookmark in the recorded calls, for "what happened after this" assertions."""
        return len(self.fake.calls())


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'slack.db'}"
