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

Failures come two ways. ``fail_next`` scripts the exact answer a test is about. ``chaos`` makes a
share of all calls fail at random, the way a real network and a busy Slack do, including the two
failures an app cannot tell apart from the outside: a connection dropped before Slack did
anything (``reset``) and an answer lost after Slack did the work (``timeout``). Only the second
leaves a posted message behind, which is why an app must look before it posts again;
``conversations.history`` and ``conversations.replies`` answer over the stored messages, with
their ``metadata`` when asked, so the app can do that looking here as it would on Slack.
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import random
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "DEFAULT_KINDS",
    "FAULT_KINDS",
    "RESPONSE_URL_METHOD",
    "Call",
    "FakeSlack",
    "Fault",
    "mpim_id",
]

RESPONSE_URL_METHOD = "response_url"
"""The method name under which posts to a fake ``response_url`` are recorded."""

DEFAULT_KINDS: tuple[str, ...] = ("429", "500", "ratelimited", "reset", "timeout")
"""Every fault ``chaos`` can inject; each is one way a Slack call really goes wrong:

* ``429``: HTTP 429 with ``Retry-After``, what slack_sdk's RateLimitErrorRetryHandler retries;
* ``500``: HTTP 500, what its ServerErrorRetryHandler retries;
* ``ratelimited``: HTTP 200 with ``ok: false``, which no SDK handler retries, so the caller sees
  a SlackApiError;
* ``reset``: the connection closes with no response at all, before anything was done; the SDK's
  ConnectionErrorRetryHandler (installed by default) retries it once;
* ``timeout``: the call is carried out but its answer is held back for ``timeout_delay`` seconds,
  so a client with a shorter timeout gives up on a call that did happen.
"""
FAULT_KINDS = frozenset(DEFAULT_KINDS)

_CHAOS_EXEMPT = frozenset({"auth.test"})
"""Bolt calls auth.test once at start-up and an app cannot start without it; failing it tests
the test's set-up, not the app. Name it in ``methods`` to fail it anyway."""

_JSON_STRING_ARGS = frozenset({"blocks", "attachments", "view", "metadata"})
_HISTORY_LIMIT = (100, 999)
"""conversations.history's default and largest page, as Slack documents them."""
_REPLIES_LIMIT = (1000, 1000)
"""conversations.replies' default and largest page."""


@dataclass(frozen=True)
class Call:
    """One Web API request as the app made it.

    ``error`` is set when a scripted failure (the Slack error it answered) or a chaos fault (its
    kind, e.g. ``"reset"``) stopped the call. A chaos ``timeout`` did happen, so it keeps
    ``error`` unset and its ``result``, and is marked ``late``: the app never saw that result.
    """

    method: str
    args: dict[str, Any]
    token: str | None
    error: str | None = None
    result: dict[str, Any] | None = None
    """What the fake answered (e.g. the ts of a posted message)."""
    late: bool = False
    """The answer was held back by a chaos ``timeout``, so the client most likely gave up."""


class Fault(NamedTuple):
    """One fault ``chaos`` injected: which call it hit and how."""

    method: str
    kind: str


@dataclass
class _Failure:
    error: str
    status: int
    retry_after: int | None


@dataclass
class _Chaos:
    rate: float
    rng: random.Random
    kinds: tuple[str, ...]
    methods: frozenset[str] | None

    def covers(self, method: str) -> bool:
        if self.methods is None:
            return method not in _CHAOS_EXEMPT
        return method in self.methods


@dataclass(frozen=True)
class _Answer:
    """What the HTTP handler should do with a request the fake has dealt with."""

    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    """Seconds to hold the answer back (a chaos ``timeout``)."""
    drop: bool = False
    """Close the connection without answering (a chaos ``reset``)."""


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
    title: str = ""
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
        timeout_delay: float = 2.0,
        rate_limit_retry_after: int = 1,
    ) -> None:
        self.team_id = team_id
        self.team = team
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.timeout_delay = timeout_delay
        """How long a chaos ``timeout`` holds its answer: longer than the client's timeout, or
        the client simply waits and the fault is only a slow call."""
        self.rate_limit_retry_after = rate_limit_retry_after
        """The ``Retry-After`` of a chaos ``429``; the SDK's handler sleeps that plus up to a
        second, so a test under heavy chaos may want 0."""
        self._lock = threading.Condition()
        self._calls: list[Call] = []
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._holds: dict[str, deque[threading.Event]] = defaultdict(deque)
        self._chaos: _Chaos | None = None
        self._faults: list[Fault] = []
        self._stopping = threading.Event()
        self._users: dict[str, _User] = {}
        self._members: dict[str, list[str]] = {}
        self._channels: dict[str, dict[str, dict[str, Any]]] = {}
        self._last_tick = 0
        self._view_ids = itertools.count(1)
        self._views: dict[str, dict[str, Any]] = {}
        """Modals on show by id, as last opened or updated: views.update checks their hash."""
        self._view_hashes = itertools.count(1)
        self._closed_views: set[str] = set()
        self._file_ids = itertools.count(1)
        self._uploads: dict[str, dict[str, Any]] = {}
        """Files by id: the name and length asked for, then the bytes sent to the upload URL
        and, once completed, where they were shared (files_upload_v2's three steps)."""
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        if self._server is not None:
            raise RuntimeError("FakeSlack is already running")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, name="fake-slack", kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()  # wake answers a chaos timeout is holding back
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
        title: str = "",
        **extra: Any,
    ) -> None:
        """Describe a workspace member; unknown ids still resolve to an ordinary non-admin.

        `real_name` and `title` come back in users.info's profile, as Slack's own do."""
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
                title=title,
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

    def chaos(
        self,
        rate: float,
        *,
        seed: int | None = None,
        kinds: Sequence[str] = DEFAULT_KINDS,
        methods: Collection[str] | None = None,
    ) -> None:
        """From now on fail each call with probability ``rate``, by a fault drawn from ``kinds``.

        Retries and recovery paths only get exercised when failures turn up where nobody
        scripted them; ``fail_next`` tests the failures we thought of. A ``seed`` makes the
        sequence of draws repeatable: the n-th call chaos covers gets the same fate on every
        run, though which call is n-th still depends on thread timing. Scripted failures are
        used first and take no draw. ``methods`` limits chaos to those methods (response_url
        posts are ``RESPONSE_URL_METHOD``); by default every method but ``auth.test`` is
        covered. ``chaos(0)`` or ``reset()`` ends it; ``faults()`` lists what it injected.
        """
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"chaos rate must be between 0 and 1, got {rate}")
        if isinstance(kinds, str):
            raise TypeError(f"kinds is a sequence of fault kinds, e.g. ({kinds!r},)")
        chosen = tuple(kinds)
        unknown = sorted(set(chosen) - FAULT_KINDS)
        if unknown or not chosen:
            raise ValueError(f"fault kinds must be some of {DEFAULT_KINDS}, got {chosen}")
        with self._lock:
            if rate == 0.0:
                self._chaos = None
                return
            self._chaos = _Chaos(
                rate=rate,
                rng=random.Random(seed),
                kinds=chosen,
                methods=None if methods is None else frozenset(methods),
            )

    def reset(self) -> None:
        """Forget recorded calls, unused failures, chaos and its faults; users, members and
        messages describe the workspace and stay."""
        with self._lock:
            self._calls.clear()
            self._failures.clear()
            self._chaos = None
            self._faults.clear()

    # -- inspection --------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [call for call in self._calls if method is None or call.method == method]

    def uploaded_files(self) -> list[dict[str, Any]]:
        """Files completed with files.completeUploadExternal, oldest first: id, filename,
        title, channel_id, initial_comment and content (the bytes sent, decoded as UTF-8)."""
        with self._lock:
            return [dict(f) for f in self._uploads.values() if f.get("channel_id") is not None]

    def faults(self) -> list[Fault]:
        """The faults chaos injected since the last ``reset()``, in the order they hit."""
        with self._lock:
            return list(self._faults)

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

    def _draw_fault(self, method: str) -> str | None:
        """Chaos's verdict on one call; drawn under the lock so a seed fixes the sequence."""
        with self._lock:
            chaos = self._chaos
            if chaos is None or not chaos.covers(method):
                return None
            if chaos.rng.random() >= chaos.rate:
                return None
            kind = chaos.rng.choice(chaos.kinds)
            self._faults.append(Fault(method, kind))
            return kind

    def _next_ts(self) -> str:
        """The posting time, as Slack's ts is (an app may look for its posts "since" a moment),
        made strictly increasing so every message has its own."""
        with self._lock:
            self._last_tick = max(int(time.time() * 1_000_000), self._last_tick + 100)
            tick = self._last_tick
        return f"{tick // 1_000_000}.{tick % 1_000_000:06d}"

    def hold_next(self, method: str) -> threading.Event:
        """Make the next call of ``method`` wait, before it is carried out, until the returned
        event is set (or 30 s pass): the caller is then stuck mid-call, as when Slack is slow,
        which is the moment a test kills it."""
        release = threading.Event()
        with self._lock:
            self._holds[method].append(release)
        return release

    def _handle(self, method: str, args: dict[str, Any], token: str | None) -> _Answer:
        with self._lock:
            holds = self._holds.get(method)
            hold = holds.popleft() if holds else None
        if hold is not None:
            hold.wait(30)
        failure = self._take_failure(method)
        if failure is not None:
            self._record(Call(method, args, token, error=failure.error))
            headers = {}
            if failure.retry_after is not None:
                headers["Retry-After"] = str(failure.retry_after)
            return _Answer(failure.status, {"ok": False, "error": failure.error}, headers)
        fault = self._draw_fault(method)
        if fault is not None and fault != "timeout":
            self._record(Call(method, args, token, error=fault))
            return self._fault_answer(fault)
        late = fault == "timeout"
        if not token:
            self._record(Call(method, args, token, late=late))
            body: dict[str, Any] = {"ok": False, "error": "not_authed"}
        else:
            responder = getattr(self, "_api_" + _snake(method), None)
            body = responder(args) if responder else {"ok": True}
            # Recorded before the answer is held back: the work is done and a test waiting for
            # it must not wait out the delay.
            self._record(Call(method, args, token, result=body, late=late))
        return _Answer(200, body, delay=self.timeout_delay if late else 0.0)

    def _fault_answer(self, kind: str) -> _Answer:
        if kind == "429":
            retry_after = {"Retry-After": str(self.rate_limit_retry_after)}
            return _Answer(429, {"ok": False, "error": "ratelimited"}, retry_after)
        if kind == "500":
            return _Answer(500, {"ok": False, "error": "internal_error"})
        if kind == "ratelimited":
            return _Answer(200, {"ok": False, "error": "ratelimited"})
        return _Answer(0, {}, drop=True)  # "reset"

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
        for key in ("blocks", "attachments", "thread_ts"):
            if key in args:
                message[key] = args[key]
        metadata = _metadata(args)
        if metadata:
            message["metadata"] = metadata
        if "thread_ts" in args and _flag(args.get("reply_broadcast")):
            # Slack shows a broadcast reply in the channel too, marked with this subtype.
            message["subtype"] = "thread_broadcast"
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
        if not _metadata_ok(args):
            return {"ok": False, "error": "invalid_metadata_format"}
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
        if not _metadata_ok(args):
            return {"ok": False, "error": "invalid_metadata_format"}
        with self._lock:
            old = self._channels.get(channel, {}).get(ts)
            if old is None:
                return {"ok": False, "error": "message_not_found"}
            updated = self._message(args, ts)
            if "thread_ts" in old:
                updated["thread_ts"] = old["thread_ts"]
                if old.get("subtype") == "thread_broadcast" or _flag(args.get("reply_broadcast")):
                    updated["subtype"] = "thread_broadcast"
            # Slack keeps a message's metadata through an update that does not mention it, and
            # drops it for an empty object; an app marking its posts relies on the first.
            if "metadata" not in args and "metadata" in old:
                updated["metadata"] = old["metadata"]
            self._channels[channel][ts] = updated
        return {
            "ok": True,
            "channel": channel,
            "ts": ts,
            "text": args.get("text", ""),
            "message": updated,
        }

    def _api_chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        """A deleted message leaves the channel, so history and ``messages()`` stop showing it."""
        ts = str(args.get("ts", ""))
        channel = str(args.get("channel", ""))
        with self._lock:
            if self._channels.get(channel, {}).pop(ts, None) is None:
                return {"ok": False, "error": "message_not_found"}
        return {"ok": True, "channel": channel, "ts": ts}

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

    def _api_conversations_history(self, args: dict[str, Any]) -> dict[str, Any]:
        """A channel's top-level messages, newest first, one page at a time.

        Thread replies stay in their thread unless they were broadcast; a thread's parent
        carries the reply count and latest reply, as Slack adds them. A channel nobody posted
        to is empty rather than ``channel_not_found``: the fake cannot tell a quiet channel from
        a missing one. A user id is refused, because unlike chat.postMessage the
        conversations.* methods take only conversation ids.
        """
        channel = str(args.get("channel", ""))
        if not channel or channel.startswith(("U", "W")):
            return {"ok": False, "error": "channel_not_found"}
        window = _Window.of(args)
        if isinstance(window, str):
            return {"ok": False, "error": window}
        with self._lock:
            stored = list(self._channels.get(channel, {}).values())
            shown = [
                _thread_view(m, stored)
                for m in stored
                if not _is_reply(m) or m.get("subtype") == "thread_broadcast"
            ]
        shown = [m for m in shown if window.holds(m["ts"])]
        shown.sort(key=lambda m: Decimal(m["ts"]), reverse=True)
        page = _page(shown, args, _HISTORY_LIMIT, newest_first=True)
        if isinstance(page, str):
            return {"ok": False, "error": page}
        messages, next_cursor = page
        return {
            "ok": True,
            "messages": [_shown(m, args) for m in messages],
            "has_more": bool(next_cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _api_conversations_replies(self, args: dict[str, Any]) -> dict[str, Any]:
        """A thread, oldest first: its parent, then the replies within ``oldest``/``latest``.

        ``ts`` may name the parent or any reply, as on Slack, and a message without replies
        comes back alone. The parent leads the first page whatever the time window, and later
        pages hold replies only. When the parent is not among the stored messages (a user's
        message the test only sent as an event) but the app replied under it, the replies come
        back without it instead of ``thread_not_found``: on Slack that parent would exist.
        """
        channel = str(args.get("channel", ""))
        ts = str(args.get("ts", ""))
        if not channel or channel.startswith(("U", "W")):
            return {"ok": False, "error": "channel_not_found"}
        window = _Window.of(args)
        if isinstance(window, str):
            return {"ok": False, "error": window}
        with self._lock:
            stored = list(self._channels.get(channel, {}).values())
            named = next((m for m in stored if m["ts"] == ts), None)
            root = str(named.get("thread_ts", ts)) if named is not None else ts
            parent = next((m for m in stored if m["ts"] == root), None)
            replies = [m for m in stored if _is_reply(m) and m["thread_ts"] == root]
            if parent is None and not replies:
                return {"ok": False, "error": "thread_not_found"}
            lead = [_thread_view(parent, stored)] if parent is not None else []
            replies = [
                {**m, "parent_user_id": parent["user"]} if parent is not None else dict(m)
                for m in replies
            ]
        replies = [m for m in replies if window.holds(m["ts"])]
        replies.sort(key=lambda m: Decimal(m["ts"]))
        page = _page(lead + replies, args, _REPLIES_LIMIT, newest_first=False)
        if isinstance(page, str):
            return {"ok": False, "error": page}
        messages, next_cursor = page
        return {
            "ok": True,
            "messages": [_shown(m, args) for m in messages],
            "has_more": bool(next_cursor),
            "response_metadata": {"next_cursor": next_cursor},
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
                "profile": {
                    "real_name": user.real_name,
                    "display_name": user.name,
                    "title": user.title,
                },
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
                "hash": f"{time.time():.6f}.{next(self._view_hashes)}",
                "state": {"values": {}},
            }
        )
        view.setdefault("private_metadata", "")
        view.setdefault("callback_id", "")
        return {"ok": True, "view": view}

    def _api_views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._shown(self._view(args))

    def _api_views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._shown(self._view(args))

    def _api_views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """As Slack: a hash that is not the shown view's is a conflict; a closed view is gone."""
        view_id = args.get("view_id")
        with self._lock:
            shown = self._views.get(str(view_id)) if view_id else None
            closed = view_id is not None and str(view_id) in self._closed_views
        if closed:
            return {"ok": False, "error": "not_found"}
        wanted = args.get("hash")
        if shown is not None and wanted and wanted != shown["hash"]:
            return {"ok": False, "error": "hash_conflict"}
        return self._shown(self._view(args, str(view_id) if view_id else None))

    def _shown(self, answer: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._views[answer["view"]["id"]] = answer["view"]
        return answer

    def view(self, view_id: str) -> dict[str, Any]:
        """The modal as the rep sees it now (last opened or updated)."""
        with self._lock:
            return self._views[view_id]

    def replace_view(self, view_id: str, view: dict[str, Any]) -> None:
        """What Slack shows after a submission answered with `response_action: update`."""
        self._shown(self._view({"view": view}, view_id))

    def close_view(self, view_id: str) -> None:
        """The rep closed the modal: updates to it fail from now on, as Slack's do."""
        with self._lock:
            self._closed_views.add(view_id)

    def _api_views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._view(args)

    def _api_files_get_upload_u_r_l_external(self, args: dict[str, Any]) -> dict[str, Any]:
        """files.getUploadURLExternal: a file id and the URL to send its bytes to."""
        if not args.get("filename") or not str(args.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._file_ids):08d}"
        with self._lock:
            self._uploads[file_id] = {
                "id": file_id,
                "filename": str(args["filename"]),
                "length": int(args["length"]),
                "content": None,
                "channel_id": None,
            }
        return {"ok": True, "file_id": file_id, "upload_url": f"{self.root_url}upload/{file_id}"}

    def _receive_upload(self, file_id: str, raw: bytes) -> bool:
        """The bytes POSTed to an upload URL; False for a file id never handed out."""
        with self._lock:
            upload = self._uploads.get(file_id)
            if upload is None:
                return False
            upload["content"] = raw.decode("utf-8", errors="replace")
            upload["raw"] = raw  # the bytes as sent (a chart's PNG)
            self._calls.append(Call("upload", {"file_id": file_id, "size": len(raw)}, None))
            self._lock.notify_all()
            return True

    def _api_files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        """files.completeUploadExternal: share the uploaded files in the channel named.

        As on Slack, sharing posts a message there carrying the files (id, name, title) and the
        initial comment as its text, which conversations.history then lists."""
        files = args.get("files")
        if isinstance(files, str):
            files = json.loads(files)
        if not isinstance(files, list) or not files:
            return {"ok": False, "error": "invalid_arguments"}
        done = []
        with self._lock:
            for item in files:
                upload = self._uploads.get(str(item.get("id")))
                if upload is None or upload["content"] is None:
                    return {"ok": False, "error": "file_not_found"}
                upload.update(
                    title=item.get("title") or upload["filename"],
                    channel_id=args.get("channel_id"),
                    initial_comment=args.get("initial_comment"),
                )
                done.append(
                    {"id": upload["id"], "title": upload["title"], "name": upload["filename"]}
                )
            channel = args.get("channel_id")
            if channel:  # Slack shares them in one message, found in the channel's history
                ts = self._next_ts()
                message = self._message({"text": args.get("initial_comment") or ""}, ts)
                message.update(files=done, upload=True)
                if args.get("thread_ts"):
                    message["thread_ts"] = args["thread_ts"]
                self._channels.setdefault(str(channel), {})[ts] = message
        return {"ok": True, "files": done}


def _flag(value: Any) -> bool:
    """A boolean argument as either body sends it: JSON ``true`` or form ``"1"``/``"true"``."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _metadata(args: dict[str, Any]) -> dict[str, Any] | None:
    """The message metadata an API call carried, as an object whichever way it was sent.

    The SDK sends an object in a JSON body, but a caller may pass the JSON string that the
    form encoding needs; Slack reads both, and tests should see the same thing either way.
    """
    metadata = args.get("metadata")
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata) if metadata.strip() else {}
        except ValueError:
            return None
    return metadata if isinstance(metadata, dict) else None


def _metadata_ok(args: dict[str, Any]) -> bool:
    """Slack refuses metadata without a string ``event_type`` and an object ``event_payload``,
    so a malformed marker fails here as it would there instead of passing silently. An empty
    object is fine: it is chat.update's way of removing metadata."""
    if args.get("metadata") is None:
        return True
    metadata = _metadata(args)
    if metadata is None:
        return False
    return not metadata or (
        isinstance(metadata.get("event_type"), str)
        and isinstance(metadata.get("event_payload"), dict)
    )


def _is_reply(message: dict[str, Any]) -> bool:
    return "thread_ts" in message and message["thread_ts"] != message["ts"]


def _thread_view(message: dict[str, Any], stored: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A copy of ``message`` as Slack shows a thread's parent once it has replies.

    Computed when asked rather than stored, so ``messages()`` keeps telling a parent from a
    reply by ``thread_ts`` alone.
    """
    shown = dict(message)
    if _is_reply(message):
        return shown
    replies = [m for m in stored if _is_reply(m) and m["thread_ts"] == message["ts"]]
    if replies:
        users = list(dict.fromkeys(str(m.get("user", "")) for m in replies))
        shown.update(
            {
                "thread_ts": message["ts"],
                "reply_count": len(replies),
                "reply_users": users,
                "reply_users_count": len(users),
                "latest_reply": max((m["ts"] for m in replies), key=Decimal),
            }
        )
    return shown


def _shown(message: dict[str, Any], args: dict[str, Any]) -> dict[str, Any]:
    """Slack returns message metadata from history only to a caller that asks for all of it."""
    if _flag(args.get("include_all_metadata")):
        return message
    return {key: value for key, value in message.items() if key != "metadata"}


@dataclass(frozen=True)
class _Window:
    """The ``oldest``/``latest`` bounds of a history call, exclusive unless ``inclusive``."""

    oldest: Decimal | None
    latest: Decimal | None
    inclusive: bool

    @classmethod
    def of(cls, args: dict[str, Any]) -> _Window | str:
        """The window, or the error Slack gives for a timestamp it cannot read."""
        bounds: dict[str, Decimal | None] = {}
        for name in ("oldest", "latest"):
            raw = args.get(name)
            if raw in (None, ""):
                bounds[name] = None
                continue
            try:
                bounds[name] = Decimal(str(raw))
            except InvalidOperation:
                return f"invalid_ts_{name}"
        return cls(bounds["oldest"], bounds["latest"], _flag(args.get("inclusive")))

    def holds(self, ts: str) -> bool:
        stamp = Decimal(ts)
        for bound in (self.oldest, self.latest):
            if bound == stamp and not self.inclusive:
                return False
        if self.oldest is not None and stamp < self.oldest:
            return False
        return self.latest is None or stamp <= self.latest


def _cursor(ts: str) -> str:
    """Slack's history cursors are base64 of ``next_ts:<ts>``; opaque to callers either way."""
    return base64.b64encode(f"next_ts:{ts}".encode()).decode()


def _page(
    messages: list[dict[str, Any]],
    args: dict[str, Any],
    limits: tuple[int, int],
    *,
    newest_first: bool,
) -> tuple[list[dict[str, Any]], str] | str:
    """One page of ``messages`` (already in answer order) and the cursor to the next, or an
    error. The cursor names the first message left out, so a message posted between pages
    neither repeats nor hides one that was already due."""
    default, largest = limits
    try:
        limit = int(args.get("limit") or default)
    except (TypeError, ValueError):
        return "invalid_limit"
    limit = min(limit if limit > 0 else default, largest)
    cursor = args.get("cursor")
    if cursor:
        try:
            decoded = base64.b64decode(str(cursor), validate=True).decode()
            if not decoded.startswith("next_ts:"):
                return "invalid_cursor"
            start = Decimal(decoded.removeprefix("next_ts:"))
        except (binascii.Error, UnicodeDecodeError, InvalidOperation):
            return "invalid_cursor"
        messages = [
            m
            for m in messages
            if (Decimal(m["ts"]) <= start if newest_first else Decimal(m["ts"]) >= start)
        ]
    page, rest = messages[:limit], messages[limit:]
    return page, _cursor(rest[0]["ts"]) if rest else ""


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
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                # The client gave up (a chaos timeout did its job); there is no one to tell.
                self.close_connection = True

        def _deliver(
            self, answer: _Answer, content_type: str, encode: Callable[[_Answer], bytes]
        ) -> None:
            """Send ``answer``, or hold it back, or hang up, as chaos decided."""
            if answer.drop:
                # Nothing is written: the client sees the connection closed with no response.
                self.close_connection = True
                return
            if answer.delay and fake._stopping.wait(answer.delay):
                self.close_connection = True  # the fake is stopping; nobody waits any more
                return
            self._send(answer.status, encode(answer), content_type, answer.headers)

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            content_type = self.headers.get("Content-Type", "")
            if parts.path.startswith("/response/"):
                self._serve_response_url(parts.path, content_type, raw, parts.query)
                return
            if parts.path.startswith("/upload/"):
                if (
                    fake._take_failure("upload") is not None
                ):  # fail_next("upload"): the bytes refused
                    self._send(500, b"upload failed", "text/plain", {})
                    return
                known = fake._receive_upload(parts.path.removeprefix("/upload/"), raw)
                self._send(200 if known else 404, b"OK" if known else b"", "text/plain", {})
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
            elif auth.startswith("Basic "):
                token = auth  # oauth.v2.access: the app's client id and secret (fake_workspaces)
            answer = fake._handle(method, args, token)
            self._deliver(answer, "application/json", lambda a: json.dumps(a.body).encode())

        def _serve_response_url(self, path: str, content_type: str, raw: bytes, query: str) -> None:
            args = _decode_args(content_type, raw, query)
            args["_path"] = path
            answer = fake._handle(RESPONSE_URL_METHOD, args, token="response-url")
            self._deliver(answer, "text/plain", lambda a: b"ok" if a.status == 200 else b"error")

        def do_POST(self) -> None:
            self._serve()

        def do_GET(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            """Silence per-request logging; the recorded calls are the log tests need."""

    return Handler
