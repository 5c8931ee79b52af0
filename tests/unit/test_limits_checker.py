"""The limits checker is what stands between a long deal name and a verdict Slack refuses to show;
it must pass realistic payloads and name every breach it finds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from slack_sdk.models.blocks import ButtonElement, SectionBlock

from tests.slack.limits import (
    assert_call_within_limits,
    assert_message_within_limits,
    assert_view_within_limits,
    message_breaches,
    view_breaches,
)


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _verdict_message() -> list[dict[str, Any]]:
    """A message shaped like the verdict the app posts: header, reasons, fields, buttons."""
    return [
        {"type": "header", "text": _plain("Walk away from Acme renewal")},
        {"type": "section", "block_id": "reasons", "text": _mrkdwn("*Why:* " + "x" * 2900)},
        {
            "type": "section",
            "fields": [_mrkdwn("f" * 2000) for _ in range(10)],
            "accessory": {
                "type": "static_select",
                "action_id": "status",
                "options": [_option("o" * 75, "v" * 150) for _ in range(100)],
                "initial_option": _option("open", "open"),
            },
        },
        {"type": "divider"},
        {
            "type": "actions",
            "block_id": "b" * 255,
            "elements": [
                {
                    "type": "button",
                    "action_id": "a" * 255,
                    "text": _plain("t" * 75),
                    "value": "v" * 2000,
                }
                for _ in range(25)
            ],
        },
        {"type": "context", "elements": [_mrkdwn("c") for _ in range(10)]},
    ]


def _modal() -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "c" * 255,
        "title": _plain("t" * 24),
        "submit": _plain("s" * 24),
        "close": _plain("c" * 24),
        "private_metadata": "m" * 3000,
        "blocks": [
            {
                "type": "input",
                "block_id": "draft",
                "label": _plain("Draft"),
                "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
            }
        ]
        * 100,
    }


def test_payload_exactly_at_every_limit_passes() -> None:
    blocks = _verdict_message() + [{"type": "divider"}] * 44
    assert len(blocks) == 50
    assert_message_within_limits(blocks, "t" * 3900)
    assert_view_within_limits(_modal())


def test_home_tab_without_title_passes() -> None:
    assert_view_within_limits({"type": "home", "blocks": [{"type": "divider"}]})


def test_message_with_no_blocks_and_no_text_passes() -> None:
    assert message_breaches(None, None) == []


def test_fifty_one_blocks_are_rejected_for_a_message_but_fine_in_a_view() -> None:
    blocks = [{"type": "divider"}] * 51
    assert message_breaches(blocks, "fallback") == [
        "blocks: block count per message is 51, limit 50"
    ]
    assert view_breaches({"type": "modal", "title": _plain("T"), "blocks": blocks}) == []


def test_view_over_a_hundred_blocks_is_rejected() -> None:
    view = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    assert view_breaches(view) == ["blocks: block count per view is 101, limit 100"]


def test_long_fallback_text_is_named() -> None:
    with pytest.raises(AssertionError, match=r"text: message text length is 3901, limit 3900"):
        assert_message_within_limits([], "t" * 3901)


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            {"type": "section", "text": _mrkdwn("x" * 3001)},
            "blocks[0].text.text: section text is 3001, limit 3000",
        ),
        (
            {"type": "section", "fields": [_mrkdwn("f")] * 11},
            "blocks[0].fields: field count is 11, limit 10",
        ),
        (
            {"type": "section", "fields": [_mrkdwn("ok"), _mrkdwn("f" * 2001)]},
            "blocks[0].fields[1].text: section field is 2001, limit 2000",
        ),
        (
            {"type": "header", "text": _plain("h" * 151)},
            "blocks[0].text.text: header text is 151, limit 150",
        ),
        (
            {"type": "context", "elements": [_mrkdwn("c")] * 11},
            "blocks[0].elements: context element count is 11, limit 10",
        ),
        (
            {"type": "context", "elements": [_mrkdwn("c" * 3001)]},
            "blocks[0].elements[0].text: text object length is 3001, limit 3000",
        ),
        (
            {"type": "actions", "elements": [{"type": "button", "text": _plain("b")}] * 26},
            "blocks[0].elements: actions element count is 26, limit 25",
        ),
        (
            {"type": "actions", "elements": [{"type": "button", "text": _plain("b" * 76)}]},
            "blocks[0].elements[0].text.text: button text is 76, limit 75",
        ),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": _plain("b"), "value": "v" * 2001}],
            },
            "blocks[0].elements[0].value: button value is 2001, limit 2000",
        ),
        (
            {"type": "divider", "block_id": "b" * 256},
            "blocks[0].block_id: block_id is 256, limit 255",
        ),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": _plain("b"), "action_id": "a" * 256}],
            },
            "blocks[0].elements[0].action_id: action_id is 256, limit 255",
        ),
        (
            {
                "type": "section",
                "text": _mrkdwn("pick"),
                "accessory": {"type": "static_select", "options": [_option("o" * 76, "v")]},
            },
            "blocks[0].accessory.options[0].text.text: option text is 76, limit 75",
        ),
        (
            {
                "type": "section",
                "text": _mrkdwn("pick"),
                "accessory": {"type": "overflow", "options": [_option("o", "v" * 151)]},
            },
            "blocks[0].accessory.options[0].value: option value is 151, limit 150",
        ),
        (
            {
                "type": "section",
                "text": _mrkdwn("pick"),
                "accessory": {"type": "static_select", "options": [_option("o", "v")] * 101},
            },
            "blocks[0].accessory.options: option count is 101, limit 100",
        ),
        (
            {
                "type": "input",
                "label": _plain("Status"),
                "element": {
                    "type": "static_select",
                    "option_groups": [{"label": _plain("g"), "options": [_option("o", "v")] * 101}],
                },
            },
            "blocks[0].element.option_groups[0].options: option count is 101, limit 100",
        ),
        (
            {
                "type": "input",
                "label": _plain("Status"),
                "element": {
                    "type": "radio_buttons",
                    "options": [_option("yes", "yes")],
                    "initial_option": _option("y" * 80, "yes"),
                },
            },
            "blocks[0].element.initial_option.text.text: option text is 80, limit 75",
        ),
        (
            {"type": "input", "label": _plain("l" * 3001), "element": {"type": "plain_text_input"}},
            "blocks[0].label.text: text object length is 3001, limit 3000",
        ),
    ],
)
def test_each_block_level_breach_is_named_with_its_path(
    block: dict[str, Any], expected: str
) -> None:
    assert message_breaches([block], "fallback") == [expected]
    with pytest.raises(AssertionError, match="breaks Slack limits") as raised:
        assert_message_within_limits([block], "fallback")
    assert expected in str(raised.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"title": _plain("t" * 25)}, "view.title.text: modal title is 25, limit 24"),
        ({"submit": _plain("s" * 25)}, "view.submit.text: modal submit is 25, limit 24"),
        ({"close": _plain("c" * 25)}, "view.close.text: modal close is 25, limit 24"),
        (
            {"private_metadata": "m" * 3001},
            "view.private_metadata: private_metadata is 3001, limit 3000",
        ),
        ({"callback_id": "c" * 256}, "view.callback_id: callback_id is 256, limit 255"),
        ({"external_id": "e" * 256}, "view.external_id: external_id is 256, limit 255"),
    ],
)
def test_each_view_level_breach_is_named(change: dict[str, Any], expected: str) -> None:
    view = {**_modal(), **change}
    assert view_breaches(view) == [expected]


def test_every_breach_is_listed_not_just_the_first() -> None:
    blocks = [
        {"type": "header", "text": _plain("h" * 200)},
        {"type": "actions", "elements": [{"type": "button", "text": _plain("b" * 80)}]},
    ] + [{"type": "divider"}] * 50
    with pytest.raises(AssertionError) as raised:
        assert_message_within_limits(blocks, "t" * 5000)
    message = str(raised.value)
    for fragment in ("block count per message", "header text", "button text", "message text"):
        assert fragment in message


def test_a_text_object_over_the_limit_is_reported_once() -> None:
    breaches = message_breaches([{"type": "section", "text": _mrkdwn("x" * 4000)}], None)
    assert breaches == ["blocks[0].text.text: section text is 4000, limit 3000"]


def test_sdk_block_objects_are_checked_too() -> None:
    ok = SectionBlock(
        text="fine", accessory=ButtonElement(text="Go", action_id="go", value="v" * 2000)
    )
    assert_message_within_limits([ok], "fallback")


def test_blocks_sent_as_a_json_string_are_decoded() -> None:
    encoded = json.dumps([{"type": "header", "text": _plain("h" * 151)}])
    assert message_breaches(encoded, None) == ["blocks[0].text.text: header text is 151, limit 150"]


class _Call:
    def __init__(self, method: str, args: dict[str, Any]) -> None:
        self.method = method
        self.args = args


def test_recorded_calls_are_checked_by_surface() -> None:
    assert_call_within_limits(_Call("auth.test", {}))
    assert_call_within_limits(_Call("chat.postMessage", {"channel": "C1", "text": "ok"}))
    with pytest.raises(AssertionError, match=r"chat\.update message"):
        assert_call_within_limits(_Call("chat.update", {"text": "t" * 4000}))
    with pytest.raises(AssertionError, match=r"views\.open view"):
        assert_call_within_limits(
            _Call("views.open", {"view": {**_modal(), "title": _plain("t" * 30)}})
        )
