"""Olist's marketing funnel (an MQL list, then its closed deals) loaded through the command
line, and every figure checked against a plain computation from the two raw files: the
closed deals won before their lead's first contact are refused, naming both dates, and
the figures leave them out exactly as --skip-bad-rows does."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pytest

from tests.test_crm_exports import (
    Cli,
    breakdown,
    crm_database,
    events,
    funnel_tables,
    month_before,
    month_span,
    monthly_trend,
    passes,
    read_export,
    table,
    top_leakage,
    waterfall,
)

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

MQLS, DEALS = "olist_marketing_qualified_leads_dataset.csv", "olist_closed_deals_dataset.csv"
SPANS = [None, ("2016-09-01", "2017-02-28"), ("2017-06-01", "2017-12-31")]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def olist(request, tmp_path_factory) -> Iterator[Cli]:
    """Yield the command line over a database holding the MQL list and, after the refused
    try, the closed deals with their bad rows skipped."""
    with crm_database(request.param, tmp_path_factory.mktemp("olist"), "olist") as cli:
        cli.load("mqls", MQLS, "olist_mqls.yaml")
        cli.load("refused", DEALS, "olist_closed_deals.yaml")
        cli.load("skipped", DEALS, "olist_closed_deals.yaml", "--skip-bad-rows")
        yield cli


def contacts() -> pd.DataFrame:
    """Return the MQL list with its first contact as a UTC time."""
    mqls = read_export(MQLS)
    return mqls.assign(contact=pd.to_datetime(mqls["first_contact_date"], utc=True))


def closed_deals() -> pd.DataFrame:
    """Return the closed deals with their won time, their lead's first contact, whether
    the file has them won before it, and their row number as a spreadsheet shows it."""
    deals = read_export(DEALS).merge(
        contacts()[["mql_id", "contact"]], on="mql_id", how="left", validate="one_to_one"
    )
    won = pd.to_datetime(deals["won_date"], utc=True)
    return deals.assign(won=won, early=won < deals["contact"], row=deals.index + 2)


def olist_passes() -> pd.DataFrame:
    """Return each MQL's pass: created and an MQL at its first contact, won at its won
    date when its deal is not one of the refused ones."""
    mqls, deals = contacts(), closed_deals()
    good = deals[~deals["early"]]
    history = pd.concat(
        [
            events(mqls["mql_id"], "inquiry", mqls["contact"]),
            events(mqls["mql_id"], "mql", mqls["contact"]),
            events(good["mql_id"], "won", good["won"]),
        ]
    )
    segment = good.set_index("mql_id")["business_segment"].replace("", None)
    leads = pd.DataFrame(
        {"source": mqls["origin"].replace("", None).to_numpy()}, index=mqls["mql_id"]
    )
    return passes(history, leads.assign(segment=segment.reindex(leads.index)))


def mql_volume(p: pd.DataFrame) -> dict[int, int]:
    """Return the passes seen entering mql, per month."""
    return {
        int(k): int(n) for k, n in p.loc[p["mql_at"].notna(), "mql_month"].value_counts().items()
    }


def span_of(days: tuple[str, str] | None) -> tuple[int, int] | None:
    """Return the month span of a span of days (None: every month)."""
    return None if days is None else month_span(*days)


def options(days: tuple[str, str] | None) -> tuple[str, ...]:
    """Return the report options of a span of days (none: every month)."""
    return () if days is None else ("--from", days[0], "--to", days[1])


def test_deals_won_before_the_first_contact_are_refused_naming_both_dates(olist):
    deals = closed_deals()
    early = deals[deals["early"]]

    code, out, err = olist.outputs["refused"]

    assert len(early) == 5
    assert code == 1
    assert out == (
        f"Nothing was imported: {len(early)} of {len(deals)} rows of {DEALS} have "
        "problems. Fix them and import again, or choose to skip the bad rows.\n"
    )
    lines = err.splitlines()
    assert len(lines) == len(early)
    for line, deal in zip(lines, early.itertuples(), strict=True):
        assert line.startswith(
            f"Row {deal.row}, column 'won_date': The file says the lead "
            f"reached won on {deal.won:%Y-%m-%d}"
        )
        assert f"before its last recorded stage change (mql, {deal.contact:%Y-%m-%d})" in line


def test_skipping_them_imports_every_other_deal(olist):
    deals = closed_deals()
    good = int((~deals["early"]).sum())

    code, out, _ = olist.outputs["skipped"]

    assert code == 0
    assert out.splitlines()[0] == (
        f"Imported {DEALS}: 0 new leads, {good} updated, 0 unchanged; {len(deals) - good} bad "
        f"rows skipped. {good} stage changes of their history recorded at their own dates."
    )
    assert olist.outputs["mqls"] == (
        0,
        (
            f"Imported {MQLS}: {len(contacts())} new leads, 0 updated, 0 unchanged. "
            f"{len(contacts())} stage changes of their history recorded at their own dates.\n"
        ),
        "",
    )


@pytest.mark.parametrize("days", SPANS)
def test_the_funnel_matches_the_raw_files(olist, days):
    shown = olist.report("funnel", *options(days))

    actual, expected = funnel_tables(shown, olist_passes(), span_of(days))
    assert actual == expected


def test_the_monthly_trend_matches_the_raw_files(olist):
    days = ("2016-06-01", "2017-12-31")

    shown = olist.report("funnel", *options(days))["monthly_trend"]

    assert table(shown, ("month", "stage")) == table(
        monthly_trend(olist_passes(), span_of(days)), ("month", "stage")
    )


@pytest.mark.parametrize(("by", "column"), [("source", "source"), ("segment", "segment")])
def test_each_origin_and_segment_has_its_funnel_empty_origins_under_none(olist, by, column):
    expected = olist_passes()

    shown = olist.report("funnel", "--by", by)[f"by_{by}"]

    assert "(none)" in {row["label"] for row in shown}
    assert table(shown, ("label", "stage"), drop=("value",)) == table(
        breakdown(expected, column), ("label", "stage")
    )


def test_mql_volume_counts_first_contacts_and_no_decision_is_invented(olist):
    expected = olist_passes()

    shown = olist.report("sla")

    volume = [row for row in shown["mql_volume"] if row["segment"] == "All segments"]
    assert {row["month"]: row["mqls"] for row in volume} == mql_volume(expected)
    card = pd.DataFrame(shown["scorecard_by_month"]).set_index(["key", "metric"])
    assert card.xs("mql_volume", level="metric")["numerator"].to_dict() == mql_volume(expected)
    for metric in ("validation_rate", "feedback_rate", "decision"):
        rows = card.xs(metric, level="metric")
        assert (
            rows["numerator"].eq(0).all(),
            rows["denominator"].eq(0).all(),
            rows["value"].isna().all(),
        ) == (True, True, True), metric


def test_calibration_flags_nobody_without_decisions(olist):
    shown = olist.report("calibration")

    assert shown == {"calibration": [], "reason_mix": [], "high_score_disqualified": []}


@pytest.mark.parametrize("month", ["2016-12-01", "2017-03-01"])
def test_the_monthly_review_matches_the_raw_files(olist, month):
    expected, key = olist_passes(), int(month[:4] + month[5:7])
    before = month_before(key)

    shown = olist.report("review", "--from", month)

    numbers = {row["metric"]: row for row in shown["key_numbers"]}
    volume = mql_volume(expected)
    assert (numbers["mql_volume"]["this_month"], numbers["mql_volume"]["last_month"]) == (
        volume[key],
        volume[before],
    )
    assert (
        numbers["validation_rate"]["this_month"],
        numbers["validation_rate"]["denominator"],
        numbers["feedback_rate"]["denominator"],
    ) == (None, 0, 0)
    assert table(shown["funnel"], ("stage",)) == table(waterfall(expected, (key, key)), ("stage",))
    assert shown["top_leakage"] == top_leakage(expected, key, before) == []
    assert shown["flagged_reps"] == []


def test_every_won_deal_is_counted_once_in_the_win_rate_table(olist):
    deals = closed_deals()

    shown = olist.report("funnel", "--by", "rep")["win_rate"]

    totals = pd.DataFrame(shown)[["won", "lost", "open"]].sum().to_dict()
    assert totals == {"won": int((~deals["early"]).sum()), "lost": 0, "open": 0}
