"""Check raw Block Kit JSON against Slack's limits before Slack does it for us in production.

``slack_sdk.models.blocks`` validates most limits only when serialised and never the block count
per message, and our tests mostly see raw dicts recorded by the fake Web API. Slack answers an
over-limit payload with ``invalid_blocks`` and drops the whole message, so a rep would see a
verdict silently fail to arrive. Tests call these on every payload the app sends so that a long
deal name or a verbose draft breaks a test instead.

Lengths are counted in Python characters (code points), the same unit ``bot.blocks.text`` cuts
in, so a string the app truncated is never flagged here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from bot.slack.text import LIMITS

__all__ = [
    "assert_call_within_limits",
    "assert_message_within_limits",
    "assert_view_within_limits",
    "message_breaches",
    "view_breaches",
]

_ID_LIMITS = {
    "action_id": LIMITS.ACTION_ID,
    "block_id": LIMITS.BLOCK_ID,
    "callback_id": LIMITS.CALLBACK_ID,
    "external_id": LIMITS.CALLBACK_ID,
}
_OPTION_HOLDERS = ("options", "initial_options")
_TEXT_TYPES = ("plain_text", "mrkdwn")


def _as_dict(item: Any) -> Any:
    """Accept slack_sdk model objects too, so a builder's output can be checked directly."""
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item


class _Checker:
    """Collects one breach per location; the first, most specific, description wins."""

    def __init__(self) -> None:
        self._breaches: dict[str, str] = {}

    @property
    def breaches(self) -> list[str]:
        return list(self._breaches.values())

    def add(self, path: str, message: str) -> None:
        self._breaches.setdefault(path, f"{path}: {message}")

    def over(self, path: str, what: str, value: str | Sequence[Any], limit: int) -> None:
        if len(value) > limit:
            self.add(path, f"{what} is {len(value)}, limit {limit}")

    def text(self, path: str, obj: Any, limit: int, what: str) -> None:
        if isinstance(obj, Mapping) and isinstance(obj.get("text"), str):
            self.over(f"{path}.text", what, obj["text"], limit)
        elif isinstance(obj, str):
            self.over(path, what, obj, limit)

    def generic(self, path: str, node: Any) -> None:
        """Apply the limits every object carries wherever it sits: text objects and ids."""
        if isinstance(node, Mapping):
            if node.get("type") in _TEXT_TYPES and isinstance(node.get("text"), str):
                self.over(f"{path}.text", "text object length", node["text"], LIMITS.TEXT_OBJECT)
            for key, limit in _ID_LIMITS.items():
                value = node.get(key)
                if isinstance(value, str):
                    self.over(f"{path}.{key}", key, value, limit)
            for key, child in node.items():
                self.generic(f"{path}.{key}", child)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                self.generic(f"{path}[{index}]", child)

    def option(self, path: str, option: Any) -> None:
        if not isinstance(option, Mapping):
            return
        self.text(f"{path}.text", option.get("text"), LIMITS.OPTION_TEXT, "option text")
        value = option.get("value")
        if isinstance(value, str):
            self.over(f"{path}.value", "option value", value, LIMITS.OPTION_VALUE)

    def options(self, path: str, element: Mapping[str, Any]) -> None:
        for key in _OPTION_HOLDERS:
            options = element.get(key)
            if isinstance(options, list):
                if key == "options":
                    self.over(f"{path}.options", "option count", options, LIMITS.OPTIONS)
                for index, option in enumerate(options):
                    self.option(f"{path}.{key}[{index}]", option)
        if isinstance(element.get("initial_option"), Mapping):
            self.option(f"{path}.initial_option", element["initial_option"])
        groups = element.get("option_groups")
        if isinstance(groups, list):
            self.over(f"{path}.option_groups", "option group count", groups, LIMITS.OPTIONS)
            for g_index, group in enumerate(groups):
                if not isinstance(group, Mapping) or not isinstance(group.get("options"), list):
                    continue
                group_path = f"{path}.option_groups[{g_index}]"
                self.over(f"{group_path}.options", "option count", group["options"], LIMITS.OPTIONS)
                for index, option in enumerate(group["options"]):
                    self.option(f"{group_path}.options[{index}]", option)

    def element(self, path: str, element: Any) -> None:
        if not isinstance(element, Mapping):
            return
        if element.get("type") == "button":
            self.text(f"{path}.text", element.get("text"), LIMITS.BUTTON_TEXT, "button text")
            value = element.get("value")
            if isinstance(value, str):
                self.over(f"{path}.value", "button value", value, LIMITS.BUTTON_VALUE)
        self.options(path, element)

    def block(self, path: str, block: Any) -> None:
        if not isinstance(block, Mapping):
            self.add(path, f"block is {type(block).__name__}, not an object")
            return
        kind = block.get("type")
        if kind == "section":
            self.text(f"{path}.text", block.get("text"), LIMITS.SECTION_TEXT, "section text")
            fields = block.get("fields")
            if isinstance(fields, list):
                self.over(f"{path}.fields", "field count", fields, LIMITS.SECTION_FIELDS)
                for index, field in enumerate(fields):
                    self.text(
                        f"{path}.fields[{index}]", field, LIMITS.SECTION_FIELD, "section field"
                    )
            self.element(f"{path}.accessory", block.get("accessory"))
        elif kind == "header":
            self.text(f"{path}.text", block.get("text"), LIMITS.HEADER, "header text")
        elif kind in ("actions", "context"):
            elements = block.get("elements")
            if isinstance(elements, list):
                limit = LIMITS.ACTIONS_ELEMENTS if kind == "actions" else LIMITS.CONTEXT_ELEMENTS
                self.over(f"{path}.elements", f"{kind} element count", elements, limit)
                for index, element in enumerate(elements):
                    self.element(f"{path}.elements[{index}]", element)
        elif kind == "input":
            self.element(f"{path}.element", block.get("element"))

    def blocks(self, blocks: Sequence[Any], cap: int, surface: str) -> None:
        self.over("blocks", f"block count per {surface}", blocks, cap)
        for index, block in enumerate(blocks):
            block = _as_dict(block)
            self.block(f"blocks[{index}]", block)
            self.generic(f"blocks[{index}]", block)


def _decoded(blocks: Any) -> list[Any]:
    """Form-encoded API calls carry blocks as a JSON string; JSON calls carry a list."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return list(blocks or [])


def message_breaches(blocks: Sequence[Any] | None, text: str | None) -> list[str]:
    """Every limit a message payload breaks, as readable lines naming where."""
    checker = _Checker()
    if text is not None:
        checker.over("text", "message text length", text, LIMITS.MESSAGE_TEXT)
    checker.blocks(_decoded(blocks), LIMITS.BLOCKS_PER_MESSAGE, "message")
    return checker.breaches


def view_breaches(view: Any) -> list[str]:
    """Every limit a modal or Home tab view breaks, as readable lines naming where."""
    view = _as_dict(view)
    if isinstance(view, str):
        view = json.loads(view)
    checker = _Checker()
    if not isinstance(view, Mapping):
        return [f"view is {type(view).__name__}, not an object"]
    for key, limit in (
        ("title", LIMITS.MODAL_TITLE),
        ("submit", LIMITS.MODAL_SUBMIT),
        ("close", LIMITS.MODAL_CLOSE),
    ):
        checker.text(f"view.{key}", view.get(key), limit, f"modal {key}")
    metadata = view.get("private_metadata")
    if isinstance(metadata, str):
        checker.over("view.private_metadata", "private_metadata", metadata, LIMITS.PRIVATE_METADATA)
    for key in ("callback_id", "external_id"):
        value = view.get(key)
        if isinstance(value, str):
            checker.over(f"view.{key}", key, value, _ID_LIMITS[key])
    checker.blocks(_decoded(view.get("blocks")), LIMITS.BLOCKS_PER_VIEW, "view")
    return checker.breaches


def _raise(kind: str, breaches: list[str]) -> None:
    if breaches:
        listed = "\n  ".join(breaches)
        raise AssertionError(f"{kind} breaks Slack limits:\n  {listed}")


def assert_message_within_limits(blocks: Sequence[Any] | None, text: str | None) -> None:
    """Fail a test with every breach listed, the way Slack would reject the message."""
    _raise("message", message_breaches(blocks, text))


def assert_view_within_limits(view: Any) -> None:
    """Fail a test with every breach listed, the way Slack would reject the view."""
    _raise("view", view_breaches(view))


_MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.postEphemeral", "chat.update"})
_VIEW_METHODS = frozenset({"views.open", "views.push", "views.update", "views.publish"})


def assert_call_within_limits(call: Any) -> None:
    """Check a call recorded by the fake Web API, whichever surface it targets.

    End-to-end tests can pass every recorded call through this without sorting them first;
    methods that carry no Block Kit payload are ignored.
    """
    method, args = call.method, call.args
    if method in _MESSAGE_METHODS:
        _raise(f"{method} message", message_breaches(args.get("blocks"), args.get("text")))
    elif method in _VIEW_METHODS:
        _raise(f"{method} view", view_breaches(args.get("view")))
