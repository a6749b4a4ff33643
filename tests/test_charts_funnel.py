"""Funnel and feedback chart builders: the no-data chart for empty frames; titles, axes,
stage colours, tooltips and version markers otherwise."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from leaddash.charts import NO_DATA, STAGE_COLORS
from leaddash.charts.feedback import (
    clause_chart,
    reasons_grid_chart,
    reasons_trend_chart,
)
from leaddash.charts.funnel import (
    CAUSE_COLORS,
    breakdown_chart,
    cohort_chart,
    leakage_chart,
    top_labels,
    trend_chart,
    velocity_chart,
    waterfall_chart,
)

WATERFALL = pd.DataFrame(
    {
        "stage": ["inquiry", "mql", "accepted"],
        "leads": [100, 40, 30],
        "conversion": [float("nan"), 0.4, 0.75],
    }
)
COHORTS = pd.DataFrame(
    {
        "cohort": [date(2026, 2, 1), date(2026, 3, 1)],
        "entered": [10, 20],
        "reached": [5, 4],
        "rate": [0.5, 0.2],
    }
)
LEAKAGE = pd.DataFrame(
    {
        "pair": ["mql → accepted", "mql → accepted", "accepted → validated"],
        "cause": ["rejected", "untouched", "disqualified"],
        "reason": ["bad_data", None, "no_fit"],
        "leads": [3, 2, 4],
    }
)
VELOCITY = pd.DataFrame(
    {"pair": ["inquiry → mql", "mql → accepted"], "median_days": [2.5, 0.5], "leads": [40, 30]}
)
BREAKDOWN = pd.DataFrame(
    {
        "value": ["ads", "ads", "web", "web"],
        "label": ["ads", "ads", "web", "web"],
        "stage": ["inquiry", "mql", "inquiry", "mql"],
        "leads": [10, 4, 30, 6],
        "conversion": [None, 0.4, None, 0.2],
    }
)
TREND = pd.DataFrame(
    {
        "month": [date(2026, 2, 1), date(2026, 2, 1), date(2026, 3, 1)],
        "stage": ["inquiry", "mql", "inquiry"],
        "leads": [10, 4, 12],
    }
)
MARKERS = pd.DataFrame(
    {
        "date": [date(2026, 3, 10), date(2025, 1, 5)],
        "label": ["Definition v2 took effect", "SLA v1 took effect"],
        "kind": ["definition", "sla"],
    }
)
REASONS = pd.DataFrame(
    {
        "key": [202602, 202603],
        "label": ["ads", "web"],
        "stage": ["rejected", "disqualified"],
        "reason": ["bad_data", "no_fit"],
        "leads": [2, 3],
        "decisions": [4, 10],
        "share": [0.5, 0.3],
    }
)
NAMES = {"bad_data": "Bad data", "no_fit": "No fit"}


def _spec(chart) -> dict:
    return chart.to_dict()


def _says_no_data(chart) -> bool:
    spec = _spec(chart)
    return spec.get("mark", {}).get("type") == "text" and NO_DATA in str(spec)


def _layers(chart) -> list[dict]:
    spec = _spec(chart)
    return spec.get("layer", [spec])


@pytest.mark.parametrize(
    "build",
    [
        lambda: waterfall_chart(WATERFALL.iloc[0:0]),
        lambda: cohort_chart(COHORTS.iloc[0:0], "mql", "won", MARKERS),
        lambda: leakage_chart(LEAKAGE.iloc[0:0]),
        lambda: velocity_chart(VELOCITY.iloc[0:0]),
        lambda: breakdown_chart(BREAKDOWN.iloc[0:0], "Source"),
        lambda: trend_chart(TREND.iloc[0:0], MARKERS),
        lambda: reasons_grid_chart(REASONS.iloc[0:0], "Source"),
        lambda: clause_chart(REASONS.iloc[0:0]),
        lambda: reasons_trend_chart(REASONS.iloc[0:0], NAMES, MARKERS),
        lambda: waterfall_chart(WATERFALL.assign(leads=0)),
    ],
)
def test_empty_frames_give_the_no_data_chart(build):
    assert _says_no_data(build())


def test_the_waterfall_colours_each_stage_and_labels_its_leads():
    bars, labels = _layers(waterfall_chart(WATERFALL))

    color = bars["encoding"]["color"]["scale"]
    assert dict(zip(color["domain"], color["range"], strict=True)) == {
        s: STAGE_COLORS[s] for s in ("inquiry", "mql", "accepted")
    }
    assert bars["encoding"]["y"]["title"] == "Leads"
    assert labels["mark"]["type"] == "text"
    assert "Came on from the stage before" in str(bars["encoding"]["tooltip"])


def test_the_cohort_chart_marks_only_the_versions_within_its_months():
    layers = _layers(cohort_chart(COHORTS, "mql", "won", MARKERS))

    assert layers[0]["mark"]["color"] == STAGE_COLORS["won"]
    assert layers[0]["encoding"]["x"]["title"] == "Month the leads entered mql"
    assert [layer["mark"]["type"] for layer in layers] == ["bar", "rule", "text"]
    spec = str(_spec(cohort_chart(COHORTS, "mql", "won", MARKERS)))
    assert "Definition v2 took effect" in spec and "SLA v1 took effect" not in spec


def test_leakage_stacks_causes_in_their_colours_and_names_each_reason():
    spec = _spec(leakage_chart(LEAKAGE, NAMES))

    color = spec["encoding"]["color"]["scale"]
    assert color["domain"] == ["rejected", "disqualified", "untouched"]
    assert color["range"] == [CAUSE_COLORS[c] for c in color["domain"]]
    assert spec["encoding"]["y"]["sort"] == ["mql → accepted", "accepted → validated"]
    reasons = pd.DataFrame(next(iter(spec["datasets"].values())))["reason"]
    assert set(reasons) == {"Bad data", "No fit", "—"}


def test_leakage_bars_keep_their_room_when_streamlit_fits_title_legend_and_axis_in():
    spec = _spec(leakage_chart(LEAKAGE, NAMES))

    # Streamlit's autosize "fit" takes title, top legend and x axis (~190 px) out of height.
    assert spec["height"] - 190 >= 30 * len(spec["encoding"]["y"]["sort"])
    assert spec["encoding"]["y"]["axis"]["labelLimit"] >= 200


def test_velocity_colours_each_step_by_the_stage_it_reaches():
    bars, _ = _layers(velocity_chart(VELOCITY))

    assert bars["encoding"]["color"]["scale"]["range"] == [
        STAGE_COLORS["mql"],
        STAGE_COLORS["accepted"],
    ]
    assert bars["encoding"]["x"]["title"] == "Median days"


def test_the_breakdown_orders_values_by_their_leads_and_keeps_the_largest():
    spec = _spec(breakdown_chart(BREAKDOWN, "Source"))

    assert spec["encoding"]["y"]["sort"] == ["web", "ads"]
    assert spec["title"] == "Leads at each stage by source"
    assert top_labels(BREAKDOWN, n=1) == ["web"]


def test_the_breakdown_says_when_it_shows_only_the_largest_values():
    many = pd.DataFrame(
        {
            "value": range(13),
            "label": [f"c{i}" for i in range(13)],
            "stage": "inquiry",
            "leads": range(1, 14),
            "conversion": None,
        }
    )

    spec = _spec(breakdown_chart(many, "Campaign"))

    assert spec["title"] == "Leads at each stage by campaign (the 12 largest)"
    assert "c0" not in spec["encoding"]["y"]["sort"]


def test_the_trend_draws_a_line_per_stage_with_the_definition_change_marked():
    layers = _layers(trend_chart(TREND, MARKERS))

    assert layers[0]["mark"]["type"] == "line"
    assert layers[0]["encoding"]["color"]["scale"]["domain"] == ["inquiry", "mql"]
    assert layers[1]["mark"]["strokeDash"] == [4, 4]


def test_the_reasons_grid_shades_each_cell_by_its_share_of_decisions():
    cells, text = _layers(reasons_grid_chart(REASONS, "Source", NAMES))

    assert cells["encoding"]["color"]["field"] == "share"
    assert cells["encoding"]["x"]["sort"] == ["web", "ads"]
    assert text["encoding"]["text"]["format"] == ".0%"


def test_reasons_grid_rows_keep_their_room_when_streamlit_fits_title_and_labels_in():
    spec = _spec(reasons_grid_chart(REASONS, "Source", NAMES))

    rows = pd.DataFrame(next(iter(spec["datasets"].values())))["reason"].nunique()
    assert spec["height"] - 190 >= 25 * rows


def test_the_clause_chart_splits_rejected_and_disqualified_in_stage_colours():
    spec = _spec(clause_chart(REASONS, NAMES))

    assert spec["encoding"]["color"]["scale"]["range"] == [
        STAGE_COLORS["rejected"],
        STAGE_COLORS["disqualified"],
    ]
    assert spec["encoding"]["y"]["title"] == "Definition clause"


def test_the_reasons_trend_marks_the_versions_in_its_months():
    chart = reasons_trend_chart(REASONS, NAMES, MARKERS)

    assert _layers(chart)[0]["encoding"]["strokeDash"]["field"] == "stage"
    assert [layer["mark"]["type"] for layer in _layers(chart)] == ["line", "rule", "text"]
    assert "Definition v2 took effect" in str(_spec(chart))
