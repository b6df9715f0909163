"""The import graph of `scanner/` has no cycle, counting imports at any level.

A late import inside a function can hide a cycle from the interpreter (the module is complete by
the time the function runs), but not from a reader: two modules that need each other are one
concept split in two.  This walks every ``import`` in every module — top level, inside functions,
under ``TYPE_CHECKING`` — and fails naming the cycle.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from conftest import ROOT

SCANNER = ROOT / "scanner"
PACKAGE = "vendorguard.scanner"


def _modules() -> dict[str, Path]:
    out = {}
    for path in SCANNER.rglob("*.py"):
        parts = list(path.relative_to(SCANNER).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts])] = path
    return out


def _ancestors(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(len(PACKAGE.split(".")), len(parts))]


def import_graph() -> dict[str, set[str]]:
    """module → the scanner modules it imports: each named module, and the packages Python runs
    on the way to it (their ``__init__``), except the importer's own enclosing packages."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rsplit(".", 1)[0]
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    origin = ".".join(base + ([node.module] if node.module else []))
                else:
                    origin = node.module or ""
                targets.add(origin)
                targets.update(f"{origin}.{alias.name}" for alias in node.names)
        own = set(_ancestors(name)) | {name}
        for target in targets:
            if target in modules:
                graph[name].update(t for t in [*_ancestors(target), target] if t in modules and t not in own)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the stack, 2 done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_the_walk_sees_late_imports_and_package_inits() -> None:
    """The graph is not trivially acyclic: it holds the late and the implicit edges it must."""
    graph = import_graph()
    assert f"{PACKAGE}.sources.aws.live" in graph[f"{PACKAGE}.sources.aws"]  # inside LiveAws.read
    assert f"{PACKAGE}.sources" in graph[f"{PACKAGE}.pipeline"] or \
        f"{PACKAGE}.source" in graph[f"{PACKAGE}.pipeline"]
    assert f"{PACKAGE}.sources" in graph[f"{PACKAGE}.demo"]  # `from .. import sources`
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_scanner_has_no_import_cycle() -> None:
    cycle = find_cycle(import_graph())
    if cycle:
        pytest.fail("import cycle: " + " → ".join(c.removeprefix(PACKAGE + ".") for c in cycle))
