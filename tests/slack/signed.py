"""Play Slack's side of the conversation: signed HTTP requests to a running Bolt endpoint.

End-to-end tests go through Bolt's real request verification, body parsing and ack handling,
so a listener registered for the wrong action id or a view that forgets to ack fails here the
way it would fail in a workspace. Payloads follow what Slack sends today (field names, nesting,
``payload=<json>`` form encoding for interactions) closely enough for Bolt's matchers.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

__all__ = ["Response", "SlackClient", "button_click", "sign", "submission"]

STALE_SECONDS = 10 * 60
"""Far enough outside Bolt's five-minute window that clock skew cannot make it pass."""

_counter = itertools.count(1)


class Response(NamedTuple):
    """What Bolt answered; unpacks as ``status, body``."""

    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body)


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature: HMAC-SHA256 over ``v0:{timestamp}:{raw body}``."""
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
    return f"v0={digest}"


def _trigger_id() -> str:
    return f"{next(_counter)}.{int(time.time())}.{secrets.token_hex(16)}"


def _action_ts() -> str:
    return f"{time.time():.6f}"


class SlackClient:
    """Sends what Slack would send to the app's request URL, signed unless told otherwise.

    ``response_url_base`` (for example ``FakeSlack.response_url_base``) makes generated
    response URLs point at the fake, so ``respond()`` in a listener is recorded rather than sent
    to hooks.slack.com.
    """

    def __init__(
        self,
        base_url: str,
        signing_secret: str,
        *,
        path: str = "/slack/events",
        response_url_base: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.signing_secret = signing_secret
        self.response_url_base = response_url_base
        self.timeout = timeout

    def response_url(self, team_id: str = "T1") -> str:
        tail = f"{team_id}/{next(_counter)}/{secrets.token_hex(12)}"
        if self.response_url_base:
            return self.response_url_base + tail
        return f"https://hooks.slack.com/actions/{tail}"

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        bad_signature: bool = False,
        stale: bool = False,
        timestamp: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """Send a raw body; the typed helpers below all end here."""
        when = timestamp if timestamp is not None else int(time.time())
        if stale:
            when -= STALE_SECONDS
        stamp = str(when)
        signature = sign(self.signing_secret, stamp, body)
        if bad_signature:
            signature = sign("not-" + self.signing_secret, stamp, body)
        return self.send(
            body,
            {
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature,
                **(headers or {}),
            },
        )

    def send(self, body: bytes, headers: Mapping[str, str]) -> Response:
        """POST `body` with exactly these headers (and a User-Agent): for forgeries that leave
        out a header `post` always sends, or carry one it would never write."""
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={"User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **headers},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as reply:
                return Response(reply.status, reply.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            with error:
                return Response(error.code, error.read().decode("utf-8"))

    def _form(self, fields: Mapping[str, str], **options: Any) -> Response:
        return self.post(urlencode(fields).encode(), "application/x-www-form-urlencoded", **options)

    def command(
        self,
        *,
        command: str = "/walkaway",
        text: str = "",
        user_id: str = "U1",
        user_name: str = "rep",
        team_id: str = "T1",
        team_domain: str = "fake-workspace",
        channel_id: str = "C1",
        channel_name: str = "deals",
        trigger_id: str | None = None,
        response_url: str | None = None,
        api_app_id: str = "A1",
        **options: Any,
    ) -> Response:
        """A slash command, form-encoded exactly as Slack posts it."""
        fields = {
            "token": "verification-token-unused",
            "team_id": team_id,
            "team_domain": team_domain,
            "channel_id": channel_id,
            "channel_name": channel_name,
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": api_app_id,
            "is_enterprise_install": "false",
            "response_url": response_url or self.response_url(team_id),
            "trigger_id": trigger_id or _trigger_id(),
        }
        return self._form(fields, **options)

    def interaction(self, payload: Mapping[str, Any], **options: Any) -> Response:
        """Any interactivity payload; Slack wraps it as a form field named ``payload``."""
        return self._form({"payload": json.dumps(payload)}, **options)

    def block_action(self, payload: Mapping[str, Any], **options: Any) -> Response:
        return self.interaction(payload, **options)

    def view_submission(self, payload: Mapping[str, Any], **options: Any) -> Response:
        return self.interaction(payload, **options)

    def event(
        self,
        event: Mapping[str, Any],
        *,
        event_id: str | None = None,
        team_id: str = "T1",
        api_app_id: str = "A1",
        bot_user_id: str = "UBOT",
        event_time: int | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **options: Any,
    ) -> Response:
        """An Events API delivery; ``retry_num`` makes it look like Slack's redelivery."""
        envelope = {
            "token": "verification-token-unused",
            "team_id": team_id,
            "api_app_id": api_app_id,
            "event": dict(event),
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_counter):08d}{secrets.token_hex(3).upper()}",
            "event_time": event_time if event_time is not None else int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": team_id,
                    "user_id": bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": secrets.token_hex(16),
        }
        headers = dict(options.pop("headers", None) or {})
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        body = json.dumps(envelope).encode()
        return self.post(body, "application/json", headers=headers, **options)

    def url_verification(self, challenge: str = "challenge-token", **options: Any) -> Response:
        """The handshake Slack performs when a request URL is saved in the app settings."""
        body = {
            "token": "verification-token-unused",
            "challenge": challenge,
            "type": "url_verification",
        }
        return self.post(json.dumps(body).encode(), "application/json", **options)


def _user(user_id: str, team_id: str, user_name: str) -> dict[str, Any]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def button_click(
    user_id: str,
    team_id: str,
    channel_id: str,
    message_ts: str,
    action_id: str,
    value: str,
    block_id: str,
    action_ts: str | None = None,
    *,
    text: str = "Button",
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
    trigger_id: str | None = None,
    response_url: str | None = None,
    user_name: str = "rep",
    api_app_id: str = "A1",
    bot_user_id: str = "UBOT",
    bot_id: str = "BBOT",
    is_ephemeral: bool = False,
) -> dict[str, Any]:
    """A ``block_actions`` payload for a button clicked in a message.

    ``action_ts`` is fresh on every call unless given: Slack stamps each click, and a test of
    double-click handling replays one payload (same ``action_ts``) rather than building two.
    """
    action = {
        "type": "button",
        "action_id": action_id,
        "block_id": block_id,
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "value": value,
        "action_ts": action_ts or _action_ts(),
    }
    message: dict[str, Any] = {
        "type": "message",
        "subtype": "bot_message",
        "user": bot_user_id,
        "bot_id": bot_id,
        "app_id": api_app_id,
        "team": team_id,
        "text": message_text,
        "ts": message_ts,
        "blocks": message_blocks if message_blocks is not None else [],
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel_id,
            "is_ephemeral": is_ephemeral,
        },
        "trigger_id": trigger_id or _trigger_id(),
        "team": {"id": team_id, "domain": "fake-workspace"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "directmessage"},
        "state": {"values": {}},
        "response_url": response_url
        or f"https://hooks.slack.com/actions/{team_id}/{next(_counter)}/x",
        "actions": [action],
    }
    if not is_ephemeral:
        payload["message"] = message
    return payload


def _state_values(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Let tests write ``{"deal": {"name": "Acme"}}`` for the common plain-text input case."""
    state: dict[str, dict[str, Any]] = {}
    for block_id, actions in values.items():
        state[block_id] = {}
        for action_id, value in actions.items():
            if isinstance(value, str):
                value = {"type": "plain_text_input", "value": value}
            state[block_id][action_id] = value
    return state


def submission(
    user_id: str,
    team_id: str,
    callback_id: str,
    private_metadata: str,
    values: Mapping[str, Mapping[str, Any]],
    *,
    view_id: str = "V00000001",
    title: str = "Walk-away",
    blocks: list[dict[str, Any]] | None = None,
    trigger_id: str | None = None,
    user_name: str = "rep",
    api_app_id: str = "A1",
    bot_id: str = "BBOT",
) -> dict[str, Any]:
    """A ``view_submission`` payload for a modal the app opened.

    ``values`` is ``state.values``: block id -> action id -> element state. A bare string stands
    for a plain-text input's value; anything else (``{"type": "static_select",
    "selected_option": {...}}``) is passed through untouched.
    """
    view = {
        "id": view_id,
        "team_id": team_id,
        "type": "modal",
        "blocks": blocks if blocks is not None else [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": _state_values(values)},
        "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": {"type": "plain_text", "text": title, "emoji": True},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "submit": {"type": "plain_text", "text": "Save", "emoji": True},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": api_app_id,
        "external_id": "",
        "app_installed_team_id": team_id,
        "bot_id": bot_id,
    }
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": "fake-workspace"},
        "user": _user(user_id, team_id, user_name),
        "api_app_id": api_app_id,
        "token": "verification-token-unused",
        "trigger_id": trigger_id or _trigger_id(),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
