"""What import-linter's contracts (pyproject.toml, run by `lint-imports` in CI) cannot say by themselves."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("bot")


def package_of(module: str) -> str:
    """The package a module counts in: a child of `bot`."""
    return ".".join(module.split(".")[:2])


def package_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected groups of more than one package (Tarjan's algorithm)."""
    edges: defaultdict[str, set[str]] = defaultdict(set)
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if package_of(module) != package_of(imported):
                edges[package_of(module)].add(package_of(imported))
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted({package_of(module) for module in graph.modules}):
        if node not in index:
            visit(node)
    return cycles


def test_no_package_cycle_among_bots_packages(graph: grimp.ImportGraph) -> None:
    assert package_cycles(graph) == []


def test_a_package_cycle_is_found() -> None:
    """The check above can fail: two packages importing each other are one cycle."""
    graph = grimp.ImportGraph()
    for module in ("bot", "bot.a", "bot.a.x", "bot.b", "bot.c"):
        graph.add_module(module)
    graph.add_import(importer="bot.a.x", imported="bot.b")
    graph.add_import(importer="bot.b", imported="bot.a")
    graph.add_import(importer="bot.c", imported="bot.a")
    assert package_cycles(graph) == [["bot.a", "bot.b"]]
