"""What the import fuzzer found (tests/test_import_fuzz.py), kept as plain regression tests."""

from __future__ import annotations

import pytest

from leaddash.errors import InvalidInput
from leaddash.imports import load_mapping
from tests.test_import_leads import counts, run


@pytest.mark.parametrize("cell", ["-5", "-0", "0001-01-01", "9999-12-31"])
def test_a_date_outside_1900_to_2199_is_a_row_problem_not_a_traceback(engine, cell):
    run(engine, "leads_plain.csv")
    before = counts(engine)

    result = run(engine, f"external_id,stage,date\nP-1,sql,2024-07-01\nP-1,won,{cell}\n",
                 "outcomes")

    assert result.refused
    assert result.report() == [
        (f"Row 3, column 'date': {cell!r} is not a date between 1900 and 2199. Write it "
         "like 2024-03-31 or 2024-03-31T14:05:00Z, or set date_format in a mapping file.")]
    assert counts(engine) == before


@pytest.mark.parametrize(("date_format", "detail"), [
    ("%d.%m.%Y %Q", "'Q' is a bad directive in format '%d.%m.%Y %Q'"),
    ("%Y-%m-%d%", "stray % in format '%Y-%m-%d%'"),
])
def test_a_date_format_pandas_cannot_use_refuses_the_mapping_file(date_format, detail):
    text = f"fields:\n  email: E-mail\n  created_at: Created\ndate_format: '{date_format}'\n"

    with pytest.raises(InvalidInput) as refused:
        load_mapping(text, "leads")

    assert refused.value.message == (
        f"date_format {date_format!r} cannot read dates ({detail}): use codes like %d, %m, "
        "%Y, %H and %M.")
