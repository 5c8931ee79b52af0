"""Unexpected errors: log the traceback under a reference id and tell the person that id.

`app.error` (wired in bot/app.py) handles whatever a listener raises before it acknowledged.
A failure *after* the ack must be caught in the listener with `after_ack`: Bolt's thread
runner, on an exception, sets the acknowledgement it is about to send back to None when the
listener had already acked, so if the error comes within a few milliseconds of `ack()` (a fast
failing Web API call, say) Slack gets no answer at all and shows the person a generic failure
instead of our "Opening…" or a closed modal. Handling it here keeps the ack that was given.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

log = logging.getLogger("walkaway")

APOLOGY = (
    "Sorry, something went wrong on my side (reference {ref}). "
    "Your saved answers are safe; please try again."
)


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
    logger.error("unhandled error ref=%s", ref, exc_info=error)
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
def after_ack(body: dict[str, Any], client: WebClient, respond: Respond | None) -> Iterator[None]:
    """Run the part of a listener that follows its ack; an error is reported, not re-raised."""
    try:
        yield
    except Exception as error:
        report(error, body=body, client=client, respond=respond)
