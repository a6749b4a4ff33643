"""Presets and header matching: spellings, detection, combining with a mapping file, fixed
values, and mapping files whose text YAML 1.1 would have turned into something else."""

from __future__ import annotations

import pandas as pd
import pytest

from leaddash.errors import InvalidInput
from leaddash.imports import (
    PRESETS,
    applied,
    auto_mapping,
    chosen_mapping,
    coverage,
    detect_preset,
    is_history,
    load_mapping,
    preset,
    resolved,
)
from leaddash.imports.checks import Checker
from leaddash.imports.mapping import STAGE_DATES, Mapping, header_key
from leaddash.imports.presets import recognised
from leaddash.imports.reading import Table
from tests.test_import_reading import HEADERS


@pytest.mark.parametrize(
    "header", ["First Name", "first_name", "FirstName", "FIRST-NAME", " first  name ", "First.Name"]
)
def test_headers_match_ignoring_case_spaces_underscores_and_punctuation(header):
    assert resolved(preset("salesforce"), ["Id", header]).fields["first_name"] == header


@pytest.mark.parametrize(
    ("name", "header", "field"),
    [
        ("salesforce", "FirstName", "first_name"),
        ("salesforce", "first_name", "first_name"),
        ("salesforce", "CreatedDate", "created_at"),
        ("salesforce", "created_date", "created_at"),
        ("salesforce", "Create Date", "created_at"),
        ("salesforce", "LeadSource", "source"),
        ("salesforce", "lead_source", "source"),
        ("salesforce", "Lead Source", "source"),
        ("salesforce", "NumberOfEmployees", "employees"),
        ("salesforce", "number_of_employees", "employees"),
        ("salesforce", "No. of Employees", "employees"),
        ("salesforce", "Lead ID", "external_id"),
        ("salesforce", "Company / Account", "company"),
        ("salesforce", "Lead Status", "stage"),
        ("salesforce", "ConvertedDate", "sql_at"),
        ("salesforce", "Converted Date", "sql_at"),
        ("hubspot", "property_firstname", "first_name"),
        ("hubspot", "firstname", "first_name"),
        ("hubspot", "property_createdate", "created_at"),
        ("hubspot", "property_lifecyclestage", "stage"),
        ("hubspot", "property_hs_analytics_source", "source"),
        ("hubspot", "hs_object_id", "external_id"),
        ("hubspot", "Contact ID", "external_id"),
        ("hubspot", "Became a Marketing Qualified Lead Date", "mql_at"),
        ("hubspot", "Became a Sales Qualified Lead Date", "sql_at"),
        ("hubspot", "Became an Opportunity Date", "opportunity_at"),
        ("hubspot", "Became a Customer Date", "won_at"),
        ("hubspot", "property_hs_lifecyclestage_marketingqualifiedlead_date", "mql_at"),
        ("hubspot", "property_hs_lifecyclestage_salesqualifiedlead_date", "sql_at"),
        ("hubspot", "property_hs_lifecyclestage_opportunity_date", "opportunity_at"),
        ("hubspot", "property_hs_lifecyclestage_customer_date", "won_at"),
        ("hubspot", "properties_jobtitle", "title"),
        ("marketo", "firstName", "first_name"),
        ("marketo", "lastName", "last_name"),
        ("marketo", "email", "email"),
        ("marketo", "company", "company"),
        ("marketo", "title", "title"),
        ("marketo", "leadSource", "source"),
        ("marketo", "leadStatus", "stage"),
        ("marketo", "createdAt", "created_at"),
        ("marketo", "numberOfEmployees", "employees"),
        ("marketo", "country", "country"),
        ("marketo", "industry", "industry"),
        ("marketo", "id", "external_id"),
    ],
)
def test_each_preset_knows_the_api_and_connector_spellings(name, header, field):
    assert resolved(preset(name), ["Rating", header]).fields[field] == header


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_no_spelling_of_a_preset_names_two_fields(name):
    keys = [{header_key(s) for s in spellings} for spellings in PRESETS[name].spellings.values()]
    assert sum(len(k) for k in keys) == len(set().union(*keys))


def test_two_columns_matching_one_field_take_the_first():
    columns = ["Email", "property_firstname", "First Name", "firstname"]
    assert resolved(preset("hubspot"), columns).fields["first_name"] == "property_firstname"
    assert resolved(preset("hubspot"), columns[::-1]).fields["first_name"] == "firstname"


def test_owner_columns_of_a_crm_stay_custom_attributes():
    columns = ["Id", "Email", "OwnerId", "Lead Owner"]
    assert "owner" not in resolved(preset("salesforce"), columns).fields


@pytest.mark.parametrize(
    ("name", "value", "stage"),
    [
        ("salesforce", "Closed Won", "won"),
        ("salesforce", "Closed Lost", "lost"),
        ("salesforce", "Open - Not Contacted", "inquiry"),
        ("salesforce", "Unqualified", "disqualified"),
        ("hubspot", "closedwon", "won"),
        ("hubspot", "Closed Lost", "lost"),
        ("hubspot", "marketingqualifiedlead", "mql"),
        ("hubspot", "Sales Qualified Lead", "sql"),
        ("marketo", "Nurture", "recycled"),
    ],
)
def test_presets_keep_the_stage_values_of_their_crm(name, value, stage):
    assert preset(name).stage_values[value] == stage


def test_by_name_matching_uses_the_same_comparison():
    mapping = auto_mapping(["E-Mail", "FIRST-NAME", "externalId", "Stage At", "MQL_at"])
    assert mapping.fields == {
        "external_id": "externalId",
        "email": "E-Mail",
        "first_name": "FIRST-NAME",
        "mql_at": "MQL_at",
        "stage_at": "Stage At",
    }


# Detection ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HEADERS))
def test_each_preset_is_detected_from_its_export_headers(name):
    columns = [*HEADERS[name], "Favourite colour"]

    match = detect_preset(columns)

    assert (match.name, match.recognised, match.columns) == (name, len(HEADERS[name]), len(columns))


def test_a_hubspot_connector_export_is_detected_and_says_how_much_it_recognised():
    columns = [
        "property_hs_object_id",
        "property_email",
        "property_firstname",
        "property_lifecyclestage",
        "property_createdate",
        "property_hs_lifecyclestage_marketingqualifiedlead_date",
        "property_hs_score",
    ]

    match = detect_preset(columns)

    assert match.message() == "Looks like a HubSpot export: 6 of 7 columns recognised."


@pytest.mark.parametrize(
    "columns",
    [
        ["external_id", "email", "first_name", "last_name", "company", "created_at"],
        ["Email", "Phone"],
        ["Email", "Industry", "Country", "Rating", "Favourite colour"],
    ],
    ids=["our-own-names", "one-match", "no-more-than-by-name"],
)
def test_no_preset_is_detected_unless_it_beats_matching_by_name(columns):
    assert detect_preset(columns) is None


def test_a_tie_goes_to_the_first_preset_listed():
    columns = ["Email", "Industry", "Country", "Lead Status", "Lifecycle Stage"]
    assert {name: recognised(name, columns) for name in PRESETS} == {
        "salesforce": 4,
        "hubspot": 4,
        "marketo": 4,
    }

    assert detect_preset(columns).name == "salesforce"


# Combining a preset and a mapping file -----------------------------------------------


def test_a_mapping_file_overrides_the_preset_it_is_combined_with():
    text = (
        "fields:\n  company: Account\n  stage: Phase\ndate_format: '%d/%m/%Y'\n"
        "stage_values:\n  lead: mql\n  Hot: sql\n"
    )
    columns = ["Record ID", "Email", "Company Name", "Account", "Phase", "Create Date"]

    mapping = applied(
        chosen_mapping("leads", mapping_text=text, preset_name="hubspot"), columns, "leads"
    )

    assert mapping.fields == {
        "company": "Account",
        "stage": "Phase",
        "external_id": "Record ID",
        "email": "Email",
        "created_at": "Create Date",
    }
    assert mapping.date_format == "%d/%m/%Y"
    assert {k: v for k, v in mapping.stage_values.items() if k.casefold() == "lead"} == {
        "lead": "mql"
    }
    assert mapping.stage_values["Hot"] == "sql"
    assert mapping.stage_values["Customer"] == "won"


def test_a_combined_mapping_still_requires_the_columns_the_file_names():
    with pytest.raises(InvalidInput, match=r"missing: Account\. The file has 'Email'"):
        applied(
            chosen_mapping(
                "leads", mapping_text="fields:\n  company: Account\n", preset_name="salesforce"
            ),
            ["Email"],
            "leads",
        )


def test_a_missing_key_column_names_what_the_preset_looks_for():
    with pytest.raises(InvalidInput) as refused:
        applied(preset("hubspot"), ["First Name"], "leads")
    assert refused.value.message.startswith(
        "Required columns are missing: external_id or email (HubSpot preset: 'Record ID' or "
        "'Email'). The file has 'First Name'."
    )


# Fixed values ------------------------------------------------------------------------


def test_a_fixed_value_reaches_every_row_through_the_checker():
    mapping = applied(
        load_mapping("fields:\n  email: Mail\n  stage: {value: won}\n  stage_at: Close Date\n"),
        ["Mail", "Close Date"],
        "leads",
    )
    frame = pd.DataFrame(
        {"Mail": ["a@b.example", "c@d.example"], "Close Date": ["2024-05-01", "2024-06-01"]}
    )

    check = Checker(Table("deals.csv", frame, "utf-8", ","), mapping)

    assert check.raw("stage").tolist() == ["won", "won"]
    assert check.raw("stage_at").tolist() == ["2024-05-01", "2024-06-01"]
    assert is_history(mapping)


def test_a_bad_fixed_value_is_a_problem_on_every_row_like_a_bad_cell():
    mapping = applied(
        load_mapping("fields:\n  email: Mail\n  stage: {value: wonn}\n"), ["Mail"], "leads"
    )
    check = Checker(
        Table("deals.csv", pd.DataFrame({"Mail": ["a@b.example", "c@d.example"]}), "utf-8", ","),
        mapping,
    )

    check.choices("stage", {"won": "won", "lost": "lost"}, "stage")

    assert [p.line() for p in check.problems] == [
        f"Row {row}, column 'stage (fixed value)': 'wonn' is not a known stage. Use one of: "
        "lost, won (or map it under stage_values in a mapping file)."
        for row in (2, 3)
    ]


def test_a_fixed_value_satisfies_a_required_field():
    mapping = load_mapping(
        "fields:\n  email: Mail\n  type: {value: webinar}\n  occurred_at: When\n", "activities"
    )
    assert applied(mapping, ["Mail", "When"], "activities").values == {"type": "webinar"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "fields:\n  email: {value: a@b.example}\n",
            "email cannot be a fixed value: every row would be the same lead.",
        ),
        ("fields:\n  stage: {value: ''}\n", "The mapping file gives stage an empty fixed value"),
        (
            "fields:\n  stage: {val: won}\n",
            (
                "The mapping file gives stage neither a column nor a fixed value: write the file's "
                "column name after the colon (like `stage: Close Date`), or a value every row gets "
                "(like `stage: {value: won}`)."
            ),
        ),
        ("fields:\n  stage: [won, lost]\n", "The mapping file gives stage neither a column"),
        (
            "fields: {email: Mail}\nstage_value:\n  Hot: sql\n",
            "The mapping file has a section we do not know: stage_value.",
        ),
        ("fields: {email: Mail}\nstage_values: [Hot]\n", "stage_values must map the file's"),
        ("fields: {email: Mail}\ndate_format: [a]\n", "date_format must be one line of strftime"),
    ],
)
def test_a_mis_shaped_mapping_file_says_which_part_and_what_to_do(text, message):
    with pytest.raises(InvalidInput) as refused:
        load_mapping(text)
    assert refused.value.message.startswith(message)


def test_history_means_a_stage_date_or_stage_at_is_given():
    assert not is_history(Mapping({"email": "Email", "created_at": "Created"}))
    assert all(is_history(Mapping({"email": "Email", f: "X"})) for f in STAGE_DATES)
    assert is_history(Mapping({"email": "Email"}, values={"stage_at": "2024-01-01"}))


# Mapping files keep strings as strings ------------------------------------------------

TRICKY = ["No", "Yes", "On", "Off", "0012", "1e3", "null", "~", "true", "0x1F", "1:30"]


@pytest.mark.parametrize("column", TRICKY)
def test_a_column_name_yaml_1_1_would_convert_stays_text(column):
    mapping = load_mapping(f"fields:\n  email: Email\n  company: {column}\n")

    assert mapping.fields["company"] == column
    assert resolved(mapping, ["Email", column]).fields["company"] == column


@pytest.mark.parametrize("value", TRICKY)
def test_a_stage_value_yaml_1_1_would_convert_stays_text(value):
    mapping = load_mapping(
        f"fields:\n  email: Email\n  stage: Status\nstage_values:\n  {value}: disqualified\n"
    )
    assert mapping.stage_values == {value: "disqualified"}


@pytest.mark.parametrize("value", TRICKY)
def test_a_fixed_value_yaml_1_1_would_convert_stays_text(value):
    mapping = load_mapping(f"fields:\n  email: Email\n  segment: {{value: {value}}}\n")
    assert mapping.values == {"segment": value}


def test_empty_optional_sections_mean_none():
    mapping = load_mapping("fields:\n  email: Email\ndate_format:\nstage_values:\n")
    assert (mapping.date_format, mapping.stage_values) == (None, {})


# What the page shows before importing ------------------------------------------------


def test_coverage_lists_each_column_fixed_values_and_the_core_fields_left_out():
    columns = ["Email", "Close Date", "Rating"]
    mapping = applied(
        load_mapping("fields:\n  email: Email\n  stage_at: Close Date\n  stage: {value: won}\n"),
        columns,
        "leads",
    )

    seen = coverage(mapping, columns, "leads")

    assert seen.rows == [
        ("Email", "email"),
        ("Close Date", "stage_at"),
        ("Rating", "(kept as a custom attribute)"),
        ("fixed value 'won'", "stage"),
    ]
    assert seen.unmapped == [
        "external_id",
        "first_name",
        "last_name",
        "company",
        "country",
        "source",
        "created_at",
    ]
    assert seen.warning is None
    assert seen.loads == (
        "History: each lead is loaded at the stages and on the dates the "
        "file gives (stage_at), and the lead definition does not qualify it."
    )


def test_coverage_warns_when_no_column_gives_a_date():
    seen = coverage(auto_mapping(["email", "company"]), ["email", "company"], "leads")
    assert seen.warning == (
        "No column gives a date: every lead will be dated today, the day of the import; map "
        "created_at or a stage date if the file has one."
    )
    assert seen.unmapped == [
        "external_id",
        "first_name",
        "last_name",
        "country",
        "source",
        "created_at",
    ]


def test_coverage_of_activities_marks_unused_columns_as_not_imported():
    columns = ["email", "type", "timestamp", "browser"]
    seen = coverage(auto_mapping(columns, "activities"), columns, "activities")
    assert seen.rows[-1] == ("browser", "(not imported)")
    assert (seen.unmapped, seen.warning) == ([], None)
