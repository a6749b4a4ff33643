"""Charts of the monthly lead review (pure: DataFrame in, chart out)."""

from __future__ import annotations

import altair as alt
import pandas as pd

from leaddash.analytics.funnel import month_start
from leaddash.charts import (
    STAGE_COLORS,
    maturing_lines,
    maturity_opacity,
    no_data_chart,
    with_markers,
    with_maturity,
)

# Okabe–Ito hues not used for a stage's neighbour on the same chart.
RATE_COLORS = {
    "Validation rate": "#009E73",
    "First-touch compliance": "#0072B2",
    "Decision compliance": "#E69F00",
    "Feedback rate": "#CC79A7",
}
RATE_METRICS = {
    "validation_rate": "Validation rate",
    "first_touch": "First-touch compliance",
    "decision": "Decision compliance",
    "feedback_rate": "Feedback rate",
}
CAUSE_COLORS = {**STAGE_COLORS, "untouched": "#332288"}
# On the page Streamlit fits title, axes and legend inside `height`; in the file (SVG) the
# plot gets it all. Either way the plot keeps at least 200 px.
TREND_HEIGHT = 380
RATES_HEIGHT = 470  # two rows of measures and a row of complete / still maturing below
BAR_ROOM, AXIS_ROOM = 32, 110


def _monthly(card: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    rows = with_maturity(card[card["metric"].isin(metrics) & card["value"].notna()])
    rows["month"] = pd.to_datetime(rows["key"].map(month_start))
    return rows


def mql_volume_chart(
    card: pd.DataFrame, markers: pd.DataFrame, title: str = "MQLs each month against the target"
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Return a bar of MQLs per month with the target as a tick (scorecard rows by month)."""
    rows = _monthly(card, ["mql_volume"])
    if rows.empty:
        return no_data_chart(title)
    base = alt.Chart(rows).encode(
        x=alt.X("yearmonth(month):T", title="Month the leads became MQLs"),
        tooltip=[
            alt.Tooltip("yearmonth(month):T", title="Month"),
            alt.Tooltip("value:Q", title="MQLs", format=",.0f"),
            alt.Tooltip("target:Q", title="Target", format=",.0f"),
            alt.Tooltip("maturity:N", title="Month"),
        ],
    )
    bars = base.mark_bar(color=STAGE_COLORS["mql"], width=28).encode(
        y=alt.Y("value:Q", title="MQLs"), opacity=maturity_opacity()
    )
    target = base.mark_tick(color="#000000", thickness=2, size=36).encode(y="target:Q")
    return with_markers(alt.layer(bars, target), rows["month"], markers).properties(
        title=title, height=TREND_HEIGHT
    )


def rates_trend_chart(
    card: pd.DataFrame,
    markers: pd.DataFrame,
    title: str = "Validation and SLA compliance each month",
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Return a line per rate (validation, first touch, decision, feedback) by MQL month."""
    rows = _monthly(card, list(RATE_METRICS))
    if rows.empty:
        return no_data_chart(title)
    rows["rate"] = rows["metric"].map(RATE_METRICS)
    names = list(RATE_COLORS)
    base = alt.Chart(rows).encode(
        x=alt.X("yearmonth(month):T", title="Month the leads became MQLs"),
        y=alt.Y(
            "value:Q",
            title="Share of MQLs",
            axis=alt.Axis(format=".0%"),
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color(
            "rate:N",
            title="Measure",
            sort=names,
            scale=alt.Scale(domain=names, range=list(RATE_COLORS.values())),
            legend=alt.Legend(orient="bottom", columns=2, labelLimit=0),
        ),
        tooltip=[
            alt.Tooltip("rate:N", title="Measure"),
            alt.Tooltip("yearmonth(month):T", title="Month", format="%B %Y"),
            alt.Tooltip("value:Q", title="Value", format=".0%"),
            alt.Tooltip("target:Q", title="Target", format=".0%"),
            alt.Tooltip("maturity:N", title="Month"),
        ],
    )
    layers = maturing_lines(base, rows, "month", 50)
    return with_markers(alt.layer(*layers), rows["month"], markers).properties(
        title=title, height=RATES_HEIGHT
    )


def leakage_causes_chart(
    leaks: pd.DataFrame, title: str = "Where leads left the funnel"
) -> alt.Chart:
    """Return a horizontal bar per leakage cause (columns cause, label, leads, last_month)."""
    if leaks.empty or leaks["leads"].sum() == 0:
        return no_data_chart(title)
    causes = sorted(leaks["cause"].unique())
    return (
        alt.Chart(leaks, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title=None, axis=alt.Axis(labelLimit=360)),
            x=alt.X("leads:Q", title="Leads this month"),
            color=alt.Color(
                "cause:N",
                title="Cause",
                scale=alt.Scale(
                    domain=causes, range=[CAUSE_COLORS.get(c, "#777777") for c in causes]
                ),
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Cause"),
                alt.Tooltip("leads:Q", title="Leads this month"),
                alt.Tooltip("last_month:Q", title="Last month"),
            ],
        )
        .properties(height=BAR_ROOM * len(leaks) + AXIS_ROOM)
    )


def reasons_by_source_chart(
    reasons: pd.DataFrame, title: str = "Top reasons sales turned leads down, by source"
) -> alt.Chart:
    """Return a stacked bar per source of its top reasons, coloured by rejected or
    disqualified (columns source, stage, label, leads, share)."""
    if reasons.empty or reasons["leads"].sum() == 0:
        return no_data_chart(title)
    stages = sorted(reasons["stage"].unique())
    return (
        alt.Chart(reasons, title=title)
        .mark_bar(stroke="white")
        .encode(
            y=alt.Y("source:N", title="Source", axis=alt.Axis(labelLimit=240)),
            x=alt.X("leads:Q", title="Leads turned down"),
            color=alt.Color(
                "stage:N",
                title="Turned down as",
                scale=alt.Scale(
                    domain=stages, range=[STAGE_COLORS.get(s, "#777777") for s in stages]
                ),
            ),
            tooltip=[
                alt.Tooltip("source:N", title="Source"),
                alt.Tooltip("label:N", title="Reason"),
                alt.Tooltip("stage:N", title="Turned down as"),
                alt.Tooltip("leads:Q", title="Leads"),
                alt.Tooltip("share:Q", title="Share of the source's decisions", format=".0%"),
            ],
        )
        .properties(height=BAR_ROOM * reasons["source"].nunique() + AXIS_ROOM)
    )
