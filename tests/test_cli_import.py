"""`python -m leaddash import …`: summaries, reports of problems and exit codes."""

from __future__ import annotations

from pathlib import Path

from leaddash.cli import main
from tests.test_import_leads import FIXTURES, counts


def _import(engine, monkeypatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", str(engine.url.render_as_string(hide_password=False)))
    return main(["import", *argv])


def test_a_preset_import_prints_its_summary_and_exits_zero(engine, monkeypatch, capsys):
    code = _import(
        engine, monkeypatch, "leads", str(FIXTURES / "hubspot.csv"), "--preset", "hubspot"
    )

    assert code == 0
    assert capsys.readouterr().out.startswith(
        "Imported hubspot.csv: 3 new leads, 0 updated, 0 unchanged."
    )
    assert counts(engine)["lead"] == 3


def test_a_mapping_file_and_a_dry_run_write_nothing(engine, monkeypatch, capsys, tmp_path):
    mapping = tmp_path / "map.yaml"
    mapping.write_text(
        "fields:\n  external_id: Record ID\n  email: Email\ndate_format: '%Y-%m-%d %H:%M'\n"
    )

    code = _import(
        engine,
        monkeypatch,
        "leads",
        str(FIXTURES / "hubspot.csv"),
        "--mapping",
        str(mapping),
        "--dry-run",
    )

    assert code == 0
    assert capsys.readouterr().out == (
        "Dry run of hubspot.csv, nothing written. It would give "
        "3 new leads, 0 updated, 0 unchanged.\n"
    )
    assert counts(engine)["lead"] == 0


def test_bad_rows_print_the_first_fifty_problems_and_exit_one(
    engine, monkeypatch, capsys, tmp_path
):
    bad = tmp_path / "bad.csv"
    bad.write_text("email\n" + "".join(f"not-an-email-{i}\n" for i in range(60)))

    code = _import(engine, monkeypatch, "leads", str(bad))

    out = capsys.readouterr()
    assert code == 1
    assert out.out.startswith("Nothing was imported: 60 of 60 rows of bad.csv have problems.")
    lines = out.err.splitlines()
    assert lines[0] == (
        "Row 2, column 'email': 'not-an-email-0' is not an email address. "
        "Correct it (like name@company.com) or leave the cell empty."
    )
    assert (len(lines), lines[-1]) == (51, "… and 10 more problems.")
    assert counts(engine)["lead"] == 0


def test_skip_bad_rows_imports_the_rest_and_exits_zero(engine, monkeypatch, capsys, tmp_path):
    mixed = tmp_path / "mixed.csv"
    mixed.write_text("email\nok@acme.example\nbroken\n")

    code = _import(engine, monkeypatch, "leads", str(mixed), "--skip-bad-rows")

    assert code == 0
    assert "1 new leads, 0 updated, 0 unchanged; 1 bad rows skipped." in capsys.readouterr().out
    assert counts(engine)["lead"] == 1


def test_a_broken_file_exits_two_with_its_message(engine, monkeypatch, capsys, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")

    code = _import(engine, monkeypatch, "activities", str(empty))

    assert code == 2
    assert capsys.readouterr().err.startswith("error: empty.csv is empty (0 bytes)")


def test_a_missing_file_is_named(engine, monkeypatch, capsys):
    code = _import(engine, monkeypatch, "outcomes", str(Path("nowhere.csv")))

    assert code == 2
    assert "There is no file 'nowhere.csv': check the path." in capsys.readouterr().err
