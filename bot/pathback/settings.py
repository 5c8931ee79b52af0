""" "Re-check after (days)" in the workspace settings modal: when a walk, stop-pilot or
redirect is looked at again by default.

A Slack admin looks for a workspace's settings in one place, `/walkaway settings`, so this is
an input in that modal (owned by approvals) rather than a second command: it joins through
`Hooks.settings_parts`. Stored under the workspace's own `pathback` key (storage/pathback.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, NumberInputElement

from bot.domain.pathback import (
    MAX_RECHECK_DAYS,
    MIN_RECHECK_DAYS,
    RecheckProblem,
    parse_recheck_days,
)
from bot.slack.deps import Deps, SettingsPart
from bot.slack.ids import Block as BlockId
from bot.slack.ids import Field
from bot.slack.text import plain_text


def _raw(values: Mapping[str, Any]) -> str | None:
    value = values.get(BlockId.RECHECK_DAYS, {}).get(Field.DAYS, {}).get("value")
    return value if isinstance(value, str) else None


def blocks(deps: Deps, workspace_id: int) -> list[Block]:
    days = deps.store.pathback.recheck_days(workspace_id=workspace_id)
    return [
        InputBlock(
            block_id=BlockId.RECHECK_DAYS,
            label=plain_text("Re-check after (days)", 2000),
            hint=plain_text(
                "When a walk, stop-pilot or redirect is looked at again, unless the rep picks "
                f"another date. A deferral keeps its own. {MIN_RECHECK_DAYS} to "
                f"{MAX_RECHECK_DAYS} days.",
                2000,
            ),
            element=NumberInputElement(
                action_id=Field.DAYS,
                is_decimal_allowed=False,
                min_value=str(MIN_RECHECK_DAYS),
                max_value=str(MAX_RECHECK_DAYS),
                initial_value=str(days),
            ),
        )
    ]


def check(values: Mapping[str, Any]) -> dict[str, str]:
    """A modal opened before this input existed sends none: the setting is then left as it is."""
    if _raw(values) is None:
        return {}
    try:
        parse_recheck_days(_raw(values))
    except RecheckProblem as problem:
        return {BlockId.RECHECK_DAYS: str(problem)}
    return {}


def save(deps: Deps, workspace_id: int, values: Mapping[str, Any]) -> None:
    if _raw(values) is None:
        return
    days = parse_recheck_days(_raw(values))
    deps.store.pathback.save_recheck_days(workspace_id=workspace_id, days=days)


def summary(deps: Deps, workspace_id: int) -> str:
    days = deps.store.pathback.recheck_days(workspace_id=workspace_id)
    return f"re-check after {days} days"


RECHECK_SETTING = SettingsPart(blocks=blocks, check=check, save=save, summary=summary)
