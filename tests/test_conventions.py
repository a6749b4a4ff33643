"""House rules that code review would otherwise have to remember."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "pages").glob("*.py"))
DOMAIN = [
    p for p in (ROOT / "leaddash").rglob("*.py") if "ui" not in p.relative_to(ROOT).parts[1:2]
]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", DOMAIN, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_leaddash_ui_imports_streamlit(path):
    assert "streamlit" not in _imports(path)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_hold_no_sql_and_no_sessions(path):
    source = path.read_text()
    for forbidden in ("select(", "Session(", ".groupby(", "sqlalchemy", "sqlmodel", "text("):
        assert forbidden not in source, f"{path.name} uses {forbidden}"


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_pages_are_thin(path):
    assert len(path.read_text().splitlines()) <= 60


def test_every_page_is_in_the_registry():
    from leaddash.ui.nav import PAGES as REGISTRY

    assert {p.name for p in PAGES} == {spec.script for spec in REGISTRY}
