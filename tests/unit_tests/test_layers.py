"""The package's layering: no module imports from a layer above its own, and no import cycle.

Every ``import`` / ``from ... import`` of the package's own modules counts, at any depth
(an import inside a function is a dependency too), except those under
``if TYPE_CHECKING:`` (annotations only). Lower layers come first; a module may import
from its own layer and those below it. The layers are described in
``langchain_s2a/_internal/__init__.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "langchain_s2a"

LAYERS: list[tuple[str, ...]] = [
    ("errors", "options", "_internal"),
    ("_internal.text",),
    ("prompts",),
    ("_internal.io",),
    ("_internal.reading",),
    ("_internal.rules",),
    ("result",),
    ("models",),
    ("_internal.pipeline",),
    ("rewriter",),
    ("chain",),
    ("graph", "chat_model", "conversation", "rag", "agents", "testing"),
    ("eval",),
    ("cli",),
    ("",),  # the package itself: langchain_s2a/__init__.py
]
"""Each layer's modules and packages, relative to ``langchain_s2a``, lowest first."""


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The index in :data:`LAYERS` of the deepest entry that holds ``module``."""
    relative = module.removeprefix("langchain_s2a").removeprefix(".")
    best, depth = None, -1
    for index, entries in enumerate(LAYERS):
        for entry in entries:
            holds = relative == entry or (entry and relative.startswith(entry + "."))
            if holds and len(entry) > depth:
                best, depth = index, len(entry)
    if best is None:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield from _imports(other)
            continue
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child
        yield from _imports(child)


def dependencies(module: str) -> set[str]:
    """The package modules ``module`` imports (a ``from pkg import submodule`` names it)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            assert node.level == 0, f"{module}: relative import"
            base = node.module or ""
            names = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
                for alias in node.names
            ]
        found |= {name for name in names if name in MODULES and name != module}
    return found


GRAPH = {module: dependencies(module) for module in MODULES}


def test_every_module_is_in_a_layer() -> None:
    for module in MODULES:
        layer_of(module)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_from_a_layer_above_its_own(module: str) -> None:
    mine = layer_of(module)
    upward = sorted(dep for dep in GRAPH[module] if layer_of(dep) > mine)
    assert not upward, f"{module} (layer {mine}) imports from layers above it: {upward}"


def test_no_import_cycle() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = 1
        path.append(module)
        for dep in sorted(GRAPH[module]):
            if state.get(dep) == 1:
                cycle = [*path[path.index(dep) :], dep]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        path.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)


def test_the_layer_check_sees_a_violation() -> None:
    """The check itself: an upward import and a cycle are found."""
    assert layer_of("langchain_s2a._internal.text.sentences") < layer_of("langchain_s2a.prompts")
    assert layer_of("langchain_s2a.models.llama") == layer_of("langchain_s2a.models")
    assert layer_of("langchain_s2a") == len(LAYERS) - 1
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from langchain_s2a.rewriter import S2ARewriter\n"
        "def f():\n    from langchain_s2a.chain import S2AChain\n"
    )
    seen = [n.module for n in _imports(tree) if isinstance(n, ast.ImportFrom)]
    assert seen == ["typing", "langchain_s2a.chain"]
