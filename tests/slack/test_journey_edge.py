"""The request edge: only a request Slack signed has any effect, and Slack's bodies parse right.

Every forgery goes over real HTTP to the handler `walkaway serve` uses (bot/slack/http.py), and
each must be answered 401 with nothing sent to Slack and nothing written to either database
file: a body that was never verified names a response_url and a user_id someone else chose, so
even an apology sent to them would let anyone make the app message anyone.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

import pytest
from slack_bolt import BoltRequest

from storage.db import jobs_database_url
from tests.slack.signed import sign
from tests.slack.world import SECRET, World, text_of

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def database_dump(world: World) -> list[str]:
    """Every row of the database and of its job queue's file beside it."""
    dump: list[str] = []
    for url in (world.database_url, jobs_database_url(world.database_url)):
        assert url is not None, "a SQLite file keeps its job queue in a second file"
        path = Path(url.removeprefix("sqlite:///"))
        with sqlite3.connect(path) as connection:
            dump.extend(connection.iterdump())
    return dump


def command_body(world: World, text: str = "Globex pilot") -> bytes:
    """A /walkaway command whose response_url and user_id would take an apology somewhere."""
    fields = {
        "token": "verification-token-unused",
        "team_id": world.team,
        "channel_id": "C1",
        "channel_name": "deals",
        "user_id": world.user,
        "user_name": "rep",
        "command": "/walkaway",
        "text": text,
        "api_app_id": "A1",
        "response_url": world.slack.response_url(world.team),
        "trigger_id": "1.2.3",
    }
    return urlencode(fields).encode()


def now() -> str:
    return str(int(time.time()))


def signed(body: bytes, content_type: str = FORM, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or now()
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(SECRET, stamp, body),
    }


def without(headers: dict[str, str], name: str) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != name}


Forgery = Callable[[bytes], tuple[bytes, dict[str, str]]]


def _signature_only_hex(body: bytes) -> tuple[bytes, dict[str, str]]:
    headers = signed(body)
    headers["X-Slack-Signature"] = headers["X-Slack-Signature"].removeprefix("v0=")
    return body, headers


FORGERIES: dict[str, Forgery] = {
    "missing timestamp": lambda b: (b, without(signed(b), "X-Slack-Request-Timestamp")),
    # Signed over the very timestamp sent, so only its form is wrong: Bolt's own check calls
    # int() on it and raised, and its error handler then acted on the unverified body.
    "non-numeric timestamp": lambda b: (b, signed(b, stamp="not-a-number")),
    "empty timestamp": lambda b: (b, {**signed(b), "X-Slack-Request-Timestamp": ""}),
    "signed stale timestamp": lambda b: (b, signed(b, stamp=str(int(time.time()) - 10 * 60))),
    "signed future timestamp": lambda b: (b, signed(b, stamp=str(int(time.time()) + 10 * 60))),
    "missing signature": lambda b: (b, without(signed(b), "X-Slack-Signature")),
    "empty signature": lambda b: (b, {**signed(b), "X-Slack-Signature": ""}),
    "malformed signature": lambda b: (b, {**signed(b), "X-Slack-Signature": "v0=zz"}),
    "signature without v0=": _signature_only_hex,
    # hmac.compare_digest raises TypeError on a non-ASCII str rather than returning False.
    "non-ascii signature": lambda b: (b, {**signed(b), "X-Slack-Signature": "v0=" + "é" * 64}),
    "wrong signature": lambda b: (
        b,
        {**signed(b), "X-Slack-Signature": sign("not-" + SECRET, now(), b)},
    ),
    "signed body that is no form": lambda _: (b"this is not a form", signed(b"this is not a form")),
    "signed form with an empty field": lambda b: (b + b"&&", signed(b + b"&&")),
    "signed body that is not utf-8": lambda _: (b"text=\xff\xfe", signed(b"text=\xff\xfe")),
    "signed percent-escape that is not utf-8": lambda _: (b"text=%FF", signed(b"text=%FF")),
    "signed json that does not parse": lambda _: (b"{not json", signed(b"{not json", JSON)),
    "signed json that is no object": lambda _: (b"[1, 2]", signed(b"[1, 2]", JSON)),
    "signed payload that is no json": lambda _: (b"payload=%7B", signed(b"payload=%7B")),
    "signed empty body": lambda _: (b"", signed(b"")),
}


@pytest.mark.parametrize("forgery", FORGERIES.values(), ids=FORGERIES.keys())
def test_a_request_that_cannot_be_verified_gets_401_and_has_no_effect(
    world: World, forgery: Forgery
) -> None:
    world.start("Acme renewal")
    world.settle()
    before_calls = world.mark()
    before_db = database_dump(world)

    body, headers = forgery(command_body(world))
    reply = world.slack.send(body, headers)
    world.settle()

    assert (reply.status, reply.body) == (401, "")
    assert world.calls_since(before_calls) == []
    assert database_dump(world) == before_db


def test_every_kind_of_request_unverified_gets_401_and_has_no_effect(world: World) -> None:
    """Clicks, modal submissions and events as well as commands: the edge is the same."""
    world.start("Acme renewal")
    question = world.current_question("deal.stage")
    world.settle()
    before_calls = world.mark()
    before_db = database_dump(world)
    bad_stamp = {"X-Slack-Request-Timestamp": "not-a-number"}

    replies = [
        world.command("Globex pilot", headers=bad_stamp),
        world.click(question, value="pilot", headers=bad_stamp),
        world.typed("pilot", headers=bad_stamp),
        world.slack.url_verification(headers=bad_stamp),
    ]
    world.settle()

    assert [(r.status, r.body) for r in replies] == [(401, "")] * 4
    assert world.calls_since(before_calls) == []
    assert database_dump(world) == before_db


def test_a_rejected_request_is_logged_without_its_body(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    body = command_body(world, text="secret deal")
    with caplog.at_level(logging.INFO, logger="walkaway"):
        reply = world.slack.send(body, signed(body, stamp="not-a-number"))

    assert reply.status == 401
    assert "signature" in caplog.text
    assert "secret" not in caplog.text.replace(SECRET, "")


def test_a_correctly_signed_request_still_gets_through(world: World) -> None:
    body = command_body(world, text="Globex pilot")

    reply = world.slack.send(body, signed(body))

    assert reply.status == 200
    assert "Globex pilot" in text_of(world.current_question("deal.stage"))


# -- behind the edge -----------------------------------------------------------------------


def test_bolt_behind_the_edge_still_verifies_and_never_apologises_to_an_unverified_body(
    world: World,
) -> None:
    """Defence in depth: a request handed to the app without the edge (a future adapter, a
    test) meets Bolt's own check, and the error handler will not answer what it cannot trust."""
    from bot.app import wire
    from bot.domain.checklist import load_checklist
    from storage.repository import Store
    from tests.slack.world import settings_for

    store = Store.open(world.database_url)
    try:
        app = wire(
            settings_for(world.fake, world.database_url), store=store, checklist=load_checklist()
        ).app
        world.settle()
        before_calls = world.mark()
        body = command_body(world).decode()
        wrong = signed(command_body(world))
        wrong["X-Slack-Signature"] = sign("not-" + SECRET, now(), body.encode())
        raising = signed(command_body(world), stamp="not-a-number")

        refused = app.dispatch(BoltRequest(body=body, headers=wrong))
        crashed = app.dispatch(BoltRequest(body=body, headers=raising))
        time.sleep(0.3)  # an apology would be on Bolt's listener pool by now
    finally:
        store.close()

    assert refused.status == 401
    assert crashed.status == 500  # Bolt's own int(timestamp) raised inside its middleware
    assert world.calls_since(before_calls) == []


# -- parsing --------------------------------------------------------------------------------


def test_a_deal_name_containing_payload_starts_a_check(world: World) -> None:
    reply = world.command("Acme payloads")

    assert reply.status == 200
    assert "Acme payloads" in reply.body
    assert "Acme payloads" in text_of(world.current_question("deal.stage"))


def test_a_command_from_a_channel_named_payload_starts_a_check(world: World) -> None:
    reply = world.command("Globex pilot", channel_name="payload-team")

    assert reply.status == 200
    assert "Globex pilot" in reply.body
    assert "Globex pilot" in text_of(world.current_question("deal.stage"))


def test_a_sub_command_with_payload_in_it_is_routed_as_usual(world: World) -> None:
    reply = world.command("help", channel_name="payload-team")

    assert reply.status == 200
    (help_reply,) = world.fake.wait_for("response_url")
    assert "/walkaway &lt;deal name&gt;" in text_of(help_reply.args)


def test_a_json_body_stays_json(world: World) -> None:
    reply = world.slack.url_verification(challenge="payload-challenge")

    assert reply.status == 200
    assert json.loads(reply.body) == {"challenge": "payload-challenge"}


# -- whose thread ------------------------------------------------------------------------------


@pytest.mark.parametrize("sender", ["U0STRANGER", "U0KNOWN"])
def test_a_typed_reply_by_someone_else_in_a_reps_thread_is_ignored_without_a_post(
    world: World, caplog: pytest.LogCaptureFixture, sender: str
) -> None:
    if sender == "U0KNOWN":  # someone the app knows: a rep with a check of their own
        other = World(fake=world.fake, slack=world.slack, database_url=world.database_url)
        other.user = sender
        other.start("Initech pilot")
    world.start("Acme renewal")
    world.current_question("deal.stage")
    world.settle()
    before_calls = world.mark()
    before_db = database_dump(world)

    with caplog.at_level(logging.INFO, logger="walkaway"):
        reply = world.typed("pilot", user=sender)
        world.settle()

    assert reply.status == 200  # acknowledged, so Slack does not retry it
    assert world.calls_since(before_calls) == []
    assert world.answers_stored() == []
    assert database_dump(world) == before_db  # no claim, no person; the job came and went
    assert f"ignored a typed reply by {sender}" in caplog.text


def test_the_reps_own_typed_reply_is_still_taken(world: World) -> None:
    world.start("Acme renewal")
    world.current_question("deal.stage")

    world.typed("pilot")

    world.current_question("use_case.autonomous_irreversible")
    assert [(a.question_id, a.value) for a in world.answers_stored()] == [("deal.stage", "pilot")]
