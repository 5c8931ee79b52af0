"""The HTTP edge: a request reaches Bolt only once its Slack signature is verified here.

Bolt verifies signatures too, but inside its middleware chain, where a timestamp `int()` cannot
read (or a non-ASCII signature, which `hmac.compare_digest` refuses) raises instead of failing
the check: Bolt answers 500 and hands the error, with the body it parsed from the unverified
request, to our error handler, which apologised to whatever response_url and user_id the body
named. So this handler checks first, catching everything, and answers 401 with an empty body
to anything it cannot verify; Bolt's own check stays on behind it.

It also parses the body itself. slack_bolt 1.30 takes any form body *containing* the text
`payload` for an interaction (`parse_body` in slack_bolt/request/internals.py), so
`/walkaway Acme payloads`, or any command from `#payload-team`, parsed to {} and was answered 404.
Here a form body is an interaction only when it has a `payload` field, as Slack sends them.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request.internals import (
    build_context,
    build_normalized_headers,
    extract_content_type,
)
from slack_sdk.signature import SignatureVerifier

from bot.slack.logs import log_context, team_of
from bot.slack.metrics import observe_request, request_kind

log = logging.getLogger("walkaway")

VERIFIED = "walkaway_signature_verified"
"""The context key this edge sets on a request it verified; nothing in a body can set it."""

TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
"""The shapes Slack sends; anything else is refused before any arithmetic or comparison."""


class Unverified(Exception):
    """Why a request was refused (logged; the sender learns only the 401)."""


def rejected() -> BoltResponse:
    return BoltResponse(status=401, body="")


class VerifiedRequestHandler(SlackRequestHandler):
    """Bolt's WSGI handler, with the signature checked and the body parsed before Bolt sees it."""

    def __init__(
        self,
        app: App,
        *,
        signing_secret: str,
        path: str = "/slack/events",
    ) -> None:
        super().__init__(app, path=path)
        # Raises on an empty secret: better at start-up than a 401 on every request.
        self.verifier = SignatureVerifier(signing_secret)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        started = time.perf_counter()
        try:
            verified = self.verified(request)
        except Unverified as refusal:
            log.info("refused a request whose signature could not be verified: %s", refusal)
            observe_request(kind="unverified", status=401, seconds=time.perf_counter() - started)
            return rejected()
        except Exception as error:  # whatever the request was, it was not verified
            log.info(
                "refused a request whose signature could not be verified: %s",
                type(error).__name__,
            )
            observe_request(kind="unverified", status=401, seconds=time.perf_counter() - started)
            return rejected()
        kind = request_kind(verified.body)
        with log_context(team=team_of(verified.body), kind=kind):
            response = self.app.dispatch(verified)
            seconds = time.perf_counter() - started
            observe_request(kind=kind, status=response.status, seconds=seconds, body=verified.body)
        return response

    def handle_installation(self, request: WsgiHttpRequest) -> BoltResponse:
        """GET /slack/install (OAuth mode): Bolt's page, or a plain one when it cannot be made."""
        install = super().handle_installation
        return _page_unless_failed(lambda: install(request))

    def handle_callback(self, request: WsgiHttpRequest) -> BoltResponse:
        """GET /slack/oauth_redirect: Bolt completes the install (bot/slack/install.py)."""
        complete = super().handle_callback
        return _page_unless_failed(lambda: complete(request))

    def verified(self, request: WsgiHttpRequest) -> BoltRequest:
        """The request for Bolt, marked VERIFIED, or Unverified (or any error) saying why not."""
        raw = read_body(request)
        headers = request.get_headers()
        timestamp = headers.get("x-slack-request-timestamp")
        signature = headers.get("x-slack-signature")
        if not isinstance(timestamp, str) or not TIMESTAMP.fullmatch(timestamp):
            raise Unverified("missing or malformed X-Slack-Request-Timestamp")
        if not isinstance(signature, str) or not SIGNATURE.fullmatch(signature):
            raise Unverified("missing or malformed X-Slack-Signature")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Unverified("body is not UTF-8") from None
        if not self.verifier.is_valid(text, timestamp, signature):
            raise Unverified("wrong signature or stale timestamp")
        try:
            body = parse_body(text, extract_content_type(build_normalized_headers(headers)))
        except ValueError:  # JSON, form fields or their %-escapes that do not decode
            raise Unverified("body does not parse") from None
        # Bolt keeps the raw text (its own verification reads it); the parsed body is ours.
        bolt_request = BoltRequest(body=text, query=request.query_string, headers=headers)
        bolt_request.body = body
        bolt_request.context = build_context(BoltContext({VERIFIED: True}), body)
        return bolt_request


INSTALL_UNAVAILABLE = (
    '<!doctype html><html><head><meta charset="utf-8"><title>Walk-away advisor</title></head>'
    "<body><h1>The install cannot go on just now</h1><p>Nothing was installed. Try again in a "
    'minute from the <a href="/slack/install">install page</a>; the operator can find the '
    "reason in the log.</p></body></html>"
)


def _page_unless_failed(make: Callable[[], BoltResponse]) -> BoltResponse:
    """An install page that raised (the database away): a page and a log line, no traceback."""
    try:
        return make()
    except Exception as error:
        log.error("install page failed: %s: %s", type(error).__name__, str(error)[:200])
        return BoltResponse(
            status=503,
            body=INSTALL_UNAVAILABLE,
            headers={"Content-Type": "text/html; charset=utf-8"},
        )


def read_body(request: WsgiHttpRequest) -> bytes:
    """The raw bytes (Bolt's adapter decodes them as it reads, raising on anything not UTF-8)."""
    stream = request.environ.get("wsgi.input")
    if stream is None:
        return b""
    data = stream.read(int(request.environ.get("CONTENT_LENGTH") or 0))
    if not isinstance(data, bytes):
        raise Unverified("body is not bytes")
    return data


def parse_body(text: str, content_type: str | None) -> dict[str, Any]:
    """A Slack body as Bolt should have parsed it: JSON the way Bolt tells it apart, a form
    strictly (every field `name=value`, UTF-8 escapes), an interaction only by its `payload`
    field. A body Slack would never send is refused like a forgery: no listener could use it."""
    if content_type == "application/json" or text.startswith("{"):
        parsed: Any = json.loads(text)
    else:
        fields = dict(parse_qsl(text, keep_blank_values=True, strict_parsing=True, errors="strict"))
        parsed = json.loads(fields["payload"]) if "payload" in fields else fields
    if not isinstance(parsed, dict) or not parsed:
        raise Unverified("body is not a Slack request")
    return parsed


def is_verified(request: BoltRequest) -> bool:
    """True for a request this edge verified, or one from Socket Mode (Slack's own connection,
    opened with the app token): the only bodies an error handler may act on."""
    return request.mode == "socket_mode" or request.context.get(VERIFIED) is True
