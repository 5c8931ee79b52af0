"""A recording fake of Slack's Web API, served over real HTTP on an ephemeral local port.

Tests drive the app through the same ``slack_sdk.WebClient`` it uses in production, pointed at
this server with ``WebClient(base_url=fake.base_url)``, so request encoding, the bearer token,
retry handlers and response parsing are all exercised; only Slack itself is replaced. Patching
``WebClient`` methods instead would test our guesses about the SDK rather than the SDK.

What slack_sdk 3.x actually sends, which this server mirrors:

* every call is a POST to ``{base_url}{method}``, even for methods documented as GET
  (``users.info``, ``conversations.members``, ``chat.getPermalink``): their arguments arrive as a
  form-encoded body;
* methods that carry Block Kit (``chat.postMessage``, ``chat.postEphemeral``, ``chat.update``,
  ``views.*``) send a JSON body; the rest send ``application/x-www-form-urlencoded``, with
  booleans as ``"1"``/``"0"``;
* the token travels in ``Authorization: Bearer …``; a ``token`` argument is honoured as well.

Bolt acknowledges Slack first and runs the rest of a listener on worker threads, so a test must
wait for the calls it expects (``wait_for``) instead of reading ``calls()`` straight away.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["RESPONSE_URL_METHOD", "Call", "FakeSlack", "mpim_id"]

RESPONSE_URL_METHOD = "response_url"
"""The method name under which posts to a fake ``response_url`` are recorded."""

_JSON_STRING_ARGS = frozenset({"blocks", "attachments", "view", "metadata"})
_BASE_TS = 1_700_000_000


@dataclass(frozen=True)
class Call:
    """One Web API request as the app made it; ``error`` is set when a scripted failure hit it."""

    method: str
    args: dict[str, Any]
    token: str | None
    error: str | None = None
    result: dict[str, Any] | None = None
    """What the fake answered (e.g. the ts of a posted message)."""


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | None


@dataclass
class _User:
    id: str
    name: str
    real_name: str
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    deleted: bool = False
    tz: str = "Europe/London"
    extra: dict[str, Any] = field(default_factory=dict)


class FakeSlack:
    """Start with ``with FakeSlack() as fake:``; the server stops when the block ends.

    Workspace identity (team and bot ids) is configurable because Bolt compares event payloads
    with ``auth.test``'s answer to ignore the bot's own messages.
    """

    def __init__(
        self,
        *,
        team_id: str = "T1",
        team: str = "Fake Workspace",
        bot_user_id: str = "UBOT",
        bot_id: str = "BBOT",
        app_id: str = "A1",
    ) -> None:
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._users: dict[str, _User] = {}
        self._members: dict[str, list[str]] = {}
        self._channels: dict[str, dict[str, dict[str, Any]]] = {}
        self._ts = itertools.count(1)
        self._view_ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-slack", kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not running; use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        """What ``WebClient(base_url=...)`` and the app's ``SLACK_API_URL`` should be given."""
        return f"{self.root_url}api/"

    @property
    def response_url_base(self) -> str:
        """A prefix for fake ``response_url`` values, so ``respond()`` lands here, not on Slack."""
        return f"{self.root_url}response/"

    # -- scripting ---------------------------------------------------------------------------

    def set_user(
        self,
        user_id: str,
        *,
        is_admin: bool = False,
        is_owner: bool = False,
        name: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        tz: str = "Europe/London",
        **extra: Any,
    ) -> None:
        """Describe a workspace member; unknown ids still resolve to an ordinary non-admin."""
        handle = name or user_id.lower()
        with self._lock:
            self._users[user_id] = _User(
                id=user_id,
                name=handle,
                real_name=real_name or handle.replace(".", " ").title(),
                is_admin=is_admin,
                is_owner=is_owner,
                is_bot=is_bot,
                deleted=deleted,
                tz=tz,
                extra=dict(extra),
            )

    def set_members(self, channel: str, members: list[str]) -> None:
        with self._lock:
            self._members[channel] = list(members)

    def fail_next(
        self,
        method: str,
        error: str = "ratelimited",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail as Slack would.

        ``ratelimited`` defaults to HTTP 429 with ``Retry-After: 1`` (what the SDK's
        RateLimitErrorRetryHandler reacts to); any other error defaults to HTTP 200 with
        ``ok: false``, which is how Slack reports ordinary errors such as ``channel_not_found``.
        """
        if status is None:
            status = 429 if error == "ratelimited" else 200
        if retry_after is None and status == 429:
            retry_after = 1
        with self._lock:
            for _ in range(times):
                self._failures[method].append(_Failure(error, status, retry_after))

    def reset(self) -> None:
        """Forget recorded calls and unused failures; users and members describe the workspace
        and stay."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()

    # -- inspection --------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``method`` has been called ``count`` times; return all its calls so far."""
        with self._lock:
            arrived = self._lock.wait_for(
                lambda: sum(call.method == method for call in self._calls) >= count, timeout
            )
            calls = [call for call in self._calls if call.method == method]
            if not arrived:
                seen = [call.method for call in self._calls]
                raise AssertionError(
                    f"expected {count} {method} call(s) within {timeout}s, got {len(calls)}; "
                    f"calls so far: {seen}"
                )
            return calls

    def assert_no_calls(self, method: str | None = None, *, settle: float = 0.3) -> None:
        """Give background listeners ``settle`` seconds, then fail if ``method`` was called."""
        time.sleep(settle)
        unexpected = self.calls(method)
        if unexpected:
            raise AssertionError(f"expected no {method or 'API'} calls, got {unexpected}")

    # -- request handling (runs on server threads) -------------------------------------------

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
            self._lock.notify_all()

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            queue = self._failures.get(method)
            return queue.popleft() if queue else None

    def _next_ts(self) -> str:
        with self._lock:
            tick = next(self._ts) * 100
        return f"{_BASE_TS + tick // 1_000_000}.{tick % 1_000_000:06d}"

    def _handle(
        self, method: str, args: dict[str, Any], token: str | None
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        failure = self._take_failure(method)
        if failure is not None:
            self._record(Call(method, args, token, error=failure.error))
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return failure.status, {"ok": False, "error": failure.error}, headers
        if not token:
            self._record(Call(method, args, token))
            return 200, {"ok": False, "error": "not_authed"}, {}
        responder = getattr(self, "_api_" + _snake(method), None)
        body: dict[str, Any] = responder(args) if responder else {"ok": True}
        self._record(Call(method, args, token, result=body))
        return 200, body, {}

    def _dm_channel(self, channel: str) -> str:
        """Posting to a user id lands in the bot's DM with them, as on real Slack."""
        return "D" + channel if channel.startswith(("U", "W")) else channel

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": args.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if key in args:
                message[key] = args[key]
        return message

    def _api_auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake-workspace.slack.com/",
            "team": self.team,
            "user": "walkaway",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _api_chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = self._next_ts()
        channel = self._dm_channel(str(args.get("channel", "")))
        message = self._message(args, ts)
        with self._lock:
            self._channels.setdefault(channel, {})[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def messages(self, channel: str, *, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """What a person sees in a channel (or one thread) now: posts with updates applied."""
        with self._lock:
            shown = list(self._channels.get(channel, {}).values())
        if thread_ts is not None:
            shown = [m for m in shown if m.get("thread_ts") == thread_ts]
        return sorted(shown, key=lambda m: float(m["ts"]))

    def _api_chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        # Real Slack answers with message_ts only; there is no message to fetch or update later.
        return {"ok": True, "message_ts": self._next_ts()}

    def _api_chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        ts = str(args.get("ts", ""))
        channel = str(args.get("channel", ""))
        with self._lock:
            old = self._channels.get(channel, {}).get(ts)
            if old is None:
                return {"ok": False, "error": "message_not_found"}
            updated = self._message(args, ts)
            if "thread_ts" in old:
                updated["thread_ts"] = old["thread_ts"]
            self._channels[channel][ts] = updated
        return {
            "ok": True,
            "channel": str(args.get("channel", "")),
            "ts": ts,
            "text": args.get("text", ""),
            "message": self._message(args, ts),
        }

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args.get("channel"), "ts": args.get("ts")}

    def _api_chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        ts = str(args.get("message_ts", "")).replace(".", "")
        return {
            "ok": True,
            "channel": channel,
            "permalink": f"https://fake-workspace.slack.com/archives/{channel}/p{ts}",
        }

    def _api_conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = args.get("users", "")
        if isinstance(users, list):
            users = ",".join(users)
        people = [u.strip() for u in str(users).split(",") if u.strip()] if users else []
        if len(people) > 1 and not args.get("channel"):
            return self._open_group_dm(people)
        first = people[0] if people else ""
        channel_id = str(args["channel"]) if args.get("channel") else "D" + first
        return {"ok": True, "channel": {"id": channel_id}}

    def _open_group_dm(self, people: list[str]) -> dict[str, Any]:
        """Several users: a multi-person DM (mpim) of them and the bot, as Slack opens one.

        The same set of people (in any order) gets the same conversation back, as on Slack,
        and its members are those people plus the bot.
        """
        channel_id = mpim_id(people)
        with self._lock:
            self._members[channel_id] = [*sorted(set(people)), self.bot_user_id]
        return {
            "ok": True,
            "channel": {"id": channel_id, "is_mpim": True, "is_im": False, "is_private": True},
        }

    def members_of(self, channel: str) -> list[str]:
        """Who is in a conversation, as conversations.members would answer."""
        with self._lock:
            return list(self._members.get(channel, []))

    def _api_conversations_members(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            members = list(self._members.get(str(args.get("channel", "")), []))
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": ""}}

    def _api_users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = str(args.get("user", ""))
        with self._lock:
            user = self._users.get(user_id)
        if user is None:
            user = _User(id=user_id, name=user_id.lower(), real_name=user_id)
        return {
            "ok": True,
            "user": {
                "id": user.id,
                "team_id": self.team_id,
                "name": user.name,
                "real_name": user.real_name,
                "deleted": user.deleted,
                "is_admin": user.is_admin,
                "is_owner": user.is_owner,
                "is_primary_owner": False,
                "is_bot": user.is_bot,
                "tz": user.tz,
                "profile": {"real_name": user.real_name, "display_name": user.name},
                **user.extra,
            },
        }

    def _view(self, args: dict[str, Any], view_id: str | None = None) -> dict[str, Any]:
        sent = args.get("view")
        view: dict[str, Any] = dict(sent) if isinstance(sent, dict) else {}
        if view_id is None:
            with self._lock:
                view_id = f"V{next(self._view_ids):08d}"
        view.update(
            {
                "id": view_id,
                "team_id": self.team_id,
                "app_id": self.app_id,
                "bot_id": self.bot_id,
                "root_view_id": view_id,
                "hash": f"{time.time():.6f}",
                "state": {"values": {}},
            }
        )
        view.setdefault("private_metadata", "")
        view.setdefault("callback_id", "")
        return {"ok": True, "view": view}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args)

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args)

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        view_id = args.get("view_id")
        return self._view(args, str(view_id) if view_id else None)

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args)


def mpim_id(people: list[str]) -> str:
    """The group DM the fake opens for these users: one id per set of people, never a D… id."""
    return "G" + "".join(sorted({p.lstrip("UW") for p in people}))


def _snake(method: str) -> str:
    """``chat.postMessage`` -> ``chat_post_message``: the responder method's name."""
    return "".join("_" + char.lower() if char.isupper() else char for char in method).replace(
        ".", "_"
    )


def _decode_args(content_type: str, raw: bytes, query: str) -> dict[str, Any]:
    args: dict[str, Any] = {key: values[-1] for key, values in parse_qs(query).items()}
    if not raw:
        return args
    if "json" in content_type:
        body = json.loads(raw.decode("utf-8"))
        if isinstance(body, dict):
            args.update(body)
        return args
    for key, values in parse_qs(raw.decode("utf-8"), keep_blank_values=True).items():
        value: Any = values[-1]
        if key in _JSON_STRING_ARGS and isinstance(value, str) and value[:1] in ("[", "{"):
            # Form-encoded callers send Block Kit as a JSON string; tests read it as data.
            value = json.loads(value)
        args[key] = value
    return args


def _handler_for(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _send(
            self, status: int, body: bytes, content_type: str, headers: dict[str, str]
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if parts.path.startswith("/response/"):
                self._serve_response_url(parts.path, content_type, raw, parts.query)
                return
            if not parts.path.startswith("/api/"):
                self._send(404, b"not found", "text/plain", {})
                return
            method = parts.path.removeprefix("/api/")
            try:
                args = _decode_args(content_type, raw, parts.query)
            except (ValueError, UnicodeDecodeError):
                self._send(400, b'{"ok":false,"error":"invalid_json"}', "application/json", {})
                return
            token = args.pop("token", None)
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Bearer "):
                token = auth.removeprefix("Bearer ")
            status, payload, headers = fake._handle(method, args, token)
            self._send(status, json.dumps(payload).encode(), "application/json", headers)

        def _serve_response_url(self, path: str, content_type: str, raw: bytes, query: str) -> None:
            args = _decode_args(content_type, raw, query)
            args["_path"] = path
            status, _, headers = fake._handle(RESPONSE_URL_METHOD, args, token="response-url")
            self._send(status, b"ok" if status == 200 else b"error", "text/plain", headers)

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging; the recorded calls are the log tests need."""

    return Handler
