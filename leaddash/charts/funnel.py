"""Funnel page charts: waterfall, conversion by cohort, leakage by cause, velocity, breakdown
and monthly trend; trend charts mark the dates a definition or SLA version took effect.
Frames come as leaddash.analytics.funnel returns them."""

from __future__ import annotations

import altair as alt
import pandas as pd

from leaddash.charts import (
    STAGE_COLORS,
    maturity_opacity,
    no_data_chart,
    with_markers,
    with_maturity,
)

# Causes that are not stages get colours apart from the stage hues: Tol's sand, light grey.
CAUSE_COLORS = {
    "rejected": STAGE_COLORS["rejected"],
    "disqualified": STAGE_COLORS["disqualified"],
    "recycled": STAGE_COLORS["recycled"],
    "lost": STAGE_COLORS["lost"],
    "untouched": "#DDCC77",
    "in progress": "#DDDDDD",
}
BREAKDOWN_TOP = 12
# Streamlit fits a stretched chart's title, axes and legend inside `height` (autosize
# "fit"): they are added to the plot's own room, so the plot keeps PLOT pixels.
PLOT, AXES, LEGEND = 260, 110, 40
Chart = alt.Chart | alt.LayerChart | alt.FacetChart


def _stage_scale(stages: list[str]) -> alt.Scale:
    return alt.Scale(domain=stages, range=[STAGE_COLORS.get(s, "#777777") for s in stages])


def _later_stage(pair: str) -> str:
    return pair.split(" → ")[-1]


def waterfall_chart(frame: pd.DataFrame, title: str = "Leads at each stage") -> Chart:
    """Return a bar per stage in funnel order, labelled with its leads, the tooltip giving
    the conversion from the stage before (columns stage, leads, conversion)."""
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    order = list(frame["stage"])
    base = alt.Chart(frame, title=title).encode(
        x=alt.X("stage:N", sort=order, title="Stage", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("leads:Q", title="Leads"),
        tooltip=[
            alt.Tooltip("stage:N", title="Stage"),
            alt.Tooltip("leads:Q", title="Leads", format=","),
            alt.Tooltip("conversion:Q", title="Came on from the stage before", format=".1%"),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color("stage:N", scale=_stage_scale(order), legend=None)
    )
    labels = base.mark_text(dy=-8, fontSize=12).encode(text=alt.Text("leads:Q", format=","))
    return (bars + labels).properties(height=PLOT + AXES)


def cohort_chart(
    frame: pd.DataFrame, from_stage: str, to_stage: str, markers: pd.DataFrame | None = None
) -> Chart:
    """Return per cohort month the share of leads entering `from_stage` that reached
    `to_stage` (columns cohort, entered, reached, rate, and optionally maturing), with version
    markers; still-maturing cohorts faded, the axis fitted to the rates shown."""
    title = f"Reached {to_stage}, of the leads that entered {from_stage} each month"
    if frame.empty or frame["entered"].sum() == 0:
        return no_data_chart(title)
    data = with_maturity(frame.assign(cohort=pd.to_datetime(frame["cohort"])))
    bars = (
        alt.Chart(data, title=title)
        .mark_bar(color=STAGE_COLORS.get(to_stage, "#777777"))
        .encode(
            x=alt.X("yearmonth(cohort):T", title=f"Month the leads entered {from_stage}"),
            # Rates to won are a few per cent: a fixed 0–100% axis would flatten them.
            y=alt.Y(
                "rate:Q",
                title="Conversion",
                axis=alt.Axis(format=".0%"),
                scale=alt.Scale(domainMin=0, nice=True),
            ),
            opacity=maturity_opacity(),
            tooltip=[
                alt.Tooltip("yearmonth(cohort):T", title="Month", format="%B %Y"),
                alt.Tooltip("entered:Q", title=f"Entered {from_stage}", format=","),
                alt.Tooltip("reached:Q", title=f"Reached {to_stage}", format=","),
                alt.Tooltip("rate:Q", title="Conversion", format=".1%"),
                alt.Tooltip("maturity:N", title="Month"),
            ],
        )
    )
    return with_markers(bars.properties(height=PLOT + AXES + LEGEND), data["cohort"], markers)


def leakage_chart(
    frame: pd.DataFrame,
    reason_names: dict[str, str] | None = None,
    title: str = "Where leads leave the funnel, and why",
) -> Chart:
    """Return a stacked bar per pair of stages: the leads that stopped there by cause, one
    segment per reason (columns pair, cause, reason, leads); still-open leads in grey."""
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    names = reason_names or {}
    data = frame.assign(
        reason=[names.get(r, r) if isinstance(r, str) else "—" for r in frame["reason"]]
    )
    pairs = list(dict.fromkeys(frame["pair"]))
    causes = [c for c in CAUSE_COLORS if c in set(frame["cause"])]
    tooltip = [
        alt.Tooltip("pair:N", title="Between"),
        alt.Tooltip("cause:N", title="Cause"),
        alt.Tooltip("reason:N", title="Reason"),
        alt.Tooltip("leads:Q", title="Leads", format=","),
    ]
    return reason_bars(
        data,
        title=title,
        y=alt.Y("pair:N", sort=pairs, title="Between stages", axis=alt.Axis(labelLimit=240)),
        x_title="Leads",
        color=("cause", "Cause"),
        colors={c: CAUSE_COLORS[c] for c in causes},
        tooltip=tooltip,
    )


# Streamlit sizes a stretched chart with autosize "fit": the title, the legend on top and the
# x axis come out of `height`, so they are added to the bars' own room.
LEGEND_AND_TITLE = 200


def reason_bars(
    data: pd.DataFrame,
    *,
    title: str,
    y: alt.Y,
    x_title: str,
    color: tuple[str, str],
    colors: dict[str, str],
    tooltip: list[alt.Tooltip],
) -> alt.Chart:
    """Return horizontal bars of `leads` stacked by the `color` (field, title) column in
    `colors`, one white-edged segment per `reason`, largest first (`y` sorted by a list)."""
    field, name = color
    spec = y.to_dict()
    assert isinstance(spec, dict)  # a single field channel, never a list of them
    return (
        alt.Chart(data, title=title)
        .mark_bar(stroke="white", strokeWidth=1)
        .encode(
            y=y,
            x=alt.X("sum(leads):Q", title=x_title),
            color=alt.Color(
                f"{field}:N",
                title=name,
                sort=list(colors),
                scale=alt.Scale(domain=list(colors), range=list(colors.values())),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("leads:Q", sort="descending"),
            detail="reason:N",
            tooltip=tooltip,
        )
        .properties(height=34 * len(spec["sort"]) + LEGEND_AND_TITLE)
    )


def velocity_chart(frame: pd.DataFrame, title: str = "Median days between stages") -> Chart:
    """Return a bar per pair of stages with the median days between them, coloured by the
    later stage (columns pair, median_days, leads)."""
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    data = frame.assign(stage=frame["pair"].map(_later_stage))
    pairs = list(data["pair"])
    base = alt.Chart(data, title=title).encode(
        y=alt.Y("pair:N", sort=pairs, title="Between stages", axis=alt.Axis(labelLimit=240)),
        x=alt.X("median_days:Q", title="Median days"),
        tooltip=[
            alt.Tooltip("pair:N", title="Between"),
            alt.Tooltip("median_days:Q", title="Median days", format=".1f"),
            alt.Tooltip("leads:Q", title="Leads that made the step", format=","),
        ],
    )
    bars = base.mark_bar().encode(
        color=alt.Color(
            "stage:N", scale=_stage_scale(list(dict.fromkeys(data["stage"]))), legend=None
        )
    )
    labels = base.mark_text(align="left", dx=4).encode(text=alt.Text("median_days:Q", format=".1f"))
    return (bars + labels).properties(height=36 * len(pairs) + AXES)


def top_labels(frame: pd.DataFrame, n: int = BREAKDOWN_TOP) -> list[str]:
    """Return the `n` breakdown labels with the most leads at their first counted stage."""
    totals = frame.groupby("label", sort=False)["leads"].max()
    return list(totals.sort_values(ascending=False, kind="stable").index[:n])


def breakdown_chart(frame: pd.DataFrame, by_title: str) -> Chart:
    """Return grouped bars of leads per stage for each value of the breakdown (columns
    label, stage, leads, conversion), the largest values only."""
    title = f"Leads at each stage by {by_title.lower()}"
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    labels = top_labels(frame)
    if len(labels) < frame["label"].nunique():
        title = f"{title} (the {len(labels)} largest)"
    stages = list(dict.fromkeys(frame["stage"]))
    data = frame[frame["label"].isin(labels)]
    return (
        alt.Chart(data, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort=labels, title=by_title, axis=alt.Axis(labelLimit=240)),
            yOffset=alt.YOffset("stage:N", sort=stages),
            x=alt.X("leads:Q", title="Leads"),
            color=alt.Color(
                "stage:N",
                title="Stage",
                sort=stages,
                scale=_stage_scale(stages),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("label:N", title=by_title),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("leads:Q", title="Leads", format=","),
                alt.Tooltip("conversion:Q", title="Came on from the stage before", format=".1%"),
            ],
        )
        .properties(height=6 * len(labels) * len(stages) + LEGEND_AND_TITLE)
    )


def trend_chart(
    frame: pd.DataFrame,
    markers: pd.DataFrame | None = None,
    title: str = "Leads reaching each stage, by month",
) -> Chart:
    """Return a line per stage of the leads reaching it each month (columns month, stage,
    leads), with version markers."""
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    data = frame.assign(month=pd.to_datetime(frame["month"]))
    stages = list(dict.fromkeys(frame["stage"]))
    lines = (
        alt.Chart(data, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month"),
            y=alt.Y("leads:Q", title="Leads"),
            color=alt.Color(
                "stage:N",
                title="Stage",
                sort=stages,
                scale=_stage_scale(stages),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("yearmonth(month):T", title="Month", format="%b %Y"),
                alt.Tooltip("stage:N", title="Stage"),
                alt.Tooltip("leads:Q", title="Leads", format=","),
            ],
        )
        .properties(height=PLOT + AXES + LEGEND)
    )
    return with_markers(lines, data["month"], markers)
