"""How the edge parses a verified body (bot/slack/http.py), next to what Bolt 1.30 makes of it."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_bolt.request.internals import parse_body as bolt_parse_body

from bot.slack.http import Unverified, parse_body

FORM = "application/x-www-form-urlencoded"


def command(**fields: str) -> str:
    return urlencode({"command": "/walkaway", "text": "Acme", "user_id": "U1", **fields})


@pytest.mark.parametrize(
    "body",
    [
        command(text="Acme payloads"),
        command(channel_name="payload-team"),
        command(text="payload"),
        command(text="payload=1"),  # encoded: still the text field, not a payload field
    ],
)
def test_a_form_with_payload_in_a_value_is_the_form_itself(body: str) -> None:
    parsed = parse_body(body, FORM)

    assert parsed["command"] == "/walkaway"
    assert bolt_parse_body(body, FORM) == {}, "Bolt 1.30 loses these; if not, drop the workaround"


def test_a_form_with_a_payload_field_is_that_interaction() -> None:
    payload = {"type": "block_actions", "user": {"id": "U1"}, "actions": []}

    assert parse_body(urlencode({"payload": json.dumps(payload)}), FORM) == payload


@pytest.mark.parametrize("content_type", ["application/json", FORM, None])
def test_json_is_told_apart_as_bolt_does(content_type: str | None) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "payload"})

    assert parse_body(body, content_type) == bolt_parse_body(body, content_type)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", FORM),
        ("not a form", FORM),
        ("text=Acme&&user_id=U1", FORM),
        ("text=%FF", FORM),
        ("payload=%7B", FORM),
        ("payload=%5B1%5D", FORM),
        ("{}", "application/json"),
        ("[1]", "application/json"),
        ("{nope", "application/json"),
    ],
)
def test_a_body_slack_would_never_send_is_refused(body: str, content_type: str) -> None:
    with pytest.raises((Unverified, ValueError)):
        parse_body(body, content_type)
