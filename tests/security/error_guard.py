"""Find UI code that draws a domain error itself instead of through leaddash.ui.seam.

A refusal's message may quote what people typed, so it is drawn in one place, escaped
(leaddash/ui/seam.py: show_error, show_invalid, shown_errors, or_stop …). The scanner reads
the same files as markdown_guard (app.py, the pages, leaddash/ui) with `ast` and reports,
outside the seam:

- a Streamlit call that draws (any call markdown_guard knows: st.error, where.warning,
  st.caption, a widget …) inside an `except` clause that catches a domain error: one of
  leaddash.errors' classes, a class of leaddash deriving from one, or StaleDataError;
- a drawing call given the caught error (`exc` of `except … as exc`), or a parameter
  annotated as a domain error, in any of its arguments.

A call on something imported from another module than streamlit (`logging.getLogger(…)
.error`) is not drawing. A call through a name (`show(…)`) is left to markdown_guard.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.security.markdown_guard import MARKDOWN_SLOTS, ROOT, Module, sources

SEAM = "leaddash/ui/seam.py"
# Errors the seam turns into words that are not LeadDash's own (a lost update race).
OTHER_DOMAIN_ERRORS = {"StaleDataError"}


@dataclass
class Drawn:
    """A drawing call outside the seam that shows a domain error."""

    path: str
    line: int
    source: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.source!r} {self.why}; show it through {SEAM}"


def domain_errors(root: Path = ROOT) -> set[str]:
    """Return the names of leaddash's error classes (and those that derive from them)."""
    classes: list[ast.ClassDef] = [
        node
        for path in sorted((root / "leaddash").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ClassDef)
    ]
    base = ast.parse((root / "leaddash" / "errors.py").read_text(encoding="utf-8"))
    found = {n.name for n in base.body if isinstance(n, ast.ClassDef)}
    grown = True
    while grown:
        more = {c.name for c in classes if any(_name(b) in found for b in c.bases)}
        grown = not more <= found
        found |= more
    return found | OTHER_DOMAIN_ERRORS


def findings(
    paths: list[Path] | None = None, root: Path = ROOT, errors: set[str] | None = None
) -> list[Drawn]:
    """Return every place outside the seam that draws a domain error itself."""
    errors = domain_errors(root) if errors is None else errors
    found: list[Drawn] = []
    for path in sources(root) if paths is None else paths:
        relative = str(path.relative_to(root))
        if relative != SEAM:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            found += module_findings(Module(relative, tree), errors)
    return found


def module_findings(module: Module, errors: set[str]) -> list[Drawn]:
    """Return the places in one parsed module that draw a domain error themselves."""
    foreign = _foreign_names(module.tree)
    found = []
    for handler in _handlers(module.tree, errors):
        found += [
            Drawn(
                module.path,
                call.lineno,
                ast.unparse(call)[:100],
                "draws inside an except clause for a domain error",
            )
            for call in _drawing_calls(handler.body, foreign)
        ]
    for scope in _scopes(module.tree):
        held = _error_names(scope, errors)
        found += [
            Drawn(
                module.path,
                call.lineno,
                ast.unparse(call)[:100],
                "draws a domain error it was given",
            )
            for call in _drawing_calls(_body(scope), foreign)
            if held & {n.id for n in ast.walk(call) if isinstance(n, ast.Name)}
        ]
    return list({(d.line, d.source): d for d in found}.values())


def _name(node: ast.expr | None) -> str:
    """Return the class a `raise`/`except`/base expression names (`errors.NotFound` → NotFound)."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _caught(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type
    parts = kinds.elts if isinstance(kinds, ast.Tuple) else [kinds]
    return {_name(p) for p in parts}


def _handlers(tree: ast.AST, errors: set[str]) -> Iterator[ast.ExceptHandler]:
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and _caught(node) & errors:
            yield node


def _scopes(tree: ast.Module) -> Iterator[ast.AST]:
    yield tree
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))


def _body(scope: ast.AST) -> list[ast.stmt]:
    return list(getattr(scope, "body", []))


def _own(nodes: list[ast.stmt]) -> Iterator[ast.AST]:
    """Yield the nodes of `nodes`, not those of functions or classes defined in them."""
    stack: list[ast.AST] = list(nodes)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            stack.extend(ast.iter_child_nodes(node))


def _error_names(scope: ast.AST, errors: set[str]) -> set[str]:
    """Return the names that hold a domain error in `scope`: `except … as name` clauses and
    parameters annotated with a domain error class."""
    names = {
        h.name
        for h in _own(_body(scope))
        if isinstance(h, ast.ExceptHandler) and h.name and _caught(h) & errors
    }
    arguments = getattr(scope, "args", None)
    if arguments is not None:
        names |= {
            a.arg
            for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]
            if a.annotation is not None and _annotated(a.annotation) & errors
        }
    return names


def _annotated(annotation: ast.expr) -> set[str]:
    return {_name(n) for n in ast.walk(annotation)} | (
        set(annotation.value.replace("|", " ").split())
        if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str)
        else set()
    )


def _foreign_names(tree: ast.Module) -> set[str]:
    """Return the names a module imports from anywhere but streamlit."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                (a.asname or a.name).split(".")[0] for a in node.names if not _streamlit(a.name)
            }
        elif isinstance(node, ast.ImportFrom) and not _streamlit(node.module or ""):
            names |= {a.asname or a.name for a in node.names}
    return names


def _streamlit(module: str) -> bool:
    return module == "streamlit" or module.startswith("streamlit.")


def _root(node: ast.expr) -> str:
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _drawing_calls(nodes: list[ast.stmt], foreign: set[str]) -> Iterator[ast.Call]:
    """Yield the calls among `nodes` that draw on the page (`x.error(…)`, `st.caption(…)`)."""
    for node in _own(nodes):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in MARKDOWN_SLOTS
            and _root(node.func.value) not in foreign
        ):
            yield node
