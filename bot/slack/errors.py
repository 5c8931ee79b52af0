"""Unexpected errors: log the traceback under a reference id and tell the person that id.

`app.error` (wired in bot/app.py) handles whatever a listener raises before it acknowledged.
A failure *after* the ack must be caught in the listener with `after_ack`: Bolt's thread
runner, on an exception, sets the acknowledgement it is about to send back to None when the
listener had already acked, so if the error comes within a few milliseconds of `ack()` (a fast
failing Web API call, say) Slack gets no answer at all and shows the person a generic failure
instead of our "Opening…" or a closed modal. Handling it here keeps the ack that was given.
"""

from __future__ import annotations

import http.client
import logging
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError

from bot.domain.conversation import InvalidAnswer
from bot.slack.effects import ResponseUrlError, current_job
from bot.slack.logs import team_of
from bot.slack.payloads import BadPayload
from bot.slack.text import escape

log = logging.getLogger("walkaway")


class Refusal(Exception):
    """Something we will not do, with the sentence (app-written mrkdwn) to show who tried."""


class Duplicate(Exception):
    """Another click already took this turn (double click, retry, second process)."""


class RetryLater(Exception):
    """This attempt failed for a passing reason: the job goes back in the queue (worker.py)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(describe(cause))
        self.cause = cause


TRANSIENT_SLACK_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
"""`ok: false` errors that say "not now" rather than "never": tried again later."""
TRANSIENT_STATUS = frozenset({408, 429, 500, 502, 503, 504})


def is_transient(error: BaseException) -> bool:
    """Will the same call likely work later? Slack's own "not now" errors, HTTP 429 and 5xx
    (once slack_sdk's retry handlers gave up), the network, and the database being away.

    Everything else (channel_not_found, not_in_channel, account_inactive, invalid_blocks,
    invalid_auth, a bug) would fail the same way again.
    """
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status in TRANSIENT_STATUS or error.response.get("error") in TRANSIENT_SLACK_ERRORS
    if isinstance(error, ResponseUrlError):
        return error.status in TRANSIENT_STATUS
    return isinstance(error, OSError | http.client.HTTPException | OperationalError)


def describe(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", "?")
        return f"Slack {error.response.get('error', 'error')} (HTTP {status})"
    return f"{type(error).__name__}: {error}"[:200]


STALE_BUTTON = (
    "That button carries something I don't recognise (perhaps it is from an older version "
    "of this message), so I did nothing. Use the buttons on the latest message, or type "
    "`/walkaway` to see your unfinished checks."
)

APOLOGY = (
    "Sorry, something went wrong on my side (reference {ref}). "
    "Your saved answers are safe; please try again."
)


def log_fields(ref: str, body: dict[str, Any]) -> dict[str, Any]:
    """What a JSON log line of a failure carries: its reference id and team."""
    return {"ref": ref, "team": team_of(body)}


def report(
    error: BaseException,
    *,
    body: dict[str, Any],
    client: WebClient,
    respond: Respond | None,
    logger: logging.Logger = log,
) -> str:
    """Log `error` with its traceback and privately apologise to whoever acted; returns the ref.

    A click or command is answered through its response_url, a typed reply in its thread,
    anything else (a modal already closed, the Home tab) in a DM.
    """
    ref = uuid.uuid4().hex[:8]
    logger.error("unhandled error ref=%s", ref, exc_info=error, extra=log_fields(ref, body))
    text = APOLOGY.format(ref=ref)
    event = body.get("event") if isinstance(body.get("event"), dict) else None
    user = (
        (body.get("user") or {}).get("id")
        if isinstance(body.get("user"), dict)
        else (event or {}).get("user") or body.get("user_id")
    )
    try:
        if respond is not None and respond.response_url:
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif event is not None and event.get("channel_type") == "im" and event.get("thread_ts"):
            client.chat_postMessage(
                channel=event["channel"], thread_ts=event["thread_ts"], text=text
            )
        elif isinstance(user, str):
            client.chat_postMessage(channel=user, text=text)
    except Exception:  # the apology is best effort; the original error is already logged
        logger.exception("could not deliver apology ref=%s", ref)
    return ref


@contextmanager
def after_ack(
    body: dict[str, Any],
    client: WebClient,
    respond: Respond | None,
    *,
    retrying: bool | None = None,
) -> Iterator[None]:
    """Run the part of a listener that follows its ack; an error is reported, not re-raised.

    In a job (`retrying`; by default: whenever a job is running), a passing failure is raised
    as RetryLater instead: the worker puts the job back, and the person hears nothing until it
    works (or is given up on).
    """
    try:
        yield
    except RetryLater:
        raise
    except Exception as error:
        retry = retrying if retrying is not None else current_job() is not None
        if retry and is_transient(error):
            raise RetryLater(error) from error
        report(error, body=body, client=client, respond=respond)


def tell(
    body: dict[str, Any],
    client: WebClient,
    respond: Respond,
    step: Callable[[], object],
    *,
    stale: str = STALE_BUTTON,
    retrying: bool | None = None,
) -> None:
    """Run a listener's work after its ack, payload parsing included.

    Every surface answers the same way: a Refusal (app-written mrkdwn) is shown as written, an
    InvalidAnswer (it may quote what the person typed) escaped, a payload we did not build
    gets `stale`, a duplicate stays silent, and anything else is an apology with a reference id
    (in a job, a passing failure is retried instead: see after_ack).
    """
    with after_ack(body, client, respond, retrying=retrying):
        try:
            step()
        except Refusal as problem:
            reply_privately(body, client, respond, str(problem))
        except InvalidAnswer as problem:
            reply_privately(body, client, respond, escape(str(problem)))
        except BadPayload:
            reply_privately(body, client, respond, stale)
        except Duplicate:
            return


def reply_privately(body: dict[str, Any], client: WebClient, respond: Respond, text: str) -> None:
    """A private word: next to the message clicked, or in the DM for a Home tab click."""
    if respond.response_url:
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=str((body.get("user") or {}).get("id")), text=text)
