"""The shape of the package (docs/../brief style): data flows one way, each layer imports
only the layers before it; every query lives in the store; ratings are pure."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "modelarena"

# Layers in order; a module may import its own layer and the ones before it.
LAYERS: list[set[str]] = [
    {"catalog", "config", "prompts"},
    {"backends"},
    {"battles"},
    {"store"},
    {"ratings"},
    {"leaderboard", "adaptive_pairing"},
    {"arena", "runs"},
    {"judge", "integrity", "io", "audits", "landscape", "campaigns", "tournaments", "designs"},
    {"web", "web_admin", "cli", "asgi", "__main__"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
# siblings of one layer that may not import each other's internals
SIBLINGS = {"judge", "audits", "landscape", "campaigns", "tournaments", "designs"}


def _part(module: Path) -> str:
    rel = module.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _imports(module: Path) -> list[tuple[str, int]]:
    """Top-level ``modelarena.X`` parts this module imports, with line numbers (lazy
    imports inside functions count too: a lazy import is still a dependency)."""
    tree = ast.parse(module.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "modelarena":
                names = [f"modelarena.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "modelarena" and len(parts) > 1:
                found.append((parts[1], node.lineno))
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.name != "__init__.py" or p.parent != PACKAGE)


def test_every_part_of_the_package_has_a_layer() -> None:
    parts = {_part(m) for m in MODULES}
    assert parts <= set(RANK), f"give these a layer: {sorted(parts - set(RANK))}"


@pytest.mark.parametrize("module", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_flow_one_way(module: Path) -> None:
    here = _part(module)
    wrong = [
        f"line {line}: {here} imports {there}"
        for there, line in _imports(module)
        if there in RANK
        and (RANK[there] > RANK[here] or (here in SIBLINGS and there in SIBLINGS and there != here))
    ]
    assert not wrong, "\n".join(wrong)


def test_only_the_store_speaks_sql() -> None:
    speakers = []
    for module in MODULES:
        if _part(module) == "store":
            continue
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            if any(n.split(".")[0] == "sqlalchemy" for n in names):
                speakers.append(f"{module.relative_to(PACKAGE)}:{node.lineno}")
    assert not speakers, f"SQL outside the store: {speakers}"


def test_ratings_are_pure() -> None:
    for module in (PACKAGE / "ratings").rglob("*.py"):
        assert all(part == "ratings" for part, _ in _imports(module)), module


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _module_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (lazy imports too); ``from pkg import x``
    counts as importing ``pkg.x`` when that is a module."""
    all_paths = sorted(PACKAGE.rglob("*.py"))
    names = {_module_name(p) for p in all_paths}
    graph: dict[str, set[str]] = {}
    for path in all_paths:
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    edges.add(sub if sub in names else node.module)
            elif isinstance(node, ast.Import):
                edges.update(a.name for a in node.names)
        me = _module_name(path)
        # a package's __init__ re-exports its own modules: that is not a cycle
        graph[me] = {e for e in edges if e in names and e != me and not e.startswith(me + ".")}
    return graph


def test_no_import_cycles_between_modules() -> None:
    graph = _module_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 on the path, 2 done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_tests_mirror_the_package() -> None:
    """Each folder of tests is named after the package it tests (tests/store for store/)."""
    tests = Path(__file__).resolve().parent
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert folders <= packages, f"test folders with no package: {sorted(folders - packages)}"
