"""Bounded input: mapping files (size, anchors, nesting, value length), CSV files (columns,
header names, cells, NUL characters) and custom attributes are refused with a message that
names what is wrong and where, quotes at most a short excerpt, and writes nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from leaddash.cli import main
from leaddash.errors import InvalidInput
from leaddash.imports import load_mapping, mapping_file_text, read_table
from leaddash.imports.custom import MAX_ATTRIBUTES, MAX_JSON_CHARS
from leaddash.imports.limits import (
    EXCERPT_CHARS,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_NAME_CHARS,
)
from leaddash.imports.mapping_yaml import MAX_DEPTH, MAX_MAPPING_BYTES, MAX_VALUE_CHARS
from leaddash.ui.imports import INJECTED_FILE, INJECTED_MAPPING
from tests.apptest import app_as, seen, texts
from tests.security.input_limits_probe import alias_bomb
from tests.test_import_leads import counts, leads, run

PAGE = "pages/import_data.py"
NOTHING = {"lead": 0, "activity": 0, "stageevent": 0, "importbatch": 0, "auditlog": 0}


def mapping_refusal(text: str) -> str:
    with pytest.raises(InvalidInput) as refused:
        load_mapping(text)
    return refused.value.message


def csv_refusal(data: bytes, name: str = "leads.csv") -> str:
    with pytest.raises(InvalidInput) as refused:
        read_table(data, name)
    return refused.value.message


def cut(text: str) -> str:
    """Return the excerpt a message may quote of `text`: its first 79 characters and …."""
    return text[: EXCERPT_CHARS - 1] + "…"


def csv_bytes(header: list[str], *rows: list[str]) -> bytes:
    return "\n".join(",".join(r) for r in (header, *rows)).encode() + b"\n"


# --- mapping files ------------------------------------------------------------------------


@pytest.mark.parametrize("levels", [9, 10])
def test_the_probes_alias_bomb_is_refused_before_anything_is_built(levels, monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the document was built")

    monkeypatch.setattr(yaml, "load", never)
    text = alias_bomb(levels)

    message = mapping_refusal(text)

    assert len(text) < 1024
    assert message.startswith("The mapping file uses a YAML anchor or alias (& or *) on line 2: ")
    assert message.endswith("Write each column name and value out in full instead, and retry.")
    assert len(message) < 300


def test_a_single_alias_is_refused_naming_its_line():
    message = mapping_refusal("fields:\n  email: &col Email\n  company: *col\n")

    assert message == (
        "The mapping file uses a YAML anchor or alias (& or *) on line 2: "
        "'email: &col Email'. Write each column name and value out in full "
        "instead, and retry."
    )


@pytest.mark.parametrize(
    "text",
    [
        "[" * 30_000 + "]" * 30_000,
        "fields:\n" + "".join(" " * (n + 1) + "k:\n" for n in range(MAX_DEPTH + 1)),
    ],
    ids=["flow-30000-deep", "block-11-deep"],
)
def test_deep_nesting_gets_a_message_not_a_recursion_error(text):
    message = mapping_refusal(text)

    assert message.startswith(f"The mapping file nests more than {MAX_DEPTH} levels deep")
    assert "Check its indentation and brackets, and retry." in message


def test_nesting_ten_levels_deep_is_not_a_depth_problem():
    text = (
        "fields:\n"
        + "".join(" " * (n + 1) + "k:\n" for n in range(MAX_DEPTH - 2))
        + " " * MAX_DEPTH
        + "k: v\n"
    )

    message = mapping_refusal(text)

    assert "levels deep" not in message
    assert message.startswith("The mapping file gives k neither a column nor a fixed value")


def test_a_mapping_file_over_64_kb_is_refused_with_its_size():
    padded = "fields: {email: Email}\n# " + "x" * MAX_MAPPING_BYTES + "\n"

    assert mapping_refusal(padded) == (
        "The mapping file is 64 KB; at most 64 KB fit (a mapping file is a few dozen lines). "
        "Keep only the fields, stage values and date format this import needs, and retry."
    )


def test_a_mapping_file_of_exactly_64_kb_is_read():
    head = "fields: {email: Email}\n# "
    text = head + "x" * (MAX_MAPPING_BYTES - len(head) - 1) + "\n"

    assert len(text.encode()) == MAX_MAPPING_BYTES
    assert load_mapping(text).fields == {"email": "Email"}


def test_a_value_over_200_characters_is_refused_with_a_short_excerpt():
    long = "Column " + "x" * 300
    message = mapping_refusal(f"fields:\n  email: Email\n  company: {long}\n")

    assert message == (
        f"A name or value on line 3 of the mapping file has {len(long)} "
        f"characters ({cut(long)!r}); at most {MAX_VALUE_CHARS} fit. Column "
        "names, stage values and fixed values are short: shorten it, and "
        "retry."
    )


def test_a_value_of_200_characters_is_read():
    name = "c" * MAX_VALUE_CHARS

    assert load_mapping(f"fields:\n  email: {name}\n").fields == {"email": name}


def test_an_escaped_nul_in_a_mapping_value_is_refused_naming_its_line():
    message = mapping_refusal('fields:\n  segment: {value: "a\\0b"}\n')

    assert message == (
        "A name or value on line 2 of the mapping file holds a NUL character "
        "(written \\0 or \\x00), which cannot be stored: 'a\\x00b'. Remove "
        "it, and retry."
    )


def test_a_raw_nul_in_a_mapping_file_is_refused_naming_where_it_is():
    text = "fields:\n  segment: a\x00b\n"

    assert mapping_refusal(text) == (
        f"The mapping file holds a character YAML does not allow ('\\x00', character "
        f"{text.index(chr(0)) + 1} of the file): remove it, and retry."
    )


def test_a_mapping_file_not_in_utf8_is_refused_saying_how_to_save_it():
    with pytest.raises(InvalidInput) as refused:
        mapping_file_text("fields:\n  company: Société\n".encode("latin-1"))

    assert refused.value.message.startswith("The mapping file is not UTF-8 text: save it as UTF-8")


def test_unknown_fields_are_listed_five_at_most_each_cut_short():
    names = [f"{n:03d}" + "y" * 150 for n in range(100)]
    message = mapping_refusal("fields:\n" + "".join(f"  {n}: c\n" for n in names))

    listed = ", ".join(cut(n) for n in names[:5])
    assert message.startswith(f"The mapping file names unknown fields: {listed} and 95 more. ")
    assert len(message) < 1000


def test_a_field_without_a_column_is_named_by_an_excerpt():
    name = "z" * 150

    message = mapping_refusal(f"fields:\n  {name}: [a, b]\n")

    assert message.startswith(
        f"The mapping file gives {cut(name)} neither a column nor a fixed value"
    )
    assert name not in message


def test_the_cli_refuses_a_large_or_undecodable_mapping_file(engine, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    data = tmp_path / "leads.csv"
    data.write_bytes(csv_bytes(["email"], ["a@b.example"]))
    big, latin = tmp_path / "big.yaml", tmp_path / "latin.yaml"
    big.write_text("fields: {email: Email}\n#" + "x" * 200_000 + "\n")
    latin.write_bytes("fields: {company: Société}\n".encode("latin-1"))

    codes = [main(["import", "leads", str(data), "--mapping", str(m)]) for m in (big, latin)]

    errors = capsys.readouterr().err.splitlines()
    assert codes == [2, 2]
    assert errors[0].startswith("error: The mapping file is 195 KB; at most 64 KB fit")
    assert errors[1].startswith("error: The mapping file is not UTF-8 text")
    assert counts(engine) == NOTHING


# --- CSV files ----------------------------------------------------------------------------


def test_a_file_of_501_columns_is_refused_before_its_rows_are_parsed(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the rows were parsed")

    monkeypatch.setattr(pd, "read_csv", never)
    header = ["email", *[f"c{n}" for n in range(MAX_COLUMNS)]]

    message = csv_refusal(csv_bytes(header, ["a@b.example", *[""] * MAX_COLUMNS]))

    assert message == (
        "leads.csv has 501 columns; at most 500 can be imported. Keep the "
        "columns LeadDash uses and the custom attributes you want, remove the "
        "others (or export fewer fields from your CRM), and retry."
    )


def test_a_file_of_500_columns_is_read():
    header = ["email", *[f"c{n}" for n in range(MAX_COLUMNS - 1)]]

    table = read_table(csv_bytes(header, ["a@b.example", *["v"] * (MAX_COLUMNS - 1)]), "x.csv")

    assert len(table.columns) == MAX_COLUMNS


def test_a_header_too_long_to_read_whole_is_refused_as_more_than_500_columns():
    header = ["email", *[f"column{n}" for n in range(200_000)]]

    message = csv_refusal(csv_bytes(header, ["a@b.example"]))

    assert message.startswith("leads.csv has more than 500 columns; at most 500 can be imported.")


def test_a_header_padded_past_its_bound_is_refused_saying_so():
    header = ["email", *[f'"{" " * 1000}c{n}"' for n in range(200)]]

    message = csv_refusal(csv_bytes(header, ["a@b.example"]))

    assert message.startswith("The header (row 1) of leads.csv is longer than 128,000 characters")


def test_a_column_name_over_200_characters_is_refused_naming_its_column():
    name = "N" * (MAX_NAME_CHARS + 1)

    message = csv_refusal(csv_bytes(["email", "company", name], ["a@b.example", "A", "x"]))

    assert message == (
        f"Column 3 of the header (row 1) of leads.csv is a name of 201 "
        f"characters ({cut(name)!r}); a column name may have at most 200. "
        "Rename the column and retry."
    )


def test_a_first_row_of_100000_values_is_refused_before_it_is_parsed(monkeypatch):
    def never(*_args, **_kwargs):
        raise AssertionError("the rows were parsed")

    monkeypatch.setattr(pd, "read_csv", never)

    message = csv_refusal(csv_bytes(["email", "company"], ["x"] * 100_000))

    assert message.startswith("Line 2 of leads.csv has 100000 values but the header has 2 columns.")


@pytest.mark.parametrize("column", ["company", "Notes"], ids=["mapped", "custom"])
def test_a_cell_over_10000_characters_is_refused_naming_row_and_column(column):
    long = "z" * (MAX_CELL_CHARS + 1)
    rows = [["a@b.example", "A", "n"], ["c@d.example", "C", "n"], ["e@f.example", "E", "n"]]
    at = 1 if column == "company" else 2
    rows[1][at] = rows[2][at] = long

    message = csv_refusal(csv_bytes(["email", "company", "Notes"], *rows))

    assert message == (
        f"Row 3, column {column!r} of leads.csv holds 10,001 characters; a "
        "cell may hold at most 10,000. Shorten it (or remove the column if "
        "LeadDash does not need it) and retry. 1 more cells have the same "
        "problem."
    )


def test_a_cell_of_10000_characters_is_read():
    table = read_table(
        csv_bytes(["email", "Notes"], ["a@b.example", "z" * MAX_CELL_CHARS]), "x.csv"
    )

    assert table.frame["Notes"].str.len().tolist() == [MAX_CELL_CHARS]


@pytest.mark.parametrize("row", [2, 3002], ids=["first-kilobytes", "past-the-sniffed-64kb"])
def test_a_nul_in_a_cell_is_refused_naming_row_and_column_on_both_databases(
    engine, monkeypatch, capsys, tmp_path, row
):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    rows = [[f"id{n}", f"p{n}@x.example", "Ann"] for n in range(3001)]
    rows[row - 2][2] = "A\x00nn"
    path = tmp_path / "nul.csv"
    path.write_bytes(csv_bytes(["external_id", "email", "first_name"], *rows))

    code = main(["import", "leads", str(path)])

    assert code == 2
    assert capsys.readouterr().err == (
        f"error: Row {row}, column 'first_name' of nul.csv holds a NUL character (an invisible "
        "zero byte, left by a broken export), which cannot be stored. Remove it (or export "
        "the file again) and retry.\n"
    )
    assert counts(engine) == NOTHING


def test_the_same_file_without_its_nul_imports_on_both_databases(engine):
    rows = [[f"id{n}", f"p{n}@x.example", "Ann"] for n in range(3001)]

    result = run(engine, csv_bytes(["external_id", "email", "first_name"], *rows))

    assert (result.created, counts(engine)["lead"]) == (3001, 3001)


# --- custom attributes --------------------------------------------------------------------


def custom_file(attributes: int, value: str = "v", rows: int = 2) -> bytes:
    header = ["external_id", "email", *[f"attr{n}" for n in range(attributes)]]
    return csv_bytes(
        header, *[[f"id{r}", f"p{r}@x.example", *[value] * attributes] for r in range(rows)]
    )


def test_a_row_with_51_custom_attributes_refuses_the_file_and_writes_nothing(engine):
    with pytest.raises(InvalidInput) as refused:
        run(engine, custom_file(MAX_ATTRIBUTES + 1))

    assert refused.value.message == (
        "Row 2 of file.csv keeps 51 custom attributes (the columns no field uses: 'attr0', "
        "'attr1', 'attr2', 'attr3', 'attr4' …); a lead keeps at most 50. Map the columns you "
        "need to fields and leave out the others, then retry. 1 more rows have the same "
        "problem."
    )
    assert counts(engine) == NOTHING


def test_a_row_with_50_custom_attributes_is_imported_with_all_of_them(engine):
    run(engine, custom_file(MAX_ATTRIBUTES))

    assert [len(lead.custom) for lead in leads(engine).values()] == [MAX_ATTRIBUTES] * 2


def test_custom_attributes_over_16_kb_as_stored_refuse_the_file_naming_the_longest(engine):
    value = "é" * 3000  # six characters each once stored as JSON (\u00e9)
    data = csv_bytes(
        ["email", "Notes", "Bio"], ["a@b.example", "short", "x"], ["c@d.example", "note", value]
    )
    stored = len(json.dumps({"Notes": "note", "Bio": value}))

    with pytest.raises(InvalidInput) as refused:
        run(engine, data)

    assert stored > MAX_JSON_CHARS
    assert refused.value.message == (
        f"Row 3 of file.csv keeps {stored:,} characters of custom attributes (the columns no "
        f"field uses, as stored); a lead keeps at most 16,384. The longest is column 'Bio' "
        "(3,000 characters): shorten it, or leave out the columns you do not need, then "
        "retry."
    )
    assert counts(engine) == NOTHING


def test_custom_attributes_of_exactly_16_kb_as_stored_are_kept(engine):
    notes = "x" * MAX_CELL_CHARS
    bio = "y" * (MAX_JSON_CHARS - len(json.dumps({"Notes": notes, "Bio": ""})))
    kept = {"Notes": notes, "Bio": bio}

    run(engine, csv_bytes(["email", "Notes", "Bio"], ["a@b.example", notes, bio]))

    assert len(json.dumps(kept)) == MAX_JSON_CHARS
    assert leads(engine)["a@b.example"].custom == kept


def test_a_row_that_would_take_a_stored_lead_past_50_attributes_is_a_row_problem(engine):
    run(engine, custom_file(30, rows=1))
    header = ["external_id", "email", *[f"more{n}" for n in range(25)]]
    again = csv_bytes(
        header, ["id0", "p0@x.example", *["w"] * 25], ["id9", "new@x.example", *["w"] * 25]
    )

    refused = run(engine, again)
    skipped = run(engine, again, skip_bad_rows=True)

    assert [(p.row, p.column, p.problem) for p in refused.problems] == [
        (
            2,
            "more0",
            (
                "The lead this row updates would keep 55 custom attributes (30 it has, "
                "25 new from this row); a lead keeps at most 50."
            ),
        )
    ]
    assert (skipped.created, skipped.updated, skipped.bad_rows) == (1, 0, 1)
    assert len(leads(engine)["id0"].custom) == 30


# --- the Import page ----------------------------------------------------------------------


def page_with(data: bytes, name: str = "wide.csv"):
    at = app_as("marketing", PAGE)
    at.session_state[INJECTED_FILE] = (name, data)
    return at.run()


def test_the_page_shows_the_column_refusal_instead_of_a_preview(app_db):
    header = ["email", *[f"c{n}" for n in range(MAX_COLUMNS)]]

    at = page_with(csv_bytes(header, ["a@b.example", *["v"] * MAX_COLUMNS]))

    assert not at.exception, at.exception
    assert [seen(e.value) for e in at.error] == [
        (
            "wide.csv has 501 columns; at most 500 can be imported. Keep the columns LeadDash "
            "uses and the custom attributes you want, remove the others (or export fewer fields "
            "from your CRM), and retry."
        )
    ]
    assert not at.dataframe


def test_the_page_shows_the_custom_attribute_refusal_before_any_preview(app_db):
    at = page_with(custom_file(MAX_ATTRIBUTES + 1), "custom.csv")

    assert not at.exception, at.exception
    assert seen(at.error[0].value).startswith("Row 2 of custom.csv keeps 51 custom attributes")
    assert "First rows of the file" not in texts(at)
    assert not at.dataframe


def test_the_page_refuses_the_alias_bomb_mapping_file(app_db):
    at = page_with(csv_bytes(["Email"], ["a@b.example"]), "leads.csv")
    next(s for s in at.selectbox if s.label == "How are the columns named?").set_value(
        "Upload a mapping file (YAML)"
    )
    at.session_state[INJECTED_MAPPING] = ("bomb.yaml", alias_bomb(10).encode())
    at.run()

    assert not at.exception, at.exception
    assert seen(at.error[0].value).startswith("The mapping file uses a YAML anchor")
    assert not at.dataframe
