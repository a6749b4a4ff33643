"""The layers of docs/architecture.md, held: every import in leaddash/, pages/ and app.py
goes down a layer (or sideways where the layer allows it), leaddash's packages form no
cycle, `leaddash.ui` is imported only by the UI, and nothing at runtime imports the
benchmark or the load tooling.

Imports are read with `ast`, the ones inside functions included (a late import is still a
dependency). Imports under `if TYPE_CHECKING:` are left out: they never run, and naming a
type from a higher layer in an annotation does not make the code depend on it at runtime.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Top to bottom. A unit is a top-level module or package of leaddash, or pages/, or app.py.
# A unit may import the units of lower layers and of its own group (the cycle test still
# holds those apart); the two groups of the top layer never import each other.
LAYERS: tuple[tuple[str, dict[str, frozenset[str]]], ...] = (
    (
        "entry",
        {
            "ui": frozenset({"app", "pages", "ui"}),
            "tools": frozenset({"__main__", "cli", "bench", "load"}),
        },
    ),
    (
        "services",
        {
            "services": frozenset(
                {
                    "queue",
                    "inbox",
                    "routing",
                    "rescoring",
                    "imports",
                    "reports",
                    "users",
                    "logins",
                    "throttle",
                    "planner",
                    "whatif",
                    "migrate",
                    "demo",
                    "charts",
                    "notify",
                    "worker",
                    "audit_trail",
                }
            )
        },
    ),
    ("facts", {"facts": frozenset({"facts"})}),
    ("analytics", {"analytics": frozenset({"analytics"})}),
    (
        "domain",
        {
            "domain": frozenset(
                {"auth", "access", "agreements", "definitions", "sla", "reasons", "scoring_io"}
            )
        },
    ),
    (
        "core",
        {
            "core": frozenset(
                {
                    "core",
                    "documents",
                    "models",
                    "fact_tables",
                    "db",
                    "db_url",
                    "db_faults",
                    "config",
                    "errors",
                    "audit",
                    "id_sets",
                    "csv_safe",
                    "addresses",
                    "notify_tables",
                }
            )
        },
    ),
)
UI_UNITS = frozenset({"app", "pages", "ui"})
TOOLING = frozenset({"bench", "load"})
TOOL_UNITS = frozenset({"__main__", "cli", "bench", "load"})

# Imports allowed to break the layers, each with its reason: (importer module, imported
# module). The test fails on an entry that no longer occurs, so none outlives its reason.
KNOWN_EXCEPTIONS: frozenset[tuple[str, str]] = frozenset()


@dataclass(frozen=True)
class Import:
    """One import statement's target, as the importer's line names it."""

    importer: str
    imported: str
    line: int

    def where(self) -> str:
        return f"{self.importer} (line {self.line}) imports {self.imported}"


Graph = Mapping[str, list[Import]]


def module_name(path: Path) -> str:
    """Return the dotted name of a source file under ROOT."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sources() -> dict[str, Path]:
    """Return every module of leaddash/, pages/ and app.py by its dotted name."""
    files = [*(ROOT / "leaddash").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py"]
    return {module_name(path): path for path in sorted(files)}


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Yield every import statement, at any depth, except under `if TYPE_CHECKING:`."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _type_checking(node):
            yield from _statements(ast.Module(body=node.orelse, type_ignores=[]))
        else:
            yield from _statements(node)


def _targets(
    node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: Iterable[str]
) -> list[str]:
    """Return the modules an import statement loads (`from a import b` is `a.b` when that
    is a module, else `a`)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = ".".join(package[: len(package) - node.level + 1])
    target = node.module if node.level == 0 else ".".join(filter(None, [base, node.module]))
    known = set(known)
    return [f"{target}.{a.name}" if f"{target}.{a.name}" in known else target for a in node.names]


def import_graph() -> dict[str, list[Import]]:
    """Return the imports of leaddash's own modules made by each module in sources()."""
    found = sources()
    graph: dict[str, list[Import]] = {}
    for module, path in found.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        package = path.name == "__init__.py"
        graph[module] = [
            Import(module, target, node.lineno)
            for node in _statements(tree)
            for target in _targets(node, module, package, found)
            if target == "leaddash" or target.startswith("leaddash.")
        ]
    return graph


def unit(module: str) -> str:
    """Return the unit a module belongs to: `pages`, `app`, or leaddash's top-level name."""
    parts = module.split(".")
    if parts[0] != "leaddash":
        return parts[0]
    return parts[1] if len(parts) > 1 else "leaddash"


def place(name: str) -> tuple[int, str] | None:
    """Return the layer index and group of a unit (None when no layer lists it)."""
    for index, (_, groups) in enumerate(LAYERS):
        for group, units in groups.items():
            if name in units:
                return index, group
    return None


def _layer_rule(edge: Import) -> str | None:
    """Return why `edge` breaks the layer order, or None when it keeps it."""
    source, target = unit(edge.importer), unit(edge.imported)
    if source == target or target == "leaddash":
        return None
    here, there = place(source), place(target)
    if here is None or there is None:
        missing = source if here is None else target
        return (
            f"{edge.where()}: leaddash.{missing} is in no layer; add it to LAYERS here "
            "and to docs/architecture.md"
        )
    (high, group), (low, other) = here, there
    name = LAYERS[high][0]
    if low < high:
        return (
            f"{edge.where()}: the {name} layer may not import the higher "
            f"{LAYERS[low][0]} layer; move the shared code down"
        )
    if low == high and group != other:
        return f"{edge.where()}: the {group} and {other} parts of the {name} layer are apart"
    return None


def _special_rules(edge: Import) -> list[str]:
    source, target = unit(edge.importer), unit(edge.imported)
    broken = []
    if target == "ui" and source not in UI_UNITS:
        broken.append(f"{edge.where()}: only leaddash/ui, pages/ and app.py may import leaddash.ui")
    if target in TOOLING and source not in TOOL_UNITS:
        broken.append(
            f"{edge.where()}: the runtime may not import the {target} tooling "
            "(only the CLI and the tools themselves)"
        )
    return broken


def violations(graph: Graph) -> list[str]:
    """Return a sentence for every import that breaks a rule of the layers."""
    found: list[str] = []
    for edges in graph.values():
        for edge in edges:
            layer = _layer_rule(edge)
            found += ([layer] if layer else []) + _special_rules(edge)
    return sorted(set(found))


def _components(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected components of the graph (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            found.append(sorted(component))

    for node in sorted(nodes):
        if node not in index:
            visit(node)
    return found


def cycles(graph: Graph) -> list[str]:
    """Return a sentence for every cycle between leaddash's units, with the imports in it."""
    edges: dict[str, set[str]] = {}
    witness: dict[tuple[str, str], Import] = {}
    for imports in graph.values():
        for edge in imports:
            source, target = unit(edge.importer), unit(edge.imported)
            if source != target and target != "leaddash":
                edges.setdefault(source, set()).add(target)
                witness.setdefault((source, target), edge)
    nodes = set(edges) | {t for targets in edges.values() for t in targets}
    found = []
    for component in _components(nodes, edges):
        if len(component) > 1:
            inside = [
                witness[(a, b)].where()
                for a in component
                for b in sorted(edges.get(a, ()))
                if b in component
            ]
            found.append(
                f"the packages {', '.join(component)} import each other: " + "; ".join(inside)
            )
    return found


def without_known(graph: Graph, known: frozenset[tuple[str, str]]) -> dict[str, list[Import]]:
    """Return the graph less the imports listed in `known`."""
    return {
        module: [e for e in edges if (e.importer, e.imported) not in known]
        for module, edges in graph.items()
    }


@pytest.fixture(scope="module")
def graph() -> dict[str, list[Import]]:
    return import_graph()


def test_every_import_keeps_the_layers(graph):
    broken = violations(without_known(graph, KNOWN_EXCEPTIONS))
    assert not broken, "Imports that break docs/architecture.md's layers:\n" + "\n".join(broken)


def test_no_package_cycle(graph):
    found = cycles(without_known(graph, KNOWN_EXCEPTIONS))
    assert not found, "Package cycles:\n" + "\n".join(found)


def test_every_known_exception_still_occurs(graph):
    made = {(e.importer, e.imported) for edges in graph.values() for e in edges}
    gone = sorted(KNOWN_EXCEPTIONS - made)
    assert not gone, f"No longer imported, remove from KNOWN_EXCEPTIONS: {gone}"


def test_every_unit_has_a_layer(graph):
    unplaced = sorted({unit(m) for m in graph if unit(m) != "leaddash" and place(unit(m)) is None})
    assert not unplaced, f"Put these in a layer (LAYERS and docs/architecture.md): {unplaced}"


def test_the_checks_report_a_broken_layer_and_a_cycle():
    def edge(importer: str, imported: str) -> Import:
        return Import(importer, imported, 1)

    fake = {
        "leaddash.models": [edge("leaddash.models", "leaddash.queue.core")],
        "leaddash.queue.core": [edge("leaddash.queue.core", "leaddash.routing.assign")],
        "leaddash.routing.assign": [edge("leaddash.routing.assign", "leaddash.queue.core")],
        "leaddash.analytics.funnel": [edge("leaddash.analytics.funnel", "leaddash.facts.x")],
        "leaddash.reports.model": [edge("leaddash.reports.model", "leaddash.ui.funnel")],
        "leaddash.demo.plan": [edge("leaddash.demo.plan", "leaddash.bench.runner")],
        "leaddash.bench.runner": [edge("leaddash.bench.runner", "leaddash.ui.page_bench")],
    }

    broken = violations(fake)
    found = cycles(fake)

    assert any(
        b.startswith(
            "leaddash.models (line 1) imports leaddash.queue.core: the core "
            "layer may not import the higher services layer"
        )
        for b in broken
    )
    assert any("analytics layer may not import the higher facts layer" in b for b in broken)
    assert any(
        b.startswith("leaddash.reports.model (line 1) imports leaddash.ui.funnel: only")
        for b in broken
    )
    assert any("may not import the bench tooling" in b for b in broken)
    assert any(
        b.startswith(
            "leaddash.bench.runner (line 1) imports leaddash.ui.page_bench: "
            "the tools and ui parts of the entry layer are apart"
        )
        for b in broken
    )
    assert found == [
        (
            "the packages queue, routing import each other: leaddash.queue.core "
            "(line 1) imports leaddash.routing.assign; leaddash.routing.assign "
            "(line 1) imports leaddash.queue.core"
        )
    ]


def test_imports_are_read_inside_functions_but_not_under_type_checking():
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from leaddash.ui import nav\n"
        "def f():\n    from leaddash.facts import refresh\n"
        "from .passes import COLUMNS\n"
    )
    known = {"leaddash.analytics.passes", "leaddash.ui.nav", "leaddash.facts.refresh"}

    targets = [
        t
        for node in _statements(tree)
        for t in _targets(node, "leaddash.analytics.funnel", False, known)
    ]

    assert targets == ["typing", "leaddash.facts.refresh", "leaddash.analytics.passes"]
