"""The layout is the architecture: these tests read it from the code's own imports.

The import graph is built with `ast` from every module of bot/, storage/ and prompts/, counting
imports anywhere in a module (inside functions and `if TYPE_CHECKING:` blocks too), because a
late import is still a dependency: it only hides a cycle until the day the order changes.
`from package import name` counts as an import of `package.name` when that is a module, and of
`package` otherwise (the way import-linter and pydeps read it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "storage", "prompts")
CAPABILITIES = (
    "bot.qualification",
    "bot.approvals",
    "bot.search",
    "bot.home",
    "bot.pathback",
    "bot.insight",
)
"""Each a package holding one capability's use cases, listeners, Block Kit and steps."""
EDGE = "bot.slack"
"""The shared Slack edge every capability stands on."""
WIRING = ("bot.app", "bot.cli")
TOP_LEVEL_MODULES = {"__init__.py", "__main__.py", "app.py", "cli.py", "config.py"}
MAX_LINES = 400


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules_under(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            found[module_name(path, root)] = path
    return found


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    # A package's own name is its __init__; a module's level 1 is its package.
    drop = node.level - 1 if is_package else node.level
    anchor = base[: len(base) - drop] if drop else base
    return ".".join([*anchor, node.module] if node.module else anchor)


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """module -> the project modules it imports (anywhere in its body)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, node, path.name == "__init__.py")
                for alias in node.names:
                    sub = f"{base}.{alias.name}"
                    targets.append(sub if sub in modules else base)
            for target in targets:
                while target and target not in modules:  # `import a.b.c` of a non-module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: Mapping[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that ends where it starts, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


MODULES = modules_under(ROOT)
GRAPH = import_graph(MODULES)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _capability(module: str) -> str | None:
    return next((c for c in CAPABILITIES if _within(module, c)), None)


def _violations(rule: str, pairs: Iterable[tuple[str, str]]) -> list[str]:
    return [f"{rule}: {a} imports {b}" for a, b in pairs]


def _edges() -> list[tuple[str, str]]:
    return [(a, b) for a, targets in GRAPH.items() for b in sorted(targets)]


def test_the_graph_sees_imports_in_function_bodies_and_type_checking_blocks(
    tmp_path: Path,
) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("def late() -> None:\n    from pkg import b\n")
    (pkg / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import thing\n"
    )
    (pkg / "c.py").write_text("from . import a\nthing = 1\n")
    graph = import_graph(modules_under(tmp_path, ["pkg"]))

    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg.a"}
    assert find_cycle(graph) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_there_is_no_import_cycle() -> None:
    cycle = find_cycle(GRAPH)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_domain_imports_only_itself() -> None:
    bad = [
        (a, b)
        for a, b in _edges()
        if _within(a, "bot.domain") and not _within(b, "bot.domain") and b != "prompts"
    ]
    assert _violations("the domain is pure", bad) == []


def test_storage_imports_nothing_from_bot_but_the_domain() -> None:
    bad = [
        (a, b)
        for a, b in _edges()
        if _within(a, "storage") and _within(b, "bot") and not _within(b, "bot.domain")
    ]
    assert _violations("storage sits under the capabilities", bad) == []


def test_no_capability_imports_another() -> None:
    bad = [
        (a, b)
        for a, b in _edges()
        if (mine := _capability(a)) and (theirs := _capability(b)) and mine != theirs
    ]
    assert _violations("what two capabilities share belongs in bot.slack or the domain", bad) == []


def test_the_shared_edge_imports_no_capability_and_no_wiring() -> None:
    bad = [(a, b) for a, b in _edges() if _within(a, EDGE) and (_capability(b) or b in WIRING)]
    assert _violations("the edge is shared, so it knows no capability", bad) == []


def test_only_the_command_imports_the_wiring_and_only_main_imports_the_command() -> None:
    allowed = {"bot.app": {"bot.cli"}, "bot.cli": {"bot.__main__"}}
    bad = [(a, b) for a, b in _edges() if b in allowed and a not in allowed[b]]
    assert _violations("wiring is the top of the graph", bad) == []


def test_bot_top_level_holds_only_the_wiring_the_command_and_the_settings() -> None:
    loose = sorted(p.name for p in (ROOT / "bot").glob("*.py") if p.name not in TOP_LEVEL_MODULES)
    assert loose == [], f"put these in the package of their capability or layer: {loose}"


SIZED = sorted(n for n, p in MODULES.items() if not {"migrations", "versions"} <= set(p.parts))
"""Every module but the migrations, which are records of history and stay whole."""


@pytest.mark.parametrize("name", SIZED)
def test_modules_stay_small(name: str) -> None:
    path = MODULES[name]
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES})"
