"""Normalising imported values: countries to ISO alpha-2 codes, names spelled one way."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_series_equal

from leaddash.imports.checks import Checker
from leaddash.imports.mapping import Mapping
from leaddash.imports.reading import Table
from leaddash.imports.values import (
    canonical_names,
    country_code,
    country_codes,
    rule_value_warnings,
    unknown_countries_warning,
)

SERVED = {
    "id": "F2",
    "field": "country",
    "op": "in",
    "value": ["US", "DE"],
    "label": "Served country",
}


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("United States", "US"),
        ("Germany", "DE"),
        ("Deutschland", "DE"),
        ("España", "ES"),
        ("us", "US"),
        ("De", "DE"),
        ("USA", "US"),
        ("DEU", "DE"),
        ("gbr", "GB"),
        ("UK", "GB"),
        ("U.K.", "GB"),
        ("U.S.", "US"),
        ("U.S.A.", "US"),
        ("United States of America", "US"),
        ("Great Britain", "GB"),
        ("England", "GB"),
        ("Scotland", "GB"),
        ("Wales", "GB"),
        ("South Korea", "KR"),
        ("Russia", "RU"),
        ("Czech Republic", "CZ"),
        ("Holland", "NL"),
        ("The Netherlands", "NL"),
        ("Cote d'Ivoire", "CI"),
        ("  germany  ", "DE"),
        ("UNITED KINGDOM", "GB"),
    ],
)
def test_a_country_code_name_or_common_variant_gives_its_alpha_2_code(written, code):
    assert country_code(written) == code


@pytest.mark.parametrize("written", ["Unknown", "N/A", "N.A.", "-", "Gemany", "Paris", "Korea"])
def test_a_value_that_names_no_country_has_no_code(written):
    assert country_code(written) is None


def test_country_codes_keep_unknown_values_as_written_and_flag_only_them():
    values = pd.Series(
        ["Germany", "Unknown", None, "usa", "Unknown", " "], index=[4, 5, 6, 7, 8, 9]
    )

    codes, unknown = country_codes(values)

    assert_series_equal(
        codes, pd.Series(["DE", "Unknown", None, "US", "Unknown", " "], index=values.index)
    )
    assert unknown[unknown].index.tolist() == [5, 8]


def test_a_stored_spelling_wins_over_the_files_own():
    values = pd.Series(["google ads", "GOOGLE ADS", "google ads", "Webinar"])

    named = canonical_names(values, stored=["Google Ads", "Referral"])

    assert named.tolist() == ["Google Ads", "Google Ads", "Google Ads", "Webinar"]


def test_without_a_stored_spelling_most_rows_decide_after_trimming_and_collapsing_spaces():
    values = pd.Series([" Google  Ads", "google ads", "Google Ads", "google ads", None])

    named = canonical_names(values, stored=[])

    # " Google  Ads" tidies to "Google Ads", which then has two rows like "google ads";
    # "Google Ads" was seen first.
    assert_series_equal(named, pd.Series(["Google Ads"] * 4 + [None]))


def test_a_tie_goes_to_the_spelling_seen_first():
    named = canonical_names(pd.Series(["paid social", "Paid Social"]), stored=[])

    assert named.tolist() == ["paid social", "paid social"]


def test_only_voting_rows_decide_the_spelling():
    values = pd.Series(["GOOGLE ADS", "GOOGLE ADS", "Google Ads"])

    named = canonical_names(values, stored=[], voting=pd.Series([False, False, True]))

    assert named.tolist() == ["Google Ads"] * 3


def test_names_that_differ_by_more_than_case_or_spacing_stay_apart():
    named = canonical_names(pd.Series(["Google Ads", "GoogleAds", "Google-Ads"]), stored=[])

    assert named.tolist() == ["Google Ads", "GoogleAds", "Google-Ads"]


def test_the_unknown_country_warning_names_rows_examples_and_the_rule():
    warning = unknown_countries_warning(4, [(3, "Unknown"), (7, "N/A"), (9, "Pariss")], [SERVED])

    assert warning == (
        "Country not recognised in 4 rows (row 3: 'Unknown', row 7: 'N/A', row 9: 'Pariss' …), "
        "kept as written: no country rule of the definition can match them (rule F2 “Served "
        "country”). Correct them to a country name or code, or leave them as they are: these "
        "leads will never meet a country rule."
    )


def test_a_country_rule_written_with_names_is_pointed_out():
    rule = {"id": "F9", "field": "country", "op": "in", "value": ["us", "United States", "EU"]}

    assert rule_value_warnings([SERVED, rule]) == [
        (
            "The definition's rule F9 “its country is one of us, United States, EU” lists "
            "'United States' (write US), 'EU' (not a country). Leads hold ISO country codes, so "
            "these never match: write the codes in the rule's next version."
        )
    ]


def checker(**columns: list[str]) -> Checker:
    """Return a checker over a file holding `columns`, each mapped to the field it names."""
    frame = pd.DataFrame(columns, dtype=object)
    return Checker(Table("file.csv", frame, "utf-8", ","), Mapping({f: f for f in columns}))


def test_checker_countries_returns_codes_and_warns_with_spreadsheet_row_numbers():
    check = checker(country=["Germany", "", "Atlantis", "us"])

    codes = check.countries(
        "country", [SERVED, {"id": "F1", "field": "employees", "op": "gte", "value": 50}]
    )

    assert_series_equal(codes, pd.Series(["DE", None, "Atlantis", "US"]), check_dtype=False)
    assert check.warnings == [unknown_countries_warning(1, [(4, "Atlantis")], [SERVED])]
    assert check.problems == []


def test_checker_countries_without_unknown_values_warns_about_nothing():
    check = checker(country=["Germany", "", "FR"])

    check.countries("country", [SERVED])

    assert check.warnings == []


def test_checker_names_spells_each_name_one_way_and_leaves_empty_cells_empty():
    check = checker(source=["google ads", " Google  Ads ", "", "google ads"])

    assert_series_equal(
        check.names("source", stored=[]),
        pd.Series(["google ads", "google ads", None, "google ads"]),
        check_dtype=False,
    )


def test_checker_points_out_a_country_rule_in_names_only_when_the_file_has_countries():
    by_name = {
        "id": "F2",
        "field": "country",
        "op": "in",
        "value": ["Germany"],
        "label": "Served country",
    }
    with_countries, without = checker(country=["DE"]), checker(source=["Webinar"])

    with_countries.countries("country", [by_name])
    without.countries("country", [by_name])

    assert with_countries.warnings == rule_value_warnings([by_name]) != []
    assert without.warnings == []


def test_checker_names_leave_rows_with_a_problem_out_of_the_vote():
    check = checker(source=["WEBINAR", "WEBINAR", "Webinar"], email=["bad", "bad", "a@b.example"])
    check.emails()

    assert check.names("source", stored=[]).tolist() == ["Webinar"] * 3
