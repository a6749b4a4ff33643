"""Lead import on both databases: countries stored as ISO codes so a definition's country
rule matches them, unknown ones counted in a warning, and sources spelled one way."""

from __future__ import annotations

from datetime import date

import pytest

from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import breakdown
from leaddash.cli import main
from leaddash.db import read_session
from leaddash.definitions import default_definition_content
from leaddash.imports import preset
from leaddash.models import Role
from tests.conftest import make_user
from tests.pass_factory import DEFINITION, activate
from tests.test_import_leads import leads, run

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

SERVED = ("US", "DE")
# A HubSpot export's country column as people fill it in, with the code each should get
# (None: not recognised, kept as written).
COUNTRIES = [
    ("United States", "US"),
    ("Germany", "DE"),
    ("United States", "US"),
    ("USA", "US"),
    ("Deutschland", "DE"),
    ("us", "US"),
    ("U.S.", "US"),
    ("United States of America", "US"),
    ("DEU", "DE"),
    ("Germany", "DE"),
    ("France", "FR"),
    ("United Kingdom", "GB"),
    ("UK", "GB"),
    ("Unknown", None),
    ("N/A", None),
    ("Canada", "CA"),
    ("Pariss", None),
    ("", None),
    ("Berlin", None),
    ("Netherlands", "NL"),
]
SOURCES = ["Google Ads", "google ads", " Google  Ads", "Webinar", "webinar"]
HEADER = "Record ID,Email,Country/Region,Original Source,Create Date\n"
MARCH = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))


def served_definition() -> dict:
    """Return a definition whose only rule is the country rule: any lead from US or DE is
    an MQL (threshold 0, no sample below it)."""
    content = default_definition_content()
    content.update(
        fit_rules=[
            {
                "id": "F2",
                "field": "country",
                "op": "in",
                "value": list(SERVED),
                "label": "Served country",
            }
        ],
        disqualifiers=[],
        threshold=0,
        sample_below_threshold={"rate": 0},
        reasons=[{"code": "outside_definition", "clause": "F2"}],
    )
    return content


def hubspot_file() -> str:
    """Return the export: one row per country above, sources taken in turn."""
    return HEADER + "".join(
        f"{n},lead{n}@example.com,{country},{SOURCES[n % len(SOURCES)]},2026-03-02 10:00\n"
        for n, (country, _code) in enumerate(COUNTRIES)
    )


def test_country_names_are_stored_as_codes_and_qualify_under_a_rule_written_in_codes(engine):
    activate(engine, DEFINITION, served_definition())

    result = run(engine, hubspot_file(), mapping=preset("hubspot"))

    stored = leads(engine)
    assert {key: lead.country for key, lead in stored.items()} == {
        str(n): code or (country or None) for n, (country, code) in enumerate(COUNTRIES)
    }
    assert result.new_mqls == sum(code in SERVED for _country, code in COUNTRIES)
    assert sorted(k for k, lead in stored.items() if lead.stage == "mql") == sorted(
        str(n) for n, (_country, code) in enumerate(COUNTRIES) if code in SERVED
    )


def unknown_countries_warning(rules: str = " (rule F2 “Served country”)") -> str:
    """Return the warning the file's unrecognised countries should give (row 2 is the
    first data row; three examples), naming the definition's country `rules`."""
    unknown = [
        (n + 2, country) for n, (country, code) in enumerate(COUNTRIES) if country and code is None
    ]
    shown = ", ".join(f"row {row}: {value!r}" for row, value in unknown[:3])
    return (
        f"Country not recognised in {len(unknown)} rows ({shown} …), kept as written: "
        f"no country rule of the definition can match them{rules}. Correct them to a "
        "country name or code, or leave them as they are: these leads will never meet a "
        "country rule."
    )


def test_unknown_countries_are_counted_in_a_warning_that_does_not_stop_the_import(engine):
    activate(engine, DEFINITION, served_definition())

    result = run(engine, hubspot_file(), mapping=preset("hubspot"))

    warning = unknown_countries_warning()
    assert result.warnings == (warning,)
    assert not result.refused and result.created == len(COUNTRIES)
    assert result.summary() == (
        f"Imported file.csv: {len(COUNTRIES)} new leads, 0 updated, 0 unchanged. "
        f"{result.new_mqls} leads became MQLs; 0 went to a rep. {warning}"
    )


def test_a_cli_dry_run_without_an_active_definition_prints_the_warning_and_exits_zero(
    engine, monkeypatch, capsys, tmp_path
):
    export = tmp_path / "export.csv"
    export.write_text(hubspot_file())
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))

    code = main(["import", "leads", str(export), "--preset", "hubspot", "--dry-run"])

    assert code == 0
    assert capsys.readouterr().out == (
        f"Dry run of export.csv, nothing written. It would give {len(COUNTRIES)} new leads, "
        f"0 updated, 0 unchanged. {unknown_countries_warning(rules='')}\n"
    )


def test_sources_differing_in_case_or_spacing_are_one_source_on_the_funnel(engine):
    boss = make_user(engine, "boss", Role.ADMIN)

    run(engine, hubspot_file(), mapping=preset("hubspot"))

    with read_session(engine) as session:
        frame = breakdown(session, actor=boss, filters=MARCH, by="source")
    inquiries = frame[frame["stage"] == "inquiry"].set_index("label")["leads"].to_dict()
    per_source = [SOURCES[n % len(SOURCES)].split()[0].casefold() for n in range(len(COUNTRIES))]
    # "Google Ads" has most rows once " Google  Ads" is tidied; "Webinar" ties with
    # "webinar" and comes first.
    assert inquiries == {
        "Google Ads": per_source.count("google"),
        "Webinar": per_source.count("webinar"),
    }


def test_an_imported_source_takes_the_spelling_already_stored(engine):
    run(
        engine,
        HEADER + "900,first@example.com,US,GOOGLE ADS,2026-03-01 10:00\n",
        mapping=preset("hubspot"),
    )

    run(engine, hubspot_file(), mapping=preset("hubspot"))

    assert {lead.source for lead in leads(engine).values()} == {"GOOGLE ADS", "Webinar"}
