"""X Education's lead scoring export (a Converted flag, no dates) loaded through the
command line as the docs say a file without dates is loaded: a mapping file dates every
lead with the day the file was exported (fixed `created_at` and `stage_at` values), and a
converted lead is won that day. Its figures, its sources spelled two ways and its
countries are checked against a plain computation from the raw file; a Windows
spreadsheet's copy of it (cp1252) keeps its smart quotes and euro signs."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest
import yaml
from sqlmodel import select

from leaddash.db import make_engine, read_session
from leaddash.models import Lead
from tests.test_crm_exports import (
    CRM,
    Cli,
    breakdown,
    crm_database,
    events,
    funnel_tables,
    month_span,
    monthly_trend,
    passes,
    read_export,
    table,
    waterfall,
)

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

X_MAPPING = "x_education_leads.yaml"
# The names this export uses, as ISO 3166 codes; anything else names no country.
ISO = {
    "India": "IN",
    "United States": "US",
    "United Arab Emirates": "AE",
    "Singapore": "SG",
    "Saudi Arabia": "SA",
    "United Kingdom": "GB",
    "Australia": "AU",
    "Qatar": "QA",
}


def exported_on() -> pd.Timestamp:
    """Return the day the mapping file dates every lead (the file itself has no date)."""
    fields = yaml.safe_load((CRM / X_MAPPING).read_text(encoding="utf-8"))["fields"]
    assert fields["stage_at"] == fields["created_at"]
    return pd.Timestamp(fields["stage_at"]["value"], tz="UTC")


def spelled_once(names: pd.Series) -> pd.Series:
    """Return names differing only in case spelled as most rows spell them (None: empty)."""
    filled = names[names != ""]
    usual = filled.groupby(filled.str.casefold()).agg(lambda s: s.value_counts().index[0])
    return names.str.casefold().map(usual).where(names != "", None)


def x_passes(leads: pd.DataFrame) -> pd.DataFrame:
    """Return the passes of the export: every lead created on the export day, the
    converted ones won that day."""
    day = pd.Series(exported_on(), index=leads.index)
    won = leads["Converted"] == "1"
    history = pd.concat(
        [
            events(leads["Prospect ID"], "inquiry", day),
            events(leads.loc[won, "Prospect ID"], "won", day[won]),
        ]
    )
    attributes = pd.DataFrame(
        {"source": spelled_once(leads["Lead Source"]).to_numpy()}, index=leads["Prospect ID"]
    )
    return passes(history, attributes)


def stored(url: str, column: str) -> dict[str, object]:
    """Return a lead column by external id, as the database holds it."""
    engine = make_engine(url)
    with read_session(engine) as session:
        found = dict(session.exec(select(Lead.external_id, getattr(Lead, column))).all())
    engine.dispose()
    return found


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def x_education(request, tmp_path_factory) -> Iterator[Cli]:
    """Yield the command line over a database holding the X Education export."""
    with crm_database(request.param, tmp_path_factory.mktemp("x"), "xeducation") as cli:
        cli.load("leads", "Leads.csv", X_MAPPING)
        yield cli


def test_every_row_is_an_inquiry_and_the_converted_ones_are_won(x_education):
    leads = read_export("Leads.csv")

    shown = x_education.report("funnel")

    stages = {row["stage"]: row["leads"] for row in shown["waterfall"]}
    assert (stages["inquiry"], stages["won"]) == (len(leads), (leads["Converted"] == "1").sum())
    assert stages["won"] / stages["inquiry"] == pytest.approx(leads["Converted"].astype(int).mean())
    actual, expected = funnel_tables(shown, x_passes(leads), None)
    assert actual == expected
    assert expected["velocity"] == []


def test_sources_spelled_two_ways_are_one_source(x_education):
    expected = x_passes(read_export("Leads.csv"))

    shown = x_education.report("funnel", "--by", "source")["by_source"]

    assert "google" not in {row["label"] for row in shown}
    assert table(shown, ("label", "stage"), drop=("value",)) == table(
        breakdown(expected, "source"), ("label", "stage")
    )


def test_the_export_day_holds_every_lead_and_no_mql(x_education):
    expected = x_passes(read_export("Leads.csv"))
    day = exported_on().strftime("%Y-%m-%d")

    funnel = x_education.report("funnel", "--from", day, "--to", day)
    sla = x_education.report("sla")

    span = month_span(day, day)
    assert table(funnel["monthly_trend"], ("month", "stage")) == table(
        monthly_trend(expected, span), ("month", "stage")
    )
    assert table(funnel["waterfall"], ("stage",)) == table(waterfall(expected, span), ("stage",))
    assert (sla["scorecard_by_month"], sla["mql_volume"]) == ([], [])


def test_countries_are_stored_as_codes_and_unknown_ones_are_named(x_education):
    leads = read_export("Leads.csv")
    unknown = leads[(leads["Country"] != "") & ~leads["Country"].isin(list(ISO))]
    examples = ", ".join(f"row {i + 2}: {v!r}" for i, v in unknown["Country"][:3].items())
    examples += " …" if len(unknown) > 3 else ""

    code, out, err = x_education.outputs["leads"]

    assert (code, err) == (0, "")
    assert out == (
        f"Imported Leads.csv: {len(leads)} new leads, 0 updated, 0 unchanged. "
        f"{(leads['Converted'] == '1').sum()} stage changes of their history recorded at "
        f"their own dates. Country not recognised in {len(unknown)} rows ({examples}), "
        "kept as written: no country rule of the definition can match them. Correct them "
        "to a country name or code, or leave them as they are: these leads will never meet "
        "a country rule.\n"
    )
    expected = {
        lead: ISO.get(country, country or None)
        for lead, country in zip(leads["Prospect ID"], leads["Country"], strict=True)
    }
    assert stored(x_education.url, "country") == expected


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_windows_spreadsheet_copy_keeps_its_smart_quotes_and_euro_signs(backend, tmp_path):
    leads = read_export("Leads.csv")
    written = leads[leads["Tags"] != ""]

    with crm_database(backend, tmp_path, "cp1252") as cli:
        cli.load("leads", "Leads_cp1252.csv", X_MAPPING)
        custom = stored(cli.url, "custom")

    assert cli.outputs["leads"][0] == 0
    assert "€" in "".join(written["Tags"]) and "“" in "".join(written["Tags"])
    assert {lead: custom[lead]["Tags"] for lead in written["Prospect ID"]} == dict(
        zip(written["Prospect ID"], written["Tags"], strict=True)
    )
