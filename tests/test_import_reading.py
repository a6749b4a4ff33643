"""Reading CSV bytes and mapping their columns: encodings, delimiters, broken files, presets."""

from __future__ import annotations

from pathlib import Path

import pytest

from leaddash.errors import InvalidInput
from leaddash.imports import (
    PRESETS,
    applied,
    auto_mapping,
    chosen_mapping,
    load_mapping,
    preset,
    read_table,
    resolved,
)

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
HEADERS = {
    "salesforce": [
        "FirstName",
        "LastName",
        "Email",
        "Company",
        "Title",
        "LeadSource",
        "Status",
        "Industry",
        "NumberOfEmployees",
        "Country",
        "CreatedDate",
        "Id",
    ],
    "hubspot": [
        "Record ID",
        "First Name",
        "Last Name",
        "Email",
        "Company Name",
        "Job Title",
        "Original Source",
        "Lifecycle Stage",
        "Create Date",
        "Number of Employees",
        "Country/Region",
        "Industry",
    ],
    "marketo": [
        "Id",
        "First Name",
        "Last Name",
        "Email Address",
        "Company Name",
        "Job Title",
        "Lead Source",
        "Lead Status",
        "Created At",
        "Country",
        "Industry",
        "Number of Employees",
    ],
}


def _refusal(data: bytes, name: str = "leads.csv") -> str:
    with pytest.raises(InvalidInput) as caught:
        read_table(data, name)
    return caught.value.message


def test_a_zero_byte_file_is_called_empty():
    assert _refusal(b"") == (
        "leads.csv is empty (0 bytes): the export did not finish or the "
        "wrong file was chosen. Export it again as CSV (comma- or "
        "semicolon-separated text) and retry."
    )


def test_a_file_of_blank_lines_has_no_header():
    assert "holds no rows, not even a header" in _refusal(b"\n  \n\t\n")


def test_a_header_without_rows_says_so():
    assert "has a header row but no rows of data" in _refusal(b"email,first_name\n")


@pytest.mark.parametrize(
    "garbage",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # an .xlsx is a zip
        bytes(range(128, 256)) * 20,  # no NUL, but no text either
    ],
    ids=["nul-bytes", "undecodable"],
)
def test_binary_garbage_is_not_a_csv_file(garbage):
    assert "is not a CSV file: it holds binary data" in _refusal(garbage, "export.xlsx")


def test_a_file_over_the_limit_is_refused_with_its_size():
    with pytest.raises(InvalidInput) as refused:
        read_table(b"email\n" + b"a@b.example\n" * 100_000, "big.csv", max_bytes=1024 * 1024)
    assert "is 1 MB; the limit is 1 MB. Split it into smaller files" in refused.value.message


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(delimiter):
    data = (
        delimiter.join(["email", "company"])
        + "\n"
        + delimiter.join(["a@b.example", "Acme, Inc."])
        + "\n"
    )
    table = read_table(data.replace("Acme, Inc.", '"Acme, Inc."').encode(), "x.csv")
    assert table.delimiter == delimiter
    assert table.frame.to_dict("records") == [{"email": "a@b.example", "company": "Acme, Inc."}]


def test_latin1_and_bom_files_read_the_same_names():
    text = "email,first_name\nchloe@fabrikam.example,Chloé\n"
    latin = read_table(text.encode("latin-1"), "latin.csv")
    bom = read_table(b"\xef\xbb\xbf" + text.encode("utf-8"), "bom.csv")
    assert (latin.encoding, bom.encoding) == ("latin-1", "utf-8-sig")
    assert (
        latin.frame.to_dict("records")
        == bom.frame.to_dict("records")
        == [{"email": "chloe@fabrikam.example", "first_name": "Chloé"}]
    )


def test_a_row_with_too_many_values_names_its_line():
    message = _refusal(b"email,company\na@b.example,Acme\nc@d.example,Acme,Inc\n")
    assert message.startswith("Line 3 of leads.csv has 3 values but the header has 2 columns")


def test_a_wrong_delimiter_lists_the_columns_found_and_suggests_one():
    table = read_table(b"external_id:email\nP-1:a@b.example\n", "colons.csv")
    with pytest.raises(InvalidInput) as caught:
        applied(auto_mapping(table.columns), table.columns, "leads")
    assert caught.value.message == (
        "Required columns are missing: external_id or email. The file has "
        "'external_id:email'. Rename the columns, or use a mapping file or preset that names "
        "them. The header was read as one column, so the file seems to be separated by "
        "colons: save it separated by commas, semicolons, tabs, vertical bars (|) instead."
    )


def test_a_missing_required_activity_column_is_named():
    with pytest.raises(
        InvalidInput,
        match=r"Required columns are missing: type\. The file has "
        r"'email', 'timestamp'\.",
    ):
        applied(
            auto_mapping(["email", "timestamp"], "activities"), ["email", "timestamp"], "activities"
        )


def test_a_mapping_file_column_missing_from_the_file_is_named():
    mapping = load_mapping("fields:\n  email: E-mail\n  company: Firm\n")
    with pytest.raises(InvalidInput, match=r"missing: Firm\. The file has 'E-mail'"):
        applied(mapping, ["E-mail"], "leads")


def test_columns_named_like_our_fields_map_themselves():
    mapping = auto_mapping(["E-Mail", "First Name", "EXTERNAL_ID", "Employees", "Colour"])
    assert mapping.fields == {
        "external_id": "EXTERNAL_ID",
        "email": "E-Mail",
        "first_name": "First Name",
        "employees": "Employees",
    }


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_each_preset_maps_every_header_of_its_export(name):
    assert sorted(resolved(preset(name), HEADERS[name]).fields.values()) == sorted(HEADERS[name])


def test_hubspot_stage_comes_from_lifecycle_stage_and_lead_status_stays_custom():
    hubspot = resolved(preset("hubspot"), [*HEADERS["hubspot"], "Lead Status"])
    assert hubspot.fields["stage"] == "Lifecycle Stage"
    assert "Lead Status" not in hubspot.fields.values()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fields: [email", "The mapping file is not valid YAML near line 1"),
        ("- email", "The mapping file needs a `fields:` section"),
        (
            "fields:\n  mail: Email\n  fax: Fax\n",
            "The mapping file names unknown fields: fax, mail. Fields for leads: external_id",
        ),
        ("fields:\n  email:\n", "The mapping file gives no column for email"),
        ("fields:\n  email: Email\ndate_format: dd/mm/yyyy\n", "date_format 'dd/mm/yyyy' has no"),
        (
            "fields:\n  stage: Status\nstage_values:\n  Hot: burning\n",
            "stage_values maps to stages we do not have (Hot: burning)",
        ),
    ],
)
def test_a_broken_mapping_file_says_what_is_wrong(text, message):
    with pytest.raises(InvalidInput) as caught:
        load_mapping(text)
    assert caught.value.message.startswith(message)


def test_presets_are_for_leads():
    with pytest.raises(InvalidInput, match="Presets describe lead exports"):
        preset("hubspot", "activities")
    with pytest.raises(InvalidInput, match="Presets describe lead exports"):
        chosen_mapping("outcomes", mapping_text="fields: {}", preset_name="hubspot")


def test_the_fixture_files_carry_the_real_headers():
    for name, headers in HEADERS.items():
        table = read_table((FIXTURES / f"{name}.csv").read_bytes(), f"{name}.csv")
        assert set(headers) <= set(table.columns)
