"""Rows as a spreadsheet numbers them: blank lines, cells spanning lines, rows cut short,
through the reader and each importer."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leaddash.errors import InvalidInput
from leaddash.imports import read_table
from leaddash.imports.records import field_counts
from tests.test_import_leads import counts, leads, run

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

HEADER = ["external_id", "email", "first_name", "company", "employees", "created_at", "stage"]


def _csv(rows: list[str]) -> str:
    """Return the file whose spreadsheet rows are `rows` (rows[0], the header, is row 1;
    a row may hold a quoted line break)."""
    return "\n".join(rows) + "\n"


def _row_of(rows: list[str], start: str) -> int:
    """Return the spreadsheet row of the record that starts with `start`."""
    return next(n for n, row in enumerate(rows, start=1) if row.startswith(start))


# Texts rich in what splits records and values: quotes, delimiters, each line break, and
# characters other line splitters break on (\x0b, \x1c, \x85, \u2028).
TRICKY = st.text(st.sampled_from(list("ab ,;\"'\r\n\té\x00\x0b\x1c\x85\u2028")), max_size=60)


@settings(max_examples=300, deadline=None)
@given(body=TRICKY, delimiter=st.sampled_from([",", ";", "\t"]))
def test_values_are_counted_per_record_as_the_csv_module_reads_them(body, delimiter):
    text = f"h{delimiter}h2\n{body}"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    expected = [max(len(record), 1) for record in reader]  # a blank line: one empty value

    assert field_counts(text.encode(), delimiter).tolist() == expected


@settings(max_examples=300, deadline=None)
@given(body=TRICKY, delimiter=st.sampled_from([",", ";", "\t"]))
def test_there_is_a_count_for_each_record_pandas_reads(body, delimiter):
    text = f"h{delimiter}h2\n{body}"
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, na_filter=False, skip_blank_lines=False
        )
    except pd.errors.ParserError:
        return  # a quote left open, or a row with more values: the file is refused

    assert len(field_counts(text.encode(), delimiter)) == len(frame) + 1


def test_each_row_keeps_its_spreadsheet_number_past_blank_lines_and_multiline_cells():
    rows = [
        "email,note",
        "a@b.example,plain",
        "",
        'c@d.example,"two\nlines"',
        "",
        "e@f.example,last",
    ]

    table = read_table(_csv(rows).encode(), "notes.csv")

    assert (table.frame.index + 2).tolist() == [n for n, row in enumerate(rows, 1) if n > 1 and row]
    assert table.frame["note"].tolist() == ["plain", "two\nlines", "last"]


def test_blank_lines_above_the_header_count_as_rows():
    table = read_table(b"\r\n \r\nemail,name\r\na@b.example,Ann\r\n", "x.csv")

    assert (table.columns, (table.frame.index + 2).tolist()) == (["email", "name"], [4])


def test_a_row_with_fewer_values_is_kept_and_named_but_a_trailing_empty_line_is_not():
    table = read_table(b"email,name,company\na@b.example,Ann,Acme\nc@d.example\n\n", "x.csv")

    assert table.short_rows == ((3, 1),)
    assert table.frame.to_dict("records")[1] == {"email": "c@d.example", "name": "", "company": ""}


@pytest.mark.parametrize(
    ("data", "line", "saw"),
    [
        (b"email,name\na@b.example,Ann,Acme\nc@d.example,Cy\n", 2, 3),  # first row: no index
        (b"\n\nemail,name\na@b.example,Ann\n\nc@d.example,Cy,Acme\n", 6, 3),
    ],
)
def test_a_row_with_more_values_refuses_the_file_naming_its_line(data, line, saw):
    with pytest.raises(InvalidInput) as caught:
        read_table(data, "leads.csv")

    assert caught.value.message.startswith(
        f"Line {line} of leads.csv has {saw} values but the header has 2 columns."
    )


def test_a_cut_row_is_a_row_problem_and_nothing_is_written(engine):
    run(engine, "leads_plain.csv")
    before = counts(engine)
    rows = [
        ",".join(HEADER),
        "P-7,ann@acme.example,Ann,Acme,10,2024-05-01,",
        "",
        "P-8,bo@acme.example,Bo",
    ]

    result = run(engine, _csv(rows))

    assert result.refused and not result.written
    assert result.report() == [
        (
            f"Row {_row_of(rows, 'P-8')} has 3 values but the header has {len(HEADER)} columns: "
            "the line was probably cut off (it stops before column 'company'). Complete the row "
            "or remove it."
        )
    ]
    assert counts(engine) == before


def test_skipping_bad_rows_skips_a_cut_row_and_imports_the_rest(engine):
    rows = [
        ",".join(HEADER),
        "P-7,ann@acme.example,Ann,Acme,10,2024-05-01,",
        "P-8,bo@acme.example,Bo",
        "P-9,cy@acme.example,Cy,Acme,5,2024-05-02,",
    ]

    result = run(engine, _csv(rows), skip_bad_rows=True)

    assert (result.created, result.skipped, result.rows_total) == (2, 1, 3)
    assert sorted(leads(engine)) == ["P-7", "P-9"]


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        ("activities", ["external_id,timestamp,type,detail", "P-1,2024-06-05,webinar,x", "P-2"]),
        ("outcomes", ["external_id,stage,date,amount", "P-1,won,2024-08-15,100", "P-2,won"]),
    ],
)
def test_a_cut_row_has_that_one_problem_not_its_empty_cells(engine, kind, rows):
    run(engine, "leads_plain.csv")
    before = counts(engine)

    result = run(engine, _csv(rows), kind)

    width, cut = len(rows[0].split(",")), rows[2].split(",")
    assert [(p.row, p.column) for p in result.problems] == [(3, rows[0].split(",")[len(cut)])]
    assert result.report()[0].startswith(f"Row 3 has {len(cut)} value")
    assert f"but the header has {width} columns" in result.report()[0]
    assert result.refused and counts(engine) == before


def test_problems_after_blank_lines_and_multiline_cells_name_the_spreadsheet_row(engine):
    rows = [
        "external_id,email,note",
        "P-1,a@b.example,x",
        "",
        'P-2,c@d.example,"two\nlines"',
        "P-3,not-an-email,y",
        "P-1,e@f.example,z",
    ]

    result = run(engine, _csv(rows))

    bad, first, again = _row_of(rows, "P-3"), _row_of(rows, "P-1"), _row_of(rows, "P-1,e")
    same = (
        f"Rows {first}, {again} all have 'P-1', so they would update the same lead. Keep "
        "one of them (merge the values by hand) and remove the others."
    )
    assert result.report() == [
        f"Row {first}, column 'external_id': {same}",
        (
            f"Row {bad}, column 'email': 'not-an-email' is not an email address. Correct it "
            "(like name@company.com) or leave the cell empty."
        ),
        f"Row {again}, column 'external_id': {same}",
    ]
