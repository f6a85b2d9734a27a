"""The dependency rule of docs/architecture.md, read from the code's own imports: the domain
reaches no AWS SDK and no adapter, and no module imports itself back through others."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = {ROOT / "functions": "", ROOT / "infra" / "local": ""}
DOMAIN = ROOT / "functions" / "tessera"
# Where the outside world may be reached: the adapters, the command line, and the wiring.
OUTSIDE_THE_DOMAIN = ("tessera.adapters", "tessera.cli", "tessera.bootstrap")
# The wiring and the command line reach the adapters, so the domain may not import them either.
FORBIDDEN_IN_THE_DOMAIN = (
    "boto3",
    "botocore",
    "pynamodb",
    "tessera.adapters",
    "tessera.bootstrap",
    "tessera.cli",
)


def module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            if "__pycache__" not in path.parts:
                found[module_name(path, base)] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported(path: Path, known: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """Every module ``path`` imports (at the top or inside a function, not for type checking
    only), as ``(line, module)``; ``from package import name`` counts ``package.name`` when
    that is a module of this tree."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            skipped.update(id(inner) for inner in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield node.lineno, candidate if candidate in known else node.module


def domain_modules() -> list[str]:
    return sorted(
        name
        for name, path in modules().items()
        if path.is_relative_to(DOMAIN)
        and not any(name == o or name.startswith(f"{o}.") for o in OUTSIDE_THE_DOMAIN)
    )


@pytest.mark.parametrize("module", domain_modules())
def test_the_domain_imports_no_aws_sdk_and_no_adapter(module: str) -> None:
    # Given a module of the domain (every package of tessera but adapters, cli and the wiring)
    known = modules()
    # When its imports are read
    reached = [
        f"line {line}: {name}"
        for line, name in imported(known[module], known)
        if any(name == f or name.startswith(f"{f}.") for f in FORBIDDEN_IN_THE_DOMAIN)
    ]
    # Then none of them is an AWS SDK, PynamoDB or an adapter: stores come in through ports
    assert reached == [], f"{module} reaches the outside world directly: {reached}"


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for successor in sorted(graph.get(node, ())):
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {target for _, target in imported(path, known) if target in known and target != name}
        for name, path in known.items()
    }


def test_the_cycle_finder_finds_a_cycle() -> None:
    # Given a graph with one loop of three and a tail
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    # Then exactly the loop is reported
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_itself_back() -> None:
    # Given the import graph of the functions and the local stack
    graph = import_graph()
    assert {"tessera.ports", "api.app", "tessera_local.stack"} <= set(graph)
    # Then it has no cycle
    assert cycles(graph) == []
