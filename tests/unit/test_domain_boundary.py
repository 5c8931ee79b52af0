"""The domain must stay drivable by a dict of answers: no Slack, no storage, no web."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

DOMAIN = Path(__file__).resolve().parents[2] / "bot" / "domain"
FORBIDDEN = (
    "slack_bolt",
    "slack_sdk",
    "sqlalchemy",
    "storage",
    "bot.slack",
    "bot.qualification",
    "bot.approvals",
    "bot.search",
    "bot.home",
    "bot.app",
    "bot.cli",
    "bot.config",
)


@pytest.mark.parametrize("module", sorted(DOMAIN.glob("*.py")), ids=lambda p: p.name)
def test_domain_module_imports_nothing_from_slack_or_storage(module: Path) -> None:
    tree = ast.parse(module.read_text("utf-8"))
    imported = [
        name
        for node in ast.walk(tree)
        for name in (
            [alias.name for alias in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    ]
    leaks = [name for name in imported if name.startswith(FORBIDDEN)]
    assert leaks == [], f"{module.name} imports {leaks}"
