"""The house: data flows one way through geoplan's layers, and no module imports in a circle.

The layers, lowest first (docs/ARCHITECTURE.md); a module imports only from its
own layer or below. Every import counts, including those deferred into a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "geoplan"

#: Module (or package prefix) -> layer. The longest matching prefix wins.
LAYERS = {
    "geoplan._errors": 0,
    "geoplan.settings": 0,
    "geoplan._io": 0,
    "geoplan._version": 0,
    "geoplan._segments": 0,
    "geoplan._background": 0,
    "geoplan._gc": 0,
    "geoplan.standards": 1,
    "geoplan.coords": 1,
    "geoplan._i18n": 1,
    "geoplan.sources": 2,
    "geoplan.network": 2,
    "geoplan.contraction": 2,
    "geoplan.slopes": 2,
    "geoplan.population": 2,
    "geoplan.groups": 2,
    "geoplan.landuse": 2,
    "geoplan.facilities": 2,
    "geoplan._validate": 2,
    "geoplan.models": 3,
    "geoplan._models": 3,
    "geoplan.service_areas": 4,
    "geoplan.life_circles": 4,
    "geoplan.coverage": 4,
    "geoplan.fca": 4,
    "geoplan.equity": 4,
    "geoplan.siting": 4,
    "geoplan.indicators": 4,
    "geoplan.scenarios": 4,
    "geoplan.study": 5,
    "geoplan._loader": 5,
    "geoplan._caveats": 5,
    "geoplan._study_groups": 5,
    "geoplan._scenario_inputs": 5,
    "geoplan.config": 5,
    "geoplan.outputs": 6,
    "geoplan.datasets": 7,
    "geoplan.parallel": 7,
    "geoplan.cli": 7,
    "geoplan.maps": 7,  # the public name of geoplan.outputs.maps
    "geoplan.report": 7,  # the first names of the run folder's writers
    "geoplan.__main__": 7,
    "geoplan": 7,
}

#: Imports allowed to run up a layer, each with its reason (the issue allows at most 3).
UPWARD: dict[tuple[str, str], str] = {}


def module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.with_suffix("").relative_to(PACKAGE.parent).parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names[name] = path
    return names


MODULES = module_names()


def owner(name: str) -> str:
    """The geoplan module an imported name belongs to."""
    while name not in MODULES and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {owner(a.name) for a in node.names if a.name.startswith("geoplan")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("geoplan"):
            module = node.module or ""
            for alias in node.names:
                full = f"{module}.{alias.name}"
                found.add(owner(full) if full in MODULES else owner(module))
    return found


def layer(name: str) -> int:
    prefixes = [p for p in LAYERS if name == p or name.startswith(p + ".")]
    assert prefixes, f"{name} has no layer: add it to LAYERS and docs/ARCHITECTURE.md"
    return LAYERS[max(prefixes, key=len)]


GRAPH = {name: imports(path) - {name} for name, path in MODULES.items()}


def test_every_module_has_a_layer():
    for name in MODULES:
        layer(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_a_module_imports_only_from_its_layer_or_below(name):
    upward = [
        f"{name} (layer {layer(name)}) imports {other} (layer {layer(other)})"
        for other in sorted(GRAPH[name])
        if layer(other) > layer(name) and (name, other) not in UPWARD
    ]
    assert upward == []


def test_at_most_three_imports_run_up_a_layer():
    assert len(UPWARD) <= 3


def test_analyses_never_import_outputs_or_the_study():
    for name, deps in GRAPH.items():
        if layer(name) <= 4:
            assert not [d for d in deps if d.startswith(("geoplan.outputs", "geoplan.study"))], name


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm: the circles of the import graph (components of more than one)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in graph.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_in_a_circle():
    assert strongly_connected(GRAPH) == []


def test_the_circle_finder_finds_a_circle():
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
