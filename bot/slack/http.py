"""The HTTP edge: a request reaches Bolt only once its Slack signature is verified here.

Bolt verifies signatures too, but inside its middleware chain, where a timestamp `int()` cannot
read (or a non-ASCII signature, which `hmac.compare_digest` refuses) raises instead of failing
the check: Bolt answers 500 and hands the error, with the body it parsed from the unverified
request, to our error handler, which apologised to whatever response_url and user_id the body
named. So this handler checks first, catching everything, and answers 401 with an empty body
to anything it cannot verify; Bolt's own check stays on behind it.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_sdk.signature import SignatureVerifier

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
    """Bolt's WSGI handler, with the signature checked before Bolt sees the request."""

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
        try:
            verified = self.verified(request)
        except Unverified as refusal:
            log.info("refused a request whose signature could not be verified: %s", refusal)
            return rejected()
        except Exception as error:  # whatever the request was, it was not verified
            log.info(
                "refused a request whose signature could not be verified: %s",
                type(error).__name__,
            )
            return rejected()
        return self.app.dispatch(verified)

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
        # Bolt parses the body (a body it cannot parse raises: refused) and checks it again.
        return BoltRequest(
            body=text, query=request.query_string, headers=headers, context={VERIFIED: True}
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


def is_verified(request: BoltRequest) -> bool:
    """True for a request this edge verified, or one from Socket Mode (Slack's own connection,
    opened with the app token): the only bodies an error handler may act on."""
    return request.mode == "socket_mode" or request.context.get(VERIFIED) is True
