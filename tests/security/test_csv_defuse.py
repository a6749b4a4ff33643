"""Every CSV LeadDash writes defuses formula cells.

The walker finds each place the code writes CSV (csv.writer, DataFrame.to_csv, a "text/csv"
download) and fails on one missing from WRITERS, the map of how this file drives it. The
drivers write every CSV the product offers (team queue and decisions exports, each report's
zip and its text on stdout, whatif --format csv) from a demo whose user fields are formula
payloads, and no cell may start with a formula character unless it is a plain number.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest

from leaddash.agreements import active_version, create_draft
from leaddash.audit_trail import audit_csv
from leaddash.auth import find_active_actor
from leaddash.cli import main
from leaddash.db import make_engine, read_session, write_session
from leaddash.definitions import summarize
from leaddash.models import AgreementKind, utcnow
from leaddash.queue.export import decisions_csv, queue_csv
from tests.security.conftest import PAYLOADS
from tests.security.markdown_guard import ROOT

# What a spreadsheet runs: a cell starting with one of these, unless it is a plain number.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|-?\.[0-9]+")
BENCH_INPUT = (
    "benchmark input: synthetic leads written for the importer to read back as "
    "they are; never handed to a person"
)

# Each place the code writes CSV: (file, function, what) → the drivers below that write it,
# or why no person ever opens what it writes.
WRITERS: dict[tuple[str, str, str], tuple[str, ...] | str] = {
    ("leaddash/csv_safe.py", "frame_to_csv", "to_csv"): (
        "queue export",
        "decisions export",
        "report zips",
        "reports on stdout",
        "audit export",
    ),
    ("leaddash/csv_safe.py", "rows_to_csv", "csv.writer"): ("whatif csv",),
    ("leaddash/cli.py", "cmd_whatif", "to_csv"): ("whatif csv",),
    ("leaddash/ui/team_queue.py", "show_downloads", "text/csv"): (
        "queue export",
        "decisions export",
    ),
    ("leaddash/ui/audit.py", "show_download", "text/csv"): ("audit export",),
    ("leaddash/bench/import_measures.py", "import_leads_100k", "to_csv"): BENCH_INPUT,
    ("leaddash/bench/history_measures.py", "_imported", "to_csv"): BENCH_INPUT,
}


# --- the walker -----------------------------------------------------------------------


def _writes(node: ast.AST) -> str | None:
    """Return what kind of CSV writing `node` is, if any."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        owner = node.func.value
        if (
            node.func.attr in ("writer", "DictWriter")
            and isinstance(owner, ast.Name)
            and owner.id == "csv"
        ):
            return "csv.writer"
        if node.func.attr == "to_csv":
            return "to_csv"
    if isinstance(node, ast.Constant) and node.value == "text/csv":
        return "text/csv"
    return None


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """Yield each node with the name of the innermost function holding it."""

    def walk(node: ast.AST, name: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            inner = child.name if isinstance(child, ast.FunctionDef) else name
            yield inner, child
            yield from walk(child, inner)

    yield from walk(tree, "<module>")


def csv_writers() -> Counter:
    """Return each (file, function, kind) that writes CSV in app.py, pages/ and leaddash/."""
    paths = [ROOT / "app.py", *(ROOT / "pages").glob("*.py"), *(ROOT / "leaddash").rglob("*.py")]
    found: Counter = Counter()
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function, node in _functions(tree):
            kind = _writes(node)
            if kind:
                found[(str(path.relative_to(ROOT)), function, kind)] += 1
    return found


def test_every_csv_writer_is_driven_here_or_explained():
    found = set(csv_writers())
    assert found - set(WRITERS) == set(), "a new CSV writer: add it to WRITERS and drive it"
    assert set(WRITERS) - found == set(), "WRITERS names a writer that is gone"
    driven = {d for how in WRITERS.values() if not isinstance(how, str) for d in how}
    assert driven == set(DRIVERS)


# --- the drivers: every CSV the product writes -----------------------------------------

Csv = tuple[str, str]  # (what, the CSV text)
REPORTS = [
    ("funnel", by) for by in ("source", "campaign", "segment", "team", "rep", "definition_version")
]
REPORTS += [("sla", by) for by in ("month", "team", "rep")]
REPORTS += [("calibration", None), ("review", None)]


def _actor(url: str, username: str):
    engine = make_engine(url)
    with read_session(engine) as session:
        actor = find_active_actor(session, username)
    return engine, actor


def queue_export(url: str, tmp_path) -> list[Csv]:
    engine, leader = _actor(url, "sales_leader")
    with read_session(engine) as session:
        data = queue_csv(session, actor=leader)
    engine.dispose()
    return [("team queue", data.decode("utf-8-sig"))]


def decisions_export(url: str, tmp_path) -> list[Csv]:
    engine, leader = _actor(url, "sales_leader")
    today = utcnow().date()
    with read_session(engine) as session:
        data = decisions_csv(session, actor=leader, since=today - timedelta(days=200), until=today)
    engine.dispose()
    return [("decisions", data.decode("utf-8-sig"))]


def _cli(*args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


def _report_args(name: str, by: str | None) -> list[str]:
    """Return the report's arguments: all of the demo's history (review: the last month)."""
    args = [name] if name == "review" else [name, "--from", "2000-01-01"]
    return args + (["--by", by] if by else [])


def report_zips(url: str, tmp_path) -> list[Csv]:
    found = []
    for name, by in REPORTS:
        path = tmp_path / f"{name}-{by}.zip"
        _cli("report", *_report_args(name, by), "--format", "csv", "--output", str(path))
        with zipfile.ZipFile(path) as archive:
            found += [
                (f"{name} --by {by}: {member}", archive.read(member).decode("utf-8-sig"))
                for member in archive.namelist()
            ]
    return found


def reports_on_stdout(url: str, tmp_path) -> list[Csv]:
    found = []
    for name, by in REPORTS:
        text = _cli("report", *_report_args(name, by), "--format", "csv")
        found.extend(
            (f"{name} --by {by} (stdout)", section)
            for section in re.split(r"^# (\w+)\n", text, flags=re.MULTILINE)[1:][1::2]
        )
    return found


def whatif_csv(url: str, tmp_path) -> list[Csv]:
    engine, leader = _actor(url, "marketing_leader")
    with write_session(engine) as session:
        content = active_version(session, AgreementKind.DEFINITION).content
        draft = create_draft(
            session,
            actor=leader,
            kind=AgreementKind.DEFINITION,
            title=PAYLOADS[0],
            content=content,
            summarize=summarize,
        )
        number = draft.number
    engine.dispose()
    return [("whatif", _cli("whatif", "--version", str(number), "--format", "csv"))]


def audit_export(url: str, tmp_path) -> list[Csv]:
    engine, admin = _actor(url, "admin")
    with read_session(engine) as session:
        data = audit_csv(session, actor=admin)
    engine.dispose()
    return [("audit trail", data.decode("utf-8-sig"))]


DRIVERS: dict[str, Callable[..., list[Csv]]] = {
    "queue export": queue_export,
    "decisions export": decisions_export,
    "report zips": report_zips,
    "reports on stdout": reports_on_stdout,
    "whatif csv": whatif_csv,
    "audit export": audit_export,
}


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _runs(cell: str) -> bool:
    """Return whether a spreadsheet would run `cell` as a formula."""
    return cell.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(cell)


@pytest.mark.parametrize("driver", DRIVERS)
def test_no_cell_of_any_csv_runs_as_a_formula(hostile, tmp_path, driver):
    written = DRIVERS[driver](hostile, tmp_path)

    assert written
    cells = [(what, cell) for what, text in written for cell in _cells(text)]
    assert [(what, cell) for what, cell in cells if _runs(cell)] == []
    defused = {cell for _, cell in cells if cell.startswith("'") and _runs(cell[1:])}
    assert defused, f"{driver}: no payload reached the file, so this proves nothing"
