"""`python -m leaddash import leads F --preset P --mapping M.yaml`: the file's entries
override the preset's; fixed values reach every row and are checked like cells."""

from __future__ import annotations

from leaddash.cli import main
from tests.test_import_leads import FIXTURES, counts, leads


def _import(engine, monkeypatch, *argv: str) -> int:
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    return main(["import", *argv])


def test_a_mapping_file_combined_with_a_preset_overrides_its_entries(
    engine, monkeypatch, capsys, tmp_path
):
    extra = tmp_path / "extra.yaml"
    extra.write_text("fields:\n  company: Job Title\n  segment: {value: No}\n")

    code = _import(
        engine,
        monkeypatch,
        "leads",
        str(FIXTURES / "hubspot.csv"),
        "--preset",
        "hubspot",
        "--mapping",
        str(extra),
    )

    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out.startswith(
        "Imported hubspot.csv: 3 new leads, 0 updated, 0 unchanged."
    )
    stored = leads(engine)
    assert {k: (v.email, v.company, v.segment, v.employees) for k, v in stored.items()} == {
        "5101": ("dana.ruiz@initech.example", "CRO", "No", 800),
        "5102": ("eli@globex.example", "Sales Operations Analyst", "No", 60),
        "5103": ("fay.wong@umbrella.example", "VP Marketing", "No", 5000),
    }


def test_a_bad_fixed_value_refuses_every_row_naming_it(engine, monkeypatch, capsys, tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text("fields:\n  stage: {value: wonn}\n")

    code = _import(
        engine,
        monkeypatch,
        "leads",
        str(FIXTURES / "marketo.csv"),
        "--preset",
        "marketo",
        "--mapping",
        str(extra),
    )

    out = capsys.readouterr()
    assert code == 1
    assert out.out.startswith("Nothing was imported: 2 of 2 rows of marketo.csv have problems.")
    assert out.err.splitlines()[0].startswith(
        "Row 2, column 'stage (fixed value)': 'wonn' is not a known stage."
    )
    assert counts(engine)["lead"] == 0


def test_columns_named_like_yaml_1_1_booleans_and_numbers_are_read_by_their_names(
    engine, monkeypatch, capsys, tmp_path
):
    data = tmp_path / "odd.csv"
    data.write_text(
        "Email,no,01,1:30\n"
        "ann@initech.example,Initech,SMB,Web\n"
        "bob@globex.example,Globex,Enterprise,Event\n"
    )
    mapping = tmp_path / "odd.yaml"
    mapping.write_text(
        "fields:\n  email: Email\n  company: no\n  segment: 01\n"
        "  source: 1:30\n  country: {value: NO}\n"
    )

    code = _import(engine, monkeypatch, "leads", str(data), "--mapping", str(mapping))

    assert code == 0, capsys.readouterr().err
    stored = leads(engine)
    assert {k: (v.company, v.segment, v.source, v.country) for k, v in stored.items()} == {
        "ann@initech.example": ("Initech", "SMB", "Web", "NO"),
        "bob@globex.example": ("Globex", "Enterprise", "Event", "NO"),
    }
