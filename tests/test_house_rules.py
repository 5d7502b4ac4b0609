"""The house rules a reviewer checks by hand, checked on every run: `core` imports no domain, no
domain package imports another, and no module imports code that imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "nasforge"
DOMAINS = ("recsys", "vision", "pointcloud", "eda")


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The nasforge modules ``path`` imports at module level (not inside functions)."""
    found = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("nasforge"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("nasforge"))
    return found


MODULES = {_module_name(p): _imports(p) for p in SRC.rglob("*.py")}


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


@pytest.mark.parametrize("layer", ["core", "lit", "tasks", "pipeline", "stages", "utils"])
def test_shared_layers_import_no_domain(layer: str):
    offenders = {
        module: sorted(i for i in imports if _package(i) in DOMAINS)
        for module, imports in MODULES.items()
        if _package(module) == layer
    }
    assert not {m: i for m, i in offenders.items() if i}


def test_no_domain_imports_another():
    offenders = {
        module: sorted(i for i in imports if _package(i) in DOMAINS and _package(i) != _package(module))
        for module, imports in MODULES.items()
        if _package(module) in DOMAINS
    }
    assert not {m: i for m, i in offenders.items() if i}


def test_no_import_loops():
    graph = {m: {i for i in imports if i in MODULES and i != m} for m, imports in MODULES.items()}
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(graph[module]):
            # a package's __init__ re-exporting its own modules is no loop
            if module.startswith(target + ".") or target.startswith(module + "."):
                continue
            if state.get(target) == 1:
                return [*stack[stack.index(target) :], target]
            if target not in state and (loop := visit(target)):
                return loop
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            assert (loop := visit(module)) is None, " -> ".join(loop)
