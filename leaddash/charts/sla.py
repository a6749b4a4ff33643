"""Charts of the SLA compliance page: MQL volume against target, each compliance rate by month,
and the breaches by kind. Month keys (yyyymm) are drawn as the first day of their month so the
dates when a definition or SLA version took effect can be marked on the same axis."""

from __future__ import annotations

import altair as alt
import pandas as pd

from leaddash.charts import (
    MATURING,
    STAGE_COLORS,
    maturing_lines,
    maturity_opacity,
    no_data_chart,
    with_markers,
    with_maturity,
)

# Plain names of the scorecard's metrics, as a manager reads them.
METRIC_LABELS = {
    "mql_volume": "MQL volume",
    "validation_rate": "Validation rate",
    "first_touch": "First touch in time",
    "decision": "Decision in time",
    "attempts": "Enough attempts before closing",
    "feedback_rate": "Feedback rate",
    "response": "Median response (business hours)",
}
RATE_METRICS = ("validation_rate", "first_touch", "decision", "attempts", "feedback_rate")
# Okabe–Ito hues (no stage is drawn on these charts, so they name metrics instead).
METRIC_COLORS = ("#009E73", "#0072B2", "#E69F00", "#CC79A7", "#D55E00")
BREACH_COLOR = "#D55E00"
# Streamlit fits a stretched chart's title, axes and legend inside `height` (autosize
# "fit"): these are added to the plot's own room so it never comes out squashed.
PLOT_HEIGHT = 300
AXIS_AND_TITLE = 90
LEGEND_ROW = 24


def month_starts(keys: pd.Series) -> pd.Series:
    """Return the first day of the month of each yyyymm key, as timestamps."""
    return pd.to_datetime(keys.astype("int64").astype(str), format="%Y%m")


def volume_chart(
    volume: pd.DataFrame,
    markers: pd.DataFrame | None = None,
    title: str = "MQLs per month against marketing's target",
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Return a bar of MQLs per month with the month's target as a tick (columns month,
    label, mqls, target, met of one segment, as volume_vs_target returns them, and
    optionally maturing); a still-maturing month is faded and never called a miss."""
    if volume.empty or volume["mqls"].sum() == 0:
        return no_data_chart(title)
    frame = with_maturity(volume).assign(start=month_starts(volume["month"]))
    status = frame["met"].map({True: "met", False: "missed"}).fillna("no target")
    frame["status"] = status.where(frame["maturity"] != MATURING, "month still running")
    tooltip = [
        alt.Tooltip("label:N", title="Month"),
        alt.Tooltip("mqls:Q", title="MQLs", format=","),
        alt.Tooltip("target:Q", title="Target", format=","),
        alt.Tooltip("status:N", title="Target"),
    ]
    x = alt.X("yearmonth(start):T", title="Month the leads became MQLs")
    base = alt.Chart(frame)
    bars = base.mark_bar(color=STAGE_COLORS["mql"], width={"band": 0.7}).encode(
        x=x, y=alt.Y("mqls:Q", title="MQLs"), opacity=maturity_opacity(), tooltip=tooltip
    )
    targets = base.mark_tick(color="#000000", thickness=3, size=40).encode(
        x=x, y="target:Q", tooltip=tooltip
    )
    chart = with_markers(alt.layer(bars, targets), frame["start"], markers)
    return chart.properties(title=title, height=PLOT_HEIGHT + AXIS_AND_TITLE + LEGEND_ROW)


def compliance_trend_chart(
    scorecard: pd.DataFrame, markers: pd.DataFrame | None = None, title: str = "SLA rates by month"
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Return one line per rate metric by MQL month (the month rows of scorecard(by="month"),
    optionally with a maturing column): the line joins complete months only; a still-maturing
    month is a faded point over a grey band."""
    frame = scorecard[scorecard["metric"].isin(RATE_METRICS) & scorecard["value"].notna()]
    if frame.empty:
        return no_data_chart(title)
    names = [METRIC_LABELS[m] for m in RATE_METRICS]
    frame = with_maturity(frame).assign(
        start=month_starts(frame["key"]),
        name=frame["metric"].map(METRIC_LABELS),
        value=frame["value"].astype(float),
        target=frame["target"].astype(float),
    )
    color = alt.Color(
        "name:N",
        title="Rate",
        sort=names,
        scale=alt.Scale(domain=names, range=list(METRIC_COLORS)),
        legend=alt.Legend(orient="bottom", columns=3, labelLimit=0),
    )
    base = alt.Chart(frame).encode(
        x=alt.X("yearmonth(start):T", title="Month the leads became MQLs"),
        y=alt.Y(
            "value:Q",
            title="Share of leads",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format=".0%"),
        ),
        color=color,
        tooltip=[
            alt.Tooltip("label:N", title="Month"),
            alt.Tooltip("name:N", title="Rate"),
            alt.Tooltip("value:Q", title="Result", format=".0%"),
            alt.Tooltip("numerator:Q", title="Leads counted", format=","),
            alt.Tooltip("denominator:Q", title="Out of", format=","),
            alt.Tooltip("target:Q", title="Target", format=".0%"),
            alt.Tooltip("maturity:N", title="Month"),
        ],
    )
    layers = maturing_lines(base, frame, "start", 60)
    legend_rows = 2 + 1  # five rates in three columns, then complete / still maturing
    height = PLOT_HEIGHT + AXIS_AND_TITLE + LEGEND_ROW * legend_rows
    return with_markers(alt.layer(*layers), frame["start"], markers).properties(
        title=title, height=height
    )


def breach_kinds_chart(counts: pd.DataFrame, title: str = "SLA breaches by kind") -> alt.Chart:
    """Return a horizontal bar per kind of breach (columns label, breaches)."""
    if counts.empty or counts["breaches"].sum() == 0:
        return no_data_chart(title)
    return (
        alt.Chart(counts, title=title)
        .mark_bar(color=BREACH_COLOR)
        .encode(
            y=alt.Y("label:N", sort=list(counts["label"]), title=None),
            x=alt.X("breaches:Q", title="Leads"),
            tooltip=[
                alt.Tooltip("label:N", title="Breach"),
                alt.Tooltip("breaches:Q", title="Leads"),
            ],
        )
        # Streamlit fits the title and x axis inside `height` (autosize "fit").
        .properties(height=36 * len(counts) + 110)
    )


def response_bands_chart(
    bands: pd.DataFrame, title: str = "How fast MQLs were first touched"
) -> alt.Chart:
    """Return a bar of MQLs per response band, in the bands' order, with each band's
    validation and win rates in the tooltip (the rows of speed_by_band without a group)."""
    if bands.empty or bands["mqls"].sum() == 0:
        return no_data_chart(title)
    order = list(dict.fromkeys(bands["band_label"]))
    return (
        alt.Chart(bands, title=title)
        .mark_bar(color=STAGE_COLORS["mql"])
        .encode(
            x=alt.X("band_label:N", sort=order, title="First touch after MQL (raw time)"),
            y=alt.Y("mqls:Q", title="MQLs"),
            tooltip=[
                alt.Tooltip("band_label:N", title="First touch"),
                alt.Tooltip("mqls:Q", title="MQLs"),
                alt.Tooltip("validation_rate:Q", title="Validation rate", format=".0%"),
                alt.Tooltip("win_rate:Q", title="Win rate", format=".0%"),
            ],
        )
        .properties(height=280)
    )
