"""The bottom layers import nothing above them: `leaddash.core` only the tables, the tables
(`leaddash.models`, `leaddash.fact_tables`) only each other. (The full layer contract is
checked over the whole package elsewhere; this guards the floor it stands on.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "leaddash"
# The floor may use the tables and the errors people read (errors imports nothing of ours).
TABLES = {"leaddash.models", "leaddash.fact_tables", "leaddash.notify_tables", "leaddash.errors"}
FLOOR = {
    **dict.fromkeys(sorted((PACKAGE / "core").glob("*.py")), TABLES),
    PACKAGE / "models.py": TABLES,
    PACKAGE / "fact_tables.py": TABLES,
    PACKAGE / "notify_tables.py": TABLES,
    PACKAGE / "errors.py": set(),
}


def _leaddash_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.split(".")[0] == "leaddash"}


@pytest.mark.parametrize("path", FLOOR, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_the_floor_imports_nothing_above_it(path):
    own = {"leaddash.core"} if path.parent.name == "core" else set()
    above = {
        name
        for name in _leaddash_imports(path)
        if name not in FLOOR[path] and not name.startswith(tuple(own))
    }
    assert not above, f"{path.name} imports {sorted(above)}: move what it needs down instead"


def test_the_core_package_is_all_checked():
    assert len([p for p in FLOOR if p.parent.name == "core"]) >= 6
