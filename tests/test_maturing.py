"""Still-maturing months (docs/metrics.md, "Still maturing"): the flag checked against a
plain walk over the calendar, and the charts that fade such months instead of calling them
misses, at a height where the plot is readable."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from leaddash.charts import COMPLETE, MATURING
from leaddash.charts import review as review_charts
from leaddash.charts.funnel import cohort_chart
from leaddash.charts.maturing import cohort_maturing, maturing_flags, month_label
from leaddash.charts.sla import compliance_trend_chart, volume_chart

DECISION_DAYS = 5
TERMS = {
    "sales": {"decision_days": DECISION_DAYS},
    "calendar": {
        "timezone": "UTC",
        "workdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
        "day_start": "09:00",
        "day_end": "17:00",
        "holidays": [],
    },
}
MONTHS = [date(2026, m, 1) for m in range(1, 13)]


def plain_last_deadline(month: date) -> datetime:
    """The decision deadline of an MQL at the month's very end: counted from the next
    weekday, the close (17:00) of the fifth weekday after it."""
    day = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    counted = 0
    while counted < DECISION_DAYS:
        day += timedelta(days=1)
        if day.weekday() < 5:
            counted += 1
    return datetime(day.year, day.month, day.day, 17, tzinfo=UTC)


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 7, 1, 12, tzinfo=UTC),
        datetime(2026, 7, 7, 17, tzinfo=UTC),
        datetime(2026, 7, 8, 16, 59, tzinfo=UTC),
        datetime(2026, 7, 8, 17, tzinfo=UTC),
        datetime(2026, 8, 10, 9, tzinfo=UTC),
        datetime(2026, 11, 30, 23, tzinfo=UTC),
    ],
)
def test_a_month_matures_when_its_last_decision_deadline_has_passed(now):
    expected = [now < plain_last_deadline(m) for m in MONTHS]

    assert maturing_flags(MONTHS, now=now, terms=TERMS) == expected


def test_months_given_as_keys_or_timestamps_read_the_same():
    now = datetime(2026, 7, 3, tzinfo=UTC)
    keys = [m.year * 100 + m.month for m in MONTHS]

    assert maturing_flags(keys, now=now, terms=TERMS) == maturing_flags(
        [pd.Timestamp(m) for m in MONTHS], now=now, terms=TERMS
    )
    assert month_label(202606) == "June 2026"


def test_a_cohort_matures_once_the_median_sales_cycle_has_gone_since_its_month_ended():
    now = datetime(2026, 9, 20, tzinfo=UTC)
    cycle = 40.5
    expected = [
        now.replace(tzinfo=None)
        < datetime.combine(date(m.year + m.month // 12, m.month % 12 + 1, 1), datetime.min.time())
        + timedelta(days=cycle)
        for m in MONTHS
    ]

    assert maturing_flags(MONTHS, now=now, terms=TERMS, cycle_days=cycle) == expected
    assert cohort_maturing(date(2026, 8, 15), now=now, cycle_days=cycle) is True
    assert cohort_maturing(date(2026, 7, 31), now=now, cycle_days=cycle) is False


def _layers(spec: dict) -> list[dict]:
    out = []
    for layer in spec.get("layer", [spec]):
        out += _layers(layer) if "layer" in layer else [layer]
    return out


def _opacity_of(spec: dict) -> dict:
    faded = [
        layer["encoding"]["opacity"]
        for layer in _layers(spec)
        if "opacity" in layer.get("encoding", {})
    ]
    assert len(faded) == 1
    return faded[0]


def _rows(spec: dict) -> list[dict]:
    return [row for rows in spec["datasets"].values() for row in rows if "maturity" in row]


def _cohorts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "cohort": pd.to_datetime(["2026-08-01", "2026-09-01", "2026-10-01"]),
            "entered": [300, 320, 90],
            "reached": [24, 9, 0],
            "rate": [0.08, 9 / 320, 0.0],
            "maturing": [False, True, True],
        }
    )


def test_the_cohort_chart_fades_maturing_months_and_fits_its_axis_to_small_rates():
    spec = cohort_chart(_cohorts(), "mql", "won").to_dict()

    opacity = _opacity_of(spec)
    assert opacity["scale"] == {"domain": [COMPLETE, MATURING], "range": [1.0, 0.35]}
    assert [r["maturity"] for r in _rows(spec)] == [COMPLETE, MATURING, MATURING]
    y = _layers(spec)[0]["encoding"]["y"]
    assert "domain" not in y["scale"]  # not a fixed 0–100 %: 8 % must not be a sliver
    # Title and axes (110 px) and the legend below (40 px) come out of the page's height.
    assert spec["height"] - 110 - 40 >= 200


def _scorecard(months: list[int], maturing: list[bool]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": months,
            "label": [str(m) for m in months],
            "side": "sales",
            "metric": "first_touch",
            "numerator": [8] * len(months),
            "denominator": [10] * len(months),
            "value": [0.8] * len(months),
            "target": [1.0] * len(months),
            "met": pd.array([False] * len(months), dtype="boolean"),
            "maturing": maturing,
        }
    )


def test_the_rate_trend_leaves_maturing_months_off_its_line_and_fades_their_points():
    spec = compliance_trend_chart(_scorecard([202609, 202610, 202611], [False, False, True]))
    spec = spec.to_dict()

    layers = _layers(spec)
    band = next(layer for layer in layers if layer["mark"]["type"] == "rect")
    line = next(layer for layer in layers if layer["mark"]["type"] == "line")
    assert f"datum.maturity != '{MATURING}'" in str(line["transform"])
    assert _opacity_of(spec)["scale"]["range"] == [1.0, 0.35]
    assert spec["datasets"][band["data"]["name"]][0]["start"].startswith("2026-11-01")
    # Title, axes and a three-row legend come out of the height; 300 px stay for the plot.
    assert spec["height"] - 90 - 3 * 24 >= 200


def test_a_maturing_month_below_its_volume_target_is_not_called_a_miss():
    volume = pd.DataFrame(
        {
            "month": [202610, 202611],
            "label": ["2026-10", "2026-11"],
            "mqls": [400, 120],
            "target": [430, 430],
            "met": pd.array([False, False], dtype="boolean"),
            "maturing": [False, True],
        }
    )

    spec = volume_chart(volume).to_dict()

    statuses = {r["month"]: r["status"] for r in _rows(spec)}
    assert statuses == {202610: "missed", 202611: "month still running"}
    assert _opacity_of(spec)["field"] == "maturity"
    assert spec["height"] >= 200


def test_the_reviews_charts_fade_the_maturing_month_and_keep_room_for_the_plot():
    card = _scorecard([202609, 202610, 202611], [False, False, True]).assign(
        metric=["validation_rate"] * 3
    )
    volume = card.assign(metric="mql_volume", value=[400.0, 420.0, 150.0], target=430.0)

    rates = review_charts.rates_trend_chart(card, pd.DataFrame()).to_dict()
    bars = review_charts.mql_volume_chart(volume, pd.DataFrame()).to_dict()

    assert _opacity_of(rates)["field"] == "maturity"
    assert _opacity_of(bars)["field"] == "maturity"
    assert [r["maturity"] for r in _rows(bars)] == [COMPLETE, COMPLETE, MATURING]
    # Title, axes and three legend rows come out of the page's height: 200 px stay.
    assert rates["height"] - 90 - 3 * 24 >= 200
    assert bars["height"] - 90 - 24 >= 200
