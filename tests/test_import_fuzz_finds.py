"""What the import fuzzer found (tests/test_import_fuzz.py), kept as plain regression tests."""

from __future__ import annotations

import pytest

from leaddash.errors import InvalidInput
from leaddash.imports import load_mapping
from tests.test_import_leads import counts, run

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.mark.parametrize("cell", ["-5", "-0", "0001-01-01", "9999-12-31"])
def test_a_date_outside_1900_to_2199_is_a_row_problem_not_a_traceback(engine, cell):
    run(engine, "leads_plain.csv")
    before = counts(engine)

    result = run(
        engine, f"external_id,stage,date\nP-1,sql,2024-07-01\nP-1,won,{cell}\n", "outcomes"
    )

    assert result.refused
    assert result.report() == [
        (
            f"Row 3, column 'date': {cell!r} is not a date between 1900 and 2199. Write it "
            "like 2024-03-31 or 2024-03-31T14:05:00Z, or set date_format in a mapping file."
        )
    ]
    assert counts(engine) == before


@pytest.mark.parametrize(
    ("date_format", "detail"),
    [
        ("%d.%m.%Y %Q", "'Q' is a bad directive in format '%d.%m.%Y %Q'"),
        ("%Y-%m-%d%", "stray % in format '%Y-%m-%d%'"),
    ],
)
def test_a_date_format_pandas_cannot_use_refuses_the_mapping_file(date_format, detail):
    text = f"fields:\n  email: E-mail\n  created_at: Created\ndate_format: '{date_format}'\n"

    with pytest.raises(InvalidInput) as refused:
        load_mapping(text, "leads")

    assert refused.value.message == (
        f"date_format {date_format!r} cannot read dates ({detail}): use codes like %d, %m, "
        "%Y, %H and %M."
    )


def test_an_activity_without_a_type_is_a_row_problem_not_a_traceback(engine):
    run(engine, "leads_plain.csv")
    before = counts(engine)

    result = run(
        engine,
        "external_id,timestamp,type\nP-1,2024-06-05,webinar\nP-1,2024-06-06,\n",
        "activities",
    )

    assert result.report() == [
        (
            "Row 3, column 'type': The activity type is empty. Fill in the activity type, or "
            "remove the row."
        )
    ]
    assert result.refused and counts(engine) == before


@pytest.mark.parametrize("cell", ["2147483648", "9" * 40])
def test_an_employee_count_too_large_for_the_column_is_a_row_problem(engine, cell):
    result = run(engine, f"email,employees\nann@acme.example,250\nbob@acme.example,{cell}\n")

    assert result.report() == [
        (
            f"Row 3, column 'employees': {cell!r} is too large: at most 2,147,483,647 fits. "
            "Correct it, or leave the cell empty."
        )
    ]
    assert result.refused and counts(engine)["lead"] == 0


@pytest.mark.parametrize("cell", ["inf", "1e309"])
def test_an_infinite_amount_is_a_row_problem(engine, cell):
    run(engine, "leads_plain.csv")

    result = run(engine, f"external_id,stage,date,amount\nP-1,won,2024-08-15,{cell}\n", "outcomes")

    assert result.report() == [
        (
            f"Row 2, column 'amount': {cell!r} is not an amount. Write a number like 12500 or "
            "12500.50 (no thousands separators)."
        )
    ]


def test_a_history_file_whose_only_stage_date_is_empty_loads_the_lead_without_events(engine):
    before = counts(engine)

    result = run(engine, "external_id,mql_at\r\nP-3,\r\n", "leads", skip_bad_rows=True)

    assert not result.refused
    after = counts(engine)
    assert after["lead"] == before["lead"] + 1
