""" "Weekly digest" in the workspace settings modal: off, or on with a weekday and an hour
(each manager's own time), joined through `Hooks.settings_parts` like the re-check interval.

Off by default: a digest is a message every manager gets every week, so a workspace asks for
it. Stored under the workspace's own `digest` key (storage/digest.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, Option, StaticSelectElement

from bot.domain.digest_time import WEEKDAYS, DigestSettings, DigestSettingsProblem
from bot.slack.deps import Deps, SettingsPart
from bot.slack.ids import Block as BlockId
from bot.slack.ids import Field
from bot.slack.text import plain_text

ON, OFF = "on", "off"
_SWITCH = {
    ON: "On: each manager gets their team's week",
    OFF: "Off",
}


def _option(value: str, text: str) -> Option:
    return Option(value=value, text=plain_text(text, 75))


def _hour(hour: int) -> str:
    return f"{hour:02d}:00"


def _chosen(values: Mapping[str, Any], block: str) -> str | None:
    picked = (values.get(block, {}).get(Field.VALUE, {}) or {}).get("selected_option") or {}
    value = picked.get("value")
    return value if isinstance(value, str) else None


def blocks(deps: Deps, workspace_id: int) -> list[Block]:
    current = deps.store.digest.settings(workspace_id=workspace_id)
    switch = [_option(v, t) for v, t in _SWITCH.items()]
    days = [_option(str(n), name) for n, name in enumerate(WEEKDAYS)]
    hours = [_option(str(h), _hour(h)) for h in range(24)]
    return [
        InputBlock(
            block_id=BlockId.DIGEST_ON,
            label=plain_text("Weekly digest to managers", 2000),
            hint=plain_text(
                "A DM with positions waiting, the week's walk-aways and why, re-checks due, "
                "comebacks and wins, and a chart of the last 12 weeks.",
                2000,
            ),
            element=StaticSelectElement(
                action_id=Field.VALUE,
                options=switch,
                initial_option=switch[0 if current.enabled else 1],
            ),
        ),
        InputBlock(
            block_id=BlockId.DIGEST_DAY,
            label=plain_text("Digest day", 2000),
            element=StaticSelectElement(
                action_id=Field.VALUE, options=days, initial_option=days[current.weekday]
            ),
        ),
        InputBlock(
            block_id=BlockId.DIGEST_HOUR,
            label=plain_text("Digest hour (each manager's own time zone)", 2000),
            element=StaticSelectElement(
                action_id=Field.VALUE, options=hours, initial_option=hours[current.hour]
            ),
        ),
    ]


def parse(values: Mapping[str, Any]) -> DigestSettings | None:
    """The submitted setting; None when the modal had no digest inputs (opened before they
    existed): the setting is then left as it is. Raises DigestSettingsProblem."""
    switch = _chosen(values, BlockId.DIGEST_ON)
    if switch is None:
        return None
    if switch not in _SWITCH:
        raise DigestSettingsProblem("Choose On or Off for the weekly digest.")
    day, hour = _chosen(values, BlockId.DIGEST_DAY), _chosen(values, BlockId.DIGEST_HOUR)
    if day is None or not day.isdigit() or hour is None or not hour.isdigit():
        raise DigestSettingsProblem("Choose the digest's day and hour.")
    return DigestSettings(enabled=switch == ON, weekday=int(day), hour=int(hour))


def check(values: Mapping[str, Any]) -> dict[str, str]:
    try:
        parse(values)
    except DigestSettingsProblem as problem:
        return {BlockId.DIGEST_ON: str(problem)}
    return {}


def save(deps: Deps, workspace_id: int, values: Mapping[str, Any]) -> None:
    chosen = parse(values)
    if chosen is not None:
        deps.store.digest.save_settings(workspace_id=workspace_id, settings=chosen)


def summary(deps: Deps, workspace_id: int) -> str:
    current = deps.store.digest.settings(workspace_id=workspace_id)
    if not current.enabled:
        return "weekly digest off"
    return f"weekly digest {WEEKDAYS[current.weekday]}s at {_hour(current.hour)} managers' time"


DIGEST_SETTING = SettingsPart(blocks=blocks, check=check, save=save, summary=summary)
