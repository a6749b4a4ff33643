"""Altair chart builders: pure functions, DataFrame in, chart out. Shared pieces live here;
dashboard charts in the modules beside this one (funnel, sla, calibration, feedback)."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

# One colour per stage, used by every chart; Okabe–Ito hues stay distinct for colour-blind readers.
STAGE_COLORS = {
    "inquiry": "#999999",
    "mql": "#56B4E9",
    "accepted": "#0072B2",
    "validated": "#009E73",
    "sql": "#F0E442",
    "opportunity": "#E69F00",
    "won": "#117733",
    "disqualified": "#D55E00",
    "rejected": "#CC79A7",
    "recycled": "#882255",
    "lost": "#000000",
}
NO_DATA = "No data for these filters"
# Months whose figures can still change (leaddash.charts.maturing) are drawn faded.
COMPLETE, MATURING = "Complete", "Still maturing"
MATURING_OPACITY = 0.35
MATURING_SHADE = "#BBBBBB"


def with_maturity(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the frame with a `maturity` column (Complete / Still maturing) read from its
    boolean `maturing` column (every month complete when there is none)."""
    flags = frame["maturing"] if "maturing" in frame else pd.Series(False, index=frame.index)
    return frame.assign(maturity=[MATURING if bool(f) else COMPLETE for f in flags])


def maturity_opacity() -> alt.Opacity:
    """Return the opacity channel that fades still-maturing months, with its legend below."""
    return alt.Opacity(
        "maturity:N",
        title=None,
        scale=alt.Scale(domain=[COMPLETE, MATURING], range=[1.0, MATURING_OPACITY]),
        legend=alt.Legend(orient="bottom"),
    )


def maturing_band(frame: pd.DataFrame, start: str) -> alt.Chart | None:
    """Return a grey band behind each still-maturing month (the month from its first day,
    column `start`), or None when every month is complete."""
    shown = frame[frame["maturity"] == MATURING].drop_duplicates(start)
    if shown.empty:
        return None
    band = shown.assign(_end=pd.to_datetime(shown[start]) + pd.offsets.MonthBegin(1))
    return (
        alt.Chart(band)
        .mark_rect(color=MATURING_SHADE, opacity=0.18)
        .encode(
            x=alt.X(f"{start}:T"),
            x2="_end:T",
            tooltip=[alt.Tooltip("maturity:N", title="Month")],
        )
    )


def maturing_lines(base: alt.Chart, frame: pd.DataFrame, start: str, size: int) -> list[Any]:
    """Return the layers of a line chart of monthly rates whose still-maturing months are
    faded points on a grey band, never joined to the line (their figures can still move)."""
    lines = base.transform_filter(f"datum.maturity != '{MATURING}'").mark_line()
    points = base.mark_point(filled=True, size=size).encode(opacity=maturity_opacity())
    band = maturing_band(frame, start)
    return [band, lines, points] if band is not None else [lines, points]


def no_data_chart(title: str) -> alt.Chart:
    """Return a chart that says plainly that there is nothing to show."""
    frame = pd.DataFrame({"text": [NO_DATA]})
    return (
        alt.Chart(frame, title=title)
        .mark_text(size=16, color="#555555")
        .encode(text="text:N")
        .properties(height=120)
    )


def stage_bar_chart(counts: pd.DataFrame, title: str) -> alt.Chart:
    """Return a bar per stage (columns stage, leads) in the stage colours."""
    if counts.empty or counts["leads"].sum() == 0:
        return no_data_chart(title)
    order = list(counts["stage"])
    scale = alt.Scale(domain=order, range=[STAGE_COLORS.get(s, "#777777") for s in order])
    return (
        alt.Chart(counts, title=title)
        .mark_bar()
        .encode(
            x=alt.X("stage:N", sort=order, title="Stage", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("leads:Q", title="Leads"),
            color=alt.Color("stage:N", scale=scale, legend=None),
            tooltip=[alt.Tooltip("stage:N", title="Stage"), alt.Tooltip("leads:Q", title="Leads")],
        )
        .properties(height=280)
    )


def reverse_waterfall_chart(
    plan: pd.DataFrame,
    title: str = "Leads needed each month",
) -> alt.LayerChart | alt.Chart:
    """Return the revenue plan as horizontal bars from won (top) back to MQL (bottom), each
    labelled with its leads a month rounded up (columns stage, label, leads, per_month,
    conversion, as leaddash.planner.plan_frame returns them)."""
    if plan.empty or plan["per_month"].fillna(0).sum() == 0:
        return no_data_chart(title)
    order = list(plan["label"])
    scale = alt.Scale(
        domain=list(plan["stage"]), range=[STAGE_COLORS.get(s, "#777777") for s in plan["stage"]]
    )
    base = (
        alt.Chart(plan, title=title)
        .transform_calculate(needed="ceil(datum.per_month)")
        .encode(
            y=alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelFontSize=13)),
            x=alt.X("per_month:Q", title="Leads needed per month"),
            tooltip=[
                alt.Tooltip("label:N", title="Stage"),
                alt.Tooltip("needed:Q", title="Leads a month", format=",.0f"),
                alt.Tooltip("leads:Q", title="Leads over the period", format=",.0f"),
                alt.Tooltip("conversion:Q", title="Go on to the next stage", format=".0%"),
            ],
        )
    )
    bars = base.mark_bar().encode(color=alt.Color("stage:N", scale=scale, legend=None))
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(
        text=alt.Text("needed:Q", format=",.0f")
    )
    return (bars + labels).properties(height=44 * len(plan))


# Okabe–Ito blue and orange: the version tried and the one it is compared against.
WHATIF_COLORS = ("#0072B2", "#E69F00")


def _side_names(labels: dict[str, str] | None) -> tuple[str, str]:
    names = labels or {}
    return names.get("candidate", "Tried"), names.get("baseline", "Compared against")


def whatif_mqls_chart(
    frame: pd.DataFrame,
    labels: dict[str, str] | None = None,
    title: str = "MQLs per month of lead creation",
) -> alt.Chart:
    """Return grouped bars of each version's MQLs per month (columns month, leads,
    candidate, baseline, as WhatIfResult.mqls holds them); `labels` names the two sides."""
    if frame.empty or frame[["candidate", "baseline"]].to_numpy().sum() == 0:
        return no_data_chart(title)
    names = _side_names(labels)
    long = frame.rename(columns=dict(zip(("candidate", "baseline"), names, strict=True))).melt(
        id_vars=["month", "leads"], value_vars=list(names), var_name="version", value_name="mqls"
    )
    color = alt.Color(
        "version:N",
        title="Version",
        sort=list(names),
        scale=alt.Scale(domain=list(names), range=list(WHATIF_COLORS)),
        legend=alt.Legend(orient="top"),
    )
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="Month the leads were created", axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset("version:N", sort=list(names)),
            y=alt.Y("mqls:Q", title="MQLs"),
            color=color,
            tooltip=[
                alt.Tooltip("month:O", title="Month"),
                alt.Tooltip("version:N", title="Version"),
                alt.Tooltip("mqls:Q", title="MQLs", format=","),
                alt.Tooltip("leads:Q", title="Leads created", format=","),
            ],
        )
        .properties(height=300)
    )


def score_band_chart(
    frame: pd.DataFrame,
    title: str = "Validation rate by score band",
) -> alt.LayerChart | alt.Chart:
    """Return a bar per score band with the share of its decided leads that sales validated,
    labelled "n = …" with how many were decided (columns band, low, leads, mqls, decided, validated,
    validation_rate, as WhatIfResult.by_score_band holds them)."""
    if frame.empty or frame["decided"].sum() == 0:
        return no_data_chart(title)
    order = list(frame.sort_values("low")["band"])
    base = alt.Chart(frame).encode(
        x=alt.X(
            "band:N",
            sort=order,
            scale=alt.Scale(domain=order),
            title="Score band (points)",
            axis=alt.Axis(labelAngle=0),
        ),
        y=alt.Y(
            "validation_rate:Q",
            title="Validated by sales",
            scale=alt.Scale(domain=[0, 1]),
            axis=alt.Axis(format=".0%"),
        ),
        tooltip=[
            alt.Tooltip("band:N", title="Score band"),
            alt.Tooltip("leads:Q", title="Leads", format=","),
            alt.Tooltip("mqls:Q", title="MQLs", format=","),
            alt.Tooltip("decided:Q", title="Decided by sales", format=","),
            alt.Tooltip("validated:Q", title="Validated", format=","),
            alt.Tooltip("validation_rate:Q", title="Validation rate", format=".0%"),
        ],
    )
    bars = base.mark_bar(color=WHATIF_COLORS[0])
    counts = (
        base.mark_text(dy=-8, fontSize=12, color="#333333")
        .transform_calculate(label="'n = ' + format(datum.decided, ',')")
        .encode(text="label:N")
    )
    return (bars + counts).properties(title=title, height=300)


MARKER_COLOR = "#555555"
MARKER_ROWS, MARKER_ROW_PX = 3, 13


def marker_layers(
    markers: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp
) -> list[alt.Chart]:
    """Return a dashed rule and a label for each day between `first` and `last` when a
    version took effect (columns date, label as analytics.funnel.version_markers returns
    them; versions of the same day share one label); none when none did."""
    if markers is None or markers.empty:
        return []
    dates = pd.to_datetime(markers["date"])
    shown = markers.assign(date=dates)[(dates >= first) & (dates <= last)]
    if shown.empty:
        return []
    same_day = shown.groupby("date", as_index=False)["label"].agg(" · ".join)
    # Versions weeks apart would print their labels over one another: step them down.
    same_day["row"] = [(i % MARKER_ROWS) * MARKER_ROW_PX for i in range(len(same_day))]
    base = alt.Chart(same_day).encode(
        x="date:T",
        tooltip=[
            alt.Tooltip("label:N", title="Change"),
            alt.Tooltip("date:T", title="Took effect", format="%d %b %Y"),
        ],
    )
    rules = base.mark_rule(color=MARKER_COLOR, strokeDash=[4, 4])
    labels = base.mark_text(
        align="left", dx=3, dy=2, angle=0, color=MARKER_COLOR, fontSize=11, baseline="top"
    ).encode(y=alt.Y("row:Q", scale=None), text="label:N")
    return [rules, labels]


def with_markers(
    chart: alt.Chart | alt.LayerChart | alt.FacetChart,
    months: pd.Series,
    markers: pd.DataFrame | None,
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Return `chart` with the version markers that fall within its months (first days of
    the months it shows) laid over it; markers outside would stretch its time axis."""
    if markers is None or months.empty:
        return chart
    first = pd.Timestamp(pd.to_datetime(months).min())
    last = pd.Timestamp(pd.to_datetime(months).max()) + pd.offsets.MonthEnd(1)
    layers = marker_layers(markers, first, last)
    return alt.layer(chart, *layers) if layers else chart
